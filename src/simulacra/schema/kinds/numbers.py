"""Numbers and booleans: ``integer`` and ``float`` from a named distribution, ``boolean``.

A number is drawn from ``distribution`` (see :data:`~simulacra.schema.distributions.
DISTRIBUTIONS`) with its parameters written beside it, truncated exactly to ``[min, max]``
(either may be left open), then rounded: to whole numbers for ``integer`` (continuous families
are drawn on ``[min - 0.5, max + 0.5]`` so every whole number keeps its share), to ``decimals``
places for ``float``.

>>> import numpy as np
>>> from simulacra.schema.kinds import column_from_dict
>>> from simulacra.schema.spec import bare_context
>>> age = column_from_dict({"kind": "integer", "distribution": "normal", "mean": 40,
...                         "std": 12, "min": 18, "max": 90}, name="age")
>>> age.params, age.capacity()
({'mean': 40, 'std': 12}, 73.0)
>>> x = age.draw(5000, bare_context())
>>> bool(x.min() >= 18 and x.max() <= 90 and (x == np.rint(x)).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.kinds import Boolean, ColumnKind, Numerical
from simulacra.schema.distributions import DISTRIBUTIONS
from simulacra.schema.spec import (
    ColumnSpec,
    DrawContext,
    suggest,
    unknown_keys,
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)


@dataclass(frozen=True, repr=False)
class FloatColumn(ColumnSpec):
    """A real number: ``distribution`` (default uniform) with its parameters, ``min``/``max``
    bounds (exact truncation) and optional rounding to ``decimals`` places."""

    kind: ClassVar[str] = "float"
    integer: ClassVar[bool] = False

    distribution: str = "uniform"
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    params: Mapping[str, float] = field(default_factory=dict)

    def problems(self, name: str) -> list[str]:
        where = f"column {name!r}"
        out = []
        family = DISTRIBUTIONS.get(self.distribution) if isinstance(self.distribution, str) \
            else None
        if family is None:
            out.append(f"{where}: unknown distribution {self.distribution!r}"
                       f"{suggest(self.distribution, DISTRIBUTIONS)}; use one of "
                       f"{', '.join(DISTRIBUTIONS)}")
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None and not _is_number(value):
                out.append(f"{where}: {bound} must be a number, got {value!r}")
        if out:
            return out
        if self.min is not None and self.max is not None and self.min > self.max:
            out.append(f"{where}: min {self.min} is greater than max {self.max}; swap them")
        if self.decimals is not None and (self.integer or not isinstance(self.decimals, int)
                                          or isinstance(self.decimals, bool)
                                          or not 0 <= self.decimals <= 15):
            out.append(f"{where}: decimals must be a whole number from 0 to 15 on a float "
                       f"column, got {self.decimals!r}")
        low, high = self._grid()
        if not out and low is not None and high is not None and low > high:
            out.append(f"{where}: no {'whole number' if self.integer else 'rounded value'} "
                       f"lies between min {self.min} and max {self.max}")
        if not out and family is not None:
            allowed = tuple(p.name for p in family.params)
            out += unknown_keys(self, name, self.params, family.name, allowed)
            known = {k: v for k, v in self.params.items() if k in allowed}
            out += [f"{where}: {p}" for p in family.problems(known, self.min, self.max)]
        return out

    def _grid(self) -> tuple[float | None, float | None]:
        """The smallest and largest value allowed after rounding."""
        places = 0 if self.integer else self.decimals
        if places is None:
            return self.min, self.max
        scale = 10.0 ** places
        low = None if self.min is None else math.ceil(round(self.min * scale, 6)) / scale
        high = None if self.max is None else math.floor(round(self.max * scale, 6)) / scale
        return low, high

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        family = DISTRIBUTIONS[self.distribution]
        low, high = self.min, self.max
        if self.integer and not family.discrete:  # every whole number keeps its share
            low = None if low is None else math.ceil(low) - 0.5
            high = None if high is None else math.floor(high) + 0.5
        x = family.sample(ctx.rng, k, self.params, low, high)
        places = 0 if self.integer else self.decimals
        if places is None:
            return x
        lo, hi = self._grid()
        x = np.round(x, places)
        return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        if not (self.integer and self.distribution == "uniform"):
            return None
        low, high = self._grid()
        assert low is not None and high is not None
        return low + ctx.rng.choice(int(high - low) + 1, size=k, replace=False).astype(float)

    def capacity(self) -> float:
        low, high = self._grid()
        if low is None or high is None:
            return float("inf")
        places = 0 if self.integer else self.decimals
        if places is None:
            return float("inf") if high > low else 1.0
        return round((high - low) * 10.0 ** places) + 1.0

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        if not self.integer:
            return pd.Series(raw, dtype="float64")
        if np.isnan(raw).any():
            return pd.Series(pd.array(raw, dtype="Int64"))
        return pd.Series(raw.astype(np.int64))

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Numerical(integer=self.integer, minimum=self.min, maximum=self.max,
                         decimals=0 if self.integer else self.decimals)

    def tightened(self, low: float | None, high: float | None) -> FloatColumn:
        """This column (and its cases) kept within ``[low, high]`` as well."""
        lo = low if self.min is None or (low is not None and low > self.min) else self.min
        hi = high if self.max is None or (high is not None and high < self.max) else self.max
        cases = {key: case.tightened(low, high) for key, case in self.cases.items()
                 if isinstance(case, FloatColumn)}
        return self.with_fields(min=lo, max=hi, cases=cases)  # type: ignore[return-value]


@dataclass(frozen=True, repr=False)
class IntegerColumn(FloatColumn):
    """A whole number: like ``float``, rounded to whole numbers (output ``int64``, or
    ``Int64`` with nulls); ``unique`` on a uniform range draws without replacement."""

    kind: ClassVar[str] = "integer"
    integer: ClassVar[bool] = True


@dataclass(frozen=True, repr=False)
class BooleanColumn(ColumnSpec):
    """True with probability ``p`` (default 0.5); output ``bool`` (``boolean`` with nulls)."""

    kind: ClassVar[str] = "boolean"
    p: float = 0.5

    def problems(self, name: str) -> list[str]:
        if not _is_number(self.p) or not 0 <= self.p <= 1:
            return [f"column {name!r}: p must be a probability between 0 and 1, got {self.p!r}"]
        return []

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        return (ctx.rng.random(k) < self.p).astype(float)

    def capacity(self) -> float:
        return float((self.p > 0) + (self.p < 1))

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        null = np.isnan(raw)
        if null.any():
            return pd.Series(pd.arrays.BooleanArray(raw == 1, null))
        return pd.Series(raw == 1)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Boolean()



