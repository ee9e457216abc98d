"""The ``Constraint`` protocol: a business rule checked row by row, optionally reversible.

A constraint is a frozen, typed value object that names its columns and says which rows
satisfy it (:meth:`Constraint.check`). Two optional hooks make it hold *by construction*:

* :meth:`Constraint.learn` returns the constraint with what it learns from the real data
  (e.g. the observed combinations of :class:`~simulacra.constraints.FixedCombinations`);
* :meth:`Constraint.transformer` returns a fitted :class:`Transform` that rewrites the table
  into a form in which every generated row satisfies the rule (e.g. ``high - low`` instead of
  ``high``) and back.

Constraints without a transform hold by exact re-sampling of the failing rows
(:class:`~simulacra.constraints.ConstraintSet`). Nulls: unless a constraint says
otherwise, a row in which any of its columns is null satisfies it.

A constraint reads the table's column kinds as a plain mapping (:data:`Columns`; a
:class:`~simulacra.metadata.Metadata` is one) and asks their traits, never their names:

>>> from simulacra.kinds import Categorical, Datetime, Numerical
>>> columns = {"age": Numerical(), "city": Categorical(), "born": Datetime()}
>>> problem, = kind_problem("range(column='city')", columns, "city", ordered, "ordered")
>>> problem.split(": ", 1)[1]
"column 'city' is categorical, but this constraint needs ordered columns (numerical or datetime)"
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.errors import quoted
from simulacra.kinds import KINDS, ColumnKind

State = dict[str, Any]
#: The column kinds of a table by name, as a constraint reads them (a ``Metadata`` is one).
Columns = Mapping[str, ColumnKind]


@dataclasses.dataclass(frozen=True)
class Constraint(ABC):
    """Base of all constraints: frozen, typed, JSON/YAML-safe through :meth:`to_dict`.

    Each subclass has ``columns``, the tuple of columns it reads (a field or a property).
    """

    #: The name under which the constraint is registered (``type:`` in YAML).
    type: ClassVar[str] = ""
    #: Whether whole batches are needed to check it (uniqueness), not single rows.
    across_rows: ClassVar[bool] = False

    @abstractmethod
    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        """A boolean array: True where the row satisfies the constraint."""

    @property
    def monotone(self) -> bool:
        """Whether :meth:`check` is monotone in each column (``low <= high``, ``x > 0``): then
        a box of values meets the rule if one of its corners does, which lets conditions that
        are ranges be checked against it before sampling (default False)."""
        return False

    def problems(self, metadata: Columns) -> list[str]:
        """What is inconsistent between this constraint and ``metadata`` (empty when valid)."""
        return [f"{self}: no column {c!r} in the metadata" for c in self.columns
                if c not in metadata]

    def learn(self, data: pd.DataFrame, metadata: Columns, *, private: bool) -> Constraint:
        """This constraint with what it needs from the real data (default: unchanged)."""
        return self

    def transformer(self, data: pd.DataFrame, metadata: Columns, *,
                    private: bool) -> Transform | None:
        """A fitted reversible transform that makes the rule hold by construction, or None."""
        return None

    # -- serialization ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-ready dict; fields left at their default are omitted."""
        out: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.default is not dataclasses.MISSING and value == f.default:
                continue
            out[f.name] = _plain(value)
        return out

    def __str__(self) -> str:
        args = ", ".join(f"{k}={quoted(v) if isinstance(v, str) else repr(v)}"
                         for k, v in self.to_dict().items() if k != "type")
        return f"{self.type}({args})"


class Transform(ABC):
    """A fitted, reversible rewrite of the table: ``reverse(transform(df))`` equals ``df``.

    ``removes`` are original columns replaced by ``adds`` (new column name → kind) in the
    table the model sees; both methods work on copies.
    """

    removes: tuple[str, ...]
    adds: dict[str, ColumnKind]

    @abstractmethod
    def transform(self, frame: pd.DataFrame) -> pd.DataFrame: ...

    @abstractmethod
    def reverse(self, frame: pd.DataFrame) -> pd.DataFrame: ...

    @abstractmethod
    def get_state(self) -> State: ...

    @classmethod
    @abstractmethod
    def from_state(cls, constraint: Any, state: State) -> Transform: ...


# -- helpers shared by the constraints ------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A JSON/YAML-safe copy: tuples as lists, numpy scalars as Python scalars."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def kind_of(metadata: Columns | None, column: str) -> ColumnKind | None:
    if metadata is None or column not in metadata:
        return None
    return metadata[column]


