"""Event tables for the tests of sequences."""

from __future__ import annotations

import numpy as np
import pandas as pd


def bursts(n: int = 800, seed: int = 1) -> pd.DataFrame:
    """Shoppers whose purchases come in bursts: a gap of 1-3 days within a burst, then 60-90
    days to the next one; 'loyal' ones (30 %) shop in twice as many bursts. Purchase dates as
    strings, first purchases spread over 1997."""
    rng = np.random.default_rng(seed)
    loyal = rng.random(n) < 0.3
    rows = []
    for e in range(n):
        day = pd.Timestamp("1997-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
        for b in range(rng.integers(1, 3) * (2 if loyal[e] else 1)):
            if b:
                day += pd.Timedelta(days=int(rng.integers(60, 91)))
            for k in range(rng.integers(1, 4)):
                if k:
                    day += pd.Timedelta(days=int(rng.integers(1, 4)))
                rows.append((e, "loyal" if loyal[e] else "casual", day.strftime("%Y-%m-%d"),
                             round(float(rng.gamma(2.0, 15.0)), 2)))
    return pd.DataFrame(rows, columns=["user", "kind", "date", "amount"])
