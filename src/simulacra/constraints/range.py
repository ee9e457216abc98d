"""``Range`` and the sign constraints: a column between bounds (columns or constants).

>>> import pandas as pd
>>> df = pd.DataFrame({"lo": [0, 0, 0], "x": [5, -1, 10], "hi": [10, 10, 10]})
>>> Range("x", "lo", "hi").check(df).tolist()
[True, False, True]
>>> Range("x", 0, 10, strict=True).check(df).tolist()
[True, False, False]
>>> Positive("x").check(df).tolist()
[True, False, True]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.base import (
    Columns,
    Constraint,
    comparable,
    is_datetime,
    kind_of,
    kind_problem,
    ordered,
    signed,
)

Bound = str | int | float | None


@dataclass(frozen=True)
class Range(Constraint):
    """``low <= column <= high`` (strict: ``<``); each bound a column name, a constant or None.

    A string bound names a column; for a datetime constant give an ISO string that is not a
    column name (``"2020-01-01"``). Holds by exact re-sampling.

    >>> Range("age", 18, None).to_dict()
    {'type': 'range', 'column': 'age', 'low': 18}
    """

    type: ClassVar[str] = "range"
    column: str
    low: Bound = None
    high: Bound = None
    strict: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *[b for b in (self.low, self.high) if self._is_column(b)])

    @property
    def monotone(self) -> bool:
        return self.low is None or self.high is None  # one-sided: no window on the column

    def _is_column(self, bound: Bound, names: Any = None) -> bool:
        if not isinstance(bound, str):
            return False
        if names is None:
            return not _is_timestamp(bound)
        return bound in names

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        kind = kind_of(metadata, self.column)
        x, null = comparable(frame[self.column], kind)
        dated = is_datetime(frame[self.column], kind)
        ok = ~null
        for bound, below in ((self.low, True), (self.high, False)):
            if bound is None:
                continue
            if isinstance(bound, str) and bound in frame.columns:
                b, b_null = comparable(frame[bound], kind_of(metadata, bound))
                null = null | b_null
            elif dated:
                b = np.full(len(frame), pd.Timestamp(bound).as_unit("ns").value, dtype=np.int64)
            else:
                b = np.full(len(frame), float(bound))  # type: ignore[arg-type]
            if below:
                ok &= b < x if self.strict else b <= x
            else:
                ok &= x < b if self.strict else x <= b
        return null | ok

    def problems(self, metadata: Columns) -> list[str]:
        out = kind_problem(self, metadata, self.column, ordered, "ordered")
        if self.low is None and self.high is None:
            out.append(f"{self}: give low, high or both")
        for bound in (self.low, self.high):
            if bound is None or isinstance(bound, bool):
                if isinstance(bound, bool):
                    out.append(f"{self}: a bound must be a column, a number or a date")
                continue
            if isinstance(bound, str) and bound in metadata:
                out += kind_problem(self, metadata, bound, ordered, "ordered")
            elif isinstance(bound, str) and not _is_timestamp(bound):
                out.append(f"{self}: no column {bound!r} in the metadata (and it is not a date)")
            elif not isinstance(bound, str | int | float):
                out.append(f"{self}: a bound must be a column, a number or a date, got "
                           f"{bound!r}")
        if not isinstance(self.strict, bool):
            out.append(f"{self}: strict must be true or false")
        return out


@dataclass(frozen=True)
class Positive(Constraint):
    """``column >= 0`` (``> 0`` when ``strict``). Holds by exact re-sampling.

    >>> Positive("capital-gain").to_dict()
    {'type': 'positive', 'column': 'capital-gain'}
    """

    type: ClassVar[str] = "positive"
    column: str
    strict: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    @property
    def monotone(self) -> bool:
        return True

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        x, null = comparable(frame[self.column], None)
        return null | self._ok(x)

    def _ok(self, x: np.ndarray) -> np.ndarray:
        return x > 0 if self.strict else x >= 0

    def problems(self, metadata: Columns) -> list[str]:
        return kind_problem(self, metadata, self.column, signed, "signed")


@dataclass(frozen=True)
class Negative(Positive):
    """``column <= 0`` (``< 0`` when ``strict``). Holds by exact re-sampling.

    >>> Negative("balance", strict=True).to_dict()
    {'type': 'negative', 'column': 'balance', 'strict': True}
    """

    type: ClassVar[str] = "negative"

    def _ok(self, x: np.ndarray) -> np.ndarray:
        return x < 0 if self.strict else x <= 0


def _is_timestamp(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError):
        return False
    return True
