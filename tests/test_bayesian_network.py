"""BayesianNetwork and PrivBayes: dependencies kept, rare values kept, exact budget, valid DAG."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.errors import ParameterError
from simulacra.kinds import Categorical
from simulacra.models.discrete.bayesian_network import _mi_sensitivity, _mutual_information
from simulacra.privacy.mechanisms import COUNT_SHARE

LEVELS = ("p", "q", "r", "s")


def dependent(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """``b`` copies ``a`` 95 % of the time; ``y`` rises and ``z`` falls with ``x``."""
    rng = np.random.default_rng(seed)
    a = rng.choice(LEVELS, n)
    b = np.where(rng.random(n) < 0.95, a, rng.choice(LEVELS, n))
    x = rng.normal(0, 1, n)
    return pd.DataFrame({
        "a": pd.Series(a, dtype="str"), "b": pd.Series(b, dtype="str"),
        "x": x, "y": 3 * x + rng.normal(0, 1, n), "z": 10 - x + rng.normal(0, 0.5, n),
        "flag": rng.random(n) < 0.3,
    })


def chain(n: int = 3000, seed: int = 0, keep: tuple[float, ...] = (0.95, 0.85, 0.75, 0.65)
          ) -> pd.DataFrame:
    """A Markov chain c0 → c1 → … whose links weaken: its Chow-Liu tree is the chain."""
    rng = np.random.default_rng(seed)
    cols = [rng.choice(LEVELS, n)]
    for k in keep:
        cols.append(np.where(rng.random(n) < k, cols[-1], rng.choice(LEVELS, n)))
    return pd.DataFrame({f"c{i}": pd.Series(c, dtype="str") for i, c in enumerate(cols)})


def chain_metadata(df: pd.DataFrame) -> sim.Metadata:
    """Declared categories: the discretization is public, so DP and non-DP codes agree."""
    return sim.Metadata({c: Categorical(categories=LEVELS) for c in df.columns})


def edges(model: sim.BayesianNetwork) -> set[frozenset[str]]:
    return {frozenset((child, p)) for child, parents in model.network_ for p in parents}


def budget(epsilon: float = 1.0) -> sim.PrivacyBudget:
    return sim.PrivacyBudget(epsilon=epsilon)


# -- fidelity without privacy ---------------------------------------------------------------
def test_keeps_strong_dependencies() -> None:
    df = dependent()
    model = sim.BayesianNetwork(random_state=0).fit(df)
    synth = model.sample(5000)
    assert (synth["a"] == synth["b"]).mean() > 0.85
    assert synth["x"].corr(synth["y"]) > 0.75  # real: 0.95
    assert synth["x"].corr(synth["z"]) < -0.7  # real: -0.9
    assert abs(synth["flag"].mean() - df["flag"].mean()) < 0.03


def test_independent_when_degree_zero() -> None:
    df = dependent()
    model = sim.BayesianNetwork(degree=0, random_state=0).fit(df)
    assert all(parents == () for _, parents in model.network_)
    synth = model.sample(5000)
    assert (synth["a"] == synth["b"]).mean() < 0.4  # 0.25 under independence
    assert abs(synth["x"].corr(synth["y"])) < 0.1


def test_rare_category_still_sampled() -> None:
    df = dependent(3000)
    df.loc[[5, 700, 2100], "a"] = "rare"  # 0.1 % of the rows
    # value protection would replace a category of 3 rows: this is about the smoothing
    model = sim.BayesianNetwork(random_state=1, value_protection=False).fit(df)
    synth = model.sample(20_000)
    assert (synth["a"] == "rare").sum() >= 3  # ~20 expected
    assert set(synth["a"]) <= {*LEVELS, "rare"}


# -- reproducibility and persistence ----------------------------------------------------------
def test_same_seed_same_samples() -> None:
    df = sim.datasets.load_demo().head(1500)
    first = sim.BayesianNetwork(random_state=3).fit(df)
    second = sim.BayesianNetwork(random_state=3).fit(df)
    assert first.network_ == second.network_
    pd.testing.assert_frame_equal(first.sample(300), second.sample(300))
    other = sim.BayesianNetwork(random_state=4).fit(df)
    assert not other.sample(300, rng=0).equals(first.sample(300, rng=0))


@pytest.mark.parametrize("private", [False, True])
def test_save_load_round_trip(tmp_path, private: bool) -> None:
    df = sim.datasets.load_demo().head(1500)
    kwargs = {"privacy": budget()} if private else {}
    model = sim.BayesianNetwork(random_state=5, **kwargs).fit(df)
    path = tmp_path / "bn.simz"
    model.save(path)
    loaded = sim.load(path)
    assert type(loaded) is sim.BayesianNetwork
    assert loaded.network_ == model.network_
    for child, table in model.conditionals_.items():
        np.testing.assert_array_equal(loaded.conditionals_[child], table)
    assert loaded.privacy_report_ == model.privacy_report_
    pd.testing.assert_frame_equal(loaded.sample(400, rng=9), model.sample(400, rng=9))
    fresh = sim.BayesianNetwork(random_state=5, **kwargs).fit(df)
    pd.testing.assert_frame_equal(loaded.sample(400), fresh.sample(400))  # same own stream


# -- privacy ---------------------------------------------------------------------------------
def test_privbayes_needs_a_budget() -> None:
    with pytest.raises(ParameterError, match="privacy"):
        sim.PrivBayes(random_state=0).fit(dependent(200))


def test_privbayes_spends_exactly_the_budget() -> None:
    df = sim.datasets.load_demo().head(2000)
    model = sim.PrivBayes(privacy=budget(0.7), random_state=0).fit(df)
    report = model.privacy_report_
    assert abs(report.epsilon - 0.7) < 1e-6
    assert set(report.stages) == {"metadata", "model"}
    # nothing declared: half the budget on the encoding, and the noisy row count's 1 %
    assert report.stages["metadata"].share == pytest.approx(0.5 + COUNT_SHARE, abs=1e-6)
    whats = [m.what for m in report.mechanisms if m.stage == "model"]
    d = len(model.network_)
    assert sum(w.startswith("conditional") for w in whats) == d
    assert 0 < sum(w.startswith("structure") for w in whats) <= d - 1
    for table in model.conditionals_.values():  # proper conditional distributions
        assert np.all(table >= 0)
        np.testing.assert_allclose(table.sum(axis=-1), 1.0)


def test_bayesian_network_with_budget_is_privbayes() -> None:
    df = sim.datasets.load_demo().head(1000)
    a = sim.BayesianNetwork(privacy=budget(), random_state=2).fit(df)
    b = sim.PrivBayes(privacy=budget(), random_state=2).fit(df)
    assert a.network_ == b.network_
    pd.testing.assert_frame_equal(a.sample(200), b.sample(200))
    assert a.privacy_report_.epsilon == pytest.approx(b.privacy_report_.epsilon)


def test_structure_at_huge_epsilon_is_the_greedy_one() -> None:
    df = chain()
    md = chain_metadata(df)
    truth = {frozenset((f"c{i}", f"c{i + 1}")) for i in range(4)}
    plain = sim.BayesianNetwork(md, degree=1, random_state=0).fit(df)
    assert edges(plain) == truth  # Prim's algorithm: the Chow-Liu tree, whatever the root
    for seed in range(3):
        private = sim.PrivBayes(md, degree=1, privacy=budget(1e4), random_state=seed).fit(df)
        assert edges(private) == truth


def test_structure_at_tiny_epsilon_is_noisy() -> None:
    df = chain()
    md = chain_metadata(df)
    found = {frozenset(edges(sim.PrivBayes(md, degree=1, privacy=budget(0.02), usefulness=1e-3,
                                            random_state=seed).fit(df)))
             for seed in range(6)}
    assert len(found) > 1
    # with θ-usefulness, tables this noisy are not worth a parent: independent columns
    model = sim.PrivBayes(md, degree=1, privacy=budget(0.02), random_state=0).fit(df)
    assert edges(model) == set()
    mechanisms = model.privacy_report_.mechanisms
    assert all(m.what.startswith("conditional") for m in mechanisms if m.stage == "model")
    # every domain is declared: the encoding stage paid only the noisy row count
    assert [m.what for m in mechanisms if m.stage == "metadata"] == [
        "rows: noisy count (schedule, budget check)"]


def test_sensitivity_bounds_one_row_changes() -> None:
    """PrivBayes's Lemma 4.1 holds on small tables, for replacing, adding or removing a row."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, rows, cols = int(rng.integers(4, 25)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
        table = rng.multinomial(n, rng.dirichlet(np.full(rows * cols, 0.2))).reshape(rows, cols)
        sizes = {"child": cols, "parent": rows}
        bound = _mi_sensitivity(n, "child", ("parent",), sizes)
        base = _mutual_information(table.astype(float))
        for i, j in np.ndindex(table.shape):
            for delta in (1, -1):
                if table[i, j] + delta < 0:
                    continue
                changed = table.astype(float)
                changed[i, j] += delta
                assert abs(_mutual_information(changed) - base) <= bound + 1e-12
    assert _mi_sensitivity(1001, "c", ("p",), {"c": 2, "p": 5}) == pytest.approx(
        math.log(1000) / 1000 + 999 / 1000 * math.log(1000 / 999))


