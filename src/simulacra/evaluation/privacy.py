"""Privacy of synthetic data: how much it gives away about the records it was learned from.

Every figure here is set beside what records the synthesizer never saw (the real *holdout*)
score, because a synthetic table that is faithful to a population is *meant* to resemble its
members: what matters is whether it resembles the training records more than other records
of the same population.

* :func:`exact_copies` — synthetic rows identical to a training row, beside the holdout's own
  rate of rows identical to a training row.
* :func:`distance_to_closest_record` — "DCR share" (is a synthetic row's closest real record a
  training record or a holdout record?), "DCR median" and "NNDR" (nearest-neighbour distance
  ratio), each with the holdout's value as reference (Platzer & Reutterer 2021).
* :func:`membership_inference` — a distance-based membership attack (Hayes et al. 2019, Chen
  et al. 2020): can closeness to a synthetic row tell training records from holdout records?
* :func:`singling_out`, :func:`linkability`, :func:`attribute_inference` — the three attacks
  of Anonymeter (Giomi et al. 2023, "A Unified Framework for Quantifying Privacy Risk in
  Synthetic Data", PoPETs), each run against training records (attack) and holdout records
  (control); risk = (attack − control) / (1 − control), clipped to [0, 1], with a 95% interval
  from Wilson score intervals on both rates.
* :func:`privacy` — all of the above.

Distances are Euclidean on :meth:`Featurizer.distance` rows (a category mismatch or a whole
numeric range counts about 1), with the featurization refitted on training ∪ holdout rows so
that neither side is favoured (see :func:`_symmetric`). Nearest neighbours are found by
brute force in row chunks, so memory stays bounded; large tables are subsampled (the
``note`` of each figure says when).

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> exact_copies(prepare(real, real.iloc[[0, 0, 1, 2]])).value
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.prepare import EvalData, Featurizer, as_float, as_labels
from simulacra.evaluation.result import Metric

MAX_QUERIES = 20_000
MAX_REFERENCE = 50_000
MAX_MEMBERS = 5_000
N_ATTACKS = 500
HISTOGRAM_BINS = 40
_Z95 = 1.959963984540054
_TIE = 1e-9  # squared distances closer than this are a tie
_CHUNK = 1 << 22  # elements per temporary block (16-32 MB)
_CONTINUOUS = ("numerical", "datetime")


# --------------------------------------------------------------------------------------------
# Public figures
# --------------------------------------------------------------------------------------------


def privacy(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    *,
    n_attacks: int = N_ATTACKS,
    max_queries: int = MAX_QUERIES,
    max_reference: int = MAX_REFERENCE,
    secret: str | None = None,
) -> list[Metric]:
    """Every privacy figure. Without ``data.holdout`` only "exact copies" can be computed
    (every other figure compares training records with unseen ones), and only it is returned.
    """
    out = [exact_copies(data)]
    if data.holdout is None:
        return out
    featurizer = _symmetric(featurizer, data, rng, 2 * max_reference)
    out += distance_to_closest_record(data, featurizer, rng, max_queries=max_queries,
                                      max_reference=max_reference)
    out.append(membership_inference(data, featurizer, rng, max_reference=max_reference))
    out.append(singling_out(data, rng, n_attacks=n_attacks, max_reference=max_reference))
    out.append(linkability(data, featurizer, rng, n_attacks=n_attacks,
                           max_reference=max_reference))
    out.append(attribute_inference(data, featurizer, rng, secret=secret, n_attacks=n_attacks,
                                   max_reference=max_reference))
    return out


def exact_copies(data: EvalData) -> Metric:
    """Share of synthetic rows identical to some training row, beside the holdout's own share.

    Rows are compared on every evaluated column, nulls equal to nulls, numbers by value (``3``
    equals ``3.0``), through 64-bit row hashes (:func:`pandas.util.hash_array` per column,
    combined), so it is exact up to hash collisions (≈ n²/2⁶⁴) and runs on millions of
    rows. Small discrete tables repeat rows by chance: the holdout's rate says how often.
    """
    train = _row_hashes(data.real, data.kinds)
    synth = _row_hashes(data.synth, data.kinds)
    copies = int(np.isin(synth, train).sum())
    share = copies / len(synth)
    reference = None
    if data.holdout is not None:
        reference = float(np.isin(_row_hashes(data.holdout, data.kinds), train).mean())
    lo, hi = _wilson_interval(copies, len(synth))
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
    holdout = _require_holdout(data, "distance to closest record")
    featurizer = _symmetric(featurizer, data, rng, 2 * max_reference)
    check_param("max_queries", max_queries, "an integer >= 1", max_queries >= 1)
    train_idx = _subsample(len(data.real), max_reference, rng)
    hold_idx = _subsample(len(holdout), max_reference, rng)
    syn_idx = _subsample(len(data.synth), max_queries, rng)
    hq_pos = _subsample(len(hold_idx), max_queries, rng)  # holdout rows as queries
    X_train = featurizer.distance(data.real.iloc[train_idx])
    X_hold = featurizer.distance(holdout.iloc[hold_idx])
    X_syn = featurizer.distance(data.synth.iloc[syn_idx])

    # 1-2. closest training and holdout rows of each synthetic row, with tie counts
    syn_train = _nearest(X_syn, X_train, k=2, ties=True)
    syn_hold = _nearest(X_syn, X_hold, k=1, ties=True)
    hold_train = _nearest(X_hold[hq_pos], X_train, k=2)
    scores = _closest_is_train(syn_train.d2[:, 0], syn_train.ties, syn_hold.d2[:, 0],
                               syn_hold.ties)
    p, n = float(scores.mean()), len(scores)
    pi = len(train_idx) / (len(train_idx) + len(hold_idx))

    # 3. equal-size scale
    share = _equal_size_share(p, pi)
    lo, hi = (_equal_size_share(x, pi) for x in _wilson_interval(p * n, n))
    d_syn, d_syn_hold = np.sqrt(syn_train.d2[:, 0]), np.sqrt(syn_hold.d2[:, 0])
    d_hold = np.sqrt(hold_train.d2[:, 0])
    histograms = _histograms({"synthetic_to_train": d_syn, "synthetic_to_holdout": d_syn_hold,
                              "holdout_to_train": d_hold}, bins)
    note = _sample_note([("synthetic", len(syn_idx), len(data.synth)),
                         ("training", len(train_idx), len(data.real)),
                         ("holdout", len(hold_idx), len(holdout))])
    if len(train_idx) < len(data.real):
        note = _join(note, "copies of training rows outside the subsample are not seen here; "
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
    holdout = _require_holdout(data, "membership inference")
    featurizer = _symmetric(featurizer, data, rng, 2 * max_reference)
    check_param("max_members", max_members, "an integer >= 1", max_members >= 1)
    n = min(len(data.real), len(holdout), max_members)
    member_idx = _subsample(len(data.real), n, rng)
    other_idx = _subsample(len(holdout), n, rng)
    syn_idx = _subsample(len(data.synth), max_reference, rng)
    X_syn = featurizer.distance(data.synth.iloc[syn_idx])
    d_member = _nearest(featurizer.distance(data.real.iloc[member_idx]), X_syn).d2[:, 0]
    d_other = _nearest(featurizer.distance(holdout.iloc[other_idx]), X_syn).d2[:, 0]
    scores = -np.sqrt(np.concatenate([d_member, d_other]))
    labels = np.r_[np.ones(n), np.zeros(n)]
    auc = float(roc_auc_score(labels, scores))
    se = _hanley_mcneil_se(auc, n, n)
    fpr, tpr, _ = roc_curve(labels, scores)
    note = _sample_note([("training", n, len(data.real)), ("holdout", n, len(holdout)),
                         ("synthetic", len(syn_idx), len(data.synth))])
    return Metric(
        "membership inference AUC", "privacy", auc,
        definition="ROC-AUC of telling training rows from holdout rows by their distance to "
                   "the closest synthetic row (0.5: membership cannot be inferred)",
        direction="closer", ideal=0.5, reference=0.5, reference_label="independent sample",
        ci=(max(auc - _Z95 * se, 0.0), min(auc + _Z95 * se, 1.0)), note=note,
        details={"members": n, "non_members": n, "synthetic_rows": len(syn_idx),
                 "tpr_at_1pct_fpr": float(np.interp(0.01, fpr, tpr)),
                 "member_median_distance": float(np.median(np.sqrt(d_member))),
                 "non_member_median_distance": float(np.median(np.sqrt(d_other)))},
    )


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
    holdout = _require_holdout(data, "singling out")
    check_param("n_attacks", n_attacks, "an integer >= 1", n_attacks >= 1)
    check_param("mode", mode, "'multivariate' or 'univariate'",
                mode in ("multivariate", "univariate"))
    columns = list(data.kinds)
    n_cols = 1 if mode == "univariate" else min(n_cols, len(columns))
    check_param("n_cols", n_cols, "an integer >= 1", n_cols >= 1)
    max_attempts = 500 * n_attacks if max_attempts is None else max_attempts
    n_ref = min(len(data.real), max_reference)
    syn_idx = _subsample(len(data.synth), max_reference, rng)
    train_idx = _subsample(len(data.real), n_ref, rng)
    hold_idx = _subsample(len(holdout), n_ref, rng)
    V_syn, V_train, V_hold = _code_matrices(
        [data.synth.iloc[syn_idx], data.real.iloc[train_idx], holdout.iloc[hold_idx]],
        data.kinds)
    is_cat = np.array([k not in _CONTINUOUS for k in data.kinds.values()])

    # 1. predicates singling out one synthetic row
    if mode == "univariate":
        queries = _univariate_queries(V_syn, is_cat, n_attacks, rng)
    else:
        queries = _multivariate_queries(V_syn, is_cat, n_attacks, n_cols, max_attempts, rng)
    n_queries = len(queries)
    note = _sample_note([("synthetic", len(syn_idx), len(data.synth)),
                         ("training", len(train_idx), len(data.real)),
                         ("holdout", len(hold_idx), len(holdout))])
    if n_queries == 0:
        return _no_attack_metric("singling-out risk", _SINGLING_OUT_DEFINITION,
                                 "no predicate singled out a synthetic row", note)
    if n_queries < n_attacks:
        note = _join(note, f"only {n_queries} distinct predicates singling out a synthetic "
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
    return _risk_metric(
        "singling-out risk", _SINGLING_OUT_DEFINITION, n_queries, n_attack, n_control,
        n_baseline, note,
        {"mode": mode, "n_cols": n_cols, "control_size_correction": correction,
         "training_rows": len(train_idx), "holdout_rows": len(hold_idx)})


def linkability(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    n_attacks: int = N_ATTACKS,
    n_neighbors: int = 10,
    *,
    aux_columns: tuple[Sequence[str], Sequence[str]] | None = None,
    max_reference: int = MAX_REFERENCE,
) -> Metric:
    """Anonymeter's linkability risk (Giomi et al. 2023 §4.2).

    The attacker holds two tables about the same people with different columns (A and B) and
    uses the synthetic table to join them.

    1. Split the columns in two halves: ``aux_columns``, or by default the columns dealt
       alternately in order of decreasing number of distinct training values, so that both
       halves can tell records apart.
    2. For each target record find its ``n_neighbors`` closest synthetic rows using only the
       columns of A, and using only those of B.
    3. The link succeeds when the two neighbour sets share a row. Attack: training records;
       control: holdout records; baseline: two random neighbour sets.
    """
    holdout = _require_holdout(data, "linkability")
    featurizer = _symmetric(featurizer, data, rng, 2 * max_reference)
    check_param("n_attacks", n_attacks, "an integer >= 1", n_attacks >= 1)
    check_param("n_neighbors", n_neighbors, "an integer >= 1", n_neighbors >= 1)
    columns = list(data.kinds)
    if aux_columns is None:
        aux_a, aux_b = _deal_columns(data)
    else:
        aux_a, aux_b = list(aux_columns[0]), list(aux_columns[1])
        unknown = [c for c in aux_a + aux_b if c not in data.kinds]
        check_param("aux_columns", aux_columns, f"two lists of evaluated columns {columns}",
                    not unknown and bool(aux_a) and bool(aux_b))
    if not aux_a or not aux_b:
        return _no_attack_metric("linkability risk", _LINKABILITY_DEFINITION,
                                 "needs at least two columns to split", "")
    n = min(n_attacks, len(data.real), len(holdout))
    syn_idx = _subsample(len(data.synth), max_reference, rng)
    k = min(n_neighbors, len(syn_idx))
    blocks = _column_blocks(featurizer)
    cols_a = np.concatenate([_block_range(blocks[c]) for c in aux_a])
    cols_b = np.concatenate([_block_range(blocks[c]) for c in aux_b])
    X_syn = featurizer.distance(data.synth.iloc[syn_idx])

    def links(frame: pd.DataFrame) -> int:
        X = featurizer.distance(frame.iloc[_subsample(len(frame), n, rng)])
        idx_a = _nearest(X[:, cols_a], X_syn[:, cols_a], k=k).idx
        idx_b = _nearest(X[:, cols_b], X_syn[:, cols_b], k=k).idx
        return int(_share_a_row(idx_a, idx_b).sum())

    n_attack, n_control = links(data.real), links(holdout)
    random_a = _random_sets(len(syn_idx), n, k, rng)
    random_b = _random_sets(len(syn_idx), n, k, rng)
    n_baseline = int(_share_a_row(random_a, random_b).sum())
    note = _sample_note([("synthetic", len(syn_idx), len(data.synth))])
    return _risk_metric(
        "linkability risk", _LINKABILITY_DEFINITION, n, n_attack, n_control, n_baseline, note,
        {"aux_columns": [aux_a, aux_b], "n_neighbors": k})


def attribute_inference(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    secret: str | None = None,
    n_attacks: int = N_ATTACKS,
    *,
    tolerance: float = 0.05,
    max_reference: int = MAX_REFERENCE,
) -> Metric:
    """Anonymeter's attribute-inference risk (Giomi et al. 2023 §4.3).

    The attacker knows every column of a target record but the ``secret`` and guesses the
    secret as that of the closest synthetic row on the other columns. A guess is right if it
    equals the secret (categories; null = null), is within ``tolerance`` relative error
    (numbers: |guess − secret| <= tolerance·|secret|), or within ``tolerance`` of the column's
    training range (datetimes). Attack: training records; control: holdout records;
    baseline: the secret of a random synthetic row.

    With ``secret=None`` each column is the secret in turn and the figure is the **mean**
    over columns: the success rates are averaged and the risk and its interval computed from
    the averages with the number of targets as sample size (conservative, since the columns
    share targets). ``details["per_secret"]`` lists every column and ``max_risk_column`` the
    worst one.
    """
    holdout = _require_holdout(data, "attribute inference")
    featurizer = _symmetric(featurizer, data, rng, 2 * max_reference)
    check_param("n_attacks", n_attacks, "an integer >= 1", n_attacks >= 1)
    columns = list(data.kinds)
    if secret is not None and secret not in data.kinds:
        raise ParameterError(f"The 'secret' parameter must be one of the evaluated columns "
                             f"{columns}. Got {secret!r} instead.")
    if len(columns) < 2:
        return _no_attack_metric("attribute inference risk", _INFERENCE_DEFINITION,
                                 "needs at least one column besides the secret", "")
    secrets = [secret] if secret is not None else columns
    n = min(n_attacks, len(data.real), len(holdout))
    syn_idx = _subsample(len(data.synth), max_reference, rng)
    synth = data.synth.iloc[syn_idx]
    X_syn = featurizer.distance(synth)
    blocks = _column_blocks(featurizer)
    train_rows = data.real.iloc[_subsample(len(data.real), n, rng)]
    hold_rows = holdout.iloc[_subsample(len(holdout), n, rng)]
    guesses_train = _guess_secrets(featurizer.distance(train_rows), X_syn, blocks, secrets)
    guesses_hold = _guess_secrets(featurizer.distance(hold_rows), X_syn, blocks, secrets)
    random_rows = rng.integers(0, len(syn_idx), size=n)
    per_secret = {}
    for s in secrets:
        right = _guess_checker(data, s, tolerance)
        syn_values = synth[s]
        per_secret[s] = {
            "attack": float(right(train_rows[s], syn_values.iloc[guesses_train[s]]).mean()),
            "control": float(right(hold_rows[s], syn_values.iloc[guesses_hold[s]]).mean()),
            "baseline": float(right(train_rows[s], syn_values.iloc[random_rows]).mean()),
        }
        value, ci = _residual_risk(per_secret[s]["attack"] * n, n,
                                   per_secret[s]["control"] * n, n)
        per_secret[s].update(risk=value, ci=list(ci))
    mean = {key: float(np.mean([v[key] for v in per_secret.values()]))
            for key in ("attack", "control", "baseline")}
    worst = max(per_secret, key=lambda s: per_secret[s]["risk"])
    note = _sample_note([("synthetic", len(syn_idx), len(data.synth))])
    if secret is None:
        note = _join(note, f"mean over {len(secrets)} secret columns; worst: {worst} "
                           f"(risk {per_secret[worst]['risk']:.3f})")
    return _risk_metric(
        "attribute inference risk", _INFERENCE_DEFINITION, n, mean["attack"] * n,
        mean["control"] * n, mean["baseline"] * n, note,
        {"aggregate": "single secret" if secret is not None else "mean over secret columns",
         "secrets": secrets, "per_secret": per_secret, "max_risk_column": worst,
         "max_risk": per_secret[worst]["risk"], "tolerance": tolerance})


# --------------------------------------------------------------------------------------------
# Risk arithmetic (Wilson 1927; Anonymeter's residual risk)
# --------------------------------------------------------------------------------------------

_SINGLING_OUT_DEFINITION = (
    "Anonymeter singling-out risk: how much more often predicates that single out one "
    "synthetic row single out one training record than one holdout record, "
    "(attack − control) / (1 − control)")
_LINKABILITY_DEFINITION = (
    "Anonymeter linkability risk: how much more often the synthetic data links the two "
    "halves of a training record's columns than of a holdout record's, "
    "(attack − control) / (1 − control)")
_INFERENCE_DEFINITION = (
    "Anonymeter attribute-inference risk: how much more often the closest synthetic row "
    "reveals a training record's secret column than a holdout record's, "
    "(attack − control) / (1 − control)")


def _wilson(successes: float, total: int) -> tuple[float, float]:
    """Centre and half-width of the 95% Wilson score interval (Wilson 1927).

    >>> c, h = _wilson(50, 100)
    >>> round(c, 3), round(h, 3)
    (0.5, 0.096)
    """
    z2 = _Z95 * _Z95
    denominator = total + z2
    centre = (successes + z2 / 2) / denominator
    spread = successes * (total - successes) / total
    half = _Z95 / denominator * math.sqrt(max(spread, 0.0) + z2 / 4)
    return centre, half


def _wilson_interval(successes: float, total: int) -> tuple[float, float]:
    centre, half = _wilson(successes, total)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def _residual_risk(attack: float, n_attack: int, control: float, n_control: int
                   ) -> tuple[float, tuple[float, float]]:
    """Anonymeter's risk from success counts: (a − c)/(1 − c) on Wilson-centred rates.

    The error is propagated from both Wilson half-widths; value and interval are clipped to
    [0, 1]. A training set attacked no more successfully than the holdout gives 0.

    >>> _residual_risk(500, 500, 250, 500)[0] > 0.98
    True
    >>> risk, (lo, hi) = _residual_risk(250, 500, 250, 500)
    >>> risk, lo, round(hi, 3)
    (0.0, 0.0, 0.123)
    """
    a, ea = _wilson(attack, n_attack)
    c, ec = _wilson(control, n_control)
    risk = (a - c) / (1 - c)
    error = math.hypot(ea / (1 - c), ec * (a - 1) / (1 - c) ** 2)
    clip = lambda x: min(max(x, 0.0), 1.0)  # noqa: E731
    return clip(risk), (clip(risk - error), clip(risk + error))


def _risk_metric(name: str, definition: str, n: int, attack: float, control: float,
                 baseline: float, note: str, extra: dict[str, Any]) -> Metric:
    value, ci = _residual_risk(attack, n, control, n)
    if baseline >= attack:
        note = _join(note, "the attack did no better than random guessing (baseline); the "
                           "risk says little either way")
    return Metric(
        name, "privacy", value, definition=definition, direction="lower", ideal=0.0, ci=ci,
        note=note,
        details={"attack_rate": attack / n, "control_rate": control / n,
                 "baseline_rate": baseline / n, "n_attacks": n, **extra},
    )


def _no_attack_metric(name: str, definition: str, reason: str, note: str) -> Metric:
    return Metric(name, "privacy", float("nan"), definition=definition, direction="lower",
                  ideal=0.0, note=_join(note, f"not computed: {reason}"))


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


# --------------------------------------------------------------------------------------------
# Nearest neighbours, exact and chunked
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Neighbours:
    d2: np.ndarray  # (n_queries, k) squared distances, ascending
    idx: np.ndarray  # (n_queries, k) reference row positions
    ties: np.ndarray | None  # (n_queries,) reference rows within _TIE of the closest


def _nearest(queries: np.ndarray, reference: np.ndarray, k: int = 1, *, ties: bool = False
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
    slack = 1e-6 * (np.einsum("ij,ij->i", Q, Q) + r_sq.max(initial=0.0)) + _TIE
    r_sq = r_sq.astype(np.float32)
    idx_out = np.empty((len(Q), k), dtype=np.intp)
    tie_out = np.empty(len(Q), dtype=np.int64) if ties else None
    step = max(64, _CHUNK // max(len(R), 1))
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


def _closest_is_train(d_train: np.ndarray, ties_train: np.ndarray, d_hold: np.ndarray,
                      ties_hold: np.ndarray) -> np.ndarray:
    """Share of training rows among the real rows at the closest distance, per query."""
    train_first = d_train < d_hold - _TIE
    hold_first = d_hold < d_train - _TIE
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


def _column_blocks(featurizer: Featurizer) -> dict[str, slice]:
    """Which entries of a :meth:`Featurizer.distance` row belong to each column."""
    blocks, start = {}, 0
    for column, kind in featurizer.kinds.items():
        if kind in _CONTINUOUS:
            width = 1 + int(featurizer.has_null_[column])
        else:
            width = len(featurizer.categories_[column]) + 1
        blocks[column] = slice(start, start + width)
        start += width
    return blocks


def _block_range(block: slice) -> np.ndarray:
    return np.arange(block.start, block.stop)


def _deal_columns(data: EvalData) -> tuple[list[str], list[str]]:
    """Columns sorted by distinct training values (most first), dealt alternately to A, B."""
    distinct = {c: data.real[c].nunique(dropna=False) for c in data.kinds}
    order = sorted(distinct, key=lambda c: -distinct[c])  # stable: ties keep column order
    return order[0::2], order[1::2]


def _share_a_row(idx_a: np.ndarray, idx_b: np.ndarray) -> np.ndarray:
    """Whether row i of ``idx_a`` and row i of ``idx_b`` share an entry, per row."""
    return (idx_a[:, :, None] == idx_b[:, None, :]).any(axis=(1, 2))


def _random_sets(n_rows: int, n_sets: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``n_sets`` random subsets of size ``k`` of range(n_rows), as rows."""
    return np.stack([rng.choice(n_rows, size=k, replace=False) for _ in range(n_sets)])


