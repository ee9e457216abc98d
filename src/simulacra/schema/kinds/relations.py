"""Columns made from other columns: ``expression``, ``reference`` and ``lookup``.

* ``expression: price * quantity`` — arithmetic on numeric and datetime columns of the same
  row, read by the constraint formula parser (:mod:`simulacra.constraints.formula`: names,
  numbers, ``+ - * /``, parentheses; never Python ``eval``). A datetime plus a number adds
  ``unit`` (days by default); the difference of two datetimes is a number of ``unit``.
* ``references: customers.customer_id`` — a value of another column (of another table, or of
  this one when no table is named), i.e. a foreign key. ``per_parent`` (a number, a
  ``[min, max]`` range or an integer distribution) sets how many rows each parent row gets, and
  so the size of the table; otherwise parents are picked at random (``skew`` > 0 makes a few
  parents popular, Zipf-like). ``unique: true`` makes it one-to-one.
* ``lookup: customers.segment`` with ``via: customer_id`` — the value of another column of the
  row that a reference column points to (e.g. the customer's segment on each order).

>>> from simulacra.schema.kinds import column_from_dict
>>> total = column_from_dict({"expression": "price * quantity", "decimals": 2}, name="total")
>>> total.reads()
('price', 'quantity')
>>> column_from_dict({"references": "customers.id", "per_parent": [1, 5]}, name="c").children()
IntegerColumn(min=1, max=5)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.formula import Formula
from simulacra.errors import DataError, MetadataError
from simulacra.kinds import ColumnKind, Datetime, Numerical
from simulacra.schema.kinds.datetimes import datetime_output
from simulacra.schema.kinds.numbers import IntegerColumn
from simulacra.schema.spec import ColumnSpec, DrawContext, spec_from_dict

_TARGET = "__expression__"


@dataclass(frozen=True, repr=False)
class ExpressionColumn(ColumnSpec):
    """``expression`` of other columns of the row (see the module doc).

    ``result`` is ``number`` or ``datetime``; left out, it is a datetime exactly when one
    operand is. Numbers are rounded to ``decimals`` (or whole with ``integer: true``); datetime
    results take an optional strftime ``format``.
    """

    kind: ClassVar[str] = "expression"
    can_be_unique: ClassVar[bool] = False
    formats: ClassVar[bool] = True

    expression: str = ""
    unit: str = "D"
    integer: bool = False
    decimals: int | None = None
    result: str | None = None
    format: str | None = None

    @cached_property
    def formula(self) -> Formula:
        if not isinstance(self.expression, str) or not self.expression.strip():
            raise MetadataError("expression must be text such as 'price * quantity'")
        return Formula(f"{_TARGET} = {self.expression}", unit=self.unit)

    def problems(self, name: str) -> list[str]:
        where = f"column {name!r}"
        try:
            self.formula  # noqa: B018  (parses)
        except MetadataError as err:
            return [f"{where}: {p}".replace(f"{_TARGET} = ", "") for p in err.problems]
        out = []
        if self.result not in (None, "number", "datetime"):
            out.append(f"{where}: result must be number or datetime, got {self.result!r}")
        if self.decimals is not None and (isinstance(self.decimals, bool)
                                          or not isinstance(self.decimals, int)
                                          or not 0 <= self.decimals <= 15):
            out.append(f"{where}: decimals must be a whole number from 0 to 15")
        if not isinstance(self.integer, bool):
            out.append(f"{where}: integer must be true or false")
        if self.format is not None and (not isinstance(self.format, str)
                                        or "%" not in self.format):
            out.append(f"{where}: format must be a strftime format such as '%Y-%m-%d'")
        return out

    def reads(self) -> tuple[str, ...]:
        return self.formula.operands

    def dated(self, kinds: dict[str, str]) -> bool:
        """Whether the result is a datetime, given the kinds of the operands."""
        if self.result is not None:
            return self.result == "datetime"
        return sum(kinds.get(c) == "datetime" for c in self.reads()) == 1

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        frame = pd.DataFrame({c: ctx.deps[c] for c in self.reads()})
        kinds = {c: "datetime" if frame[c].dtype.kind == "M" else "number" for c in frame}
        dated = self.dated(kinds)
        decimals = 0 if self.integer else self.decimals
        values, _ = self.formula.derive(frame, {}, "datetime64[ns]" if dated else "float64",
                                        None if dated else decimals)
        out = values.to_numpy()
        return out.astype("datetime64[ns]") if dated else out.astype(float)

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        if raw.dtype.kind == "M":
            return datetime_output(raw, self.format if formatted else None)
        if self.integer and not np.isnan(raw).any():
            return pd.Series(raw.astype(np.int64))
        if self.integer:
            return pd.Series(pd.array(raw, dtype="Int64"))
        return pd.Series(raw, dtype="float64")

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        kinds = {c: resolve(c).to_kind(resolve).kind for c in self.reads()}
        if self.dated(kinds):
            return Datetime()
        return Numerical(integer=self.integer, decimals=0 if self.integer else self.decimals)


def take(values: pd.Series, index: np.ndarray) -> pd.Series:
    """``values`` at positions ``index``; -1 gives a null (int and bool become nullable)."""
    array = values.array
    if (index < 0).any() and values.dtype.kind in "iub":
        array = pd.array(values.to_numpy(), dtype="boolean" if values.dtype.kind == "b"
                         else "Int64")
    return pd.Series(array.take(index, allow_fill=True))


@dataclass(frozen=True, repr=False)
class ReferenceColumn(ColumnSpec):
    """A value of the column ``references`` names (``table.column``, or a column of this
    table); raw values are row numbers of that column, so lookups can follow them."""

    kind: ClassVar[str] = "reference"
    fixed: ClassVar[bool] = True
    formats: ClassVar[bool] = True
    conditional: ClassVar[bool] = False
    raw_dtype: ClassVar[Any] = np.int64
    raw_null: ClassVar[Any] = -1

    references: str = ""
    per_parent: Any = None
    skew: float = 0.0

    def problems(self, name: str) -> list[str]:
        where = f"column {name!r}"
        out = []
        if not isinstance(self.references, str) or not self.references:
            out.append(f"{where}: references must name a column, as table.column or column")
        if isinstance(self.skew, bool) or not isinstance(self.skew, int | float) \
                or not self.skew >= 0:
            out.append(f"{where}: skew must be a number >= 0 (0: every parent equally likely)")
        if self.per_parent is not None:
            try:
                self.children()
            except MetadataError as err:
                out += [f"{where}: per_parent: {p}" for p in err.problems]
            if self.unique:
                out.append(f"{where}: per_parent and unique cannot be combined (one child per "
                           "parent is per_parent: 1)")
            if self.null_rate:
                out.append(f"{where}: per_parent gives every row a parent; remove null_rate")
        return out

    def children(self) -> ColumnSpec:
        """The integer column that draws how many rows each parent row gets."""
        spec = self.per_parent
        if isinstance(spec, int) and not isinstance(spec, bool):
            data: dict[str, Any] = {"min": spec, "max": spec}
        elif isinstance(spec, list | tuple) and len(spec) == 2:
            data = {"min": spec[0], "max": spec[1]}
        elif isinstance(spec, dict):
            data = {"min": 0, **spec}
        else:
            raise MetadataError(f"give a number, a [min, max] range or an integer "
                                f"distribution such as {{distribution: poisson, lam: 3}}; "
                                f"got {spec!r}")
        children = spec_from_dict(IntegerColumn, data, name="per_parent")
        if children.min is None or children.min < 0:  # type: ignore[attr-defined]
            raise MetadataError("the number of rows per parent cannot be negative: give min: 0")
        return children

    def _parents(self, ctx: DrawContext) -> np.ndarray:
        parent = ctx.source(self.references, False)
        valid = np.flatnonzero(parent.notna().to_numpy())
        if not valid.size:
            raise DataError(f"column {ctx.column!r}: {self.references!r} has no values to "
                            "reference (no rows, or only nulls)")
        return valid

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        valid = self._parents(ctx)
        if not self.skew:
            return valid[ctx.rng.integers(0, valid.size, size=k)]
        weights = (ctx.rng.permutation(valid.size) + 1.0) ** -float(self.skew)
        return valid[ctx.rng.choice(valid.size, size=k, p=weights / weights.sum())]

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        valid = self._parents(ctx)
        if k > valid.size:
            raise DataError(f"column {ctx.column!r} is unique (one row per parent) but "
                            f"{self.references!r} has only {valid.size:,} values for {k:,} "
                            "rows; lower the rows or drop unique")
        return valid[ctx.rng.permutation(valid.size)[:k]]

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return take(ctx.source(self.references, formatted), raw)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return resolve(self.references).to_kind(resolve)


@dataclass(frozen=True, repr=False)
class LookupColumn(ColumnSpec):
    """The column ``lookup`` names, read in the row that the reference column ``via`` points
    to (``lookup: customers.segment``, ``via: customer_id``)."""

    kind: ClassVar[str] = "lookup"
    fixed: ClassVar[bool] = True
    formats: ClassVar[bool] = True
    conditional: ClassVar[bool] = False
    can_be_unique: ClassVar[bool] = False
    raw_dtype: ClassVar[Any] = np.int64
    raw_null: ClassVar[Any] = -1

    lookup: str = ""
    via: str = ""

    def problems(self, name: str) -> list[str]:
        out = []
        if not isinstance(self.lookup, str) or not self.lookup:
            out.append(f"column {name!r}: lookup must name a column, as table.column")
        if not isinstance(self.via, str) or not self.via:
            out.append(f"column {name!r}: via must name a reference column of this table")
        return out

    def reads(self) -> tuple[str, ...]:
        return (self.via,)

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        return np.array(ctx.raws[self.via], dtype=np.int64)

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return take(ctx.source(self.lookup, formatted), raw)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return resolve(self.lookup).to_kind(resolve)


