"""Reversible column encoders: the base does the bookkeeping, subclasses do the maths.

An encoder maps one raw column (a :class:`pandas.Series`) to one numeric array and back:

* ``fit(series)`` records the storage dtype and null share, then calls ``_fit`` on the
  non-null values only;
* ``transform(series)`` returns a 1-D array — ``float64`` for ``output == "continuous"``,
  ``int64`` codes in ``[0, cardinality)`` for ``output == "discrete"`` — for *non-null* values
  (the caller drops nulls first, or composes :class:`~simulacra.encoders.missing.MissingIndicator`);
* ``inverse_transform(values, rng)`` maps such an array back to a Series with the fitted dtype
  (``inverse_array`` gives the same values as a bare array, which table codecs assemble
  frames from without a Series per column).

Generated kinds (ids, PII, free text) have ``output == "generated"``: they encode to nothing
and ``generate(n, rng)`` makes fresh values.

A column may stand for several numbers (``parts``: one suffix per encoded column; a single
``""`` means the column itself); ``transform`` then gives an ``(n, len(parts))`` array.

What a table codec asks of a column beyond that, each with a default that suits most kinds:

* :meth:`Encoder.condition_domain` — the values or bounds generated values keep (condition
  checks); :meth:`Encoder.null_code` — the code of nulls; :meth:`Encoder.encoded_interval` —
  encoded values that may decode into a range (early rejection in conditional sampling);
* the *grid* of a continuous kind, for the binned codec: ``fit_grid`` (learn the storage
  only, nothing about the values' range, so nothing private is kept), ``to_grid`` (the values
  as floats on a grid that does not depend on the data), ``from_grid`` (back, clipped to given
  bounds), ``declared_grid_bounds`` and ``grid_integer``;
* class-level readings of raw values that need no fitted state: :meth:`Encoder.matches`
  (which rows meet a condition) and :meth:`Encoder.components` (the numbers a multi-part
  column stands for, which evaluation compares).

Fitted state round-trips through ``get_state()`` / ``from_state()`` as JSON-safe values and
numpy arrays, so model files never need pickle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray, ExtensionDtype

from simulacra.encoders.codec import ConditionDomain
from simulacra.errors import DataError, NotFittedError
from simulacra.kinds import ColumnKind

Output = Literal["continuous", "discrete", "generated"]
State = dict[str, Any]
#: A column's values without an index: a numpy array, or a pandas extension array.
ArrayLike = np.ndarray | ExtensionArray


def array_of(series: pd.Series) -> ArrayLike:
    """``series``' values without its index: its extension array, or its numpy array."""
    return series.array if isinstance(series.dtype, ExtensionDtype) else series.to_numpy()


