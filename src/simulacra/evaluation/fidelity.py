"""Fidelity: how closely the synthetic table's distributions follow the real table's.

Every function takes an :class:`~simulacra.evaluation.prepare.EvalData` and returns
:class:`~simulacra.evaluation.result.Metric` objects of group ``"fidelity"``.

* :func:`column_shapes` and :func:`column_pair_trends` reproduce the two properties of
  SDMetrics' ``QualityReport`` (Column Shapes, Column Pair Trends) to floating-point precision,
  so they can be cross-checked against it (``tests/test_sdmetrics_agreement.py`` does).
* :func:`binned_accuracy` follows MOSTLY AI's QA report: 1 − total variation distance of
  binned 1-, 2- and 3-way marginals.
* :func:`coverage`, :func:`missing_share_similarity`, :func:`alpha_precision_beta_recall` and
  :func:`association_matrices` complete the picture.

All computations work on integer codes and :func:`numpy.bincount`; loops run over columns,
pairs or triples, never over rows.

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> synth = pd.DataFrame({"x": [1.0, 2.0, 3.0, 9.0], "c": ["a", "a", "a", "b"]})
>>> m = column_shapes(prepare(real, synth))
>>> m.name, round(m.value, 3)   # KS: 1 - 0.25, TV: 1 - 0.25
('shape', 0.75)
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer

#: SDMetrics' KSComplement rounds values to this many decimals before the test.
KS_DECIMALS = sys.float_info.dig - 1
#: SDMetrics' TVComplement gives a category seen only in the synthetic data this real count.
TV_REGULARIZATION = 1e-6
#: Thresholds SDMetrics >= 0.32 applies by default in ``QualityReport`` (see column_pair_trends).
SDMETRICS_DEFAULT_THRESHOLDS = {"real_correlation_threshold": 0.5,
                                "real_association_threshold": 0.3}
#: Above this many rows SDMetrics (>= 0.30) subsamples each contingency pair; we never do.
SDMETRICS_SUBSAMPLE_ROWS = 50_000

_CONTINUOUS = ("numerical", "datetime")


# --------------------------------------------------------------------------------------------
# Column Shapes (SDMetrics KSComplement / TVComplement)
# --------------------------------------------------------------------------------------------

def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs.

    Same value as ``scipy.stats.ks_2samp(a, b).statistic``; NaN when a sample is empty.

    >>> ks_statistic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0]))
    0.5
    """
    if a.size == 0 or b.size == 0:
        return math.nan
    a, b = np.sort(a), np.sort(b)
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, pooled, side="right") / a.size
    cdf_b = np.searchsorted(b, pooled, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_complement(real: pd.Series, synth: pd.Series) -> float:
    """SDMetrics' KSComplement: 1 − KS statistic of the non-null values.

    Datetimes are compared as nanoseconds since the epoch; numbers are rounded to
    ``KS_DECIMALS`` (14) decimals first, as SDMetrics does.
    Reference: ``sdmetrics.single_column.KSComplement``.
    """
    r, s = _ks_values(real), _ks_values(synth)
    return 1.0 - ks_statistic(r, s)


def tv_complement(real: pd.Series, synth: pd.Series) -> float:
    """SDMetrics' TVComplement: 1 − total variation distance of the category frequencies.

    Nulls are dropped; frequencies are over the union of values, and a value seen only in the
    synthetic column gets a real count of 1e-6 (SDMetrics' ``get_frequencies`` regularization),
    so the real frequencies are normalized by ``n_real + 1e-6 · (number of such values)``.
    NaN when either column has no non-null value.
    Reference: ``sdmetrics.single_column.TVComplement``.

    >>> round(tv_complement(pd.Series(["a", "a", "b", None]), pd.Series(["a", "b", "b", "b"])), 6)
    0.583333
    """
    r, s = real.dropna(), synth.dropna()
    if len(r) == 0 or len(s) == 0:
        return math.nan
    codes, uniques = pd.factorize(pd.concat([r, s], ignore_index=True))
    count_r = np.bincount(codes[: len(r)], minlength=len(uniques)).astype(np.float64)
    count_s = np.bincount(codes[len(r):], minlength=len(uniques)).astype(np.float64)
    count_r[count_r == 0] += TV_REGULARIZATION
    return float(1.0 - 0.5 * np.abs(count_s / count_s.sum() - count_r / count_r.sum()).sum())


def column_shapes(data: EvalData) -> Metric:
    """SDMetrics' Column Shapes: mean over columns of KSComplement or TVComplement.

    Numerical and datetime columns use :func:`ks_complement`; categorical and boolean columns
    :func:`tv_complement`. Columns whose score is undefined (no non-null synthetic value) are
    left out of the mean, as in SDMetrics.
    Reference: ``sdmetrics.reports.single_table._properties.ColumnShapes``.
    """
    rows = []
    for column, kind in data.kinds.items():
        real, synth = data.real[column], data.synth[column]
        if kind in _CONTINUOUS:
            metric, score = "KSComplement", ks_complement(real, synth)
        else:
            metric, score = "TVComplement", tv_complement(real, synth)
        rows.append({"column": column, "kind": kind, "metric": metric, "score": score})
    return Metric(
        "shape", "fidelity", _nanmean([r["score"] for r in rows]),
        definition=("Mean over columns of 1 − two-sample KS statistic (numerical, datetime) or "
                    "1 − total variation distance of category frequencies (categorical, "
                    "boolean), nulls excluded, as in SDMetrics' Column Shapes."),
        direction="higher", ideal=1.0,
        details={"columns": rows},
    )


def _ks_values(column: pd.Series) -> np.ndarray:
    """Non-null values as SDMetrics' KSComplement compares them."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.dropna().to_numpy(dtype="datetime64[ns]")
        return values.view(np.int64)
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.round(values[~np.isnan(values)], KS_DECIMALS)


# --------------------------------------------------------------------------------------------
# Column Pair Trends (SDMetrics CorrelationSimilarity / ContingencySimilarity)
# --------------------------------------------------------------------------------------------

@dataclass
class _PairColumn:
    """One column prepared for the pair metrics, for the real and the synthetic table."""

    kind: str
    values_real: np.ndarray | None = None   # continuous: float64 (datetimes in ns), NaN = null
    values_synth: np.ndarray | None = None
    codes_real: np.ndarray | None = None    # contingency codes 0..size-1 (None: binning failed)
    codes_synth: np.ndarray | None = None
    size: int = 0
    constant: bool = False                  # one distinct non-null value in real or synthetic


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of the rows where both values are present (NaN if undefined).

    >>> round(pearson(np.array([1.0, 2.0, 3.0, np.nan]), np.array([2.0, 4.0, 7.0, 1.0])), 6)
    0.993399
    """
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if x.size < 2:
        return math.nan
    xm, ym = x - x.mean(), y - y.mean()
    den = math.sqrt(float(np.dot(xm, xm)) * float(np.dot(ym, ym)))
    if den == 0 or not math.isfinite(den):
        return math.nan
    return float(np.clip(np.dot(xm, ym) / den, -1.0, 1.0))


def sdmetrics_bins(values: np.ndarray) -> np.ndarray:
    """Bin numbers as SDMetrics' Column Pair Trends discretizes a continuous column.

    ``np.histogram_bin_edges`` (10 equal-width bins over the column's own non-null range) and
    ``np.digitize``: codes 1..10, the column's maximum and nulls both in bin 11. Each table is
    binned over its *own* range. Raises ``ValueError`` for a non-finite range, as NumPy does.

    >>> sdmetrics_bins(np.array([0.0, 4.9, 5.0, 10.0, np.nan]))
    array([ 1,  5,  6, 11, 11])
    """
    edges = np.histogram_bin_edges(values[~np.isnan(values)])
    return np.digitize(values, edges)


def contingency_similarity(codes_real: np.ndarray, codes_synth: np.ndarray, size: int) -> float:
    """1 − total variation distance between two tables' distributions over integer cells.

    ``codes_*`` hold one cell number in ``[0, size)`` per row.

    >>> contingency_similarity(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2)
    0.75
    """
    counts_real, counts_synth = _cell_counts(codes_real, codes_synth, size)
    return float(1.0 - 0.5 * np.abs(counts_real / len(codes_real)
                                    - counts_synth / len(codes_synth)).sum())


def cramers_v(table: np.ndarray, *, bias_correction: bool = False) -> float:
    """Cramér's V of a contingency table (rows and columns with no count dropped).

    Without correction it equals ``scipy.stats.contingency.association(table, "cramer")``; with
    ``bias_correction`` it is Bergsma's (2013) bias-corrected V. NaN if fewer than two
    non-empty rows or columns.

    >>> round(cramers_v(np.array([[10, 0], [0, 10]])), 6)
    1.0
    """
    table = np.asarray(table, dtype=np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = table.sum()
    r, k = table.shape
    if r < 2 or k < 2 or n == 0:
        return math.nan
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    phi2 = float(((table - expected) ** 2 / expected).sum()) / n
    if not bias_correction:
        return math.sqrt(phi2 / (min(r, k) - 1))
    if n < 2:
        return math.nan
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    r_corr = r - (r - 1) ** 2 / (n - 1)
    k_corr = k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corr - 1, r_corr - 1)
    return math.sqrt(phi2 / denominator) if denominator > 0 else 0.0


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
        if a.kind in _CONTINUOUS and b.kind in _CONTINUOUS:
            rho_r, rho_s = correlations[c1, c2]
            score = 1.0 - abs(rho_r - rho_s) / 2
            row.update(metric="CorrelationSimilarity", score=score, real=rho_r,
                       synthetic=rho_s, real_association=math.nan)
        else:
            score, association = _contingency_pair(a, b)
            row.update(metric="ContingencySimilarity", score=score, real=math.nan,
                       synthetic=math.nan, real_association=association)
        pairs.append(row)
    value = _thresholded_mean(pairs, real_correlation_threshold, real_association_threshold)
    defaults = dict(SDMETRICS_DEFAULT_THRESHOLDS)
    defaults["value"] = _thresholded_mean(pairs, **SDMETRICS_DEFAULT_THRESHOLDS)
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
    kind = data.kinds[column]
    real, synth = data.real[column], data.synth[column]
    if kind not in _CONTINUOUS:
        codes, uniques = pd.factorize(pd.concat([real, synth], ignore_index=True),
                                      use_na_sentinel=False)
        codes = codes.astype(np.int64)
        return _PairColumn(kind, codes_real=codes[: len(real)], codes_synth=codes[len(real):],
                           size=len(uniques))
    out = _PairColumn(kind, values_real=_ns_float(real), values_synth=_ns_float(synth), size=12)
    out.constant = real.nunique() == 1 or synth.nunique() == 1
    try:
        out.codes_real = sdmetrics_bins(out.values_real)
        out.codes_synth = sdmetrics_bins(out.values_synth)
    except ValueError:  # non-finite range: SDMetrics marks the column's contingency pairs failed
        out.codes_real = out.codes_synth = None
    return out


def _ns_float(column: pd.Series) -> np.ndarray:
    """Floats with NaN for nulls; datetimes as nanoseconds since the epoch (as SDMetrics)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.to_numpy(dtype="datetime64[ns]")
        out = values.view(np.int64).astype(np.float64)
        out[np.isnat(values)] = np.nan
        return out
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _correlations(prepared: dict[str, _PairColumn]) -> dict[tuple[str, str], tuple[float, float]]:
    """Real and synthetic Pearson ρ of every continuous pair (NaN where SDMetrics fails)."""
    columns = [c for c, p in prepared.items() if p.kind in _CONTINUOUS]
    out: dict[tuple[str, str], tuple[float, float]] = {}
    matrices = [_dense_corr([prepared[c].values_real for c in columns]),
                _dense_corr([prepared[c].values_synth for c in columns])]
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


def _dense_corr(columns: list[np.ndarray]) -> np.ndarray:
    """Pearson matrix over the null-free, finite columns in one product; NaN elsewhere."""
    k = len(columns)
    out = np.full((k, k), np.nan)
    dense = [i for i, v in enumerate(columns) if np.isfinite(v).all() and v.size >= 2]
    if len(dense) < 2:
        return out
    block = np.column_stack([columns[i] for i in dense])
    block = block - block.mean(axis=0)
    norms = np.sqrt((block * block).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.clip((block.T @ block) / np.outer(norms, norms), -1.0, 1.0)
    corr[:, norms == 0] = np.nan
    corr[norms == 0, :] = np.nan
    out[np.ix_(dense, dense)] = corr
    return out


def _contingency_pair(a: _PairColumn, b: _PairColumn) -> tuple[float, float]:
    """ContingencySimilarity of two prepared columns and the real table's Cramér's V."""
    if a.codes_real is None or b.codes_real is None:
        return math.nan, math.nan
    cells_real = a.codes_real * b.size + b.codes_real
    cells_synth = a.codes_synth * b.size + b.codes_synth
    counts_real, counts_synth = _cell_counts(cells_real, cells_synth, a.size * b.size)
    score = 1.0 - 0.5 * np.abs(counts_real / len(cells_real)
                               - counts_synth / len(cells_synth)).sum()
    association = math.nan
    if a.size * b.size <= 1_000_000:
        association = cramers_v(_real_table(cells_real, a.size, b.size))
    return float(score), association


def _real_table(cells: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return np.bincount(cells, minlength=rows * cols).reshape(rows, cols)


def _cell_counts(real: np.ndarray, synth: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts per cell of two code arrays, aligned; sparse (np.unique) when cells are many."""
    if size <= 4 * (len(real) + len(synth)) + 1024:
        return (np.bincount(real, minlength=size).astype(np.float64),
                np.bincount(synth, minlength=size).astype(np.float64))
    _, inverse = np.unique(np.concatenate([real, synth]), return_inverse=True)
    cells = int(inverse.max()) + 1
    return (np.bincount(inverse[: len(real)], minlength=cells).astype(np.float64),
            np.bincount(inverse[len(real):], minlength=cells).astype(np.float64))


def _thresholded_mean(pairs: list[dict[str, Any]], real_correlation_threshold: float,
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
    return _nanmean(kept)


# --------------------------------------------------------------------------------------------
# Binned accuracy (MOSTLY AI QA style)
# --------------------------------------------------------------------------------------------

@dataclass
class _Binned:
    """A column as bin codes shared by the real and synthetic table (real-data bins)."""

    real: np.ndarray
    synth: np.ndarray
    size: int


def binned_codes(data: EvalData, bins: int = 10) -> dict[str, _Binned]:
    """Bin every column on the real data's terms, the same bins for both tables.

    Numerical and datetime columns: right-closed intervals between the distinct real
    ``bins``-quantiles (the real minimum a bin of its own, values above the real maximum one
    more); categorical and boolean columns: the ``bins`` most frequent real values and
    ``(other)``. Nulls always form a bin of their own.
    """
    out = {}
    for column, kind in data.kinds.items():
        real, synth = data.real[column], data.synth[column]
        if kind in _CONTINUOUS:
            r, s = _ns_float(real), _ns_float(synth)
            present = r[~np.isnan(r)]
            edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)))
            null_code = len(edges) + 1
            codes = [np.where(np.isnan(v), null_code, np.searchsorted(edges, v, side="left"))
                     for v in (r, s)]
            out[column] = _Binned(codes[0], codes[1], null_code + 1)
        else:
            codes, uniques = pd.factorize(pd.concat([real, synth], ignore_index=True))
            counts = np.bincount(codes[: len(real)][codes[: len(real)] >= 0],
                                 minlength=len(uniques))
            order = np.argsort(-counts, kind="stable")
            top = order[: bins][counts[order[: bins]] > 0]
            lookup = np.full(len(uniques) + 1, len(top), dtype=np.int64)  # (other)
            lookup[top] = np.arange(len(top))
            lookup[-1] = len(top) + 1                                        # null: code -1
            mapped = lookup[codes]
            out[column] = _Binned(mapped[: len(real)], mapped[len(real):], len(top) + 2)
    return out


