"""Per-column views of one evaluated table, each computed once and then shared by every metric.

Most figures read a column as numbers or as category labels. :class:`FrameView` computes each
such view of a column the first time a metric asks and hands out the same read-only array
afterwards, so fidelity, detection, utility and privacy never convert one column twice. A
row subset of a view is the view's array indexed by the rows: every conversion here is value by
value, so ``view.floats(c)[rows]`` equals the conversion of ``frame.iloc[rows][c]``.

>>> import pandas as pd
>>> view = FrameView(pd.DataFrame({"when": pd.to_datetime(["1970-01-02", None]),
...                                "city": ["Oslo", None]}))
>>> view.floats("when"), view.labels("city")
(array([86400.,    nan]), array(['Oslo', '(missing)'], dtype=object))
>>> view.floats("when") is view.floats("when")
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

MISSING_LABEL = "(missing)"


def as_float(column: pd.Series) -> np.ndarray:
    """Numbers as float64; datetimes as seconds since the epoch; nulls as NaN."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.to_numpy(dtype="datetime64[ns]")
        out = values.astype("int64").astype(np.float64) / 1e9
        out[np.isnat(values)] = np.nan
        return out
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def as_nanoseconds(column: pd.Series) -> np.ndarray:
    """Floats with NaN for nulls; datetimes as nanoseconds since the epoch (as SDMetrics)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.to_numpy(dtype="datetime64[ns]")
        out = values.view(np.int64).astype(np.float64)
        out[np.isnat(values)] = np.nan
        return out
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def as_labels(column: pd.Series) -> np.ndarray:
    """Category labels as strings, nulls as ``(missing)`` (so nulls are a category of their own)."""
    out = column.astype(object).where(column.notna(), MISSING_LABEL)
    return out.map(str).to_numpy(dtype=object)


class FrameView:
    """The per-column views of one table (``frame``), computed on first use and kept.

    * :meth:`floats` — :func:`as_float` (datetimes in seconds);
    * :meth:`nanoseconds` — :func:`as_nanoseconds` (datetimes in nanoseconds, as SDMetrics);
    * :meth:`labels` — :func:`as_labels`;
    * :meth:`view` — any other conversion a metric names.

    The arrays are read-only: a metric that needs to change one works on a copy.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.frame)

    def floats(self, column: str) -> np.ndarray:
        return self.view("floats", column, as_float)

    def nanoseconds(self, column: str) -> np.ndarray:
        return self.view("nanoseconds", column, as_nanoseconds)

    def labels(self, column: str) -> np.ndarray:
        return self.view("labels", column, as_labels)

    def view(self, name: str, column: str, convert: Callable[[pd.Series], np.ndarray]
             ) -> np.ndarray:
        """``convert(frame[column])``, computed the first time ``name`` is asked for."""
        key = (name, column)
        found = self._cache.get(key)
        if found is None:
            found = convert(self.frame[column])
            found.flags.writeable = False
            self._cache[key] = found
        return found
