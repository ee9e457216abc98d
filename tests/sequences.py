"""Event tables for the sequence tests: AR(1) values per entity, and a time-shuffled copy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def ar1_events(entities: int, seed: int, *, phi: float = 0.9, low: int = 4,
               high: int = 21) -> pd.DataFrame:
    """AR(1) ``x`` and a noisy copy ``y`` per entity, ``low``..``high - 1`` events each, gaps
    of ~3 hours; entity keys ``u<seed>-<n>``, rows grouped by entity in time order."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(low, high, entities)
    x = np.zeros((entities, sizes.max()))
    x[:, 0] = rng.normal(0, 1 / math.sqrt(1 - phi**2), entities)
    for t in range(1, sizes.max()):
        x[:, t] = phi * x[:, t - 1] + rng.normal(0, 1, entities)
    values = x[np.arange(sizes.max())[None, :] < sizes[:, None]]
    entity = np.repeat(np.arange(entities), sizes)
    hours = np.cumsum(rng.exponential(3.0, len(values)))
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    offset = hours - np.repeat(hours[first], sizes)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, entities), "D")
    return pd.DataFrame({
        "user": [f"u{seed}-{e}" for e in entity],
        "when": start.to_numpy()[entity] + pd.to_timedelta(offset, unit="h").to_numpy(),
        "x": values.round(4),
        "y": (0.7 * values + rng.normal(0, 0.5, len(values))).round(4)})


def shuffled_in_time(events: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Each entity's (x, y) values moved to random other times of the same entity (rows must
    be grouped by entity, as :func:`ar1_events` writes them)."""
    rng = np.random.default_rng(seed)
    entity = events.groupby("user", sort=False).ngroup().to_numpy()
    order = np.lexsort((rng.random(len(events)), entity))
    out = events.copy()
    out[["x", "y"]] = events[["x", "y"]].to_numpy()[order]
    return out
