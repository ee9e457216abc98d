"""Pairwise-dependence drift: did the associations between columns change?

Per side, every pair of columns gets one association measure:

* two continuous columns — Spearman's correlation (Pearson's of the pooled ranks);
* a categorical and a continuous column — the correlation ratio η of the ranks on the
  categories;
* two categorical columns — Cramér's V.

A column enters through the pooled rows, once (:func:`design`): a continuous column as its
pooled rank scaled to [−½, ½] (nulls at 0, the middle), a categorical column as its level
among its :data:`MAX_LEVELS` − 1 most frequent labels and "all the others". Every measure of
a side is a function of a few sums over that side's rows — its row count, each score's sum
and sum of squares, the count of each level, each pair's sum of products, sums of scores per
level, joint counts of levels — so the design is a sparse matrix (one row per sum, one
column per pooled row) and one sparse product with the labels gives every sum under many
relabellings at once (:func:`associations` reads the measures off them).

Each pair's change (reference − current) is standardised by its mean and standard deviation
over the relabellings (the observed one included), and the test's score is the Bonferroni
bound ``min(1, pairs · 2 Φ(−max |z|))``; permutation calibration makes it exact
(:mod:`simulacra.drift.calibration`). On large tables the test reads a random subset of the
pooled rows, drawn before any label is looked at (so the test stays exact), small enough that
the design has at most :data:`WORK_BUDGET` entries.

>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=400)
>>> features = {"x": ("continuous", x), "y": ("continuous", x + rng.normal(size=400))}
>>> d = design(features, rows=np.arange(400))
>>> labels = (np.arange(400) < 200).astype(np.float64)[:, None]  # first half: reference
>>> ref, cur = associations(d, (d.sums @ labels).T)
>>> round(float(ref[0, 0]), 2), round(float(cur[0, 0]), 2)
(0.71, 0.73)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, special

#: A categorical column enters with at most this many levels (the rarest labels pooled).
MAX_LEVELS = 6
#: The design holds at most this many entries (rows read × sums per row) ...
WORK_BUDGET = 2_000_000
#: ... but reads at least this many rows (or all of them).
MIN_ROWS = 2_000


@dataclass(frozen=True)
class Design:
    """The sums the dependence test needs, as a sparse ``(sums, pooled rows)`` matrix.

    ``sums @ labels`` (labels: ``(pooled rows, B)``, 1 for a reference row) gives every sum
    on the reference side under each labelling. Row 0 counts the rows read; ``first`` and
    ``second`` index each continuous column's sum and sum of squares, ``levels`` each
    categorical column's level counts, ``pair_sums`` each pair's sums (one for two continuous
    columns, one per level for a categorical and a continuous one, one per pair of levels for
    two categorical ones).
    """

    names: tuple[str, ...]
    continuous: tuple[bool, ...]
    sizes: tuple[int, ...]
    sums: sparse.csr_matrix
    rows: np.ndarray
    pairs: tuple[tuple[int, int], ...]
    measures: tuple[str, ...]
    first: dict[int, int]
    second: dict[int, int]
    levels: dict[int, slice]
    pair_sums: tuple[slice, ...]


def rows_to_read(n_rows: int, n_columns: int, rng: np.random.Generator) -> np.ndarray:
    """Pooled row positions the test reads (sorted): all, or a random subset within budget."""
    per_row = 1 + 2 * n_columns + n_columns * (n_columns - 1) // 2
    keep = min(n_rows, max(MIN_ROWS, WORK_BUDGET // per_row))
    if keep >= n_rows:
        return np.arange(n_rows)
    return np.sort(rng.choice(n_rows, size=keep, replace=False))


def design(columns: dict[str, tuple[str, np.ndarray]], rows: np.ndarray, n_pooled: int | None
           = None) -> Design:
    """The design of ``columns`` (name → ("continuous" or "discrete", pooled floats or
    labels)) over the pooled ``rows``; columns with a single value are left out.
    ``n_pooled`` (default: the largest row read + 1) is the width of the sparse matrix."""
    names: list[str] = []
    continuous: list[bool] = []
    sizes: list[int] = []
    values: list[np.ndarray] = []  # scores (continuous) or level codes (categorical)
    for name, (kind, pooled) in columns.items():
        found = _rank_scores(pooled[rows]) if kind == "continuous" else _levels(pooled[rows])
        if found is None:
            continue
        names.append(name)
        continuous.append(kind == "continuous")
        sizes.append(1 if kind == "continuous" else int(found.max()) + 1)
        values.append(found)
    entries: list[tuple[np.ndarray, np.ndarray]] = []  # (sum index per row, value per row)
    ones = np.ones(len(rows))
    width = 0

    def add(index: np.ndarray | int, value: np.ndarray, count: int) -> int:
        nonlocal width
        start = width
        entries.append((np.broadcast_to(start + np.asarray(index), ones.shape), value))
        width += count
        return start

    add(0, ones, 1)
    first, second, levels = {}, {}, {}
    for i, v in enumerate(values):
        if continuous[i]:
            first[i] = add(0, v, 1)
            second[i] = add(0, v * v, 1)
        else:
            start = add(v, ones, sizes[i])
            levels[i] = slice(start, start + sizes[i])
    pairs, measures, pair_sums = [], [], []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = (j, i) if continuous[i] and not continuous[j] else (i, j)
            if continuous[a] and continuous[b]:
                start, count, measure = add(0, values[a] * values[b], 1), 1, "spearman"
            elif continuous[b]:  # a categorical, b continuous: sums of b per level of a
                count, measure = sizes[a], "correlation_ratio"
                start = add(values[a], values[b], count)
            else:
                count, measure = sizes[a] * sizes[b], "cramers_v"
                start = add(values[a] * sizes[b] + values[b], ones, count)
            pairs.append((a, b))
            measures.append(measure)
            pair_sums.append(slice(start, start + count))
    sum_index = np.concatenate([e[0] for e in entries])
    data = np.concatenate([e[1] for e in entries])
    row_index = np.tile(rows, len(entries))
    n_pooled = int(rows.max()) + 1 if n_pooled is None else n_pooled
    sums = sparse.csr_matrix((data, (sum_index, row_index)), shape=(width, n_pooled))
    return Design(tuple(names), tuple(continuous), tuple(sizes), sums, rows, tuple(pairs),
                  tuple(measures), first, second, levels, tuple(pair_sums))


def _rank_scores(values: np.ndarray) -> np.ndarray | None:
    present = ~np.isnan(values)
    if np.unique(values[present]).size < 2:
        return None
    ranks = pd.Series(values[present]).rank(method="average").to_numpy()
    out = np.zeros(len(values))
    out[present] = (ranks - 0.5) / present.sum() - 0.5
    return out


def _levels(labels: np.ndarray) -> np.ndarray | None:
    counts = pd.Series(labels).value_counts(sort=True)
    if len(counts) < 2:
        return None
    top = counts.index[: MAX_LEVELS - 1] if len(counts) > MAX_LEVELS else counts.index
    codes = pd.Index(top).get_indexer(labels)
    return np.where(codes < 0, len(top), codes)


def associations(d: Design, ref_sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(B, pairs)`` association of every pair on the reference and on the current side,
    from the reference side's sums under each labelling (``(B, sums)``)."""
    total = np.asarray(d.sums.sum(axis=1)).ravel()
    return _measures(d, ref_sums), _measures(d, total[None, :] - ref_sums)


