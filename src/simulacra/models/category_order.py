"""Ordering categories so that a Gaussian copula can see their associations.

A Gaussian copula couples columns through the correlation of normal scores, which only
captures *monotone* dependence. For a categorical column the scores follow the order given to
its codes; by frequency, that order is arbitrary, and a perfect one-to-one relation (Adult's
``education`` and ``education-num``) looks like noise. Ordering the categories along the
direction in which they differ most — the first principal axis of their mean normal scores on
all other columns (correspondence-analysis style; Greenacre, *Correspondence Analysis in
Practice*, 2017) — turns the strongest association of each column into a monotone one.

>>> import numpy as np
>>> z_other = np.array([[2.0], [2.1], [-1.0], [-1.1], [0.1], [0.0]])
>>> codes = np.array([0, 0, 1, 1, 2, 2])
>>> association_order(codes, 3, z_other).tolist()   # code 2 moves between codes 0 and 1
[0, 2, 1]
"""

from __future__ import annotations

import numpy as np


def association_order(codes: np.ndarray, cardinality: int, z_other: np.ndarray) -> np.ndarray:
    """Rank of each code along the first principal axis of the per-category mean scores.

    ``codes``: (n,) ints in [0, cardinality); ``z_other``: (n, d) normal scores of the other
    columns. Returns ``rank`` with ``rank[code]`` the code's new position; codes that never
    occur keep the end of the order.
    """
    counts = np.bincount(codes, minlength=cardinality).astype(np.float64)
    if z_other.shape[1] == 0 or np.count_nonzero(counts) < 3:
        return np.arange(cardinality)
    sums = np.zeros((cardinality, z_other.shape[1]))
    np.add.at(sums, codes, z_other)
    present = counts > 0
    means = sums[present] / counts[present, None]
    weights = counts[present] / counts.sum()
    centred = means - weights @ means
    # first right singular vector of the frequency-weighted category means
    _, _, vt = np.linalg.svd(np.sqrt(weights)[:, None] * centred, full_matrices=False)
    score = np.full(cardinality, np.inf)
    score[present] = centred @ vt[0]
    first = int(np.argmax(present))
    if score[first] > 0:  # a deterministic sign: the first present code sits at the low end
        score[present] = -score[present]
    order = np.argsort(score, kind="stable")  # codes in their new order
    rank = np.empty(cardinality, dtype=np.int64)
    rank[order] = np.arange(cardinality)
    return rank
