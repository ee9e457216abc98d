"""The statistics the fidelity figures are made of: KS, Pearson, Cramér's V, binning, cell counts.

Plain functions of arrays, no tables: each figure module combines them.

>>> ks_statistic(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
0.5
"""

from __future__ import annotations

import math

import numpy as np


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
    counts_real, counts_synth = cell_counts(codes_real, codes_synth, size)
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


def dense_corr(columns: list[np.ndarray]) -> np.ndarray:
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


def real_table(cells: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Counts of ``cells`` (row code × ``cols`` + column code) as a rows × cols table."""
    return np.bincount(cells, minlength=rows * cols).reshape(rows, cols)


def cell_counts(real: np.ndarray, synth: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts per cell of two code arrays, aligned; sparse (np.unique) when cells are many."""
    if size <= 4 * (len(real) + len(synth)) + 1024:
        return (np.bincount(real, minlength=size).astype(np.float64),
                np.bincount(synth, minlength=size).astype(np.float64))
    _, inverse = np.unique(np.concatenate([real, synth]), return_inverse=True)
    cells = int(inverse.max()) + 1
    return (np.bincount(inverse[: len(real)], minlength=cells).astype(np.float64),
            np.bincount(inverse[len(real):], minlength=cells).astype(np.float64))


def nanmean(values: list[float]) -> float:
    """Mean of the finite values (None and NaN left out); NaN when none is left."""
    finite = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan
