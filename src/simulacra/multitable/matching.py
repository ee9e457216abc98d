"""Which parent row fits a generated child row: nearest profiles, each parent's capacity kept.

A child table is generated with its parents' columns beside its own (its *context*). Each
generated row then needs a real parent among the synthetic parent rows: the one whose profile
(its columns, and its own parents') is nearest to the context the row was generated with, and
that still has room — each parent takes exactly as many children as its own model gave it.

Distances are measured on features every column contributes to equally: numbers and dates by
their quantile among the parents (so scale and skew do not matter), categories as indicators,
nulls as their own indicator. Rows propose to their nearest parents in rounds; a parent accepts
the closest proposals up to its remaining capacity (a greedy capacitated assignment).

>>> import pandas as pd
>>> wanted = pd.DataFrame({"x": [0.1, 5.2, 4.9, 0.0]})
>>> parents = pd.DataFrame({"x": [0.0, 5.0]})
>>> match_rows(wanted, parents, np.array([2, 2]), np.random.default_rng(0)).tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Neighbours asked for per row and round; more rounds follow while capacity remains.
NEIGHBOURS = 8
ROUNDS = 6
#: Rounds of drawing children to take away in proportion to the parents' counts (see
#: :func:`adjust`) before the rest goes in proportion to what each parent can give.
ADJUST_ROUNDS = 8
#: Most categories of one column given an indicator each (the rest share one).
MAX_CATEGORIES = 30
#: Most feature dimensions; beyond this the features are projected on their main axes, which
#: keeps the nearest-neighbour search a fast k-d tree search.
MAX_DIMENSIONS = 12


def features(wanted: pd.DataFrame, candidates: pd.DataFrame,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Both frames (same columns) as float features on one scale; columns all-null on the
    candidates' side are left out (nothing to match on)."""
    left, right = [], []
    for column in candidates.columns:
        cand, want = candidates[column], wanted[column]
        if cand.isna().all():
            continue
        for a, b in _column_features(want, cand):
            left.append(a)
            right.append(b)
    if not left:
        return np.zeros((len(wanted), 1)), np.zeros((len(candidates), 1))
    x_wanted = np.column_stack(left).astype(np.float64)
    x_cand = np.column_stack(right).astype(np.float64)
    if x_cand.shape[1] > MAX_DIMENSIONS:  # the main axes of the candidates (PCA), for a k-d tree
        centre = x_cand.mean(axis=0)
        centred = x_cand - centre
        _, axes = np.linalg.eigh(centred.T @ centred)  # ascending: the last are the main ones
        projection = axes[:, ::-1][:, :MAX_DIMENSIONS]
        x_wanted, x_cand = (x_wanted - centre) @ projection, (x_cand - centre) @ projection
    return x_wanted, x_cand


def _column_features(want: pd.Series, cand: pd.Series) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    want_null, cand_null = want.isna().to_numpy(), cand.isna().to_numpy()
    if cand_null.any() or want_null.any():
        out.append((want_null * 1.0, cand_null * 1.0))
    numbers = _as_numbers(cand)
    if numbers is not None:
        ref = np.sort(numbers[~np.isnan(numbers)])
        scale = np.sqrt(12.0)  # a uniform quantile then has unit variance

        def quantile(values: np.ndarray) -> np.ndarray:
            q = (np.searchsorted(ref, values, side="left")
                 + np.searchsorted(ref, values, side="right")) / (2.0 * max(len(ref), 1))
            return np.where(np.isnan(values), 0.5, q) * scale

        wanted_numbers = _as_numbers(want)
        if wanted_numbers is None:
            wanted_numbers = np.full(len(want), np.nan)
        out.append((quantile(wanted_numbers), quantile(numbers)))
        return out
    cand_text, want_text = cand.astype(str), want.astype(str)
    top = cand_text[~cand_null].value_counts().index[:MAX_CATEGORIES]
    weight = 1.0 / np.sqrt(2.0)  # two indicators differ on a mismatch: distance 1
    for category in top:
        out.append(((want_text == category).to_numpy() * weight,
                    (cand_text == category).to_numpy() * weight))
    return out


