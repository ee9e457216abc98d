"""Private-PGM's graphical model: exact inference against brute force, estimation, sampling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulacra.models.discrete.pgm.estimation import Measurement, estimate, estimate_total
from simulacra.models.discrete.pgm.factor import Factor
from simulacra.models.discrete.pgm.junction_tree import JunctionTree
from simulacra.models.discrete.pgm.model import GraphicalModel

SIZES = {"a": 2, "b": 3, "c": 4, "d": 2, "e": 3}
CLIQUES = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("d", "e")]  # one cycle: a-b-c-d


def random_model(seed: int, total: float = 1000.0) -> GraphicalModel:
    rng = np.random.default_rng(seed)
    theta = {c: Factor(c, rng.normal(0, 1.5, [SIZES[a] for a in c])) for c in CLIQUES}
    return GraphicalModel.build(theta, SIZES, total)


def brute_force(model: GraphicalModel) -> np.ndarray:
    """The joint over all of SIZES (axes in its order), from the potentials directly."""
    attrs = tuple(SIZES)
    log_p = np.zeros([SIZES[a] for a in attrs])
    for f in model.theta.values():
        log_p = log_p + f.expand(attrs)
    p = np.exp(log_p - log_p.max())
    return p / p.sum() * model.total


def marginal_of(joint: np.ndarray, clique: tuple[str, ...]) -> np.ndarray:
    attrs = list(SIZES)
    drop = tuple(i for i, a in enumerate(attrs) if a not in clique)
    kept = [a for a in attrs if a in clique]
    m = joint.sum(axis=drop)
    return np.transpose(m, [kept.index(a) for a in clique])


def test_junction_tree_covers_every_clique_and_has_running_intersection():
    tree = JunctionTree.build(CLIQUES, SIZES)
    for c in CLIQUES:
        assert any(set(c) <= set(k) for k in tree.cliques)
    # running intersection: the cliques holding any attribute form a connected subtree
    for a in SIZES:
        holding = {i for i, k in enumerate(tree.cliques) if a in k}
        linked = {(p, c) for p, c in tree.edges if p in holding and c in holding}
        assert len(linked) == len(holding) - 1, a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_marginal_is_exact(seed):
    model = random_model(seed)
    joint = brute_force(model)
    for r in (1, 2, 3):
        for clique in itertools.combinations(SIZES, r):
            got = model.marginal_any(clique)
            np.testing.assert_allclose(got, marginal_of(joint, clique), rtol=1e-9, atol=1e-9)
    assert model.marginal(("a", "b")).sum() == pytest.approx(1000.0)


def test_samples_follow_the_model():
    model = random_model(3)
    rows = model.sample(200_000, np.random.default_rng(0))
    assert set(rows) == set(SIZES)
    for clique in [("a", "b"), ("a", "c"), ("b", "e")]:
        counts = np.zeros([SIZES[a] for a in clique])
        np.add.at(counts, tuple(rows[a] for a in clique), 1)
        expected = model.marginal_any(clique) / model.total
        assert np.abs(counts / 200_000 - expected).sum() < 0.01, clique


def test_same_generator_same_rows_and_state_round_trip():
    model = random_model(4)
    again = GraphicalModel.from_state(model.get_state())
    a = model.sample(500, np.random.default_rng(7))
    b = again.sample(500, np.random.default_rng(7))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_estimation_recovers_the_measured_marginals():
    truth = random_model(5, total=10_000.0)
    measurements = [Measurement(c, truth.marginal_any(c), 1.0) for c in CLIQUES]
    assert estimate_total(measurements) == pytest.approx(10_000.0)
    fitted = estimate(measurements, SIZES, 10_000.0, iterations=2000)
    for c in CLIQUES:
        err = np.abs(fitted.marginal_any(c) - truth.marginal_any(c)).sum() / 10_000
        assert err < 0.01, c
    # and what was not measured follows from the structure, as in the true model
    err = np.abs(fitted.marginal_any(("b", "e")) - truth.marginal_any(("b", "e"))).sum() / 10_000
    assert err < 0.02


def test_estimation_averages_noisy_repeats():
    """Two noisy measurements of one clique: the estimate beats either alone."""
    rng = np.random.default_rng(6)
    truth = np.array([[400.0, 100.0, 0.0], [50.0, 250.0, 200.0]])
    ys = [truth + rng.normal(0, 30, truth.shape) for _ in range(8)]
    fitted = estimate([Measurement(("a", "b"), y, 30.0) for y in ys],
                      {"a": 2, "b": 3}, total=1000.0, iterations=500)
    single = min(np.abs(np.maximum(y, 0) - truth).sum() for y in ys)
    assert np.abs(fitted.marginal(("a", "b")) - truth).sum() < single
    assert (fitted.marginal(("a", "b")) >= 0).all()
