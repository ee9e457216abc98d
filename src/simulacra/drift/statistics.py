"""Per-column two-sample statistics, computed from counts per cell for many relabellings at once.

Each function takes ``ref``, the reference side's counts per cell with one row per relabelling
of the pooled rows (shape ``(B, K)``), and ``total``, the pooled counts per cell (``(K,)``); the
current side's counts are ``total - ref``. Each returns the statistic and its textbook
(asymptotic) p-value per row. Those p-values only *rank* relabellings:
:mod:`simulacra.drift.calibration` turns them into valid p-values by permutation, so they
may be off (ties, small counts) without making a test wrong.

>>> ref = np.array([[5.0, 5.0, 0.0], [3.0, 4.0, 3.0]])
>>> total = np.array([7.0, 9.0, 4.0])
>>> d, p = ks_from_counts(ref, total)
>>> d.round(3).tolist()
[0.4, 0.2]
>>> stat, p = chi_square_from_counts(ref, total)
>>> stat.round(3).tolist()
[5.397, 1.254]
"""

from __future__ import annotations

import numpy as np
from scipy import special


def ks_from_counts(ref: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sample Kolmogorov–Smirnov statistic over ordered cells, and Smirnov's asymptotic p.

    The statistic is the largest gap between the two sides' empirical CDFs, taken at the cell
    boundaries (with one cell per distinct value: the usual KS statistic, ties included). The
    p-value is the limit law's, ``P(K > sqrt(n1 n2 / (n1 + n2)) D)``; it is conservative when
    values are tied, which the permutation calibration corrects. A side with no value gives
    ``D = 0, p = 1``.
    """
    cur = total[None, :] - ref
    n1, n2 = ref.sum(axis=1), cur.sum(axis=1)
    ok = (n1 > 0) & (n2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.cumsum(ref, axis=1) / n1[:, None] - np.cumsum(cur, axis=1) / n2[:, None]
        d = np.where(ok, np.abs(gap).max(axis=1, initial=0.0), 0.0)
        scale = np.sqrt(np.where(ok, n1 * n2 / (n1 + n2), 0.0))
    return d, special.kolmogorov(scale * d)


def chi_square_from_counts(ref: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's chi-square statistic of homogeneity of the 2 × K table, and its chi²(K − 1) p.

    Cells with no pooled count are left out; a side with no row gives ``0, 1``.
    """
    keep = total > 0
    ref, total = ref[:, keep], total[keep]
    n = total.sum()
    n1 = ref.sum(axis=1)
    n2 = n - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = ref - total[None, :] * (n1 / n)[:, None]
        stat = (deviation**2 / total[None, :]).sum(axis=1) * n**2 / (n1 * n2)
    stat = np.where((n1 > 0) & (n2 > 0), stat, 0.0)
    df = max(int(keep.sum()) - 1, 1)
    return stat, special.chdtrc(df, stat)


def missing_share_from_counts(ref: np.ndarray, total: np.ndarray, null_cell: int
                              ) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square test (1 degree of freedom) of the share of nulls: cell ``null_cell`` against
    every other cell.

    >>> ref = np.array([[8.0, 2.0], [6.0, 4.0]])
    >>> stat, p = missing_share_from_counts(ref, np.array([13.0, 7.0]), 1)
    >>> stat.round(3).tolist()
    [1.978, 0.22]
    """
    null = ref[:, null_cell]
    two = np.column_stack([ref.sum(axis=1) - null, null])
    return chi_square_from_counts(two, np.array([total.sum() - total[null_cell],
                                                 total[null_cell]]))
