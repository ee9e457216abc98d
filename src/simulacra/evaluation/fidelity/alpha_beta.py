"""α-precision and β-recall (Alaa et al., ICML 2022): sample-level fidelity and diversity."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer


def alpha_precision_beta_recall(data: EvalData, featurizer: Featurizer, rng: np.random.Generator,
                                max_rows: int = 10_000) -> list[Metric]:
    """α-precision and β-recall, the "naive" (no one-class embedding) form of synthcity.

    Rows are the featurizer's distance vectors, ``n = min(len(real), len(synthetic),
    max_rows)`` of each table drawn with ``rng`` (the method needs equal counts). For α on a
    grid of 30 levels in [0, 1]:

    1. the α-support of the real data is the ball around the real mean holding a share α of
       the real rows; ``P(α)`` is the share of synthetic rows inside it;
    2. ``R(β)`` is the share of real rows whose nearest synthetic row is closer than their
       nearest other real row *and* lies in the β-support of the synthetic data (ball around
       the synthetic mean holding a share β of those nearest synthetic rows);
    3. α-precision = 1 − 2 ∫ |P(α) − α| dα, β-recall = 1 − 2 ∫ |R(β) − β| dβ (Riemann sums),
       clipped to [0, 1]; both are 1 when the synthetic rows follow the real distribution.

    ``details`` hold both curves.
    Reference: A. Alaa, B. van Breugel, E. Saveliev, M. van der Schaar, "How Faithful is your
    Synthetic Data? Sample-level Metrics for Evaluating and Auditing Generative Models",
    ICML 2022; ``synthcity.metrics.eval_statistical.AlphaPrecision``.
    """
    n = min(len(data.real), len(data.synth), max_rows)
    real = featurizer.distance(data.real_view, _rows(len(data.real), n, rng)).astype(np.float64)
    synth = featurizer.distance(data.synth_view,
                                _rows(len(data.synth), n, rng)).astype(np.float64)
    alphas = np.linspace(0.0, 1.0, 30)
    step = alphas[1] - alphas[0]

    # 1. alpha-precision: synthetic rows inside real quantile balls around the real mean.
    center_real = real.mean(axis=0)
    radii = np.quantile(np.linalg.norm(real - center_real, axis=1), alphas)
    synth_to_center = np.linalg.norm(synth - center_real, axis=1)
    precision_curve = (synth_to_center[None, :] <= radii[:, None]).mean(axis=1)

    # 2. beta-recall: real rows well covered by a typical synthetic row.
    real_to_real = NearestNeighbors(n_neighbors=2).fit(real).kneighbors(real)[0][:, 1]
    real_to_synth, nearest = NearestNeighbors(n_neighbors=1).fit(synth).kneighbors(real)
    real_to_synth, nearest = real_to_synth[:, 0], nearest[:, 0]
    closest_to_center = np.linalg.norm(synth[nearest] - synth.mean(axis=0), axis=1)
    synth_radii = np.quantile(closest_to_center, alphas)
    covered = real_to_synth <= real_to_real
    recall_curve = (covered[None, :] & (closest_to_center[None, :] <= synth_radii[:, None])
                    ).mean(axis=1)

    # 3. integrated deviations from the diagonal.
    precision = float(np.clip(1 - 2 * np.abs(alphas - precision_curve).sum() * step, 0, 1))
    recall = float(np.clip(1 - 2 * np.abs(alphas - recall_curve).sum() * step, 0, 1))
    details = {"alphas": alphas, "precision_curve": precision_curve,
               "recall_curve": recall_curve, "rows": n}
    note = f"{n:,} rows of each table" if n < max(len(data.real), len(data.synth)) else ""
    return [
        Metric("alpha precision", "fidelity", precision,
               definition=("1 − 2∫|P(α) − α|dα, P(α) the share of synthetic rows inside the "
                           "smallest ball around the real mean that holds a share α of real "
                           "rows (Alaa et al. 2022, naive form)."),
               direction="higher", ideal=1.0, note=note, details=details),
        Metric("beta recall", "fidelity", recall,
               definition=("1 − 2∫|R(β) − β|dβ, R(β) the share of real rows whose nearest "
                           "synthetic row is nearer than their nearest real row and inside the "
                           "synthetic β-support (Alaa et al. 2022, naive form)."),
               direction="higher", ideal=1.0, note=note, details=details),
    ]


def _rows(total: int, n: int, rng: np.random.Generator) -> np.ndarray | None:
    """``n`` sorted distinct row positions out of ``total`` drawn with ``rng`` (None: all)."""
    if n >= total:
        return None
    return np.sort(rng.choice(total, size=n, replace=False))
