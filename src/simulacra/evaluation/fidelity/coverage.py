"""Coverage and missing values: do the synthetic columns reach every real category and range,
and hold nulls as often as the real ones?

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, None, 4.0], "c": ["a", "b", "a", "b"]})
>>> missing_share_similarity(prepare(real, real.fillna(3.0))).value
0.875
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.statistics import nanmean
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData


def category_coverage(real: pd.Series, synth: pd.Series) -> float:
    """Share of the real column's distinct non-null values that occur in the synthetic column.

    >>> round(category_coverage(pd.Series(["a", "b", "c", None]), pd.Series(["a", "c", "z"])), 6)
    0.666667
    """
    present = pd.Index(real.dropna().unique())
    if len(present) == 0:
        return math.nan
    return float(present.isin(synth.dropna().unique()).mean())


def range_coverage(real: np.ndarray, synth: np.ndarray) -> float:
    """SDMetrics' RangeCoverage: how much of the real range [min, max] the synthetic one spans.

    ``1 − (max(0, (min_s − min_r)/(max_r − min_r)) + max(0, (max_r − max_s)/(max_r − min_r)))``
    clipped to [0, 1]; NaN for a constant real column; 0 if the synthetic column is all null
    (SDMetrics gives NaN there). Reference: ``sdmetrics.single_column.RangeCoverage``.

    >>> range_coverage(np.array([0.0, 10.0]), np.array([2.0, 12.0]))
    0.8
    """
    r, s = real[~np.isnan(real)], synth[~np.isnan(synth)]
    if r.size == 0 or r.min() == r.max():
        return math.nan
    if s.size == 0:
        return 0.0
    width = r.max() - r.min()
    low = max((s.min() - r.min()) / width, 0.0)
    high = max((r.max() - s.max()) / width, 0.0)
    return float(min(max(1.0 - (low + high), 0.0), 1.0))


def coverage(data: EvalData) -> list[Metric]:
    """Category coverage (discrete columns) and range coverage (continuous columns).

    Reference: SDMetrics' ``CategoryCoverage`` and ``RangeCoverage`` single-column metrics.
    """
    cats = [{"column": c, "score": category_coverage(data.real[c], data.synth[c])}
            for c in data.discrete]
    ranges = [{"column": c, "score": range_coverage(data.real_view.nanoseconds(c),
                                                    data.synth_view.nanoseconds(c))}
              for c in data.continuous]
    return [
        Metric("category coverage", "fidelity", nanmean([r["score"] for r in cats]),
               definition=("Mean over categorical and boolean columns of the share of real "
                           "categories (nulls aside) that occur in the synthetic data."),
               direction="higher", ideal=1.0, details={"columns": cats}),
        Metric("range coverage", "fidelity", nanmean([r["score"] for r in ranges]),
               definition=("Mean over numerical and datetime columns of SDMetrics' "
                           "RangeCoverage, the share of the real [min, max] range spanned by "
                           "the synthetic range, clipped to [0, 1]."),
               direction="higher", ideal=1.0, details={"columns": ranges}),
    ]


def missing_share_similarity(data: EvalData) -> Metric:
    """1 − mean over columns of |share of nulls in real − share of nulls in synthetic|."""
    rows = []
    for column in data.kinds:
        real_share = float(data.real[column].isna().mean())
        synth_share = float(data.synth[column].isna().mean())
        rows.append({"column": column, "real": real_share, "synthetic": synth_share,
                     "score": 1.0 - abs(real_share - synth_share)})
    return Metric(
        "missing-share similarity", "fidelity", nanmean([r["score"] for r in rows]),
        definition=("1 − mean over columns of the absolute difference between the share of "
                    "null values in the real and in the synthetic column."),
        direction="higher", ideal=1.0, details={"columns": rows},
    )
