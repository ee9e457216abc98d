"""Anonymeter-style singling-out attack (Giomi et al., PoPETs 2023)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData
from simulacra.evaluation.privacy.attack_tools import (
    CHUNK,
    MAX_REFERENCE,
    N_ATTACKS,
    join_notes,
    no_attack_metric,
    require_holdout,
    risk_metric,
    sample_note,
    subsample,
)
from simulacra.evaluation.views import FrameView
from simulacra.kinds import ColumnKind


def singling_out(
    data: EvalData,
    rng: np.random.Generator,
    n_attacks: int = N_ATTACKS,
    *,
    n_cols: int = 3,
    mode: str = "multivariate",
    max_attempts: int | None = None,
    max_reference: int = MAX_REFERENCE,
) -> Metric:
    """Anonymeter's singling-out risk (Giomi et al. 2023 §4.1; Cohen & Nissim 2020).

    1. The attacker writes predicates that match exactly one synthetic row: ``multivariate``
       (default) takes a random synthetic row and ``n_cols`` random columns — equality on a
       category, ``x >= v`` on a number above the median, ``x <= v`` below it, "is null" on a
       null; ``univariate`` uses values that occur once, the extremes and lone nulls. At most
       ``max_attempts`` candidates are tried (default 500 per wanted predicate), stopping
       early once three batches of 8,000 bring no new predicate.
    2. Attack rate: share of predicates that match exactly one training row. Control rate: the
       same on the holdout. Training and holdout are compared at equal size: the larger one
       is subsampled if it is the holdout; if it is the training set, the control count is
       scaled to the training size with Anonymeter's fitted model of singling-out success
       versus table size (Cohen & Nissim's n·w·(1−w)^(n−1) integrated over query weights).
    3. Baseline: random predicates (random columns, values and operators) on the training
       set — an attacker without the synthetic data.
    """
    holdout = require_holdout(data, "singling out")
    check_param("n_attacks", n_attacks, "an integer >= 1", n_attacks >= 1)
    check_param("mode", mode, "'multivariate' or 'univariate'",
                mode in ("multivariate", "univariate"))
    columns = list(data.kinds)
    n_cols = 1 if mode == "univariate" else min(n_cols, len(columns))
    check_param("n_cols", n_cols, "an integer >= 1", n_cols >= 1)
    max_attempts = 500 * n_attacks if max_attempts is None else max_attempts
    n_ref = min(len(data.real), max_reference)
    syn_idx = subsample(len(data.synth), max_reference, rng)
    train_idx = subsample(len(data.real), n_ref, rng)
    hold_idx = subsample(len(holdout), n_ref, rng)
    V_syn, V_train, V_hold = _code_matrices(
        [(data.synth_view, syn_idx), (data.real_view, train_idx), (data.holdout_view, hold_idx)],
        data.kinds)
    is_cat = np.array([k.family != "continuous" for k in data.kinds.values()])

    # 1. predicates singling out one synthetic row
    if mode == "univariate":
        queries = _univariate_queries(V_syn, is_cat, n_attacks, rng)
    else:
        queries = _multivariate_queries(V_syn, is_cat, n_attacks, n_cols, max_attempts, rng)
    n_queries = len(queries)
    note = sample_note([("synthetic", len(syn_idx), len(data.synth)),
                         ("training", len(train_idx), len(data.real)),
                         ("holdout", len(hold_idx), len(holdout))])
    if n_queries == 0:
        return no_attack_metric("singling-out risk", _SINGLING_OUT_DEFINITION,
                                 "no predicate singled out a synthetic row", note)
    if n_queries < n_attacks:
        note = join_notes(note, f"only {n_queries} distinct predicates singling out a synthetic "
                           f"row were found ({n_attacks} wanted): a wider interval")

    # 2. attack vs control
    n_attack = int((_match_counts(V_train, queries) == 1).sum())
    n_control = float((_match_counts(V_hold, queries) == 1).sum())
    correction = 1.0
    if len(hold_idx) < len(train_idx):
        correction = _size_correction(V_hold, queries, len(train_idx), rng)
        n_control = min(n_control * correction, float(n_queries))

    # 3. baseline
    baseline = _random_queries(V_syn, is_cat, n_queries, n_cols, rng)
    n_baseline = int((_match_counts(V_train, baseline) == 1).sum())
    return risk_metric(
        "singling-out risk", _SINGLING_OUT_DEFINITION, n_queries, n_attack, n_control,
        n_baseline, note,
        {"mode": mode, "n_cols": n_cols, "control_size_correction": correction,
         "training_rows": len(train_idx), "holdout_rows": len(hold_idx)})


_SINGLING_OUT_DEFINITION = (
    "Anonymeter singling-out risk: how much more often predicates that single out one "
    "synthetic row single out one training record than one holdout record, "
    "(attack − control) / (1 − control)")


_NULL = -1  # code of a null number; "x is null" is the range [-1, -1]


_TOP = 1 << 30  # upper bound of "x >= v"


@dataclass(frozen=True)
class _Queries:
    """``n`` conjunctions of ``c`` conditions ``lo <= code(column) <= hi``, arrays (n, c)."""

    columns: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def __len__(self) -> int:
        return len(self.columns)

    def take(self, keep: np.ndarray) -> _Queries:
        return _Queries(self.columns[keep], self.lo[keep], self.hi[keep])

    def keys(self) -> list[bytes]:
        return [row.tobytes() for row in np.hstack([self.columns, self.lo, self.hi])]

    @staticmethod
    def concat(parts: list[_Queries], n_cols: int) -> _Queries:
        if not parts:
            empty = np.empty((0, n_cols), dtype=np.int32)
            return _Queries(empty, empty, empty)
        return _Queries(*(np.concatenate([getattr(p, f) for p in parts])
                          for f in ("columns", "lo", "hi")))


def _code_matrices(frames: list[tuple[FrameView, np.ndarray]], kinds: dict[str, ColumnKind]
                   ) -> list[np.ndarray]:
    """Each frame as int32 codes (rows, columns), shared by all frames: numbers and datetimes
    by rank of value (order kept, -1 for null), categories by label (null a label of its own).
    Every predicate is then a range of codes, checked with integer compares."""
    out = [np.empty((len(rows), len(kinds)), dtype=np.int32) for _, rows in frames]
    bounds = np.cumsum([0] + [len(rows) for _, rows in frames])
    for j, (column, kind) in enumerate(kinds.items()):
        if kind.family == "continuous":
            x = np.concatenate([view.floats(column)[rows] for view, rows in frames])
            null = np.isnan(x)
            codes = np.full(len(x), _NULL, dtype=np.int64)
            codes[~null] = np.unique(x[~null], return_inverse=True)[1]
        else:
            codes = pd.factorize(np.concatenate([view.labels(column)[rows]
                                                 for view, rows in frames]))[0]
        for i, matrix in enumerate(out):
            matrix[:, j] = codes[bounds[i]: bounds[i + 1]]
    return out


def _match_counts(V: np.ndarray, queries: _Queries) -> np.ndarray:
    """How many rows of ``V`` satisfy each query."""
    n_q, n_c = queries.columns.shape
    counts = np.zeros(n_q, dtype=np.int64)
    if n_q == 0:  # every candidate ruled out already
        return counts
    flat = queries.columns.ravel()
    width = (queries.hi - queries.lo).astype(np.uint32)  # lo <= x <= hi  <=>  x - lo <= width
    step = max(1, CHUNK // max(n_q * n_c, 1))
    for start in range(0, len(V), step):
        values = V[start:start + step][:, flat].reshape(-1, n_q, n_c)
        hit = ((values - queries.lo).view(np.uint32) <= width).all(axis=2)
        counts += np.count_nonzero(hit, axis=0)
    return counts


def _singles_out(V: np.ndarray, queries: _Queries, cascade: list[np.ndarray]) -> np.ndarray:
    """Which queries match exactly one row of ``V``.

    Most candidate predicates match many rows: two matches in a small random subset of rows
    (``cascade``) rule a predicate out cheaply, so only the few survivors are counted on all
    rows.
    """
    alive = np.arange(len(queries))
    for rows in cascade:
        alive = alive[_match_counts(V[rows], queries.take(alive)) <= 1]
    return alive[_match_counts(V, queries.take(alive)) == 1]


def _conditions(codes: np.ndarray, columns: np.ndarray, is_cat: np.ndarray,
                op: np.ndarray) -> _Queries:
    """Conditions true for ``codes``: ``op`` 0 is ``==``, 1 is ``>=``, 2 is ``<=`` (categories
    and nulls always ``==``)."""
    equal = is_cat[columns] | (codes == _NULL) | (op == 0)
    lo = np.where(equal | (op == 1), codes, 0)
    hi = np.where(equal | (op == 2), codes, _TOP)
    return _Queries(columns.astype(np.int32), lo.astype(np.int32), hi.astype(np.int32))


def _random_columns(n: int, n_columns: int, n_cols: int, rng: np.random.Generator
                    ) -> np.ndarray:
    """``n`` sorted draws of ``n_cols`` distinct column positions."""
    return np.sort(rng.random((n, n_columns)).argsort(axis=1)[:, :n_cols], axis=1)


def _multivariate_queries(V: np.ndarray, is_cat: np.ndarray, n_queries: int, n_cols: int,
                          max_attempts: int, rng: np.random.Generator,
                          batch: int = 8000) -> _Queries:
    """Predicates from random synthetic rows on ``n_cols`` random columns — ``x >= v`` for a
    number above the column's median, ``x <= v`` below it, equality otherwise — kept when
    they match exactly one synthetic row (distinct predicates only)."""
    medians = np.array([np.median(col[col != _NULL]) if not cat and (col != _NULL).any()
                        else 0.0 for col, cat in zip(V.T, is_cat, strict=True)])
    cascade = [subsample(len(V), size, rng) for size in (128, 1024, 8192)
               if size < len(V) // 2]
    found: list[_Queries] = []
    seen: set[bytes] = set()
    attempts = 0
    while sum(map(len, found)) < n_queries and attempts < max_attempts:
        if len(found) >= 3 and not any(map(len, found[-3:])):
            break  # three batches without a new predicate: the supply is exhausted
        size = min(batch, max_attempts - attempts)
        attempts += size
        rows = rng.integers(0, len(V), size=size)
        columns = _random_columns(size, V.shape[1], n_cols, rng)
        codes = V[rows[:, None], columns]
        op = np.where(codes > medians[columns], 1, 2)
        candidates = _conditions(codes, columns, is_cat, op)
        single = _singles_out(V, candidates, cascade)
        keep = []
        for i, key in zip(single, candidates.take(single).keys(), strict=True):
            if key not in seen:
                seen.add(key)
                keep.append(i)
        found.append(candidates.take(np.array(keep, dtype=np.intp)))
    queries = _Queries.concat(found, n_cols)
    return queries.take(np.arange(min(n_queries, len(queries))))


def _univariate_queries(V: np.ndarray, is_cat: np.ndarray, n_queries: int,
                        rng: np.random.Generator) -> _Queries:
    """Single conditions matching one synthetic row: a value seen once, ``x <= min`` or
    ``x >= max`` when one row holds the extreme, "is null" when one row is null."""
    parts: list[tuple[int, np.ndarray, np.ndarray]] = []
    for j in range(V.shape[1]):
        values, counts = np.unique(V[:, j], return_counts=True)
        once = values[counts == 1]
        parts.append((j, once, once))  # includes a lone null (-1)
        numbers = values >= 0
        if not is_cat[j] and numbers.sum() > 1:
            lone_min, lone_max = counts[numbers][0] == 1, counts[numbers][-1] == 1
            low, high = values[numbers][0], values[numbers][-1]
            if lone_min:
                parts.append((j, np.array([0]), np.array([low])))
            if lone_max:
                parts.append((j, np.array([high]), np.array([_TOP])))
    columns = np.concatenate([np.full(len(lo), j) for j, lo, _ in parts])
    queries = _Queries(columns.astype(np.int32)[:, None],
                       np.concatenate([lo for _, lo, _ in parts]).astype(np.int32)[:, None],
                       np.concatenate([hi for *_, hi in parts]).astype(np.int32)[:, None])
    order = rng.permutation(len(queries))[:n_queries]
    return queries.take(order)


def _random_queries(V: np.ndarray, is_cat: np.ndarray, n_queries: int, n_cols: int,
                    rng: np.random.Generator) -> _Queries:
    """Baseline predicates: random columns, each with the value of an independent random
    synthetic row and a random operator (``==``, ``>=`` or ``<=`` on numbers)."""
    columns = _random_columns(n_queries, V.shape[1], n_cols, rng)
    codes = V[rng.integers(0, len(V), size=columns.shape), columns]
    return _conditions(codes, columns, is_cat, rng.integers(0, 3, size=columns.shape))


def _singling_out_integral(n: np.ndarray | float, w: float) -> np.ndarray:
    """∫₀^w n·x·(1−x)^(n−1) dx: expected singling-out success of queries with weights up to w
    in a table of n rows (Cohen & Nissim 2020, as integrated in Anonymeter)."""
    n = np.asarray(n, dtype=np.float64)
    return (1 - (n * w + 1) * (1 - w) ** n) / (n + 1)


def _size_correction(V: np.ndarray, queries: _Queries, target_size: int,
                     rng: np.random.Generator, repeats: int = 3, points: int = 8) -> float:
    """Factor that scales singling-out successes on the control rows ``V`` to ``target_size``.

    Success counts are measured on random subsets of the control rows from min(1000, n) to n
    rows; the model norm·∫₀^w n·x(1−x)^(n−1)dx is fitted by least squares (w on a log grid,
    norm in closed form) and the factor is model(target_size) / model(n) (Anonymeter's
    correction for control sets of another size).
    """
    n = len(V)
    sizes = np.unique(np.linspace(min(1000, n), n, points).astype(int))
    xs, ys = [], []
    for size in sizes:
        for _ in range(repeats if size < n else 1):
            xs.append(size)
            ys.append(float((_match_counts(V[subsample(n, size, rng)], queries) == 1).sum()))
    x, y = np.array(xs, dtype=np.float64), np.array(ys)
    if not y.any():
        return 1.0
    best, best_w = np.inf, 1.0 / n
    for w in np.logspace(-8, 0, 400):
        g = _singling_out_integral(x, w)
        norm = float(g @ y / (g @ g)) if g @ g > 0 else 0.0
        sse = float(((norm * g - y) ** 2).sum())
        if sse < best:
            best, best_w = sse, w
    base = float(_singling_out_integral(n, best_w))
    return float(_singling_out_integral(target_size, best_w)) / base if base > 0 else 1.0


