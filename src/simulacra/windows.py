"""Fixed-length windows of a multivariate time series, and the Sines benchmark data.

The window protocol of the time-series generation literature (TimeGAN, Yoon et al. NeurIPS
2019; Diffusion-TS, Yuan & Qiao ICLR 2024): a long series of ``F`` numeric columns is cut into
overlapping windows of ``length`` steps (stride 1 by default), and a model learns to generate
windows. simulacra models them as an event table — one sequence per window, ``length`` events
each — with :class:`~simulacra.SequentialNetwork`, which keeps every sequence at the fixed
length it learned.

* :func:`cut_windows` — a table's rows (any columns, in time order) → an event table of
  windows: a ``window`` column (the sequence key), a ``step`` column (the order), the rows;
* :func:`sliding_windows` — a numeric table or array ``(T, F)`` → windows ``(N, length, F)``;
* :func:`windows_to_frame` / :func:`frame_to_windows` — windows ↔ an event table with a
  ``window`` column (the sequence key) and a ``step`` column (the order);
* :func:`minmax_scale` — each column to [0, 1], as the protocol scores windows;
* :func:`make_sines` — TimeGAN's Sines data (each feature a sine of random frequency and phase).

>>> series = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) * 10})
>>> w = sliding_windows(series, 4, stride=2)
>>> w.shape, w[1, :, 0].tolist()
((2, 4, 2), [2.0, 3.0, 4.0, 5.0])
>>> events = windows_to_frame(w, ["a", "b"])
>>> list(events.columns), len(events)
(['window', 'step', 'a', 'b'], 8)
>>> bool((frame_to_windows(events, ["a", "b"]) == w).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulacra.errors import DataError, ParameterError
from simulacra.randomness import RandomState, make_rng

#: The sequence key and the order column of a windows table.
WINDOW, STEP = "window", "step"


def cut_windows(table: pd.DataFrame, length: int, *, stride: int = 1, key: str = WINDOW,
                step: str | None = STEP) -> pd.DataFrame:
    """The windows of ``table`` (its rows in time order) as an event table: window ``i`` is
    rows ``i·stride … i·stride + length − 1``, numbered in ``key``, each row's place in its
    window in ``step`` (left out when ``None``, e.g. when a date column orders the rows).
    ``table`` is not modified.

    >>> t = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=5, freq="h"),
    ...                   "load": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> cut_windows(t, 3, stride=2)["load"].tolist()
    [1.0, 2.0, 3.0, 3.0, 4.0, 5.0]
    """
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"cut_windows expects a pandas DataFrame, got {type(table).__name__}")
    _check_int("length", length, 1)
    _check_int("stride", stride, 1)
    taken = sorted({key, step} & {str(c) for c in table.columns})
    if taken:
        raise ParameterError(f"the table already has columns {taken}; pass other key= / step= "
                             "names")
    if len(table) < length:
        raise DataError(f"the table has {len(table)} rows, fewer than the window length "
                        f"{length}; use a shorter length")
    starts = np.arange(0, len(table) - length + 1, stride)
    rows = (starts[:, None] + np.arange(length)[None, :]).ravel()
    out = table.iloc[rows].reset_index(drop=True)
    front = {key: np.repeat(np.arange(len(starts)), length)}
    if step is not None:
        front[step] = np.tile(np.arange(length), len(starts))
    return pd.concat([pd.DataFrame(front), out], axis=1)


def sliding_windows(series: pd.DataFrame | np.ndarray, length: int, *,
                    stride: int = 1) -> np.ndarray:
    """Windows ``(N, length, F)`` of a series ``(T, F)`` (its rows in time order), starting at
    every ``stride``-th step; ``N = (T − length) // stride + 1``. A table's columns must all be
    numeric (drop its date column first)."""
    _check_int("length", length, 1)
    _check_int("stride", stride, 1)
    if isinstance(series, pd.DataFrame):
        bad = [str(c) for c in series.columns if not pd.api.types.is_numeric_dtype(series[c])
               or pd.api.types.is_bool_dtype(series[c])]
        if bad:
            raise DataError(f"sliding_windows needs numeric columns; {bad} are not (drop a "
                            "date column, encode categories first)")
        values = series.to_numpy(dtype=np.float64)
    else:
        values = np.asarray(series, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
    if values.ndim != 2:
        raise DataError(f"sliding_windows needs a (steps, features) series, got shape "
                        f"{values.shape}")
    if len(values) < length:
        raise DataError(f"the series has {len(values)} steps, fewer than the window length "
                        f"{length}; use a shorter length")
    view = np.lib.stride_tricks.sliding_window_view(values, length, axis=0)
    return np.ascontiguousarray(view[::stride].transpose(0, 2, 1))


def windows_to_frame(windows: np.ndarray, columns: Sequence[str], *,
                     key: str = WINDOW, step: str | None = STEP) -> pd.DataFrame:
    """An event table of ``windows`` ``(N, length, F)``: one row per step, the window number
    in ``key``, the step number in ``step`` (left out when ``None``), then ``columns``."""
    arr = np.asarray(windows)
    if arr.ndim != 3:
        raise DataError(f"windows must be a (windows, steps, features) array, got shape "
                        f"{arr.shape}")
    names = [str(c) for c in columns]
    if len(names) != arr.shape[2] or len(set(names)) != len(names):
        raise ParameterError(f"columns must name each of the {arr.shape[2]} features once, got "
                             f"{names}")
    taken = {key, step} & set(names)
    if taken:
        raise ParameterError(f"feature names {sorted(taken)} clash with the key/step columns; "
                             "pass other key= / step= names")
    n, length, _ = arr.shape
    out = {key: np.repeat(np.arange(n), length)}
    if step is not None:
        out[step] = np.tile(np.arange(length), n)
    flat = arr.reshape(n * length, -1)
    out.update({name: flat[:, j] for j, name in enumerate(names)})
    return pd.DataFrame(out)


def frame_to_windows(events: pd.DataFrame, columns: Sequence[str], *,
                     key: str = WINDOW, step: str | None = STEP) -> np.ndarray:
    """The windows ``(N, length, F)`` of an event table (ordered by ``key``, then ``step`` when
    the table has it, else row order); every window must have the same length."""
    names = [str(c) for c in columns]
    missing = [c for c in [key, *names] if c not in events.columns]
    if missing:
        raise DataError(f"the table lacks columns {missing}")
    order = [key, step] if step is not None and step in events.columns else [key]
    frame = events.sort_values(order, kind="stable")
    sizes = frame.groupby(key, sort=False).size().to_numpy()
    if len(sizes) == 0:
        return np.zeros((0, 0, len(names)))
    if (sizes != sizes[0]).any():
        raise DataError(f"windows differ in length ({int(sizes.min())} to {int(sizes.max())} "
                        "steps); frame_to_windows needs fixed-length windows")
    values = frame[names].to_numpy(dtype=np.float64)
    return values.reshape(len(sizes), int(sizes[0]), len(names))


def minmax_scale(windows: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """``windows`` ``(..., F)`` with each feature scaled to [0, 1] by the minimum and maximum
    of ``reference`` (default: ``windows`` itself); constant features become 0."""
    ref = np.asarray(windows if reference is None else reference, dtype=np.float64)
    flat = ref.reshape(-1, ref.shape[-1])
    low, high = np.nanmin(flat, axis=0), np.nanmax(flat, axis=0)
    span = np.where(high > low, high - low, 1.0)
    return (np.asarray(windows, dtype=np.float64) - low) / span


def make_sines(n_windows: int = 10_000, length: int = 24, features: int = 5, *,
               random_state: RandomState = None) -> np.ndarray:
    """TimeGAN's Sines data ``(n_windows, length, features)`` in [0, 1]: each feature of each
    window is ``(sin(f·t + p) + 1) / 2`` at steps ``t = 0..length-1``, with its own frequency
    ``f`` and phase ``p`` drawn uniformly from [0, 0.1] (TimeGAN's ``sine_data_generation``;
    Diffusion-TS uses 10,000 windows of 24 steps and 5 features).

    >>> x = make_sines(3, 24, 5, random_state=0)
    >>> x.shape, bool((x >= 0).all() and (x <= 1).all())
    ((3, 24, 5), True)
    """
    _check_int("n_windows", n_windows, 1)
    _check_int("length", length, 1)
    _check_int("features", features, 1)
    rng = make_rng(random_state)
    freq = rng.uniform(0, 0.1, (n_windows, 1, features))
    phase = rng.uniform(0, 0.1, (n_windows, 1, features))
    t = np.arange(length)[None, :, None]
    return (np.sin(freq * t + phase) + 1) * 0.5


def _check_int(name: str, value: object, low: int) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= low
    if not ok:
        raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
