"""``Inequality``: one column never exceeds another (numbers or datetimes).

>>> import pandas as pd
>>> df = pd.DataFrame({"low": [1, 5, 3], "high": [2, 4, 3]})
>>> Inequality("low", "high").check(df).tolist()
[True, False, True]
>>> Inequality("low", "high", strict=True).check(df).tolist()
[True, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.base import (
    Columns,
    Constraint,
    State,
    Transform,
    cast_numbers,
    comparable,
    instants,
    is_datetime,
    kind_of,
    kind_problem,
    numbers,
    ordered,
    restore_datetimes,
)
from simulacra.kinds import ColumnKind, Numerical, column_from_dict
from simulacra.precision import RESOLUTIONS, decimals_of


@dataclass(frozen=True)
class Inequality(Constraint):
    """``low <= high`` (``low < high`` when ``strict``), for numbers or datetimes.

    Holds by construction: the model learns ``high - low`` (clipped at 0) in place of ``high``,
    and ``high`` is rebuilt as ``low + difference``.

    >>> Inequality("start", "end", strict=True).to_dict()
    {'type': 'inequality', 'low': 'start', 'high': 'end', 'strict': True}
    """

    type: ClassVar[str] = "inequality"
    low: str
    high: str
    strict: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.low, self.high)

    @property
    def monotone(self) -> bool:
        return True

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        lo, lo_null = comparable(frame[self.low], kind_of(metadata, self.low))
        hi, hi_null = comparable(frame[self.high], kind_of(metadata, self.high))
        ok = lo < hi if self.strict else lo <= hi
        return lo_null | hi_null | ok

    def problems(self, metadata: Columns) -> list[str]:
        out = kind_problem(self, metadata, self.low, ordered, "ordered")
        out += kind_problem(self, metadata, self.high, ordered, "ordered")
        if self.low == self.high:
            out.append(f"{self}: low and high are the same column")
        if not out and metadata[self.low].temporal != metadata[self.high].temporal:
            out.append(f"{self}: {self.low!r} is {metadata[self.low].kind} but {self.high!r} "
                       f"is {metadata[self.high].kind}; compare columns of one kind")
        if not isinstance(self.strict, bool):
            out.append(f"{self}: strict must be true or false")
        return out

    def transformer(self, data: pd.DataFrame, metadata: Columns, *,
                    private: bool) -> Transform | None:
        low_kind, high_kind = metadata[self.low], metadata[self.high]
        dated = is_datetime(data[self.high], high_kind)
        if dated and private:
            return None  # the time resolution would be read from the data: re-sample instead
        _, lo_null = comparable(data[self.low], low_kind)
        _, hi_null = comparable(data[self.high], high_kind)
        if np.any(lo_null & ~hi_null):
            return None  # high would be lost where low is null
        return Difference(self, low_kind, high_kind, str(data[self.high].dtype), dated,
                           _resolution(data, self, low_kind, high_kind) if dated else None,
                           None if dated or private else decimals_of(data[self.high]))


class Difference(Transform):
    """``high`` → ``high - low`` (in steps of the coarsest exact resolution for datetimes)."""

    def __init__(self, constraint: Inequality, low_kind: ColumnKind, high_kind: ColumnKind,
                 dtype: str, dated: bool, resolution: int | None, decimals: int | None):
        self.constraint = constraint
        self.low_kind, self.high_kind = low_kind, high_kind
        self.dtype, self.dated = dtype, dated
        self.resolution, self.decimals = resolution, decimals
        self.name = f"{constraint.high}#minus#{constraint.low}"
        self.removes = (constraint.high,)
        integer = dated or pd.api.types.pandas_dtype(dtype).kind in "iu" or decimals == 0
        floor = 1 if constraint.strict and integer else 0
        self.adds = {self.name: Numerical(minimum=floor)}

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        c = self.constraint
        if self.dated:
            lo, lo_null = instants(frame[c.low], self.low_kind)
            hi, hi_null = instants(frame[c.high], self.high_kind)
            diff = (hi - lo) / float(self.resolution)
        else:
            lo, lo_null = numbers(frame[c.low])
            hi, hi_null = numbers(frame[c.high])
            diff = hi - lo
        diff = np.where(lo_null | hi_null, np.nan, diff)
        return _replace(frame, c.high, self.name, pd.Series(diff, index=frame.index))

    def reverse(self, frame: pd.DataFrame) -> pd.DataFrame:
        c = self.constraint
        diff = pd.to_numeric(frame[self.name], errors="coerce").to_numpy(dtype="float64")
        if self.dated:
            lo, lo_null = instants(frame[c.low], self.low_kind)
            null = lo_null | np.isnan(diff)
            steps = np.rint(np.where(null, 0, diff)).astype(np.int64)
            high = restore_datetimes(lo + steps * self.resolution, null, self.dtype,
                                     self.high_kind)
        else:
            lo, lo_null = numbers(frame[c.low])
            high = cast_numbers(lo + diff, self.dtype, self.decimals)
        high.index = frame.index
        return _replace(frame, self.name, c.high, high)

    def get_state(self) -> State:
        return {"low_kind": self.low_kind.to_dict(), "high_kind": self.high_kind.to_dict(),
                "dtype": self.dtype, "dated": self.dated, "resolution": self.resolution,
                "decimals": self.decimals}

    @classmethod
    def from_state(cls, constraint: Any, state: State) -> Difference:
        return cls(constraint, column_from_dict(state["low_kind"], name=constraint.low),
                   column_from_dict(state["high_kind"], name=constraint.high), state["dtype"],
                   bool(state["dated"]), state["resolution"], state["decimals"])


def _resolution(data: pd.DataFrame, c: Inequality, low_kind: ColumnKind,
                high_kind: ColumnKind) -> int:
    """The coarsest step (ns) that divides every difference exactly."""
    lo, lo_null = instants(data[c.low], low_kind)
    hi, hi_null = instants(data[c.high], high_kind)
    diff = (hi - lo)[~(lo_null | hi_null)]
    for step in RESOLUTIONS.values():
        if not np.any(diff % step):
            return int(step)
    return 1


def _replace(frame: pd.DataFrame, old: str, new: str, values: pd.Series) -> pd.DataFrame:
    """A copy of ``frame`` with column ``old`` replaced, in place, by ``new``."""
    out = frame.copy()
    position = list(out.columns).index(old)
    out = out.drop(columns=[old])
    out.insert(position, new, values.to_numpy() if not hasattr(values, "array")
               else values.array)
    return out
