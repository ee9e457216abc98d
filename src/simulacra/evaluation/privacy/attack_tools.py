"""Helpers every privacy attack shares: limits, nearest neighbours, Wilson intervals, risks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.views import FrameView

MAX_QUERIES = 20_000


MAX_REFERENCE = 50_000


MAX_MEMBERS = 5_000


N_ATTACKS = 500


HISTOGRAM_BINS = 40


Z95 = 1.959963984540054


TIE = 1e-9  # squared distances closer than this are a tie


CHUNK = 1 << 22  # elements per temporary block (16-32 MB)


def _wilson(successes: float, total: int) -> tuple[float, float]:
    """Centre and half-width of the 95% Wilson score interval (Wilson 1927).

    >>> c, h = _wilson(50, 100)
    >>> round(c, 3), round(h, 3)
    (0.5, 0.096)
    """
    z2 = Z95 * Z95
    denominator = total + z2
    centre = (successes + z2 / 2) / denominator
    spread = successes * (total - successes) / total
    half = Z95 / denominator * math.sqrt(max(spread, 0.0) + z2 / 4)
    return centre, half


def wilson_interval(successes: float, total: int) -> tuple[float, float]:
    centre, half = _wilson(successes, total)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def residual_risk(attack: float, n_attack: int, control: float, n_control: int
                   ) -> tuple[float, tuple[float, float]]:
    """Anonymeter's risk from success counts: (a − c)/(1 − c) on Wilson-centred rates.

    The error is propagated from both Wilson half-widths; value and interval are clipped to
    [0, 1]. A training set attacked no more successfully than the holdout gives 0.

    >>> residual_risk(500, 500, 250, 500)[0] > 0.98
    True
    >>> risk, (lo, hi) = residual_risk(250, 500, 250, 500)
    >>> risk, lo, round(hi, 3)
    (0.0, 0.0, 0.123)
    """
    a, ea = _wilson(attack, n_attack)
    c, ec = _wilson(control, n_control)
    risk = (a - c) / (1 - c)
    error = math.hypot(ea / (1 - c), ec * (a - 1) / (1 - c) ** 2)
    clip = lambda x: min(max(x, 0.0), 1.0)  # noqa: E731
    return clip(risk), (clip(risk - error), clip(risk + error))


def risk_metric(name: str, definition: str, n: int, attack: float, control: float,
                 baseline: float, note: str, extra: dict[str, Any]) -> Metric:
    value, ci = residual_risk(attack, n, control, n)
    if baseline >= attack:
        note = join_notes(note, "the attack did no better than random guessing (baseline); the "
                           "risk says little either way")
    return Metric(
        name, "privacy", value, definition=definition, direction="lower", ideal=0.0, ci=ci,
        note=note,
        details={"attack_rate": attack / n, "control_rate": control / n,
                 "baseline_rate": baseline / n, "n_attacks": n, **extra},
    )


def no_attack_metric(name: str, definition: str, reason: str, note: str) -> Metric:
    return Metric(name, "privacy", float("nan"), definition=definition, direction="lower",
                  ideal=0.0, note=join_notes(note, f"not computed: {reason}"))


@dataclass(frozen=True)
class _Neighbours:
    d2: np.ndarray  # (n_queries, k) squared distances, ascending
    idx: np.ndarray  # (n_queries, k) reference row positions
    ties: np.ndarray | None  # (n_queries,) reference rows within TIE of the closest


def nearest(queries: np.ndarray, reference: np.ndarray, k: int = 1, *, ties: bool = False
             ) -> _Neighbours:
    """The ``k`` closest reference rows of every query row (Euclidean, brute force).

    The search runs in float32 BLAS on blocks of query rows (~16 MB each) through
    ‖r‖² − 2q·r (‖q‖² is constant along a row), both sides centred on the reference mean; the
    winners' distances are then recomputed exactly in float64. Only rows closer to each other
    than float32 rounding (squared distance ~1e-6) can be confused. ``ties`` counts the
    reference rows within that rounding of the closest one.
    """
    k = min(k, len(reference))
    shift = reference.mean(axis=0, dtype=np.float64)
    R = reference.astype(np.float64) - shift
    Q = queries.astype(np.float64) - shift
    Rt = np.ascontiguousarray(R.T, dtype=np.float32)
    Q2 = (-2.0 * Q).astype(np.float32)
    r_sq = np.einsum("ij,ij->i", R, R)
    slack = 1e-6 * (np.einsum("ij,ij->i", Q, Q) + r_sq.max(initial=0.0)) + TIE
    r_sq = r_sq.astype(np.float32)
    idx_out = np.empty((len(Q), k), dtype=np.intp)
    tie_out = np.empty(len(Q), dtype=np.int64) if ties else None
    step = max(64, CHUNK // max(len(R), 1))
    for start in range(0, len(Q), step):
        stop = min(start + step, len(Q))
        d2 = Q2[start:stop] @ Rt  # (chunk, n_reference): ‖r‖² − 2q·r after the next line
        d2 += r_sq
        rows = np.arange(stop - start)
        first = d2.argmin(axis=1)
        if tie_out is not None:
            limit = d2[rows, first] + slack[start:stop]
            tie_out[start:stop] = np.count_nonzero(d2 <= limit[:, None], axis=1)
        if k == 1:
            idx_out[start:stop, 0] = first
        elif k == 2:
            d2[rows, first] = np.inf
            idx_out[start:stop] = np.column_stack([first, d2.argmin(axis=1)])
        else:
            idx_out[start:stop] = np.argpartition(d2, k - 1, axis=1)[:, :k]
    # exact float64 distances of the winners, ascending
    d2_out = ((Q[:, None, :] - R[idx_out]) ** 2).sum(axis=2)
    order = d2_out.argsort(axis=1, kind="stable")
    d2_out = np.take_along_axis(d2_out, order, 1)
    idx_out = np.take_along_axis(idx_out, order, 1)
    d2_out[d2_out < 1e-12] = 0.0
    return _Neighbours(d2_out, idx_out, tie_out)


def column_blocks(featurizer: Featurizer) -> dict[str, slice]:
    """Which entries of a :meth:`Featurizer.distance` row belong to each column."""
    blocks, start = {}, 0
    for column, kind in featurizer.kinds.items():
        if kind.family == "continuous":
            width = 1 + int(featurizer.has_null_[column])
        else:
            width = len(featurizer.categories_[column]) + 1
        blocks[column] = slice(start, start + width)
        start += width
    return blocks


def block_range(block: slice) -> np.ndarray:
    return np.arange(block.start, block.stop)


def symmetric_featurizer(featurizer: Featurizer, data: EvalData, rng: np.random.Generator,
               max_rows: int = 2 * MAX_REFERENCE) -> Featurizer:
    """The same featurization refitted on training ∪ holdout rows.

    A transform fitted on the training rows alone (empirical CDFs, frequent categories)
    spreads those rows evenly and crowds every other row together, so unseen records look
    closer to the synthetic rows than training records do even when nothing leaked (AUC
    ≈ 0.485 on 600 fresh gaussian rows). Fitted on both — on at most ``max_rows`` drawn
    uniformly from the pooled rows, so every real row is equally likely to be in the fit —
    training and holdout rows are exchangeable again and a synthesizer that learned only the
    population scores 0.5.
    """
    if getattr(featurizer, "fitted_on_holdout_", False) or data.holdout is None:
        return featurizer
    n_real = len(data.real)
    pooled = subsample(n_real + len(data.holdout), max_rows, rng)
    rows = pd.concat([data.real.iloc[pooled[pooled < n_real]],
                      data.holdout.iloc[pooled[pooled >= n_real] - n_real]], ignore_index=True)
    out = Featurizer.learned_from(data.kinds, FrameView(rows))
    out.fitted_on_holdout_ = True  # type: ignore[attr-defined]
    return out


def require_holdout(data: EvalData, what: str) -> pd.DataFrame:
    if data.holdout is None:
        raise ParameterError(f"{what} needs a 'holdout' table: real rows the synthesizer never "
                             "saw, to say what an unseen record scores. Pass holdout=...")
    return data.holdout


def subsample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of ``min(n, size)`` rows drawn without replacement (all if n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def sample_note(parts: list[tuple[str, int, int]]) -> str:
    """'random subsample: 20,000 of 32,561 synthetic rows, ...' for the parts subsampled."""
    used = [f"{k:,} of {n:,} {label} rows" for label, k, n in parts if k < n]
    return "random subsample: " + ", ".join(used) if used else ""


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


