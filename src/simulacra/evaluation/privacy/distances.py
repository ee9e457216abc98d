"""Distance-based privacy figures: exact copies, DCR share/median, NNDR, membership inference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.privacy.attack_tools import (
    HISTOGRAM_BINS,
    MAX_MEMBERS,
    MAX_QUERIES,
    MAX_REFERENCE,
    TIE,
    Z95,
    join_notes,
    nearest,
    require_holdout,
    sample_note,
    subsample,
    symmetric_featurizer,
    wilson_interval,
)
from simulacra.evaluation.views import FrameView, as_labels
from simulacra.kinds import ColumnKind


def exact_copies(data: EvalData) -> Metric:
    """Share of synthetic rows identical to some training row, beside the holdout's own share.

    Rows are compared on every evaluated column, nulls equal to nulls, numbers by value (``3``
    equals ``3.0``), through 64-bit row hashes (:func:`pandas.util.hash_array` per column,
    combined), so it is exact up to hash collisions (≈ n²/2⁶⁴) and runs on millions of
    rows. Small discrete tables repeat rows by chance: the holdout's rate says how often.
    """
    train = _row_hashes(data.real_view, data.kinds)
    synth = _row_hashes(data.synth_view, data.kinds)
    copies = int(np.isin(synth, train).sum())
    share = copies / len(synth)
    reference = None
    if data.holdout is not None:
        reference = float(np.isin(_row_hashes(data.holdout_view, data.kinds), train).mean())
    lo, hi = wilson_interval(copies, len(synth))
    return Metric(
        "exact copies", "privacy", share,
        definition="share of synthetic rows identical to a training row (all compared columns, "
                   "nulls equal); reference: share of holdout rows identical to a training row",
        direction="lower", ideal=0.0, reference=reference, ci=(lo, hi),
        details={"synthetic_rows": len(synth), "training_rows": len(train),
                 "synthetic_copies": copies,
                 "distinct_training_rows": len(np.unique(train))},
    )


def distance_to_closest_record(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    *,
    max_queries: int = MAX_QUERIES,
    max_reference: int = MAX_REFERENCE,
    bins: int = HISTOGRAM_BINS,
) -> list[Metric]:
    """"DCR share", "DCR median" and "NNDR" (Platzer & Reutterer 2021, Frontiers in Big Data).

    1. For each synthetic row find its closest training row and closest holdout row.
    2. Its score is the share of training rows among the real rows at that closest distance:
       1 if a training row is strictly closest, 0 if a holdout row is, the training share of
       the tied rows otherwise (equal to "ties count half" in expectation). The raw share
       ``p`` is the mean score. If the synthesizer learned only the population, training and
       holdout rows are exchangeable and E[p] = π = n_train / (n_train + n_holdout) exactly.
    3. "DCR share" puts ``p`` on the equal-size scale of the protocol (ideal 0.5) by the odds
       ratio, p(1−π) / (p(1−π) + (1−p)π); with equal sizes it is ``p`` itself. All training
       rows are used (not a holdout-size subsample) so that copies of any training row count.
    4. "DCR median" is the median synthetic→training distance beside the median
       holdout→training distance; "NNDR" the mean ratio of the closest to the second-closest
       training distance (0/0 counts as 1), synthetic rows beside holdout rows. Synthetic
       values far below the holdout's mean that synthetic rows sit on top of individual
       training records.
    """
    holdout = require_holdout(data, "distance to closest record")
    featurizer = symmetric_featurizer(featurizer, data, rng, 2 * max_reference)
    check_param("max_queries", max_queries, "an integer >= 1", max_queries >= 1)
    train_idx = subsample(len(data.real), max_reference, rng)
    hold_idx = subsample(len(holdout), max_reference, rng)
    syn_idx = subsample(len(data.synth), max_queries, rng)
    hq_pos = subsample(len(hold_idx), max_queries, rng)  # holdout rows as queries
    X_train = featurizer.distance(data.real_view, train_idx)
    X_hold = featurizer.distance(data.holdout_view, hold_idx)
    X_syn = featurizer.distance(data.synth_view, syn_idx)

    # 1-2. closest training and holdout rows of each synthetic row, with tie counts
    syn_train = nearest(X_syn, X_train, k=2, ties=True)
    syn_hold = nearest(X_syn, X_hold, k=1, ties=True)
    hold_train = nearest(X_hold[hq_pos], X_train, k=2)
    scores = _closest_is_train(syn_train.d2[:, 0], syn_train.ties, syn_hold.d2[:, 0],
                               syn_hold.ties)
    p, n = float(scores.mean()), len(scores)
    pi = len(train_idx) / (len(train_idx) + len(hold_idx))

    # 3. equal-size scale
    share = _equal_size_share(p, pi)
    lo, hi = (_equal_size_share(x, pi) for x in wilson_interval(p * n, n))
    d_syn, d_syn_hold = np.sqrt(syn_train.d2[:, 0]), np.sqrt(syn_hold.d2[:, 0])
    d_hold = np.sqrt(hold_train.d2[:, 0])
    histograms = _histograms({"synthetic_to_train": d_syn, "synthetic_to_holdout": d_syn_hold,
                              "holdout_to_train": d_hold}, bins)
    note = sample_note([("synthetic", len(syn_idx), len(data.synth)),
                         ("training", len(train_idx), len(data.real)),
                         ("holdout", len(hold_idx), len(holdout))])
    if len(train_idx) < len(data.real):
        note = join_notes(note, "copies of training rows outside the subsample are not seen here; "
                           "exact copies counts all rows")
    sizes = {"synthetic_queries": n, "holdout_queries": len(hq_pos),
             "training_rows": len(train_idx), "holdout_rows": len(hold_idx)}

    # 4. medians and ratios
    ratio_syn, ratio_hold = _nndr(syn_train.d2), _nndr(hold_train.d2)
    quantiles = [0.01, 0.05, 0.25, 0.5]
    return [
        Metric(
            "DCR share", "privacy", share,
            definition="share of synthetic rows whose closest real record is a training row "
                       "rather than a holdout row (ties split by count), on the scale of an "
                       "equal-size holdout",
            direction="closer", ideal=0.5, reference=0.5,
            reference_label="independent sample", ci=(lo, hi), note=note,
            details={"raw_share": p, "expected_raw_share": pi, "histograms": histograms,
                     "zero_distance_share": float((d_syn == 0).mean()), **sizes},
        ),
        Metric(
            "DCR median", "privacy", float(np.median(d_syn)),
            definition="median distance from a synthetic row to its closest training row "
                       "(one category mismatch or a full numeric range ≈ 1); reference: the "
                       "same for holdout rows",
            direction="higher", reference=float(np.median(d_hold)), note=note,
            details={"quantiles": quantiles,
                     "synthetic": np.quantile(d_syn, quantiles).tolist(),
                     "holdout": np.quantile(d_hold, quantiles).tolist(),
                     "histograms": histograms, **sizes},
        ),
        Metric(
            "NNDR", "privacy", float(ratio_syn.mean()),
            definition="mean ratio of the distance to the closest training row over the "
                       "distance to the second closest (near 1: not tied to one record); "
                       "reference: the same for holdout rows",
            direction="higher", reference=float(ratio_hold.mean()), note=note,
            details={"synthetic_below_0.5": float((ratio_syn < 0.5).mean()),
                     "holdout_below_0.5": float((ratio_hold < 0.5).mean()), **sizes},
        ),
    ]


def membership_inference(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    *,
    max_members: int = MAX_MEMBERS,
    max_reference: int = MAX_REFERENCE,
) -> Metric:
    """ROC-AUC of a distance-based membership-inference attack (ideal 0.5).

    The attacker holds the synthetic table and a real record and guesses "it was in the
    training set" when the record lies close to some synthetic row: score = −distance to the
    closest synthetic row (the GAN-Leaks / LOGAN-style black-box attack: Chen et al. 2020,
    Hayes et al. 2019). Members are training rows, non-members holdout rows, equally many
    (at most ``max_members`` of each).
    The interval is ±1.96 Hanley–McNeil (1982) standard errors; ``details`` adds the true
    positive rate at 1% false positives, which reveals attacks that work on a few records
    only (Carlini et al. 2022).
    """
    holdout = require_holdout(data, "membership inference")
    featurizer = symmetric_featurizer(featurizer, data, rng, 2 * max_reference)
    check_param("max_members", max_members, "an integer >= 1", max_members >= 1)
    n = min(len(data.real), len(holdout), max_members)
    member_idx = subsample(len(data.real), n, rng)
    other_idx = subsample(len(holdout), n, rng)
    syn_idx = subsample(len(data.synth), max_reference, rng)
    X_syn = featurizer.distance(data.synth_view, syn_idx)
    d_member = nearest(featurizer.distance(data.real_view, member_idx), X_syn).d2[:, 0]
    d_other = nearest(featurizer.distance(data.holdout_view, other_idx), X_syn).d2[:, 0]
    scores = -np.sqrt(np.concatenate([d_member, d_other]))
    labels = np.r_[np.ones(n), np.zeros(n)]
    auc = float(roc_auc_score(labels, scores))
    se = _hanley_mcneil_se(auc, n, n)
    fpr, tpr, _ = roc_curve(labels, scores)
    note = sample_note([("training", n, len(data.real)), ("holdout", n, len(holdout)),
                         ("synthetic", len(syn_idx), len(data.synth))])
    return Metric(
        "membership inference AUC", "privacy", auc,
        definition="ROC-AUC of telling training rows from holdout rows by their distance to "
                   "the closest synthetic row (0.5: membership cannot be inferred)",
        direction="closer", ideal=0.5, reference=0.5, reference_label="independent sample",
        ci=(max(auc - Z95 * se, 0.0), min(auc + Z95 * se, 1.0)), note=note,
        details={"members": n, "non_members": n, "synthetic_rows": len(syn_idx),
                 "tpr_at_1pct_fpr": float(np.interp(0.01, fpr, tpr)),
                 "member_median_distance": float(np.median(np.sqrt(d_member))),
                 "non_member_median_distance": float(np.median(np.sqrt(d_other)))},
    )


def _hanley_mcneil_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Standard error of a ROC-AUC (Hanley & McNeil 1982, Radiology 143:29)."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc)
           + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def _equal_size_share(p: float, pi: float) -> float:
    """Map a raw closest-is-train share ``p`` with null mean ``pi`` to the equal-size scale.

    >>> _equal_size_share(2 / 3, 2 / 3), _equal_size_share(1.0, 2 / 3)
    (0.5, 1.0)
    """
    num = p * (1 - pi)
    den = num + (1 - p) * pi
    return 0.5 if den == 0 else num / den


def _closest_is_train(d_train: np.ndarray, ties_train: np.ndarray, d_hold: np.ndarray,
                      ties_hold: np.ndarray) -> np.ndarray:
    """Share of training rows among the real rows at the closest distance, per query."""
    train_first = d_train < d_hold - TIE
    hold_first = d_hold < d_train - TIE
    tied = ties_train / (ties_train + ties_hold)
    return np.where(train_first, 1.0, np.where(hold_first, 0.0, tied))


def _nndr(d2: np.ndarray) -> np.ndarray:
    """Closest over second-closest distance; 1 when both are 0 or only one row exists."""
    if d2.shape[1] < 2:
        return np.ones(len(d2))
    d1, second = np.sqrt(d2[:, 0]), np.sqrt(d2[:, 1])
    return np.divide(d1, second, out=np.ones_like(d1), where=second > 0)


def _histograms(distances: dict[str, np.ndarray], bins: int) -> dict[str, list[float]]:
    top = max(float(d.max()) for d in distances.values() if len(d))
    edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
    out: dict[str, list[float]] = {"edges": edges.tolist()}
    for key, d in distances.items():
        out[key] = np.histogram(d, bins=edges)[0].tolist()
    return out


def _row_hashes(view: FrameView, kinds: dict[str, ColumnKind]) -> np.ndarray:
    """One uint64 per row, from normalised values: floats for numbers and datetimes (one NaN,
    0.0 for -0.0), label strings for categories (``(missing)`` for null). Columns are hashed
    one at a time (:func:`pandas.util.hash_array`) and combined, so memory stays at one
    column's worth."""
    out = np.zeros(len(view), dtype=np.uint64)
    for column, kind in kinds.items():
        if kind.family == "continuous":
            x = view.floats(column) + 0.0  # -0.0 -> 0.0
            values = np.where(np.isnan(x), np.nan, x)
            hashed = pd.util.hash_array(values)
        else:  # hash each distinct label once
            codes, uniques = pd.factorize(view.frame[column], use_na_sentinel=False)
            hashed = pd.util.hash_array(as_labels(pd.Series(uniques, dtype=object)))[codes]
        out = out * np.uint64(1_000_003) ^ hashed
    return out


