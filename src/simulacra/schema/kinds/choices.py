"""Values from a list: ``categorical`` (with optional weights) and ``constant``.

>>> from simulacra.schema.kinds import column_from_dict
>>> from simulacra.schema.spec import bare_context
>>> plan = column_from_dict({"categories": {"free": 6, "pro": 3, "team": 1}}, name="plan")
>>> plan.categories, plan.probabilities().tolist()
(('free', 'pro', 'team'), [0.6, 0.3, 0.1])
>>> ctx = bare_context()
>>> plan.output(plan.draw(4, ctx), formatted=True, ctx=ctx).dtype
CategoricalDtype(categories=['free', 'pro', 'team'], ordered=False, categories_dtype=str)
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.kinds import Boolean, Categorical, ColumnKind, Datetime, Numerical
from simulacra.schema.spec import ColumnSpec, DrawContext, infer_output


def object_array(values: Any) -> np.ndarray:
    """A 1-D object array of ``values`` (tuples stay whole values)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass(frozen=True, repr=False)
class CategoricalColumn(ColumnSpec):
    """One of ``categories`` (a list, or a mapping category → weight), with optional
    ``weights`` (a list in the same order, or a mapping). Output dtype ``category``."""

    kind: ClassVar[str] = "categorical"
    raw_dtype: ClassVar[Any] = object
    raw_null: ClassVar[Any] = None

    categories: Any = ()
    weights: Any = None
    ordered: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.categories, Mapping) and self.weights is None:
            object.__setattr__(self, "weights", tuple(self.categories.values()))
            object.__setattr__(self, "categories", tuple(self.categories))
        elif isinstance(self.categories, list | tuple):
            object.__setattr__(self, "categories", tuple(self.categories))
        if isinstance(self.weights, list):
            object.__setattr__(self, "weights", tuple(self.weights))

    def problems(self, name: str) -> list[str]:
        where = f"column {name!r}"
        if not isinstance(self.categories, tuple) or not self.categories:
            return [f"{where}: categories must be a non-empty list (or a mapping category: "
                    f"weight), got {self.categories!r}"]
        out = []
        try:
            seen = pd.Index(object_array(self.categories))
            if seen.has_duplicates:
                out.append(f"{where}: categories {list(seen[seen.duplicated()])} appear more "
                           "than once; list each category once")
        except TypeError:
            out.append(f"{where}: categories must be plain values (text, numbers, true/false)")
        weights = self.weights
        if isinstance(weights, Mapping):
            unknown = [k for k in weights if k not in self.categories]
            if unknown:
                out.append(f"{where}: weights name {unknown}, which are not categories")
            weights = tuple(weights.values())
        elif weights is not None:
            if not isinstance(weights, tuple):
                return [*out, f"{where}: weights must be a list (one per category) or a "
                              f"mapping category: weight, got {weights!r}"]
            if len(weights) != len(self.categories):
                out.append(f"{where}: {len(weights)} weights for {len(self.categories)} "
                           "categories; give one weight per category (or a mapping)")
        if weights is not None:
            bad = [w for w in weights if isinstance(w, bool) or not isinstance(w, int | float)
                   or not math.isfinite(w) or w < 0]
            if bad:
                out.append(f"{where}: weights must be numbers >= 0, got {bad}")
            elif not sum(weights) > 0:
                out.append(f"{where}: the weights add up to 0; give at least one positive "
                           "weight")
        if not isinstance(self.ordered, bool):
            out.append(f"{where}: ordered must be true or false")
        return out

    def probabilities(self) -> np.ndarray:
        """One probability per category."""
        if self.weights is None:
            return np.full(len(self.categories), 1 / len(self.categories))
        if isinstance(self.weights, Mapping):
            w = np.array([float(self.weights.get(c, 0.0)) for c in self.categories])
        else:
            w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def all_categories(self) -> tuple[Any, ...]:
        """The categories of this column and of its cases, in order of first appearance."""
        out = dict.fromkeys(self.categories)
        for case in self.cases.values():
            out.update(dict.fromkeys(case.categories))  # type: ignore[attr-defined]
        return tuple(out)

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        codes = ctx.rng.choice(len(self.categories), size=k, p=self.probabilities())
        return object_array(self.categories)[codes]

    def capacity(self) -> float:
        specs = [self, *self.cases.values()]
        return float(len({c for s in specs for c, p in zip(s.categories,  # type: ignore
                                                             s.probabilities(),  # type: ignore
                                                             strict=True) if p > 0}))

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        allowed = object_array(c for c, p in zip(self.categories, self.probabilities(),
                                                 strict=True) if p > 0)
        return allowed[ctx.rng.permutation(len(allowed))[:k]]

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return pd.Series(pd.Categorical(raw, categories=list(self.all_categories()),
                                        ordered=self.ordered))

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Categorical(ordered=self.ordered, categories=self.all_categories())


@dataclass(frozen=True, repr=False)
class ConstantColumn(ColumnSpec):
    """The same ``value`` in every row (text, number, true/false or a date); with ``given`` and
    ``cases`` it becomes a lookup table (one value per case)."""

    kind: ClassVar[str] = "constant"
    raw_dtype: ClassVar[Any] = object
    raw_null: ClassVar[Any] = None

    value: Any = None

    def problems(self, name: str) -> list[str]:
        if self.value is not None and not isinstance(
                self.value, str | int | float | bool | datetime.date):
            return [f"column {name!r}: value must be text, a number, true/false or a date, got "
                    f"{self.value!r}"]
        return []

    def _value(self) -> Any:
        if isinstance(self.value, datetime.date):
            return pd.Timestamp(self.value)
        return self.value

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        out = np.empty(k, dtype=object)
        out[:] = self._value()
        return out

    def capacity(self) -> float:
        return float(len({_key(s.value) for s in (self, *self.cases.values())}))  # type: ignore

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return infer_output(raw)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        values = [s.value for s in (self, *self.cases.values())]  # type: ignore[attr-defined]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            return Boolean()
        if present and all(isinstance(v, int | float) and not isinstance(v, bool)
                           for v in present):
            return Numerical()
        if present and all(isinstance(v, datetime.date) for v in present):
            return Datetime()
        return Categorical(categories=tuple(dict.fromkeys(present)))


def _key(value: Any) -> Any:
    return (type(value).__name__, value)


