"""Constraints held by construction: rewrite a table's column specs so rules cannot fail.

Every constraint is still checked on the generated rows (a safety net); failing rows are
re-drawn exactly by the generator. What this module makes hold *by construction*:

* ``range`` / ``positive`` / ``negative`` with constant bounds on a plain number or datetime
  column narrow that column's ``min``/``max`` (its distribution is truncated, not clipped);
* ``formula``: the target column is computed from the formula (its own spec only lends its
  integer-ness, decimals and format);
* ``fixed_combinations`` (with declared ``combinations``) and ``one_hot`` over plain
  categorical, boolean or constant columns: one hidden column draws the combination, with
  probability proportional to the product of the columns' own probabilities — the same law as
  drawing each column and rejecting disallowed combinations — and the columns read it;
* ``unique`` on one column sets ``unique: true`` on it.

The rest (inequalities, regular expressions, composite uniqueness, bounds that are columns)
hold by exact re-sampling.

>>> from simulacra.schema.document import GenerationSchema
>>> schema = GenerationSchema.from_dict({"columns": {
...     "x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1}},
...     "constraints": [{"type": "positive", "column": "x"}]})
>>> plan = plan_table(schema, "table")
>>> plan.columns["x"].min, plan.by_construction
(0, ["positive(column='x')"])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints import (
    Constraint,
    FixedCombinations,
    Formula,
    Negative,
    OneHot,
    Positive,
    Range,
    Unique,
)
from simulacra.constraints.fixed_combinations import value_key
from simulacra.errors import MetadataError
from simulacra.kinds import ColumnKind
from simulacra.schema.document import GenerationSchema
from simulacra.schema.kinds import (
    BooleanColumn,
    CategoricalColumn,
    ConstantColumn,
    DatetimeColumn,
    ExpressionColumn,
    FloatColumn,
    IntegerColumn,
)
from simulacra.schema.kinds.choices import object_array
from simulacra.schema.spec import ColumnSpec, DrawContext, to_timestamp


@dataclass
class TablePlan:
    """The specs to draw (rewritten), every constraint to check, and which hold by
    construction (their string forms)."""

    columns: dict[str, ColumnSpec]
    constraints: list[Constraint]
    by_construction: list[str] = field(default_factory=list)


def plan_table(schema: GenerationSchema, table: str) -> TablePlan:
    """Rewrite ``table``'s specs so that as many constraints as possible hold by construction."""
    spec = schema.tables[table]
    plan = TablePlan(dict(spec.columns), list(spec.constraints))
    touched: set[str] = set()
    for constraint in spec.constraints:
        if _absorb(plan, constraint, touched):
            plan.by_construction.append(str(constraint))
    if spec.primary_key is not None and not plan.columns[spec.primary_key].unique \
            and plan.columns[spec.primary_key].can_be_unique:
        key = spec.primary_key
        plan.columns[key] = plan.columns[key].with_fields(unique=True)
    try:
        schema.column_order(table, plan.columns)
    except MetadataError as err:
        raise MetadataError([f"table {table!r}: {p}" for p in err.problems],
                            header="Constraints make the schema circular") from None
    return plan


def _plain(spec: ColumnSpec) -> bool:
    """A column drawn on its own: not fixed, not conditional, not unique."""
    return not spec.fixed and spec.given is None and not spec.unique