def _guess_secrets(X_targets: np.ndarray, X_syn: np.ndarray, blocks: dict[str, slice],
                   secrets: list[str], rows_per_chunk: int = 64) -> dict[str, np.ndarray]:
    """Per secret, the synthetic row closest to each target on all other columns.

    Squared distances add up over columns, so the distance without the secret's block j is
    the full one minus block j's: with ‖t‖² dropped (constant per target),
    ‖s‖² − 2t·s  −  (‖s_j‖² − 2t_j·s_j). The full term is one float32 product per chunk of
    targets; each secret adds one narrow product [2t_j, 1]·[s_j, −‖s_j‖²], so all secrets cost
    about two full searches. Chunks are small so that the per-secret passes stay in cache.
    """
    shift = X_syn.mean(axis=0, dtype=np.float64)
    S = (X_syn - shift).astype(np.float32)
    T = (X_targets - shift).astype(np.float32)
    full_t, full_s = -2.0 * T, np.ascontiguousarray(S.T)
    s_sq = np.einsum("ij,ij->i", S, S)
    narrow = {}
    for secret in secrets:
        Sj = S[:, blocks[secret]]
        side = -np.einsum("ij,ij->i", Sj, Sj)[:, None]
        narrow[secret] = (2.0 * T[:, blocks[secret]],
                          np.ascontiguousarray(np.hstack([Sj, side]).T))
    out = {s: np.empty(len(T), dtype=np.intp) for s in secrets}
    ones = np.ones((rows_per_chunk, 1), dtype=np.float32)
    for start in range(0, len(T), rows_per_chunk):
        rows = slice(start, min(start + rows_per_chunk, len(T)))
        total = full_t[rows] @ full_s
        total += s_sq
        for secret, (tj, sj) in narrow.items():
            work = np.hstack([tj[rows], ones[: len(total)]]) @ sj
            work += total
            out[secret][rows] = work.argmin(axis=1)
    return out