def _binned_accuracy_of(columns: list[_Binned]) -> float:
    """1 − TVD of the joint distribution of binned columns in the two tables."""
    cells_real, cells_synth = columns[0].real, columns[0].synth
    for column in columns[1:]:
        cells_real = cells_real * column.size + column.real
        cells_synth = cells_synth * column.size + column.synth
    return contingency_similarity(cells_real, cells_synth, math.prod(c.size for c in columns))


def binned_accuracy(data: EvalData, rng: np.random.Generator,
                    max_triples: int = 100) -> list[Metric]:
    """Univariate, bivariate and trivariate accuracy in the manner of MOSTLY AI's QA report.

    Each column is binned on the real data's terms (:func:`binned_codes`: 10 quantile bins or
    the 10 most frequent categories plus ``(other)``, nulls apart); accuracy is
    1 − total variation distance between the real and synthetic distributions of one column,
    of every pair of columns, and of up to ``max_triples`` triples drawn with ``rng``; each
    figure is the mean over its columns, pairs or triples.
    Reference: MOSTLY AI, ``mostlyai-qa`` accuracy (https://github.com/mostly-ai/mostlyai-qa).
    """
    binned = binned_codes(data)
    columns = list(binned)
    uni = [{"column": c, "score": _binned_accuracy_of([binned[c]])} for c in columns]
    bi = [{"columns": [a, b], "score": _binned_accuracy_of([binned[a], binned[b]])}
          for a, b in itertools.combinations(columns, 2)]
    triples = _sample_triples(len(columns), max_triples, rng)
    tri = [{"columns": [columns[i] for i in t],
            "score": _binned_accuracy_of([binned[columns[i]] for i in t])} for t in triples]
    total_triples = math.comb(len(columns), 3)
    note = (f"{len(tri)} of {total_triples} triples, drawn at random"
            if len(tri) < total_triples else "")
    shared = ("numbers and datetimes in 10 real-quantile bins, categories as the 10 most "
              "frequent real values plus (other), nulls a bin of their own")
    return [
        Metric("univariate accuracy", "fidelity", _nanmean([r["score"] for r in uni]),
               definition=("Mean over columns of 1 − total variation distance between the real "
                           f"and synthetic binned distribution ({shared})."),
               direction="higher", ideal=1.0, details={"columns": uni}),
        Metric("bivariate accuracy", "fidelity", _nanmean([r["score"] for r in bi]),
               definition=("Mean over column pairs of 1 − total variation distance between the "
                           f"real and synthetic binned 2-D distribution ({shared})."),
               direction="higher", ideal=1.0, details={"pairs": bi}),
        Metric("trivariate accuracy", "fidelity", _nanmean([r["score"] for r in tri]),
               definition=("Mean over column triples of 1 − total variation distance between "
                           f"the real and synthetic binned 3-D distribution ({shared})."),
               direction="higher", ideal=1.0, note=note, details={"triples": tri}),
    ]


