"""Which parent columns a child table's model should see: those that tell most about it.

A parent brings many columns into a child's context (a lookup table such as Berka's district
alone has 15); on a small child table, a model given all of them learns the child's own columns
worse. Each candidate is scored by its adjusted mutual information with the child's own
columns and child counts (the most it shares with any of them, on binned values), and the
``k`` best are kept. Adjusted for chance: on a few hundred rows, the plain (normalized) mutual
information of two independent columns of 10–20 codes each is about .09, so a district's
statistics (77 values) outranked a parent's count of one or two that tells a loan's status;
the adjusted score of independent columns is about 0 whatever their codes.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> tier = rng.choice(["gold", "basic"], size=500)
>>> context = pd.DataFrame({"p.tier": tier, "p.noise": rng.normal(size=500)})
>>> own = pd.DataFrame({"amount": np.where(tier == "gold", 200, 40) + rng.normal(size=500)})
>>> select_columns(context, own, 1)
['p.tier']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Bins of a numeric column, categories of a categorical one (the rest pooled).
BINS = 10
#: Rows looked at (a seeded sample beyond this).
MAX_ROWS = 20_000


def codes(series: pd.Series) -> np.ndarray:
    """Small integer codes of a column: quantile bins of numbers and dates, the most common
    categories of anything else; nulls get a code of their own."""
    values = series
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = values.astype("int64").where(series.notna())
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype):
        numbers = values.astype("float64")
        ranks = numbers.rank(method="average", pct=True)
        out = np.floor(ranks.fillna(-1).to_numpy() * BINS).clip(-1, BINS - 1)
        return out.astype(np.int64) + 1
    text = series.astype(object).where(series.notna(), None).astype(str)
    top = text.value_counts().index[:BINS * 2]
    mapping = {value: i + 1 for i, value in enumerate(top)}
    return text.map(mapping).fillna(0).to_numpy(dtype=np.int64)


def adjusted_mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """AMI of two code arrays (arithmetic normalization; 0 when either is constant)."""
    from sklearn.metrics import adjusted_mutual_info_score

    if len(np.unique(a)) < 2 or len(np.unique(b)) < 2:
        return 0.0
    return float(adjusted_mutual_info_score(a, b))


def select_columns(context: pd.DataFrame, own: pd.DataFrame, k: int,
                   rng: np.random.Generator | None = None) -> list[str]:
    """The ``k`` columns of ``context`` sharing most information with a column of ``own``
    (in ``context``'s order; all of them when there are ``k`` or fewer)."""
    if context.shape[1] <= k:
        return list(context.columns)
    if own.shape[1] == 0:
        return list(context.columns[:k])
    if len(context) > MAX_ROWS:
        rng = rng if rng is not None else np.random.default_rng(0)
        rows = np.sort(rng.choice(len(context), MAX_ROWS, replace=False))
        context, own = context.iloc[rows], own.iloc[rows]
    targets = [codes(own[c]) for c in own.columns]
    scores = {}
    for column in context.columns:
        mine = codes(context[column])
        scores[column] = max(adjusted_mutual_information(mine, t) for t in targets)
    best = sorted(context.columns, key=lambda c: -scores[c])[:k]
    return [c for c in context.columns if c in best]