def is_datetime(series: pd.Series, kind: ColumnKind | None) -> bool:
    return (kind is not None and kind.temporal) or isinstance(series.dtype, pd.DatetimeTZDtype) \
        or series.dtype.kind == "M"


def instants(series: pd.Series, kind: ColumnKind | None) -> tuple[np.ndarray, np.ndarray]:
    """Datetimes as int64 nanoseconds since the epoch (UTC) and a null mask."""
    fmt = getattr(kind, "format", None)
    if isinstance(series.dtype, pd.DatetimeTZDtype) or series.dtype.kind == "M":
        ts = series
    elif pd.api.types.is_numeric_dtype(series.dtype) and fmt is not None:
        digits = series.astype("Float64").round().astype("Int64").astype("string")
        ts = pd.to_datetime(digits, format=fmt, errors="coerce")
    else:
        ts = pd.to_datetime(series, format=fmt, errors="coerce")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert(None)
    null = ts.isna().to_numpy()
    values = ts.dt.as_unit("ns").to_numpy().astype("datetime64[ns]").astype(np.int64)
    values = np.where(null, 0, values)
    return values, null


def restore_datetimes(ns: np.ndarray, null: np.ndarray, dtype: str,
                      kind: ColumnKind | None) -> pd.Series:
    """int64 nanoseconds (UTC) back to a column stored like ``dtype`` / ``kind.format``."""
    ts = pd.Series(np.where(null, np.datetime64("NaT", "ns"),
                            ns.astype("datetime64[ns]")), dtype="datetime64[ns]")
    target = pd.api.types.pandas_dtype(dtype)
    if isinstance(target, pd.DatetimeTZDtype):
        return ts.dt.tz_localize("UTC").dt.tz_convert(target.tz).astype(target)
    if target.kind == "M":
        return ts.astype(target)
    fmt = getattr(kind, "format", None)
    if fmt is None:
        return ts.astype(object).where(~null, None)
    text = ts.dt.strftime(fmt)
    if target.kind in "iuf":
        return pd.to_numeric(text, errors="coerce").astype(
            "float64" if null.any() and target.kind in "iu" else target)
    out = text.astype(target) if dtype != "object" else text.astype(object)
    return out.where(~null, None) if dtype == "object" else out


def cast_numbers(values: np.ndarray, dtype: str, decimals: int | None) -> pd.Series:
    """Numbers back to the storage of a column of ``dtype`` written with ``decimals``."""
    target = pd.api.types.pandas_dtype(dtype)
    if decimals is not None:
        values = np.round(values, decimals)
    if target.kind in "iu":
        values = np.rint(values)
        if isinstance(target, np.dtype) and np.isnan(values).any():
            return pd.Series(values)  # nulls cannot live in a numpy integer column
    return pd.Series(values).astype(target)


def numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as float64 with a null mask (non-numeric values count as null)."""
    x = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    null = np.isnan(x)
    return x, null


def comparable(series: pd.Series, kind: ColumnKind | None) -> tuple[np.ndarray, np.ndarray]:
    """Values that compare with ``<``: int64 ns for datetimes, float64 otherwise; null mask."""
    if is_datetime(series, kind):
        return instants(series, kind)
    return numbers(series)


def ordered(kind: type[ColumnKind]) -> bool:
    """Values on one line (numbers, datetimes): ranges, inequalities and formulas apply."""
    return kind.linear


def signed(kind: type[ColumnKind]) -> bool:
    """Numbers with a sign: values on one line that are not points in time."""
    return kind.linear and not kind.temporal


def groupable(kind: type[ColumnKind]) -> bool:
    """Values that can form a fixed combination with other columns' values."""
    return kind.groupable


def kind_problem(constraint: Constraint | str, metadata: Columns, column: str,
                 accepts: Callable[[type[ColumnKind]], bool], needs: str) -> list[str]:
    """Why ``column`` cannot take part in ``constraint`` (empty when its kind ``accepts``).

    ``accepts`` asks the kind's traits (e.g. :func:`ordered`); ``needs`` says in plain
    words what it asks for, and the message lists the kinds that have it.
    """
    if column not in metadata:
        return [f"{constraint}: no column {column!r} in the metadata"]
    kind = metadata[column]
    if not accepts(type(kind)):
        accepted = " or ".join(name for name, cls in KINDS.items() if accepts(cls))
        return [f"{constraint}: column {column!r} is {kind.kind}, but this constraint needs "
                f"{needs} columns ({accepted})"]
    return []