def _sample_triples(n_columns: int, max_triples: int,
                    rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """All triples of column indices if at most ``max_triples``, else a random distinct sample."""
    total = math.comb(n_columns, 3)
    if total <= max_triples:
        return list(itertools.combinations(range(n_columns), 3))
    if total <= 1_000_000:
        every = list(itertools.combinations(range(n_columns), 3))
        chosen = rng.choice(total, size=max_triples, replace=False)
        return [every[i] for i in np.sort(chosen)]
    found: set[tuple[int, int, int]] = set()
    while len(found) < max_triples:
        a, b, c = sorted(int(i) for i in rng.choice(n_columns, size=3, replace=False))
        found.add((a, b, c))
    return sorted(found)


# --------------------------------------------------------------------------------------------
# Coverage and missing values
# --------------------------------------------------------------------------------------------

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
    ranges = [{"column": c, "score": range_coverage(_ns_float(data.real[c]),
                                                    _ns_float(data.synth[c]))}
              for c in data.continuous]
    return [
        Metric("category coverage", "fidelity", _nanmean([r["score"] for r in cats]),
               definition=("Mean over categorical and boolean columns of the share of real "
                           "categories (nulls aside) that occur in the synthetic data."),
               direction="higher", ideal=1.0, details={"columns": cats}),
        Metric("range coverage", "fidelity", _nanmean([r["score"] for r in ranges]),
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
        "missing-share similarity", "fidelity", _nanmean([r["score"] for r in rows]),
        definition=("1 − mean over columns of the absolute difference between the share of "
                    "null values in the real and in the synthetic column."),
        direction="higher", ideal=1.0, details={"columns": rows},
    )


# --------------------------------------------------------------------------------------------
# alpha-precision and beta-recall (Alaa et al., 2022)
# --------------------------------------------------------------------------------------------

def alpha_precision_beta_recall(data: EvalData, featurizer: Featurizer, rng: np.random.Generator,
                                max_rows: int = 10_000) -> list[Metric]:
    """α-precision and β-recall, the "naive" (no one-class embedding) form of synthcity.

    Rows are the featurizer's distance vectors, ``n = min(len(real), len(synthetic),
    max_rows)`` of each table drawn with ``rng`` (the method needs equal counts). For α on a
    grid of 30 levels in [0, 1]:

    1. the α-support of the real data is the ball around the real mean holding a share α of
       the real rows; ``P(α)`` is the share of synthetic rows inside it;
    2. ``R(β)`` is the share of real rows whose nearest synthetic row is closer than their
       nearest other real row *and* lies in the β-support of the synthetic data (ball around
       the synthetic mean holding a share β of those nearest synthetic rows);
    3. α-precision = 1 − 2 ∫ |P(α) − α| dα, β-recall = 1 − 2 ∫ |R(β) − β| dβ (Riemann sums),
       clipped to [0, 1]; both are 1 when the synthetic rows follow the real distribution.

    ``details`` hold both curves.
    Reference: A. Alaa, B. van Breugel, E. Saveliev, M. van der Schaar, "How Faithful is your
    Synthetic Data? Sample-level Metrics for Evaluating and Auditing Generative Models",
    ICML 2022; ``synthcity.metrics.eval_statistical.AlphaPrecision``.
    """
    n = min(len(data.real), len(data.synth), max_rows)
    real = featurizer.distance(_subsample(data.real, n, rng)).astype(np.float64)
    synth = featurizer.distance(_subsample(data.synth, n, rng)).astype(np.float64)
    alphas = np.linspace(0.0, 1.0, 30)
    step = alphas[1] - alphas[0]

    # 1. alpha-precision: synthetic rows inside real quantile balls around the real mean.
    center_real = real.mean(axis=0)
    radii = np.quantile(np.linalg.norm(real - center_real, axis=1), alphas)
    synth_to_center = np.linalg.norm(synth - center_real, axis=1)
    precision_curve = (synth_to_center[None, :] <= radii[:, None]).mean(axis=1)

    # 2. beta-recall: real rows well covered by a typical synthetic row.
    real_to_real = NearestNeighbors(n_neighbors=2).fit(real).kneighbors(real)[0][:, 1]
    real_to_synth, nearest = NearestNeighbors(n_neighbors=1).fit(synth).kneighbors(real)
    real_to_synth, nearest = real_to_synth[:, 0], nearest[:, 0]
    closest_to_center = np.linalg.norm(synth[nearest] - synth.mean(axis=0), axis=1)
    synth_radii = np.quantile(closest_to_center, alphas)
    covered = real_to_synth <= real_to_real
    recall_curve = (covered[None, :] & (closest_to_center[None, :] <= synth_radii[:, None])
                    ).mean(axis=1)

    # 3. integrated deviations from the diagonal.
    precision = float(np.clip(1 - 2 * np.abs(alphas - precision_curve).sum() * step, 0, 1))
    recall = float(np.clip(1 - 2 * np.abs(alphas - recall_curve).sum() * step, 0, 1))
    details = {"alphas": alphas, "precision_curve": precision_curve,
               "recall_curve": recall_curve, "rows": n}
    note = f"{n:,} rows of each table" if n < max(len(data.real), len(data.synth)) else ""
    return [
        Metric("alpha precision", "fidelity", precision,
               definition=("1 − 2∫|P(α) − α|dα, P(α) the share of synthetic rows inside the "
                           "smallest ball around the real mean that holds a share α of real "
                           "rows (Alaa et al. 2022, naive form)."),
               direction="higher", ideal=1.0, note=note, details=details),
        Metric("beta recall", "fidelity", recall,
               definition=("1 − 2∫|R(β) − β|dβ, R(β) the share of real rows whose nearest "
                           "synthetic row is nearer than their nearest real row and inside the "
                           "synthetic β-support (Alaa et al. 2022, naive form)."),
               direction="higher", ideal=1.0, note=note, details=details),
    ]


def _subsample(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    if n >= len(frame):
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size=n, replace=False))]