def _guess_checker(data: EvalData, column: str, tolerance: float
                   ) -> Callable[[pd.Series, pd.Series], np.ndarray]:
    """A function (secrets, guesses) -> bool array of right guesses for ``column``."""
    kind = data.kinds[column]
    if kind not in _CONTINUOUS:
        return lambda truth, guess: as_labels(truth) == as_labels(guess)
    scale = None
    if kind == "datetime":
        values = as_float(data.real[column])
        scale = float(np.nanmax(values) - np.nanmin(values)) if np.isfinite(values).any() \
            else 0.0

    def right(truth: pd.Series, guess: pd.Series) -> np.ndarray:
        t, g = as_float(truth), as_float(guess)
        allowed = tolerance * (np.abs(t) if scale is None else scale)
        with np.errstate(invalid="ignore"):
            close = np.abs(g - t) <= allowed
        return close | (np.isnan(t) & np.isnan(g))

    return right


# --------------------------------------------------------------------------------------------
# Singling-out predicates: conjunctions of lo <= code <= hi on integer codes
# --------------------------------------------------------------------------------------------

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


def _code_matrices(frames: list[pd.DataFrame], kinds: dict[str, str]) -> list[np.ndarray]:
    """Each frame as int32 codes (rows, columns), shared by all frames: numbers and datetimes
    by rank of value (order kept, -1 for null), categories by label (null a label of its own).
    Every predicate is then a range of codes, checked with integer compares."""
    out = [np.empty((len(f), len(kinds)), dtype=np.int32) for f in frames]
    bounds = np.cumsum([0] + [len(f) for f in frames])
    for j, (column, kind) in enumerate(kinds.items()):
        if kind in _CONTINUOUS:
            x = np.concatenate([as_float(f[column]) for f in frames])
            null = np.isnan(x)
            codes = np.full(len(x), _NULL, dtype=np.int64)
            codes[~null] = np.unique(x[~null], return_inverse=True)[1]
        else:
            codes = pd.factorize(np.concatenate([as_labels(f[column]) for f in frames]))[0]
        for i, matrix in enumerate(out):
            matrix[:, j] = codes[bounds[i]: bounds[i + 1]]
    return out


