"""An event table's order column as the gaps between an entity's events.

A sequence model that drew each event's date as a value would have to keep them in order and
spaced like the real ones by luck; instead the ``sequence_index`` is learned as two columns: the
entity's first time (a context column, once per entity) and, per event, the gap since the
entity's previous event (0 for its first). Generated timelines are cumulative sums of
non-negative gaps, so dates never go back, and the irregular spacing of real events — a burst of
purchases, then months of silence — is what the model learns.

Datetime columns are counted in their own resolution (days for dates, seconds for timestamps:
:class:`~simulacra.encoders.datetime.DatetimeEncoder`) and written back in their storage
(native, strings in their format ...); numerical ones as they are, integers kept integers.

>>> import numpy as np, pandas as pd
>>> from simulacra.kinds import Datetime
>>> when = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02"]), name="when")
>>> entity = np.array([0, 0, 1])
>>> times = EventTimes(Datetime()).fit(when)
>>> gaps, start = times.split(when, entity)
>>> gaps.tolist(), start.tolist()
([0.0, 2.0, 0.0], [0.0, 0.0, 1.0])
>>> when, inside = times.join(np.array([5.0, 2.0, 9.0]), start, entity,
...                           np.random.default_rng(0))
>>> when.dt.day.tolist(), inside.tolist()  # the 3rd of January is the last day seen
([1, 3, 2], [True, True, True])
>>> times.join(np.array([0.0, 4.0, 0.0]), start, entity, np.random.default_rng(0))[1].tolist()
[True, False, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.datetime import DatetimeEncoder
from simulacra.errors import DataError
from simulacra.kinds import ColumnKind, Datetime, Numerical, column_from_dict


class EventTimes:
    """``split`` an order column into gaps and first times; ``join`` them back.

    ``private``: nothing is learned from the values (under a privacy budget): datetimes are
    counted on the public grid of their resolution since the epoch, not from the data's first
    one, and the data's last time is not kept (no observation window is applied).
    """

    def __init__(self, kind: ColumnKind, *, private: bool = False) -> None:
        if not isinstance(kind, Datetime | Numerical):
            raise DataError(f"sequence_index must be a datetime or numerical column, not "
                            f"{kind.kind!r}")
        self.kind = kind
        self.private = private

    def fit(self, column: pd.Series) -> EventTimes:
        """Learn the column's storage (its values are checked for nulls)."""
        missing = int(column.isna().sum())
        if missing:
            raise DataError(f"sequence_index column {column.name!r} has {missing:,} missing "
                            "values; fill them or fit without a sequence_index (row order)")
        self.column_ = str(column.name)
        self.encoder_: DatetimeEncoder | None = None
        self.integer_ = False
        if isinstance(self.kind, Datetime):
            encoder = DatetimeEncoder(self.kind)
            self.encoder_ = encoder.fit_grid(column) if self.private else encoder.fit(column)
        else:
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.isna().any():
                raise DataError(f"sequence_index column {column.name!r} has values that are "
                                "not numbers; convert them, or declare the column a datetime")
            self.integer_ = bool(pd.api.types.is_integer_dtype(column.dtype))
        self.last_: float | None = None
        if not self.private:
            self.last_ = float(self.steps(column).max()) if len(column) else 0.0
        return self

    def steps(self, column: pd.Series) -> np.ndarray:
        """The column's values as float steps (the encoder's units for datetimes)."""
        if self.encoder_ is not None:
            if self.private:
                return self.encoder_.to_grid(column)[:, 0]
            return self.encoder_.transform(column)
        return pd.to_numeric(column).to_numpy(dtype=np.float64)

    def split(self, column: pd.Series, entity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(gap since the entity's previous event, the entity's first step)`` per event, for
        rows sorted by entity and then by the column."""
        x = self.steps(column)
        first = first_of(entity)
        gaps = np.r_[0.0, np.diff(x)] if len(x) else np.zeros(0)
        gaps[first == np.arange(len(x))] = 0.0
        return gaps, x[first]

    def join(self, gaps: np.ndarray, start: np.ndarray, entity: np.ndarray,
             rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
        """The column rebuilt from generated gaps (negatives and nulls count as 0; an entity's
        first event is at its start) and each entity's start (its first event's value); and
        per event whether it falls inside the observed window (at or before the last time of
        the training data: real sequences were cut there)."""
        first = first_of(entity)
        g = np.nan_to_num(np.asarray(gaps, dtype=np.float64), nan=0.0).clip(min=0.0)
        g[first == np.arange(len(g))] = 0.0
        total = np.cumsum(g)
        x = np.asarray(start, dtype=np.float64)[first] + total - total[first]
        inside = np.ones(len(x), dtype=bool) if self.last_ is None else x <= self.last_ + 1e-9
        if self.encoder_ is not None:
            out = self.encoder_.inverse_transform_unbounded(x) if self.private else \
                self.encoder_.inverse_transform(x, rng)
            return pd.Series(out.to_numpy(), name=self.column_, dtype=out.dtype), inside
        if self.integer_:
            return pd.Series(np.rint(x).astype(np.int64), name=self.column_), inside
        return pd.Series(x, name=self.column_), inside

    def extend(self, last: np.ndarray, gaps: np.ndarray, entity: np.ndarray) -> pd.Series:
        """Times of new events after each entity's ``last`` step (per event): its last time
        plus the cumulative gaps — not bounded by the training data's dates (a forecast)."""
        first = first_of(entity)
        g = np.nan_to_num(np.asarray(gaps, dtype=np.float64), nan=0.0).clip(min=0.0)
        total = np.cumsum(g)
        x = np.asarray(last, dtype=np.float64) + total - total[first] + g[first]
        if self.encoder_ is not None:
            out = self.encoder_.inverse_transform_unbounded(x)
            return pd.Series(out.to_numpy(), name=self.column_, dtype=out.dtype)
        if self.integer_:
            return pd.Series(np.rint(x).astype(np.int64), name=self.column_)
        return pd.Series(x, name=self.column_)

    def get_state(self) -> dict[str, Any]:
        return {"kind": self.kind.to_dict(), "column": self.column_, "integer": self.integer_,
                "last": self.last_, "private": self.private,
                "encoder": None if self.encoder_ is None else self.encoder_.get_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EventTimes:
        times = cls(column_from_dict(dict(state["kind"]), name=str(state["column"])),
                    private=bool(state.get("private", False)))
        times.column_ = str(state["column"])
        times.integer_ = bool(state["integer"])
        times.last_ = None if state["last"] is None else float(state["last"])
        times.encoder_ = None if state["encoder"] is None else \
            DatetimeEncoder.from_state(state["encoder"])
        return times


def first_of(entity: np.ndarray) -> np.ndarray:
    """Per event, the position of its entity's first event (events grouped by entity)."""
    entity = np.asarray(entity)
    if not len(entity):
        return np.zeros(0, dtype=np.int64)
    first = np.r_[0, np.flatnonzero(np.diff(entity)) + 1]
    return first[np.searchsorted(entity[first], entity, side="right") - 1]