def _measures(d: Design, s: np.ndarray) -> np.ndarray:
    n = s[:, 0]
    out = np.empty((s.shape[0], len(d.pairs)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, ((a, b), sums) in enumerate(zip(d.pairs, d.pair_sums, strict=True)):
            if d.continuous[a]:
                out[:, k] = _pearson(s, n, d, a, b, s[:, sums][:, 0])
            elif d.continuous[b]:
                out[:, k] = _correlation_ratio(s, n, d, a, b, s[:, sums])
            else:
                table = s[:, sums].reshape(-1, d.sizes[a], d.sizes[b])
                out[:, k] = _cramers_v(table, n, min(d.sizes[a], d.sizes[b]))
    return np.nan_to_num(out, nan=0.0)


def _moments(s: np.ndarray, n: np.ndarray, d: Design, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and n × variance of continuous column ``i``."""
    mean = s[:, d.first[i]] / n
    return mean, s[:, d.second[i]] - n * mean**2


def _pearson(s: np.ndarray, n: np.ndarray, d: Design, a: int, b: int, products: np.ndarray
             ) -> np.ndarray:
    (ma, va), (mb, vb) = _moments(s, n, d, a), _moments(s, n, d, b)
    return (products - n * ma * mb) / np.sqrt(va * vb)


def _correlation_ratio(s: np.ndarray, n: np.ndarray, d: Design, a: int, b: int,
                       level_sums: np.ndarray) -> np.ndarray:
    counts = s[:, d.levels[a]]
    mean, spread = _moments(s, n, d, b)
    between = np.where(counts > 0, level_sums**2 / counts, 0.0).sum(axis=1) - n * mean**2
    return np.sqrt(np.clip(between / spread, 0.0, 1.0))


def _cramers_v(table: np.ndarray, n: np.ndarray, smaller: int) -> np.ndarray:
    expected = table.sum(axis=2)[:, :, None] * table.sum(axis=1)[:, None, :] / n[:, None, None]
    chi2 = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0).sum(axis=(1, 2))
    return np.sqrt(chi2 / n / (smaller - 1))


def pair_scores(changes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised changes ``z`` (``(B, pairs)``) and each labelling's score (``(B,)``): the
    Bonferroni bound of its largest ``|z|``."""
    centred = changes - changes.mean(axis=0)
    spread = changes.std(axis=0)
    z = np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)
    largest = np.abs(z).max(axis=1, initial=0.0)
    pairs = max(changes.shape[1], 1)
    return z, np.minimum(1.0, pairs * 2 * special.ndtr(-largest))
