"""Anonymeter-style linkability attack (Giomi et al., PoPETs 2023)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.privacy.attack_tools import (
    MAX_REFERENCE,
    N_ATTACKS,
    block_range,
    column_blocks,
    nearest,
    no_attack_metric,
    require_holdout,
    risk_metric,
    sample_note,
    subsample,
    symmetric_featurizer,
)
from simulacra.evaluation.views import FrameView


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
    holdout = require_holdout(data, "linkability")
    featurizer = symmetric_featurizer(featurizer, data, rng, 2 * max_reference)
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
        return no_attack_metric("linkability risk", _LINKABILITY_DEFINITION,
                                 "needs at least two columns to split", "")
    n = min(n_attacks, len(data.real), len(holdout))
    syn_idx = subsample(len(data.synth), max_reference, rng)
    k = min(n_neighbors, len(syn_idx))
    blocks = column_blocks(featurizer)
    cols_a = np.concatenate([block_range(blocks[c]) for c in aux_a])
    cols_b = np.concatenate([block_range(blocks[c]) for c in aux_b])
    X_syn = featurizer.distance(data.synth_view, syn_idx)

    def links(view: FrameView) -> int:
        X = featurizer.distance(view, subsample(len(view), n, rng))
        idx_a = nearest(X[:, cols_a], X_syn[:, cols_a], k=k).idx
        idx_b = nearest(X[:, cols_b], X_syn[:, cols_b], k=k).idx
        return int(_share_a_row(idx_a, idx_b).sum())

    n_attack, n_control = links(data.real_view), links(data.holdout_view)
    random_a = _random_sets(len(syn_idx), n, k, rng)
    random_b = _random_sets(len(syn_idx), n, k, rng)
    n_baseline = int(_share_a_row(random_a, random_b).sum())
    note = sample_note([("synthetic", len(syn_idx), len(data.synth))])
    return risk_metric(
        "linkability risk", _LINKABILITY_DEFINITION, n, n_attack, n_control, n_baseline, note,
        {"aux_columns": [aux_a, aux_b], "n_neighbors": k})


_LINKABILITY_DEFINITION = (
    "Anonymeter linkability risk: how much more often the synthetic data links the two "
    "halves of a training record's columns than of a holdout record's, "
    "(attack − control) / (1 − control)")


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