def _as_numbers(series: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(series.dtype):
        return None
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.astype("int64").to_numpy(dtype=np.float64)
        return np.where(series.isna().to_numpy(), np.nan, values)
    return None


def match_rows(wanted: pd.DataFrame, candidates: pd.DataFrame, capacity: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """For each row of ``wanted``, the position of a row of ``candidates``.

    Candidate ``i`` is chosen at most ``capacity[i]`` times while any capacity remains; rows
    left when every capacity is used go to the nearest candidate regardless.
    """
    from sklearn.neighbors import NearestNeighbors  # scikit-learn loads on first use

    n, m = len(wanted), len(candidates)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    if m == 0:
        raise ValueError("no candidate rows to match to")
    x_want, x_cand = features(wanted, candidates, rng)
    available = np.asarray(capacity, dtype=np.int64).copy()
    if not np.ptp(x_cand, axis=0).any() and not np.ptp(x_want, axis=0).any():
        # nothing tells the rows apart: capacity slots in a random order
        slots = np.repeat(np.arange(m), available)
        rng.shuffle(slots)
        take = min(n, slots.size)
        out[:take] = slots[:take]
        if take < n:
            out[take:] = rng.integers(0, m, size=n - take)
        return out
    # Break ties at random on both sides: candidates at one point (every drawn child of one
    # category) would otherwise come back as the same few neighbours for every wanted row,
    # which could then place only ROUNDS * NEIGHBOURS of them and leave the rest to chance.
    x_want = x_want + rng.normal(scale=1e-6, size=x_want.shape)
    x_cand = x_cand + rng.normal(scale=1e-6, size=x_cand.shape)
    for _ in range(ROUNDS):
        todo = np.flatnonzero(out < 0)
        open_ = np.flatnonzero(available > 0)
        if todo.size == 0 or open_.size == 0:
            break
        k = min(NEIGHBOURS, open_.size)
        index = NearestNeighbors(n_neighbors=k, algorithm="kd_tree").fit(x_cand[open_])
        dist, near = index.kneighbors(x_want[todo])
        for rank in range(k):
            pending = out[todo] < 0
            if not pending.any():
                break
            rows, parents = todo[pending], open_[near[pending, rank]]
            order = np.lexsort((dist[pending, rank], parents))
            rows, parents = rows[order], parents[order]
            # the first `available[p]` proposals to each parent (closest first) are accepted
            starts = np.r_[0, np.flatnonzero(np.diff(parents)) + 1]
            position = np.arange(len(parents)) - np.repeat(starts, np.diff(np.r_[starts,
                                                                                 len(parents)]))
            accept = position < available[parents]
            out[rows[accept]] = parents[accept]
            np.subtract.at(available, parents[accept], 1)
    left = np.flatnonzero(out < 0)
    if left.size:
        open_ = np.flatnonzero(available > 0)
        pool = open_ if open_.size else np.arange(m)
        # whatever capacity is left, taken in a random order; past it, the nearest parent
        if open_.size:
            slots = np.repeat(open_, available[open_])
            rng.shuffle(slots)
            take = min(left.size, slots.size)
            out[left[:take]] = slots[:take]
            left = left[take:]
        if left.size:
            index = NearestNeighbors(n_neighbors=1, algorithm="kd_tree").fit(x_cand[pool])
            out[left] = pool[index.kneighbors(x_want[left])[1][:, 0]]
    return out


def adjust(total: int, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integers summing to ``total`` that change ``counts`` as little as possible.

    Parents' child counts rescaled to the rows there are: when fewer are needed, one child at a
    time is taken from a parent chosen with probability proportional to its count, never
    taking a parent below 1 while another has more than 1 to give (a parent goes to 0 only
    when ``total`` is below the number of parents with children); when more are needed, one is
    added at a time to a parent chosen in proportion to its count. A parent with no child keeps
    none, unless every count is 0: then ``total`` is spread evenly. The change is always
    exactly ``|total - sum(counts)|`` children.

    >>> rng = np.random.default_rng(0)
    >>> adjust(6, np.array([1, 1, 1, 5, 0]), rng).tolist()  # the 5 gives, the 1s keep theirs
    [1, 1, 1, 3, 0]
    >>> adjust(2, np.array([1, 1, 1, 5, 0]), rng).tolist()  # too few for every parent
    [1, 1, 0, 0, 0]
    >>> adjust(5, np.array([0, 0]), rng).tolist()  # nothing to go by: evenly
    [3, 2]
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or (counts.size and (counts.min() < 0
                                             or not np.all(np.mod(counts, 1) == 0))):
        raise ValueError(f"counts must be a 1-d array of integers >= 0, got {counts!r}")
    if total < 0 or total != int(total):
        raise ValueError(f"total must be an integer >= 0, got {total!r}")
    total, counts = int(total), counts.astype(np.int64)
    have = int(counts.sum())
    if total == have:
        return counts.copy()
    if counts.size == 0:
        raise ValueError(f"no parents to share {total} children among")
    if have == 0:
        return _even(total, counts.size, rng)
    if total > have:
        return counts + rng.multinomial(total - have, counts / have)
    return _remove(counts, have - total, rng)


def _even(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` spread over ``n`` parents: ``total // n`` each, one more for random ones."""
    out = np.full(n, total // n, dtype=np.int64)
    out[rng.choice(n, size=total % n, replace=False)] += 1
    return out


def _remove(counts: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``counts`` less ``k`` children, taken as :func:`adjust` says."""
    out = counts.copy()
    rounds = 0
    # 1. children drawn without replacement from those of the parents that have more than
    # one (so a parent is drawn in proportion to its count); what a parent cannot give
    # without going below 1 is drawn again among the others, in proportion to what they can
    # give after ADJUST_ROUNDS rounds (then it always ends)
    while k:
        spare = np.maximum(out - 1, 0)
        if not spare.any():
            break
        if k >= spare.sum():  # every parent down to 1
            out -= spare
            k -= int(spare.sum())
            break
        weights = np.where(spare > 0, out, 0) if rounds < ADJUST_ROUNDS else spare
        taken = np.minimum(_draw(weights, k, rng), spare)
        out -= taken
        k -= int(taken.sum())
        rounds += 1
    # 2. every parent with children is down to 1: random ones go to 0
    if k:
        out[rng.choice(np.flatnonzero(out > 0), size=k, replace=False)] = 0
    return out


def _draw(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` of the ``weights.sum()`` items, without replacement (by multinomial draws past
    numpy's limit of the multivariate hypergeometric, 10**9 items)."""
    total = int(weights.sum())
    if total < 10**9:
        return rng.multivariate_hypergeometric(weights, min(k, total))
    return rng.multinomial(k, weights / total)