# -- parameters and structure ------------------------------------------------------------------
@pytest.mark.parametrize(("param", "value"), [
    ("degree", -1), ("degree", "2"), ("degree", 5), ("degree", 1.0), ("bins", 1),
    ("structure_share", 1.0), ("max_cells", 0), ("max_candidates", 0), ("smoothing", -1.0),
    ("usefulness", 0), ("metadata_share", 0.9),
])
def test_bad_parameters(param: str, value: object) -> None:
    with pytest.raises(ParameterError, match=f"'{param}'"):
        sim.BayesianNetwork(**{param: value}).fit(dependent(100))


@pytest.mark.parametrize(("degree", "kwargs"), [
    (1, {}), (3, {}), (2, {"max_candidates": 5}), (2, {"max_cells": 40}),
    (2, {"privacy": budget()}),
])
def test_network_is_a_dag_in_topological_order(degree: int, kwargs: dict) -> None:
    df = sim.datasets.load_demo().head(1500)
    model = sim.BayesianNetwork(degree=degree, random_state=0, **kwargs).fit(df)
    seen: list[str] = []
    for child, parents in model.network_:
        assert child not in seen
        assert set(parents) <= set(seen)
        assert len(parents) <= degree
        assert len(set(parents)) == len(parents)
        assert model.conditionals_[child].shape == (
            *(model.sizes_[p] for p in parents), model.sizes_[child])
        if "max_cells" in kwargs:
            assert model.conditionals_[child].size <= kwargs["max_cells"] \
                or parents == ()
        seen.append(child)
    assert sorted(seen) == sorted(df.columns)
    assert model.sample(50).shape == (50, df.shape[1])


def test_registered() -> None:
    assert sim.MODELS["bayesian_network"] is sim.BayesianNetwork
    assert sim.MODELS["privbayes"] is sim.PrivBayes
    assert sim.PrivBayes.requires_privacy and not sim.BayesianNetwork.requires_privacy
    with pytest.raises(ParameterError, match="privbayes"):
        sim.GaussianCopula(privacy=budget())
