"""The codec contract: a whole table ↔ the named numeric arrays a model learns from.

Every model reaches its data through one :class:`TableCodec`. A codec is built from the
metadata and its options, then:

1. ``fit(data, rng, budget=None)`` learns how to encode every column; with a
   :class:`CodecBudget` every statistic it keeps is measured by a differentially private
   mechanism and spent in the budget's ledger (per column kind: *analyze* the column into
   numbers or labels, then *reduce* them to a domain with noise);
2. ``transform(data, rng)`` gives one array per encoded column, laid out as
   ``encoded_columns_`` says (name, source column, continuous or discrete, codes);
3. ``inverse_transform(encoded, n, rng)`` gives the table back with the columns, order and
   dtypes it was fitted on (generated kinds — ids, PII, text — are made fresh; a generated
   encoder that ``reads_rows``, the language model of a text column, is fitted given the
   row's learned columns and writes after them, given the decoded ones);
4. what a condition may ask of a column: :meth:`~TableCodec.condition_domain` (the values or
   bounds it can produce), :meth:`~TableCodec.discrete_codes` (the codes equality conditions
   pin down, for models that steer generation), :meth:`~TableCodec.null_code` and
   :meth:`~TableCodec.encoded_interval`;
5. ``get_state()`` / ``set_state(state)``: JSON-safe values and arrays, with the codec's
   name and options, so a model file says which codec it used.

The codecs are registered by name in :data:`simulacra.encoders.CODECS`: ``"exact"`` (one
reversible encoder per column, :class:`~simulacra.encoders.exact.ExactCodec`) and ``"binned"``
(every column as integer codes, optionally with the position within a numeric bin, with or
without a privacy budget, :class:`~simulacra.encoders.binned.BinnedCodec`).

>>> ConditionDomain(categories=("a", "b")).problem("c", "x")  # doctest: +ELLIPSIS
"condition x='c' is impossible: the model saw 2 values in 'x', e.g. ['a', 'b']"
>>> ConditionDomain(low=17.0, high=90.0).problem((95, 99), "age")
"condition age=(95, 99) is impossible: generated values of 'age' stay within [17, 90]"
>>> ConditionDomain(low=17.0, high=90.0).problem((80, None), "age") is None
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from simulacra.errors import ModelFileError, NotFittedError
from simulacra.metadata import Metadata

#: Suffix of the 0/1 column that flags nulls of a column whose encoder refuses them.
NULL_SUFFIX = "#null"


@dataclass(frozen=True)
class EncodedColumn:
    """One numeric column of the encoded table.

    ``source`` is the table column it comes from (a column with nulls or several parts
    becomes several encoded columns). ``cardinality`` is the number of codes of a discrete
    column, or of the bins a continuous column's value is placed in (0: none).
    """

    name: str
    source: str
    output: Literal["continuous", "discrete"]
    cardinality: int = 0


@dataclass(frozen=True)
class CodecBudget:
    """The privacy budget a codec may spend while fitting: ``rho`` (zCDP) from ``ledger``."""

    ledger: Any
    rho: float


@dataclass(frozen=True)
class ConditionDomain:
    """What generated values of one column can be, as far as a condition check needs.

    ``categories``: the values an equality condition may name (``None``: not a set of
    categories); ``low`` / ``high``: numeric bounds of generated values (``None``: unknown);
    ``integer``: generated values are whole numbers.

    >>> ages = ConditionDomain(low=17, high=90, integer=True)
    >>> ages.problem(200, "age")
    "condition age=200 is impossible: generated values of 'age' stay within [17, 90]"
    >>> ages.problem(30.5, "age")
    "condition age=30.5 is impossible: 'age' holds whole numbers, and none is in [30.5, 30.5]"
    >>> ages.problem((30, 40), "age") is None
    True
    """

    categories: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def problem(self, value: Any, column: str) -> str | None:
        """Why the condition ``column = value`` can never hold, or ``None``.

        ``value`` is a value (equality; ``None`` means null) or a ``(low, high)`` tuple.
        """
        if self.categories is not None:
            if value is None or isinstance(value, tuple) or value in self.categories:
                return None
            return (f"condition {column}={value!r} is impossible: the model saw "
                    f"{len(self.categories)} values in {column!r}, e.g. "
                    f"{list(self.categories)[:5]}")
        bounds = None if value is None else _numeric_bounds(
            value if isinstance(value, tuple) else (value, value))
        if bounds is None:
            return None  # null, or not numbers (e.g. dates): left to sampling
        lo, hi = bounds
        if self.low is not None and self.high is not None \
                and not (lo <= self.high and hi >= self.low):
            return (f"condition {column}={value!r} is impossible: generated values of "
                    f"{column!r} stay within [{self.low:g}, {self.high:g}]")
        if self.integer and np.floor(hi) < np.ceil(lo):
            return (f"condition {column}={value!r} is impossible: {column!r} holds whole "
                    f"numbers, and none is in [{lo:g}, {hi:g}]")
        return None


def reversed_range(value: Any, column: str) -> str | None:
    """Why a ``(low, high)`` condition can never hold because ``low > high``, or ``None``.

    >>> reversed_range((40, 30), "age")
    'condition age=(40, 30) is impossible: its low end 40 is above its high end 30; write (30, 40)'
    >>> reversed_range(("2024-01-31", "2024-01-01"), "day") is not None
    True
    """
    if not isinstance(value, tuple) or len(value) != 2 or None in value:
        return None
    low, high = value
    try:
        above = bool(_numeric_bounds(value) is not None and float(low) > float(high)) or (
            isinstance(low, str) and isinstance(high, str)
            and pd.Timestamp(low) > pd.Timestamp(high))
    except (TypeError, ValueError, OverflowError):
        return None  # not numbers nor dates: left to the column's own check
    if not above:
        return None
    return (f"condition {column}={value!r} is impossible: its low end {low!r} is above its "
            f"high end {high!r}; write ({high!r}, {low!r})")


def _numeric_bounds(bounds: tuple[Any, ...]) -> tuple[float, float] | None:
    """The inclusive range ``bounds`` (either end may be None) as floats, or None when its
    ends are not numbers (e.g. dates)."""
    if len(bounds) != 2 or any(isinstance(b, bool | str) for b in bounds):
        return None
    try:
        lo = -np.inf if bounds[0] is None else float(bounds[0])
        hi = np.inf if bounds[1] is None else float(bounds[1])
    except (TypeError, ValueError):
        return None
    return (lo, hi) if not (np.isnan(lo) or np.isnan(hi)) else None


class TableCodec(ABC):
    """Base of the table codecs: the contract above, plus the bookkeeping they share.

    Subclasses set ``name``, take their options as keyword arguments after ``metadata``
    (stored under the same names, returned by :meth:`options`) and implement the abstract
    methods; fitted attributes end in ``_``, among them ``columns_`` (the table's columns in
    order) and ``dtypes_``.
    """

    name: ClassVar[str]
    #: Whether ``fit`` can measure what it keeps under a privacy budget.
    private_fit: ClassVar[bool] = False

    def __init__(self, metadata: Metadata) -> None:
        self.metadata = metadata

    def options(self) -> dict[str, Any]:
        """The codec's options (constructor keywords after ``metadata``)."""
        return {}

    # -- the contract ---------------------------------------------------------------------------
    @abstractmethod
    def fit(self, data: pd.DataFrame, rng: np.random.Generator, *,
            budget: CodecBudget | None = None) -> TableCodec:
        """Learn the encoding of every column of ``data`` (never modified)."""

    @abstractmethod
    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """One array per encoded column (``encoded_columns_``' names)."""

    @abstractmethod
    def inverse_transform(self, encoded: Mapping[str, np.ndarray], n: int,
                          rng: np.random.Generator) -> pd.DataFrame:
        """The ``n`` rows ``encoded`` stands for, in the fitted columns, order and dtypes."""

    @property
    @abstractmethod
    def encoded_columns_(self) -> list[EncodedColumn]:
        """The layout of :meth:`transform`'s output."""

    @abstractmethod
    def condition_domain(self, column: str) -> ConditionDomain:
        """What generated values of ``column`` can be (an empty domain when unknown)."""

    @abstractmethod
    def discrete_codes(self, conditions: Mapping[str, Any]) -> dict[str, int]:
        """Encoded discrete columns and the codes equality ``conditions`` pin down.

        Values that cannot be encoded and range conditions are skipped: callers use this to
        steer generation only, never to filter.
        """

    @abstractmethod
    def null_code(self, column: str) -> int | None:
        """The code of nulls in ``column``'s own discrete encoding, if it has one."""

    def encoded_interval(self, column: str, low: Any, high: Any
                         ) -> tuple[float, float] | None:
        """Encoded values of ``column`` that may decode into ``[low, high]`` (``None``: the
        codec cannot say, e.g. the column is not a number)."""
        return None

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """Fitted state as JSON-safe values and arrays, with the codec's name and options."""
        self._check_fitted()
        return {"codec": self.name, "options": self.options(), **self._get_state()}

    def set_state(self, state: Mapping[str, Any]) -> TableCodec:
        """Load ``state`` (from :meth:`get_state`) into this codec; returns ``self``.

        Files written before codecs were named carry no ``codec``/``options``: the options
        given to this codec then stand.
        """
        name = state.get("codec", self.name)
        if name != self.name:
            raise ModelFileError(f"the model file encodes its table with the {name!r} codec, "
                                 f"but this model uses the {self.name!r} codec; the file is "
                                 "corrupted or was edited")
        for key, value in dict(state.get("options", {})).items():
            if key not in self.options():
                raise ModelFileError(f"the {self.name} codec has no option {key!r}; the "
                                     "model file is corrupted or from a newer simulacra")
            setattr(self, key, value)
        self._set_state(state)
        return self

    @abstractmethod
    def _get_state(self) -> dict[str, Any]: ...

    @abstractmethod
    def _set_state(self, state: Mapping[str, Any]) -> None: ...

    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first")
