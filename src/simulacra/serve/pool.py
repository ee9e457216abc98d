"""Rows drawn ahead, for small requests without a seed, conditions or rebalancing.

One ``model.sample(100)`` costs about as much as 2,000 rows drawn in one call: the time goes
to per-call work (a pandas Series per column, a loop over the copula's mixture components),
not to the rows. So each model keeps a buffer of rows drawn in large batches from fresh OS
entropy; a small unseeded request takes the next rows off it (each row is handed out once),
and a worker thread tops the buffer up when it runs low. The rows are independent draws from
the model either way, so a client cannot tell the difference — except that such a response
has no seed to repeat it (no ``X-Simulacra-Seed``). An empty buffer is never waited for: the
request then draws its own rows.

>>> import simulacra as sim
>>> model = sim.GaussianCopula(random_state=0).fit(sim.datasets.load_demo().head(500))
>>> pool = RowPool(model, rows=1_000)
>>> pool.take(10) is None  # empty until refilled
True
>>> pool.refill()
>>> len(pool.take(10)), pool.take(5, arrow=True).num_rows, pool.available
(10, 5, 985)

The rows are kept twice, as a DataFrame and as an Arrow table (converted once, when drawn):
CSV and Parquet are written from an Arrow slice in a tenth of the time a 100-row DataFrame
takes to convert.
"""

from __future__ import annotations

import threading
from collections import deque
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulacra.formats import Rows, to_arrow


class RowPool:
    """Up to ``rows`` rows of one model drawn ahead (see the module's docstring)."""

    #: Rows drawn per call when refilling: large enough that per-call work is small against
    #: the rows, small enough that a call holds the interpreter only briefly.
    BATCH = 4_000

    def __init__(self, model: Any, rows: int, lock: threading.Lock | None = None) -> None:
        self.model = model
        self.rows = rows
        self._sampling_lock = lock
        self._lock = threading.Lock()
        self._frames: deque[tuple[pd.DataFrame, pa.Table]] = deque()
        self._start = 0  # rows of the first frame already handed out
        self.available = 0
        self._refilling = False

    @property
    def largest_take(self) -> int:
        """The most rows one request takes off the buffer (larger ones draw their own)."""
        return max(self.rows // 4, 1)

    def take(self, n: int, *, arrow: bool = False) -> Rows | None:
        """The next ``n`` rows (a DataFrame, or an Arrow table), or None when the buffer holds
        fewer."""
        if n > self.largest_take:
            return None
        with self._lock:
            if self.available < n:
                return None
            parts, wanted = [], n
            while wanted:
                frame, table = self._frames[0]
                size = min(wanted, len(frame) - self._start)
                parts.append(table.slice(self._start, size) if arrow
                             else frame.iloc[self._start:self._start + size])
                wanted -= size
                self._start += size
                if self._start >= len(frame):
                    self._frames.popleft()
                    self._start = 0
            self.available -= n
        if arrow:
            return parts[0] if len(parts) == 1 else pa.concat_tables(parts)
        rows = parts[0] if len(parts) == 1 else pd.concat(parts)
        return rows.reset_index(drop=True)

    def wants_refill(self) -> bool:
        """Whether the buffer is below half full and nobody is refilling it; if so, the
        caller is now the one to call :meth:`refill`."""
        with self._lock:
            if self._refilling or self.available >= self.rows // 2:
                return False
            self._refilling = True
            return True

    def refill(self) -> None:
        """Top the buffer up to ``rows`` with rows drawn from fresh OS entropy."""
        try:
            while (missing := self.rows - self.available) > 0:
                with self._sampling_lock or nullcontext():
                    frame = self.model.sample(min(missing, self.BATCH),
                                              rng=np.random.default_rng())
                table = to_arrow(frame)
                with self._lock:
                    self._frames.append((frame, table))
                    self.available += len(frame)
        finally:
            with self._lock:
                self._refilling = False