# --------------------------------------------------------------------------------------------
# Association matrices for the report
# --------------------------------------------------------------------------------------------

def association_matrices(data: EvalData) -> dict[str, Any]:
    """Pairwise association in each table, for the report's heatmaps.

    Entries are |Pearson ρ| (pairwise-complete rows) for two numerical/datetime columns and
    bias-corrected Cramér's V (Bergsma 2013) of the binned columns (:func:`binned_codes`)
    otherwise; the diagonal is 1 and undefined entries are NaN.
    Returns ``{"columns": [...], "real": [[...]], "synthetic": [[...]]}``.
    """
    columns = list(data.kinds)
    binned = binned_codes(data)
    k = len(columns)
    real, synth = np.eye(k), np.eye(k)
    continuous = data.continuous
    values = {c: (_ns_float(data.real[c]), _ns_float(data.synth[c])) for c in continuous}
    dense = [_dense_corr([values[c][side] for c in continuous]) for side in (0, 1)]
    position = {c: i for i, c in enumerate(continuous)}
    for i, j in itertools.combinations(range(k), 2):
        a, b = columns[i], columns[j]
        if a in values and b in values:
            pair = tuple(
                abs(float(rho)) if not np.isnan(rho := dense[side][position[a], position[b]])
                else abs(pearson(values[a][side], values[b][side])) for side in (0, 1))
        else:
            ba, bb = binned[a], binned[b]
            pair = tuple(
                cramers_v(_real_table(ca * bb.size + cb, ba.size, bb.size),
                          bias_correction=True)
                for ca, cb in ((ba.real, bb.real), (ba.synth, bb.synth)))
        real[i, j] = real[j, i] = pair[0]
        synth[i, j] = synth[j, i] = pair[1]
    return {"columns": columns, "real": real.tolist(), "synthetic": synth.tolist()}


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan
