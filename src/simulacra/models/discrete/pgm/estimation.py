"""Private-PGM estimation: the graphical model whose marginals best fit noisy measurements.

McKenna, Sheldon & Miklau, "Graphical-model based estimation and inference for differential
privacy" (ICML 2019). Each measurement is a clique's histogram plus Gaussian noise of scale σ;
the estimate minimizes ``Σ ||μ_C − y||² / (2σ²)`` over the marginal polytope by entropic
mirror descent: the log-potentials θ take steps against the gradient in marginal space, with
an Armijo backtracking line search. Only post-processing of the measurements: no privacy cost.

>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 3, 5000); b = (a + (rng.random(5000) < 0.1)) % 3
>>> truth = np.histogram2d(a, b, bins=[3, 3], range=[[0, 3], [0, 3]])[0]
>>> m = [Measurement(("a", "b"), truth + rng.normal(0, 10, (3, 3)), 10.0)]
>>> model = estimate(m, {"a": 3, "b": 3}, total=5000.0, iterations=300)
>>> bool(np.abs(model.marginal(("a", "b")) - truth).sum() / 5000 < 0.02)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simulacra.models.discrete.pgm.factor import Factor
from simulacra.models.discrete.pgm.model import Clique, GraphicalModel


@dataclass(frozen=True)
class Measurement:
    """A noisy histogram ``y`` of ``clique`` (axes in its order), with noise scale ``sigma``."""

    clique: Clique
    y: np.ndarray
    sigma: float


def estimate_total(measurements: Sequence[Measurement]) -> float:
    """Inverse-variance weighted mean of the measured totals (at least 1)."""
    weights = np.array([1 / (m.sigma ** 2 * m.y.size) for m in measurements])
    totals = np.array([m.y.sum() for m in measurements])
    return float(max((weights * totals).sum() / weights.sum(), 1.0))


def estimate(measurements: Sequence[Measurement], sizes: Mapping[str, int], total: float,
             iterations: int = 1000, warm: GraphicalModel | None = None,
             attrs: list[str] | None = None, tolerance: float = 1e-7) -> GraphicalModel:
    """Fit a model to ``measurements`` (warm-started from ``warm``'s potentials if given)."""
    cliques = list(dict.fromkeys(m.clique for m in measurements))
    theta = {c: Factor.zeros(c, sizes) for c in cliques}
    if warm is not None:
        for c, f in warm.theta.items():
            if c in theta:
                theta[c] = f
            else:  # a clique no longer measured keeps its potentials inside a measured one
                home = next((m for m in cliques if set(c) <= set(m)), None)
                if home is not None:
                    theta[home] = Factor(home, theta[home].values + f.expand(home))
                else:
                    theta[c] = f
    model = GraphicalModel.build(theta, sizes, total, attrs)
    by_clique: dict[Clique, list[Measurement]] = {}
    for m in measurements:
        by_clique.setdefault(m.clique, []).append(m)

    def loss_and_grad(model: GraphicalModel) -> tuple[float, dict[Clique, np.ndarray],
                                                      dict[Clique, np.ndarray]]:
        loss, grads, marginals = 0.0, {}, {}
        for clique, ms in by_clique.items():
            mu = model.marginal(clique)
            marginals[clique] = mu
            grad = np.zeros_like(mu)
            for m in ms:
                diff = mu - m.y
                loss += 0.5 * float((diff ** 2).sum()) / m.sigma ** 2
                grad += diff / m.sigma ** 2
            grads[clique] = grad
        return loss, grads, marginals

    loss, grads, mus = loss_and_grad(model)
    alpha = 1.0 / total ** 2 * max(min(m.sigma for m in measurements) ** 2, 1.0)
    for _ in range(iterations):
        alpha *= 2.0
        for _ in range(30):
            theta_new = {c: Factor(f.attrs, f.values - alpha * grads[c]) if c in grads else f
                         for c, f in model.theta.items()}
            candidate = model.with_theta(theta_new)
            new_loss, new_grads, new_mus = loss_and_grad(candidate)
            drop = sum(float((grads[c] * (mus[c] - new_mus[c])).sum()) for c in grads)
            if loss - new_loss >= 0.5 * alpha * drop:
                break
            alpha *= 0.5
        improved = loss - new_loss
        model, loss, grads, mus = candidate, new_loss, new_grads, new_mus
        if 0 <= improved <= tolerance * max(loss, 1.0):
            break
    return model