def _absorb(plan: TablePlan, constraint: Constraint, touched: set[str]) -> bool:
    columns = plan.columns
    if isinstance(constraint, Positive | Range):
        column = constraint.column
        bounds = _constant_bounds(constraint, columns[column], columns)
        spec = columns[column]
        if bounds is None or spec.fixed or spec.unique or column in touched:
            return False
        if isinstance(spec, DatetimeColumn | FloatColumn):
            narrowed = spec.tightened(*bounds)
            problems = [p for case in (narrowed, *narrowed.cases.values())
                        for p in case.problems(column)]
            if problems:
                raise MetadataError([f"{constraint} leaves no possible value: {p}"
                                     for p in dict.fromkeys(problems)],
                                    header="Impossible constraint")
            columns[column] = narrowed
            return not constraint.strict or isinstance(spec, IntegerColumn)
        return False
    if isinstance(constraint, Formula):
        target = columns[constraint.target]
        if target.fixed or isinstance(target, ExpressionColumn) or constraint.target in touched:
            return False
        columns[constraint.target] = ExpressionColumn(
            expression=constraint.formula.split("=", 1)[1].strip(), unit=constraint.unit,
            integer=isinstance(target, IntegerColumn),
            decimals=target.decimals if isinstance(target, FloatColumn)
            and not isinstance(target, IntegerColumn) else None,
            format=getattr(target, "format", None),
            result="datetime" if isinstance(target, DatetimeColumn) else "number",
            hidden=target.hidden)
        touched.add(constraint.target)
        return True
    if isinstance(constraint, FixedCombinations | OneHot):
        members = list(constraint.columns)
        specs = [columns[c] for c in members]
        if touched.intersection(members) or not all(
                _plain(s) and isinstance(s, CategoricalColumn | BooleanColumn | ConstantColumn)
                for s in specs):
            return False
        combos = list(constraint.combinations or ())
        weights = np.array([math.prod(_probability(s, v) for s, v in zip(specs, combo,
                                                                          strict=True))
                            for combo in combos])
        if not weights.sum() > 0:
            raise MetadataError(f"{constraint}: none of its combinations can occur with the "
                                f"columns' own categories and weights; check both",
                                header="Impossible constraint")
        group = "#".join(members) + "#combination"
        columns[group] = CategoricalColumn(categories=tuple(range(len(combos))),
                                           weights=tuple(weights / weights.sum()), hidden=True)
        for j, (name, spec) in enumerate(zip(members, specs, strict=True)):
            columns[name] = Member(source=spec, group=group,
                                   values=tuple(combo[j] for combo in combos),
                                   hidden=spec.hidden)
        touched.update(members)
        return True
    if isinstance(constraint, Unique) and len(constraint.columns) == 1:
        column = constraint.columns[0]
        spec = columns[column]
        if spec.can_be_unique and spec.given is None and column not in touched:
            columns[column] = spec.with_fields(unique=True)
            return True
    return False


def _constant_bounds(constraint: Positive | Range, spec: ColumnSpec, names: Collection[str]
                     ) -> tuple[Any, Any] | None:
    """The constant ``(low, high)`` of a range or sign constraint, in the column's units."""
    integer = isinstance(spec, IntegerColumn)
    if isinstance(constraint, Positive):  # Negative derives from Positive
        edge = 1 if constraint.strict and integer else 0
        if isinstance(constraint, Negative):
            return None, -edge
        return edge, None
    low, high = constraint.low, constraint.high
    dated = isinstance(spec, DatetimeColumn)
    for bound in (low, high):
        if bound is None:
            continue
        if isinstance(bound, str) and bound in names:  # a column, not a constant
            return None
        if dated:
            if not isinstance(bound, str):
                return None
            try:
                to_timestamp(bound)
            except (ValueError, TypeError):
                return None
        elif isinstance(bound, str | bool):
            return None
    if integer and constraint.strict:
        low = None if low is None else math.floor(low) + 1
        high = None if high is None else math.ceil(high) - 1
    return low, high


def _probability(spec: ColumnSpec, value: Any) -> float:
    """P(column = value) for a plain categorical, boolean or constant column."""
    value = value_key(value)
    if value is None:
        return spec.null_rate
    keep = 1 - spec.null_rate
    if isinstance(spec, CategoricalColumn):
        probabilities = dict(zip(spec.categories, spec.probabilities(), strict=True))
        return keep * float(probabilities.get(value, 0.0))
    if isinstance(spec, BooleanColumn):
        if value in (True, 1):
            return keep * spec.p
        return keep * (1 - spec.p) if value in (False, 0) else 0.0
    if isinstance(spec, ConstantColumn):
        return keep * float(value_key(spec.value) == value)
    return 0.0


@dataclass(frozen=True, repr=False)
class Member(ColumnSpec):
    """A column of a combination group: its value in the combination the group column drew."""

    kind: ClassVar[str] = "_member"
    fixed: ClassVar[bool] = False
    formats: ClassVar[bool] = True
    conditional: ClassVar[bool] = False
    raw_dtype: ClassVar[Any] = object
    raw_null: ClassVar[Any] = None

    source: Any = None
    group: str = ""
    values: tuple[Any, ...] = ()

    def reads(self) -> tuple[str, ...]:
        return (self.group,)

    def empty(self, k: int) -> np.ndarray:
        return self.source.empty(k)

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        codes = pd.Series(ctx.deps[self.group]).to_numpy(dtype=np.int64)
        if isinstance(self.source, BooleanColumn):
            table = np.array([np.nan if v is None else float(bool(v)) for v in self.values])
        else:
            table = object_array(self.values)
        return table[codes]

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return self.source.output(raw, formatted=formatted, ctx=ctx)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return self.source.to_kind(resolve)

    def capacity(self) -> float:
        return self.source.capacity()

