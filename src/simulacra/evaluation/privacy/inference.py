"""Anonymeter-style attribute-inference attack (Giomi et al., PoPETs 2023)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.privacy.attack_tools import (
    MAX_REFERENCE,
    N_ATTACKS,
    column_blocks,
    join_notes,
    no_attack_metric,
    require_holdout,
    residual_risk,
    risk_metric,
    sample_note,
    subsample,
    symmetric_featurizer,
)
from simulacra.evaluation.views import FrameView
from simulacra.kinds import ColumnKind


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
    holdout = require_holdout(data, "attribute inference")
    featurizer = symmetric_featurizer(featurizer, data, rng, 2 * max_reference)
    check_param("n_attacks", n_attacks, "an integer >= 1", n_attacks >= 1)
    columns = list(data.kinds)
    if secret is not None and secret not in data.kinds:
        raise ParameterError(f"The 'secret' parameter must be one of the evaluated columns "
                             f"{columns}. Got {secret!r} instead.")
    if len(columns) < 2:
        return no_attack_metric("attribute inference risk", _INFERENCE_DEFINITION,
                                 "needs at least one column besides the secret", "")
    secrets = [secret] if secret is not None else columns
    n = min(n_attacks, len(data.real), len(holdout))
    syn_idx = subsample(len(data.synth), max_reference, rng)
    X_syn = featurizer.distance(data.synth_view, syn_idx)
    blocks = column_blocks(featurizer)
    train_idx = subsample(len(data.real), n, rng)
    hold_idx = subsample(len(holdout), n, rng)
    guesses_train = _guess_secrets(featurizer.distance(data.real_view, train_idx), X_syn,
                                   blocks, secrets)
    guesses_hold = _guess_secrets(featurizer.distance(data.holdout_view, hold_idx), X_syn,
                                  blocks, secrets)
    random_rows = rng.integers(0, len(syn_idx), size=n)
    per_secret = {}
    for s in secrets:
        right = _guess_checker(data, s, tolerance)
        values = _secret_values(data.kinds[s], s)
        syn_values = values(data.synth_view)[syn_idx]
        train_values, hold_values = values(data.real_view)[train_idx], \
            values(data.holdout_view)[hold_idx]
        per_secret[s] = {
            "attack": float(right(train_values, syn_values[guesses_train[s]]).mean()),
            "control": float(right(hold_values, syn_values[guesses_hold[s]]).mean()),
            "baseline": float(right(train_values, syn_values[random_rows]).mean()),
        }
        value, ci = residual_risk(per_secret[s]["attack"] * n, n,
                                   per_secret[s]["control"] * n, n)
        per_secret[s].update(risk=value, ci=list(ci))
    mean = {key: float(np.mean([v[key] for v in per_secret.values()]))
            for key in ("attack", "control", "baseline")}
    worst = max(per_secret, key=lambda s: per_secret[s]["risk"])
    note = sample_note([("synthetic", len(syn_idx), len(data.synth))])
    if secret is None:
        note = join_notes(note, f"mean over {len(secrets)} secret columns; worst: {worst} "
                           f"(risk {per_secret[worst]['risk']:.3f})")
    return risk_metric(
        "attribute inference risk", _INFERENCE_DEFINITION, n, mean["attack"] * n,
        mean["control"] * n, mean["baseline"] * n, note,
        {"aggregate": "single secret" if secret is not None else "mean over secret columns",
         "secrets": secrets, "per_secret": per_secret, "max_risk_column": worst,
         "max_risk": per_secret[worst]["risk"], "tolerance": tolerance})


_INFERENCE_DEFINITION = (
    "Anonymeter attribute-inference risk: how much more often the closest synthetic row "
    "reveals a training record's secret column than a holdout record's, "
    "(attack − control) / (1 − control)")


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


def _secret_values(kind: ColumnKind, column: str) -> Callable[[FrameView], np.ndarray]:
    """How a secret column is compared: its labels (categories) or its floats (numbers)."""
    if kind.family == "continuous":
        return lambda view: view.floats(column)
    return lambda view: view.labels(column)


def _guess_checker(data: EvalData, column: str, tolerance: float
                   ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A function (secrets, guesses) -> bool array of right guesses for ``column``, both as
    :func:`_secret_values` gives them."""
    kind = data.kinds[column]
    if kind.family != "continuous":
        return lambda truth, guess: truth == guess
    scale = None
    if kind.temporal:
        values = data.real_view.floats(column)
        scale = float(np.nanmax(values) - np.nanmin(values)) if np.isfinite(values).any() \
            else 0.0

    def right(t: np.ndarray, g: np.ndarray) -> np.ndarray:
        allowed = tolerance * (np.abs(t) if scale is None else scale)
        with np.errstate(invalid="ignore"):
            close = np.abs(g - t) <= allowed
        return close | (np.isnan(t) & np.isnan(g))

    return right


