"""Column Pair Trends (SDMetrics CorrelationSimilarity / ContingencySimilarity): every pair.

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0]})
>>> column_pair_trends(prepare(real, real.copy())).value
1.0
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.statistics import (
    cell_counts,
    cramers_v,
    dense_corr,
    nanmean,
    pearson,
    real_table,
    sdmetrics_bins,
)
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData

#: Thresholds SDMetrics >= 0.32 applies by default in ``QualityReport`` (see column_pair_trends).
SDMETRICS_DEFAULT_THRESHOLDS = {"real_correlation_threshold": 0.5,
                                "real_association_threshold": 0.3}
#: Above this many rows SDMetrics (>= 0.30) subsamples each contingency pair; we never do.
SDMETRICS_SUBSAMPLE_ROWS = 50_000


@dataclass
class _PairColumn:
    """One column prepared for the pair metrics, for the real and the synthetic table."""

    continuous: bool                        # numbers on a scale (else categories)
    values_real: np.ndarray | None = None   # continuous: float64 (datetimes in ns), NaN = null
    values_synth: np.ndarray | None = None
    codes_real: np.ndarray | None = None    # contingency codes 0..size-1 (None: binning failed)
    codes_synth: np.ndarray | None = None
    size: int = 0
    constant: bool = False                  # one distinct non-null value in real or synthetic


def column_pair_trends(
    data: EvalData,
    *,
    real_correlation_threshold: float = 0.0,
    real_association_threshold: float = 0.0,
) -> Metric:
    """SDMetrics' Column Pair Trends: mean over column pairs of a similarity score.

    * numerical/datetime pairs — CorrelationSimilarity ``1 − |ρ_real − ρ_syn| / 2`` with
      Pearson's ρ on the rows where both values are present (datetimes as nanoseconds);
      undefined (left out) if a column is constant in either table;
    * other pairs — ContingencySimilarity, 1 − total variation distance of the 2-D contingency
      tables, nulls a category of their own; a continuous column enters through
      :func:`sdmetrics_bins` (real and synthetic binned over their own ranges, as SDMetrics'
      property does).

    The thresholds reproduce SDMetrics >= 0.32, whose ``QualityReport`` by default counts a
    pair only if |ρ_real| > 0.5 (correlation) or the real Cramér's V > 0.3 (contingency).
    The defaults here (0, every pair counts) are the classic definition of the property and
    what SDMetrics gives with both thresholds set to 0; ``details["sdmetrics_defaults"]``
    holds the figure with SDMetrics' default thresholds. SDMetrics subsamples 50,000 rows per
    contingency pair when a table is larger; this function always uses every row.

    Reference: ``sdmetrics.reports.single_table._properties.ColumnPairTrends``,
    ``sdmetrics.column_pairs.CorrelationSimilarity`` / ``ContingencySimilarity``.
    """
    prepared = {column: _pair_column(data, column) for column in data.kinds}
    correlations = _correlations(prepared)
    pairs = []
    for c1, c2 in itertools.combinations(list(data.kinds), 2):
        a, b = prepared[c1], prepared[c2]
        row: dict[str, Any] = {"column_1": c1, "column_2": c2}
        if a.continuous and b.continuous:
            rho_r, rho_s = correlations[c1, c2]
            score = 1.0 - abs(rho_r - rho_s) / 2
            row.update(metric="CorrelationSimilarity", score=score, real=rho_r,
                       synthetic=rho_s, real_association=math.nan)
        else:
            score, association = _contingency_pair(a, b)
            row.update(metric="ContingencySimilarity", score=score, real=math.nan,
                       synthetic=math.nan, real_association=association)
        pairs.append(row)
    value = thresholded_mean(pairs, real_correlation_threshold, real_association_threshold)
    defaults = dict(SDMETRICS_DEFAULT_THRESHOLDS)
    defaults["value"] = thresholded_mean(pairs, **SDMETRICS_DEFAULT_THRESHOLDS)
    thresholds = real_correlation_threshold > 0 or real_association_threshold > 0
    note = (f"only pairs with |real correlation| > {real_correlation_threshold:g} or real "
            f"Cramér's V > {real_association_threshold:g} counted" if thresholds else "")
    if max(len(data.real), len(data.synth)) > SDMETRICS_SUBSAMPLE_ROWS:
        note = "; ".join(filter(None, [note, (
            f"all rows used (SDMetrics subsamples {SDMETRICS_SUBSAMPLE_ROWS:,} rows per "
            "contingency pair for tables this large, so its figure varies a little)")]))
    return Metric(
        "trend", "fidelity", value,
        definition=("Mean over column pairs of 1 − |ρ_real − ρ_syn|/2 (Pearson, numerical and "
                    "datetime pairs) or 1 − total variation distance of the 2-D contingency "
                    "table (other pairs, numbers in 10 equal-width bins), as in SDMetrics' "
                    "Column Pair Trends."),
        direction="higher", ideal=1.0, note=note,
        details={"pairs": pairs, "sdmetrics_defaults": defaults},
    )


def _pair_column(data: EvalData, column: str) -> _PairColumn:
    real, synth = data.real[column], data.synth[column]
    if data.kinds[column].family != "continuous":
        codes, uniques = pd.factorize(pd.concat([real, synth], ignore_index=True),
                                      use_na_sentinel=False)
        codes = codes.astype(np.int64)
        return _PairColumn(False, codes_real=codes[: len(real)], codes_synth=codes[len(real):],
                           size=len(uniques))
    out = _PairColumn(True, values_real=data.real_view.nanoseconds(column),
                      values_synth=data.synth_view.nanoseconds(column), size=12)
    out.constant = real.nunique() == 1 or synth.nunique() == 1
    try:
        out.codes_real = sdmetrics_bins(out.values_real)
        out.codes_synth = sdmetrics_bins(out.values_synth)
    except ValueError:  # non-finite range: SDMetrics marks the column's contingency pairs failed
        out.codes_real = out.codes_synth = None
    return out


def _correlations(prepared: dict[str, _PairColumn]) -> dict[tuple[str, str], tuple[float, float]]:
    """Real and synthetic Pearson ρ of every continuous pair (NaN where SDMetrics fails)."""
    columns = [c for c, p in prepared.items() if p.continuous]
    out: dict[tuple[str, str], tuple[float, float]] = {}
    matrices = [dense_corr([prepared[c].values_real for c in columns]),
                dense_corr([prepared[c].values_synth for c in columns])]
    for i, j in itertools.combinations(range(len(columns)), 2):
        a, b = prepared[columns[i]], prepared[columns[j]]
        if a.constant or b.constant:
            out[columns[i], columns[j]] = (math.nan, math.nan)
            continue
        rhos = []
        for matrix, x, y in ((matrices[0], a.values_real, b.values_real),
                             (matrices[1], a.values_synth, b.values_synth)):
            rho = matrix[i, j]
            rhos.append(pearson(x, y) if np.isnan(rho) else float(rho))
        out[columns[i], columns[j]] = (rhos[0], rhos[1])
    return out


def _contingency_pair(a: _PairColumn, b: _PairColumn) -> tuple[float, float]:
    """ContingencySimilarity of two prepared columns and the real table's Cramér's V."""
    if a.codes_real is None or b.codes_real is None:
        return math.nan, math.nan
    cells_real = a.codes_real * b.size + b.codes_real
    cells_synth = a.codes_synth * b.size + b.codes_synth
    counts_real, counts_synth = cell_counts(cells_real, cells_synth, a.size * b.size)
    score = 1.0 - 0.5 * np.abs(counts_real / len(cells_real)
                               - counts_synth / len(cells_synth)).sum()
    association = math.nan
    if a.size * b.size <= 1_000_000:
        association = cramers_v(real_table(cells_real, a.size, b.size))
    return float(score), association


def thresholded_mean(pairs: list[dict[str, Any]], real_correlation_threshold: float,
                      real_association_threshold: float) -> float:
    """Mean score over the pairs SDMetrics lets contribute under the given thresholds."""
    kept = []
    for pair in pairs:
        if pair["metric"] == "CorrelationSimilarity":
            rho = pair["real"]
            ok = real_correlation_threshold <= 0 or (
                not np.isnan(rho) and abs(rho) > real_correlation_threshold)
        else:
            v = pair["real_association"]
            ok = real_association_threshold <= 0 or (
                not np.isnan(v) and v > real_association_threshold)
        if ok:
            kept.append(pair["score"])
    return nanmean(kept)