class Encoder(ABC):
    """Base of all column encoders."""

    name: ClassVar[str]
    output: ClassVar[Output]
    #: True when ``_transform`` encodes nulls itself (e.g. as their own category code).
    handles_nulls: ClassVar[bool] = False
    #: Suffixes of the encoded columns the column becomes (``""``: the column itself).
    parts: ClassVar[tuple[str, ...]] = ("",)

    def __init__(self) -> None:
        self.column_: str | None = None
        self.dtype_: str | None = None

    # -- bookkeeping ------------------------------------------------------------------------
    def fit(self, series: pd.Series) -> Encoder:
        """Learn the column's dtype and the encoding from its non-null values."""
        self.column_ = str(series.name)
        self.dtype_ = str(series.dtype)
        values = series[series.notna()]
        self._fit(values)
        return self

    def transform(self, series: pd.Series) -> np.ndarray:
        """Encode values; nulls raise unless the encoder ``handles_nulls`` itself.

        Other encoders need a composed MissingIndicator for nulls.
        """
        self._check_fitted()
        if not self.handles_nulls and series.isna().any():
            raise DataError(f"column {self.column_!r}: {self.name} encoder got nulls; "
                            "encode them with a MissingIndicator first")
        return self._transform(series)

    def inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Decode ``values`` back to a Series with the fitted dtype."""
        self._check_fitted()
        return self._inverse_transform(np.asarray(values), rng)

    def inverse_array(self, values: np.ndarray, rng: np.random.Generator) -> ArrayLike:
        """What :meth:`inverse_transform` gives, as an array of the fitted dtype (no Series)."""
        self._check_fitted()
        return self._inverse_array(np.asarray(values), rng)

    @property
    def cardinality(self) -> int:
        """Number of codes for discrete outputs; 0 otherwise."""
        return 0

    def get_state(self) -> State:
        """Fitted state as JSON-safe values and numpy arrays."""
        self._check_fitted()
        return {"encoder": self.name, "column": self.column_, "dtype": self.dtype_,
                **self._get_state()}

    @classmethod
    def from_state(cls, state: State) -> Encoder:
        enc = cls.__new__(cls)
        Encoder.__init__(enc)
        enc.column_ = state["column"]
        enc.dtype_ = state["dtype"]
        enc._set_state(state)
        return enc

    # -- what table codecs ask of a column ---------------------------------------------------------
    def condition_domain(self) -> ConditionDomain:
        """The values or bounds generated values keep (empty: nothing known)."""
        return ConditionDomain()

    def null_code(self) -> int | None:
        """The code of nulls when the encoder codes them itself (``handles_nulls``)."""
        return None

    def encoded_interval(self, low: Any, high: Any) -> tuple[float, float] | None:
        """Encoded values that may decode into ``[low, high]``; ``None``: cannot say."""
        return None

    @classmethod
    def matches(cls, values: pd.Series, condition: Any) -> np.ndarray:
        """Rows of ``values`` that meet ``condition``: a value (``None`` matches nulls) or a
        ``(low, high)`` tuple (inclusive).

        >>> Encoder.matches(pd.Series([1, 5, None]), (2, 6)).tolist()
        [False, True, False]
        """
        if isinstance(condition, tuple) and len(condition) == 2:
            low, high = condition
            return ((values >= low) & (values <= high)).fillna(False).to_numpy(dtype=bool)
        if condition is None:
            return values.isna().to_numpy()
        return (values == condition).fillna(False).to_numpy(dtype=bool)

    @classmethod
    def components(cls, values: pd.Series, spec: ColumnKind) -> dict[str, pd.Series] | None:
        """The numbers a multi-part column stands for, by part (``None``: a single part)."""
        return None

    def _check_fitted(self) -> None:
        if self.dtype_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first")

    # -- maths, in subclasses -----------------------------------------------------------------
    @abstractmethod
    def _fit(self, values: pd.Series) -> None: ...

    def _transform(self, values: pd.Series) -> np.ndarray:
        raise NotImplementedError(f"{self.name} columns are generated, not encoded")

    def _inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        raise NotImplementedError(f"{self.name} columns are generated, not decoded")

    def _inverse_array(self, values: np.ndarray, rng: np.random.Generator) -> ArrayLike:
        """The decoded values as an array; encoders that can skip the Series override this."""
        return array_of(self._inverse_transform(values, rng))

    def _series(self, values: ArrayLike) -> pd.Series:
        """Decoded ``values`` as the column's Series, in their own dtype (none is inferred)."""
        return pd.Series(values, dtype=values.dtype, name=self.column_, copy=False)

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        raise NotImplementedError(f"{self.name} columns are encoded, not generated")

    @abstractmethod
    def _get_state(self) -> State: ...

    @abstractmethod
    def _set_state(self, state: State) -> None: ...


class ContinuousEncoder(Encoder):
    """Base of the continuous kinds: numbers (one per part), and a public grid for binning.

    The grid is what the binned codec cuts into codes: each part's values as floats on a scale
    that does not depend on the data (a number itself; a datetime's steps of its resolution
    since the epoch). ``fit_grid`` learns the storage only — dtype, format, resolution,
    integer-ness — and keeps nothing about the values' range, so that under a privacy budget
    the bounds come from the codec's DP domains alone.
    """

    output: ClassVar[Output] = "continuous"

    @abstractmethod
    def fit_grid(self, series: pd.Series) -> ContinuousEncoder:
        """Learn the column's storage, not its range (the grid's bounds are the codec's)."""

    @abstractmethod
    def to_grid(self, series: pd.Series) -> np.ndarray:
        """``(n, len(parts))`` floats on the grid; NaN for nulls."""

    @abstractmethod
    def from_grid(self, x: np.ndarray, bounds: list[tuple[float, float]],
                  rng: np.random.Generator) -> pd.Series:
        """Values back from ``(n, len(parts))`` grid floats clipped to each part's bounds."""

    @abstractmethod
    def grid_bounds(self) -> list[tuple[float | None, float | None]]:
        """Each part's bounds on the grid as the metadata declares them (``None``: not)."""

    @abstractmethod
    def grid_integer(self) -> list[bool]:
        """Whether each part's grid values are integers."""

    def grid_condition_domain(self, bounds: list[tuple[float, float]]) -> ConditionDomain:
        """What values decoded within ``bounds`` can be, for condition checks."""
        return ConditionDomain()