def _match_counts(V: np.ndarray, queries: _Queries) -> np.ndarray:
    """How many rows of ``V`` satisfy each query."""
    n_q, n_c = queries.columns.shape
    counts = np.zeros(n_q, dtype=np.int64)
    flat = queries.columns.ravel()
    width = (queries.hi - queries.lo).astype(np.uint32)  # lo <= x <= hi  <=>  x - lo <= width
    step = max(1, _CHUNK // max(n_q * n_c, 1))
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
    cascade = [_subsample(len(V), size, rng) for size in (128, 1024, 8192)
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
            ys.append(float((_match_counts(V[_subsample(n, size, rng)], queries) == 1).sum()))
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


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _symmetric(featurizer: Featurizer, data: EvalData, rng: np.random.Generator,
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
    pooled = _subsample(n_real + len(data.holdout), max_rows, rng)
    rows = pd.concat([data.real.iloc[pooled[pooled < n_real]],
                      data.holdout.iloc[pooled[pooled >= n_real] - n_real]], ignore_index=True)
    out = type(featurizer)(replace(data, real=rows, holdout=None))
    out.fitted_on_holdout_ = True  # type: ignore[attr-defined]
    return out


def _require_holdout(data: EvalData, what: str) -> pd.DataFrame:
    if data.holdout is None:
        raise ParameterError(f"{what} needs a 'holdout' table: real rows the synthesizer never "
                             "saw, to say what an unseen record scores. Pass holdout=...")
    return data.holdout


def _subsample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of ``min(n, size)`` rows drawn without replacement (all if n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def _row_hashes(frame: pd.DataFrame, kinds: dict[str, str]) -> np.ndarray:
    """One uint64 per row, from normalised values: floats for numbers and datetimes (one NaN,
    0.0 for -0.0), label strings for categories (``(missing)`` for null). Columns are hashed
    one at a time (:func:`pandas.util.hash_array`) and combined, so memory stays at one
    column's worth."""
    out = np.zeros(len(frame), dtype=np.uint64)
    for column, kind in kinds.items():
        if kind in _CONTINUOUS:
            x = as_float(frame[column]) + 0.0  # -0.0 -> 0.0
            values = np.where(np.isnan(x), np.nan, x)
            hashed = pd.util.hash_array(values)
        else:  # hash each distinct label once
            codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
            hashed = pd.util.hash_array(as_labels(pd.Series(uniques, dtype=object)))[codes]
        out = out * np.uint64(1_000_003) ^ hashed
    return out


def _sample_note(parts: list[tuple[str, int, int]]) -> str:
    """'random subsample: 20,000 of 32,561 synthetic rows, ...' for the parts subsampled."""
    used = [f"{k:,} of {n:,} {label} rows" for label, k, n in parts if k < n]
    return "random subsample: " + ", ".join(used) if used else ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
