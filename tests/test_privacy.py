"""Privacy figures: a copy of the training data must be flagged by every one of them, fresh
draws from the training data's own distribution by none (they score like the holdout)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from simulacra.errors import ParameterError
from simulacra.evaluation import privacy
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import Featurizer, prepare
from simulacra.evaluation.privacy import attack_tools, distances

N = 600


def population(n: int, seed: int) -> pd.DataFrame:
    """A known distribution: three correlated gaussians, a category and a flag tied to them."""
    rng = np.random.default_rng(seed)
    cov = [[1.0, 0.7, 0.3], [0.7, 1.0, 0.5], [0.3, 0.5, 1.0]]
    x = rng.multivariate_normal(np.zeros(3), cov, size=n)
    colour = np.where(x[:, 0] + rng.normal(0, 0.5, n) > 0.5, "red",
                      np.where(x[:, 1] > -0.3, "green", "blue"))
    return pd.DataFrame({
        "x1": x[:, 0], "x2": 10 + 3 * x[:, 1], "x3": np.exp(x[:, 2]),
        "colour": pd.Series(colour, dtype="str"),
        "flag": x[:, 2] + rng.normal(0, 0.5, n) > 0.3,
    })


def discrete_population(n: int, seed: int) -> pd.DataFrame:
    """Few distinct rows, so that real rows repeat each other by chance."""
    rng = np.random.default_rng(seed)
    a = rng.choice(["p", "q", "r"], n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame({"a": pd.Series(a, dtype="str"),
                         "b": rng.integers(0, 3, n) + (a == "p"),
                         "c": rng.random(n) < 0.2})


def evaluate(synth: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame | None,
             seed: int = 0) -> dict[str, Metric]:
    data = prepare(train, synth, holdout)
    found = privacy.privacy(data, Featurizer(data), np.random.default_rng(seed))
    return {m.name: m for m in found}


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return population(N, seed=1)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return population(N, seed=2)


@pytest.fixture(scope="module")
def copied(train, holdout):
    synth = train.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return evaluate(synth, train, holdout)


@pytest.fixture(scope="module")
def fresh(train, holdout):
    return evaluate(population(N, seed=3), train, holdout)


EXPECTED = {"exact copies", "DCR share", "DCR median", "NNDR", "membership inference AUC",
            "singling-out risk", "linkability risk", "attribute inference risk"}


def test_every_figure_is_typed_and_says_what_normal_is(fresh):
    assert set(fresh) == EXPECTED
    for m in fresh.values():
        assert m.group == "privacy" and m.definition
        assert m.direction in ("higher", "lower", "closer")
        assert np.isfinite(m.value)
        assert m.ci is None or m.ci[0] <= m.value <= m.ci[1]
        m.to_dict()  # JSON-safe
    for name in ("exact copies", "DCR share", "DCR median", "NNDR",
                 "membership inference AUC"):
        assert fresh[name].reference is not None, name
    for name in ("singling-out risk", "linkability risk", "attribute inference risk"):
        details = fresh[name].details
        assert {"attack_rate", "control_rate", "baseline_rate"} <= set(details), name


def test_a_copy_of_train_is_flagged_by_every_figure(copied):
    assert copied["exact copies"].value == 1.0
    assert copied["exact copies"].reference == 0.0
    assert copied["DCR share"].value > 0.99
    assert copied["DCR median"].value == 0.0 < copied["DCR median"].reference
    assert copied["NNDR"].value < 0.01 and copied["NNDR"].reference > 0.3
    assert copied["membership inference AUC"].value > 0.99
    for name in ("singling-out risk", "linkability risk", "attribute inference risk"):
        risk = copied[name]
        assert risk.value > 0.6 and risk.ci[0] > 0.5, (name, risk.value, risk.details)
        assert risk.details["attack_rate"] > risk.details["control_rate"]


def test_fresh_draws_from_the_same_distribution_score_like_the_holdout(fresh):
    assert fresh["exact copies"].value == fresh["exact copies"].reference == 0.0
    # tolerances are ~4 standard errors at 600 rows
    assert abs(fresh["DCR share"].value - 0.5) < 0.07
    assert abs(fresh["membership inference AUC"].value - 0.5) < 0.07
    median, nndr = fresh["DCR median"], fresh["NNDR"]
    assert median.value == pytest.approx(median.reference, rel=0.25)
    assert nndr.value == pytest.approx(nndr.reference, abs=0.08)
    for name in ("singling-out risk", "linkability risk", "attribute inference risk"):
        risk = fresh[name]
        assert risk.value < 0.15 and risk.ci[0] < 0.1, (name, risk.value, risk.details)


def test_partial_copies_land_in_between(train, holdout):
    synth = pd.concat([train.iloc[:200], population(N - 200, seed=4)], ignore_index=True)
    got = evaluate(synth, train, holdout)
    assert got["exact copies"].value == pytest.approx(200 / N)
    assert 0.6 < got["DCR share"].value < 0.8  # 1/3 copies + 2/3 × 0.5 = 2/3
    assert 0.6 < got["membership inference AUC"].value < 0.75


def test_dcr_share_is_on_the_equal_size_scale_when_sizes_differ():
    train, holdout = population(900, seed=5), population(300, seed=6)
    fresh = evaluate(population(900, seed=7), train, holdout)["DCR share"]
    assert fresh.details["expected_raw_share"] == pytest.approx(0.75)
    assert abs(fresh.details["raw_share"] - 0.75) < 0.06
    assert abs(fresh.value - 0.5) < 0.08
    copied = evaluate(train.copy(), train, holdout)
    assert copied["DCR share"].value > 0.99
    assert copied["singling-out risk"].value > 0.6


def test_exact_copies_of_repetitive_data_match_the_holdout_rate():
    train, holdout = discrete_population(N, seed=1), discrete_population(N, seed=2)
    data = prepare(train, discrete_population(N, seed=3), holdout)
    fresh = privacy.exact_copies(data)
    assert fresh.reference > 0.9  # real rows repeat each other by chance
    assert fresh.value == pytest.approx(fresh.reference, abs=0.04)
    assert privacy.exact_copies(prepare(train, train.iloc[::-1], None)).value == 1.0


def test_exact_copies_compare_values_not_representations():
    train = pd.DataFrame({"n": [1, 2, 3], "x": [0.0, np.nan, 2.5],
                          "c": pd.Series(["a", None, "b"], dtype="str")})
    synth = pd.DataFrame({"n": [1.0, 2.0, 3.0], "x": [-0.0, np.nan, 2.5000001],
                          "c": pd.Series(["a", None, "b"], dtype="object")})
    data = prepare(train, synth, train.iloc[[0]])
    m = privacy.exact_copies(data)
    assert m.value == pytest.approx(2 / 3)  # -0.0 == 0.0 and null == null; 2.5000001 differs
    assert m.reference == 1.0 and m.details["synthetic_copies"] == 2


def test_exact_copies_scales_to_a_million_rows():
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"a": rng.integers(0, 1000, 1_000_000),
                        "b": pd.Series(rng.choice(["x", "y", "z"], 1_000_000), dtype="str")})
    data = prepare(big.iloc[:500_000], big.iloc[500_000:].reset_index(drop=True))
    assert 0.9 < privacy.exact_copies(data).value <= 1.0


def test_figures_need_a_holdout_except_exact_copies(train):
    data = prepare(train, population(N, seed=3))
    featurizer, rng = Featurizer(data), np.random.default_rng(0)
    assert privacy.exact_copies(data).reference is None
    calls = [lambda: privacy.distance_to_closest_record(data, featurizer, rng),
             lambda: privacy.membership_inference(data, featurizer, rng),
             lambda: privacy.singling_out(data, rng),
             lambda: privacy.linkability(data, featurizer, rng),
             lambda: privacy.attribute_inference(data, featurizer, rng)]
    for call in calls:
        with pytest.raises(ParameterError, match="holdout"):
            call()


def test_bad_parameters_are_named(train, holdout):
    data = prepare(train, population(N, seed=3), holdout)
    featurizer, rng = Featurizer(data), np.random.default_rng(0)
    with pytest.raises(ParameterError, match="secret"):
        privacy.attribute_inference(data, featurizer, rng, secret="nope")
    with pytest.raises(ParameterError, match="mode"):
        privacy.singling_out(data, rng, mode="sideways")
    with pytest.raises(ParameterError, match="aux_columns"):
        privacy.linkability(data, featurizer, rng, aux_columns=(["x1"], ["nope"]))


def test_same_seed_same_figures(train, holdout):
    synth = population(N, seed=3)
    a, b = evaluate(synth, train, holdout, seed=5), evaluate(synth, train, holdout, seed=5)
    assert [m.value for m in a.values()] == [m.value for m in b.values()]
    assert [m.ci for m in a.values()] == [m.ci for m in b.values()]


def test_subsamples_are_bounded_and_noted(train, holdout):
    data = prepare(train, train.copy(), holdout)
    featurizer, rng = Featurizer(data), np.random.default_rng(0)
    share, *_ = privacy.distance_to_closest_record(data, featurizer, rng, max_queries=100,
                                                   max_reference=300)
    assert share.details["synthetic_queries"] == 100
    assert share.details["training_rows"] == share.details["holdout_rows"] == 300
    assert "100 of 600 synthetic rows" in share.note and "300 of 600 training" in share.note
    assert share.value > 0.7  # half the copies fall outside the training subsample
    hist = share.details["histograms"]
    assert len(hist["edges"]) == privacy.HISTOGRAM_BINS + 1
    assert sum(hist["synthetic_to_train"]) == 100
    mia = privacy.membership_inference(data, featurizer, rng, max_members=50)
    assert mia.details["members"] == 50 and "50 of 600 training rows" in mia.note


def test_single_secret_and_explicit_column_split(train, holdout):
    data = prepare(train, train.copy(), holdout)
    featurizer, rng = Featurizer(data), np.random.default_rng(0)
    ai = privacy.attribute_inference(data, featurizer, rng, secret="colour")
    assert ai.details["secrets"] == ["colour"] and ai.details["aggregate"] == "single secret"
    assert ai.details["attack_rate"] == 1.0
    link = privacy.linkability(data, featurizer, rng, aux_columns=(["x1", "colour"],
                                                                   ["x2", "x3", "flag"]))
    assert link.details["aux_columns"] == [["x1", "colour"], ["x2", "x3", "flag"]]
    assert link.value > 0.6
    so = privacy.singling_out(data, rng, mode="univariate")
    assert so.details["mode"] == "univariate" and so.value > 0.6


def test_nearest_neighbours_are_exact():
    rng = np.random.default_rng(0)
    reference, queries = rng.random((700, 6)), rng.random((300, 6))
    queries[:5] = reference[10:15]  # exact matches
    found = attack_tools.nearest(queries, reference, k=3, ties=True)
    full = cdist(queries, reference, "sqeuclidean")
    np.testing.assert_array_equal(found.idx, np.argsort(full, axis=1)[:, :3])
    np.testing.assert_allclose(found.d2, np.sort(full, axis=1)[:, :3], atol=1e-12)
    assert (found.d2[:5, 0] == 0).all() and (found.ties == 1).all()
    found2 = attack_tools.nearest(queries, reference, k=2)
    np.testing.assert_array_equal(found2.idx, found.idx[:, :2])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 2000), a=st.floats(0, 1), c=st.floats(0, 1))
def test_risk_is_bounded_and_inside_its_interval(n, a, c):
    risk, (lo, hi) = attack_tools.residual_risk(a * n, n, c * n, n)
    assert 0.0 <= lo <= risk <= hi <= 1.0
    if a <= c:
        assert risk == 0.0


@given(pi=st.floats(0.05, 0.95), p=st.floats(0, 1))
def test_equal_size_scale_maps_the_null_to_one_half(pi, p):
    assert distances._equal_size_share(pi, pi) == pytest.approx(0.5)
    assert distances._equal_size_share(1.0, pi) == pytest.approx(1.0)
    assert 0.0 <= distances._equal_size_share(p, pi) <= 1.0
