"""Numbers learned as changes: an entity's first value, then the change at each event.

A smooth signal (a temperature, a load, a sine) moves little from one step to the next, while
its level ranges widely. Learned level by level, each step's value must land in the right one
of many narrow bins, and every miss is a jump the real series never makes. Learned as the
entity's first value (a context column, drawn once) plus the change at each event (a narrow
distribution, finely binned), a generated series moves as the real one does; values are the
running sum, kept within the column's training range and rounded to its decimals.

>>> changes = Changes(["x"]).fit(pd.DataFrame({"x": [1.0, 2.5, 4.0, 0.5, 0.0]}))
>>> entity = np.array([0, 0, 0, 1, 1])
>>> deltas, firsts = changes.split(pd.DataFrame({"x": [1.0, 2.5, 4.0, 0.5, 0.0]}), entity)
>>> deltas["x"].tolist(), firsts["x"].tolist()
([0.0, 1.5, 1.5, 0.0, -0.5], [1.0, 1.0, 1.0, 0.5, 0.5])
>>> changes.join(deltas, firsts, entity)["x"].tolist()
[1.0, 2.5, 4.0, 0.5, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import DataError
from simulacra.models.sequential.timing import first_of
from simulacra.precision import fewest_decimals, float_precision


class Changes:
    """Which numerical event columns are learned as changes, with each one's training range
    and decimals (``None``: not rounded)."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = [str(c) for c in columns]

    def fit(self, frame: pd.DataFrame) -> Changes:
        """Learn each column's range and decimals (every value must be a finite number)."""
        self.low_: dict[str, float] = {}
        self.high_: dict[str, float] = {}
        self.decimals_: dict[str, int | None] = {}
        self.integer_: dict[str, bool] = {}
        for column in self.columns:
            values = _numbers(frame[column], column)
            self.low_[column], self.high_[column] = float(values.min()), float(values.max())
            self.integer_[column] = pd.api.types.is_integer_dtype(frame[column])
            self.decimals_[column] = 0 if self.integer_[column] else fewest_decimals(
                values, float_precision(values.dtype))
        return self

    def split(self, frame: pd.DataFrame, entity: np.ndarray
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(changes, firsts)`` of ``frame``'s rows, grouped by ``entity`` in order: each
        event's change since the entity's previous one (0 at its first), and the entity's
        first value on each of its rows."""
        first = first_of(entity)
        changes, firsts = {}, {}
        for column in self.columns:
            values = _numbers(frame[column], column)
            step = np.diff(values, prepend=values[:1])
            step[first == np.arange(len(values))] = 0.0
            changes[column], firsts[column] = step, values[first]
        return pd.DataFrame(changes), pd.DataFrame(firsts)

    def join(self, changes: pd.DataFrame, firsts: pd.DataFrame,
             entity: np.ndarray) -> pd.DataFrame:
        """The values: each entity's first value plus the running sum of its changes after
        its first event, within the training range, rounded."""
        first = first_of(entity)
        out = {}
        for column in self.columns:
            step = pd.to_numeric(changes[column]).to_numpy(np.float64)
            start = pd.to_numeric(firsts[column]).to_numpy(np.float64)[first]
            out[column] = self._finish(column, running_sums(start, step, entity))
        return pd.DataFrame(out)

    def extend(self, last: pd.DataFrame, changes: pd.DataFrame, who: np.ndarray
               ) -> pd.DataFrame:
        """New events' values after given ones: ``last`` holds each entity's last given value
        (a row per entity), ``changes`` the new events' changes (grouped by ``who``, the
        entity of each, in order)."""
        out = {}
        for column in self.columns:
            step = pd.to_numeric(changes[column]).to_numpy(np.float64)
            base = pd.to_numeric(last[column]).to_numpy(np.float64)[who]
            out[column] = self._finish(column, running_sums(base, step, who, from_first=True))
        return pd.DataFrame(out)

    def _finish(self, column: str, values: np.ndarray) -> np.ndarray:
        out = np.clip(values, self.low_[column], self.high_[column])
        decimals = self.decimals_[column]
        if decimals is not None:
            out = np.round(out, decimals)
        return out.astype(np.int64) if self.integer_[column] else out

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"columns": [{"name": c, "low": self.low_[c], "high": self.high_[c],
                             "decimals": self.decimals_[c], "integer": self.integer_[c]}
                            for c in self.columns]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Changes:
        """A fitted :class:`Changes` from :meth:`get_state` (checked: a model file is
        untrusted)."""
        items = state.get("columns") if isinstance(state, dict) else None
        if not isinstance(items, list) or len(items) > 100_000:
            raise DataError("the model file's changes state is not a list of columns")
        out = cls([])
        out.low_, out.high_, out.decimals_, out.integer_ = {}, {}, {}, {}
        for item in items:
            ok = (isinstance(item, dict) and isinstance(item.get("name"), str)
                  and all(isinstance(item.get(k), int | float) and not isinstance(
                      item.get(k), bool) and math.isfinite(item[k]) for k in ("low", "high"))
                  and item["low"] <= item["high"]
                  and (item.get("decimals") is None or (isinstance(item["decimals"], int)
                                                        and 0 <= item["decimals"] <= 15))
                  and isinstance(item.get("integer"), bool))
            if not ok or item["name"] in out.columns:
                raise DataError("the model file's changes state names a column badly; the "
                                "file is corrupted")
            name = item["name"]
            out.columns.append(name)
            out.low_[name], out.high_[name] = float(item["low"]), float(item["high"])
            out.decimals_[name], out.integer_[name] = item["decimals"], item["integer"]
        return out


def running_sums(base: np.ndarray, steps: np.ndarray, entity: np.ndarray, *,
                 from_first: bool = False) -> np.ndarray:
    """Per event (grouped by ``entity``): ``base`` (given per event) plus the ``steps`` of its
    entity so far — after its first event, whose value the base is, or with ``from_first``
    from the first on (new events after a given value). Null steps count as 0.

    >>> running_sums(np.array([5.0, 5, 5, 1, 1]), np.array([9.0, 1, 2, 9, 3]),
    ...              np.array([0, 0, 0, 1, 1])).tolist()
    [5.0, 6.0, 8.0, 1.0, 4.0]
    >>> running_sums(np.array([5.0, 5]), np.array([1.0, 2]), np.array([0, 0]),
    ...              from_first=True).tolist()
    [6.0, 8.0]
    """
    start = first_of(entity)
    s = np.nan_to_num(np.asarray(steps, dtype=np.float64), nan=0.0)
    if not from_first:
        s[start == np.arange(len(s))] = 0.0
    total = np.cumsum(s)
    return np.asarray(base, dtype=np.float64) + (total - (total - s)[start] if len(s)
                                                  else total)


def _numbers(series: pd.Series, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(np.float64)
    if not np.isfinite(values).all():
        raise DataError(f"differences column {column!r} has null or non-numeric values; "
                        "learn it as levels (leave it out of differences) or fill them")
    return values

