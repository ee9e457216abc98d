"""The Synthesizer contract, run against every registered model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.models import MODELS
from simulacra.models.protection import RARE_LABEL, protect_values

ALL = sorted(MODELS)
#: The models themselves ("auto" is the factory whose fit returns one of them)
SYNTHESIZERS = sorted(name for name, cls in MODELS.items() if issubclass(cls, sim.Synthesizer))
#: Models whose output reproduces every marginal by construction (empirical marginals).
MARGINAL = ["gaussian_copula", "independent"]
#: Settings that keep the contract tests fast for models that train (mechanics, not quality).
FAST = {"ctgan": {"epochs": 2, "batch_size": 200}, "tvae": {"epochs": 30, "batch_size": 200},
        "autoregressive": {"epochs": 40},
        "tabddpm": {"epochs": 30, "hidden_dims": (128, 128), "sampling_steps": 10},
        "aim": {"rounds": 6, "iterations": 30, "bins": 16}, "mst": {"iterations": 200}}
#: Differentially private models need a budget; a large one keeps the contract tests about
#: mechanics (tests/test_privacy_models.py checks what small budgets do).
PRIVATE = {name for name, cls in MODELS.items() if getattr(cls, "requires_privacy", False)}
for _name in PRIVATE:
    FAST[_name] = {**FAST.get(_name, {}), "privacy": sim.PrivacyBudget(epsilon=1000.0)}


def fit(name: str, data: pd.DataFrame, seed: int = 0, **kw) -> sim.Synthesizer:
    return MODELS[name](random_state=seed, **{**FAST.get(name, {}), **kw}).fit(data)


@pytest.mark.parametrize("name", ALL)
def test_output_has_input_columns_order_and_dtypes(name, mixed):
    synth = fit(name, mixed).sample(500)
    assert list(synth.columns) == list(mixed.columns)
    assert synth.dtypes.astype(str).to_dict() == mixed.dtypes.astype(str).to_dict()
    assert len(synth) == 500
    assert synth.index.equals(pd.RangeIndex(500))


@pytest.mark.parametrize("name", ALL)
def test_no_invented_categories_and_bounds_kept(name, adult_small):
    if name in PRIVATE:
        pytest.skip("DP bounds are never the data's own (tests/test_privacy_models.py)")
    model = fit(name, adult_small)
    synth = model.sample(5000)
    # what the model learnt from: the table under value protection (its tails continued)
    learnt, _ = protect_values(adult_small, model.metadata_)
    for col in adult_small.columns:
        real, fake = adult_small[col], synth[col]
        if real.dtype.kind in "if":
            assert fake.min() >= learnt[col].min() and fake.max() <= learnt[col].max(), col
            assert (fake == np.round(fake)).all(), f"{col} lost integer-ness"
        else:
            assert set(fake.unique()) <= set(real.unique()) | {RARE_LABEL}, col


@pytest.mark.parametrize("name", MARGINAL)
def test_null_share_and_decimals_kept(name, mixed):
    model = fit(name, mixed)
    synth = model.sample(20_000, rng=1)
    for col in mixed.columns:
        assert abs(synth[col].isna().mean() - mixed[col].isna().mean()) < 0.01, col
    price = synth["price"].dropna()
    assert np.allclose(price, np.round(price, 2)) and not np.allclose(price, np.round(price, 1))
    assert synth["customer_id"].is_unique
    assert not set(synth["email"]) & set(mixed["email"])
    parsed = pd.to_datetime(synth["signup"], format="%Y-%m-%d")
    assert parsed.min() >= pd.Timestamp("2015-01-01")


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_output_other_seed_differs(name, mixed):
    a = fit(name, mixed, seed=3).sample(200)
    b = fit(name, mixed, seed=3).sample(200)
    c = fit(name, mixed, seed=4).sample(200)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("name", ALL)
def test_rng_argument_makes_a_call_reproducible(name, mixed):
    model = fit(name, mixed)
    pd.testing.assert_frame_equal(model.sample(100, rng=9), model.sample(100, rng=9))
    assert not model.sample(100).equals(model.sample(100))


@pytest.mark.parametrize("name", ALL)
def test_fit_never_mutates_input(name, mixed):
    before = mixed.copy(deep=True)
    fit(name, mixed)
    pd.testing.assert_frame_equal(mixed, before)


@pytest.mark.parametrize("name", ALL)
def test_save_load_round_trip(name, mixed, tmp_path):
    model = fit(name, mixed, seed=5)
    path = tmp_path / "m.simz"
    model.save(path)
    loaded = sim.load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.sample(300, rng=2), model.sample(300, rng=2))
    # the model's own stream restarts from random_state after loading
    fresh = fit(name, mixed, seed=5)
    pd.testing.assert_frame_equal(sim.load(path).sample(50), fresh.sample(50))


@pytest.mark.parametrize("name", SYNTHESIZERS)
def test_sample_before_fit_and_bad_n(name, mixed):
    with pytest.raises(sim.NotFittedError, match="fit"):
        MODELS[name]().sample(10)
    model = fit(name, mixed)
    for bad in (0, -5, 2.5, True, "10"):
        with pytest.raises(sim.ParameterError, match="'n' parameter"):
            model.sample(bad)


@pytest.mark.parametrize("name", ALL)
def test_conditions_give_exact_count_and_only_matching_rows(name, adult_small):
    model = fit(name, adult_small)
    out = model.sample(300, conditions={"income": ">50K", "age": (40, 50)})
    assert len(out) == 300
    assert (out["income"] == ">50K").all() and out["age"].between(40, 50).all()
    with pytest.raises(sim.DataError, match="impossible: the model saw 2 values"):
        model.sample(10, conditions={"income": "no such value"})
    # DP bounds are noisy; value protection continues the others' tails
    bounds = r"\[\d+(\.\d+)?, \d+(\.\d+)?\]" if name in PRIVATE else r"\[1\d, \d+\]"
    with pytest.raises(sim.DataError, match="'age' stay within " + bounds):
        model.sample(10, conditions={"age": (200, 300)})
    with pytest.raises(sim.ParameterError, match="not in the model"):
        model.sample(10, conditions={"nope": 1})


def test_conditions_that_never_match_give_up_with_a_clear_error(adult_small):
    model = fit("gaussian_copula", adult_small)
    # a whole number within the column's bounds, but the copula never draws this exact value
    with pytest.raises(sim.DataError, match="impossible or too rare"):
        model._sample_conditions(10, {"fnlwgt": (123_457, 123_457)},
                                 np.random.default_rng(0), give_up_after=20_000)
    # a fraction where every value is a whole number: refused before any draw
    with pytest.raises(sim.DataError, match="holds whole numbers"):
        model._sample_conditions(10, {"age": (40.25, 40.75)}, np.random.default_rng(0),
                                 give_up_after=20_000)


@pytest.mark.parametrize("name", ALL)
def test_bad_random_state_and_metadata(name, mixed):
    with pytest.raises(sim.ParameterError, match="random_state"):
        MODELS[name](random_state=-1).fit(mixed)
    with pytest.raises(sim.ParameterError, match="metadata"):
        MODELS[name]({"age": "numerical"}).fit(mixed)


@pytest.mark.parametrize("name", MARGINAL)
def test_bad_marginal_resolution(name, mixed):
    with pytest.raises(sim.ParameterError, match="marginal_resolution"):
        MODELS[name](marginal_resolution=1).fit(mixed)


def test_marginals_reproduced_closely(adult_small):
    synth = fit("gaussian_copula", adult_small).sample(len(adult_small), rng=0)
    for col in ["workclass", "education", "income"]:
        real = adult_small[col].value_counts(normalize=True)
        fake = synth[col].value_counts(normalize=True).reindex(real.index, fill_value=0)
        assert 0.5 * np.abs(real - fake).sum() < 0.04, col
    from scipy.stats import ks_2samp

    for col in ["age", "fnlwgt", "hours-per-week"]:
        assert ks_2samp(adult_small[col], synth[col]).statistic < 0.04, col


def test_copula_keeps_correlation_independent_does_not():
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    df = pd.DataFrame({"x": x, "y": np.exp(x + rng.normal(scale=0.2, size=4000)),
                       "g": np.where(x + rng.normal(scale=0.3, size=4000) > 0, "hi", "lo")})
    copula = fit("gaussian_copula", df).sample(4000)
    indep = fit("independent", df).sample(4000)
    assert copula[["x", "y"]].corr(method="spearman").iloc[0, 1] > 0.9
    assert abs(indep[["x", "y"]].corr(method="spearman").iloc[0, 1]) < 0.08
    hi_share = (copula.loc[copula["x"] > 1, "g"] == "hi").mean()
    assert hi_share > 0.75  # a copula attenuates dependence on a binary column
    assert abs((indep.loc[indep["x"] > 1, "g"] == "hi").mean() - 0.5) < 0.1


def test_mixture_copula_keeps_non_monotone_dependence_the_classic_copula_cannot():
    # a nominal column set by |x|: no order of its codes makes the relation monotone
    rng = np.random.default_rng(1)
    x = rng.normal(size=6000)
    band = np.where(np.abs(x) > 1.2, "edge", np.where(np.abs(x) < 0.4, "middle", "between"))
    df = pd.DataFrame({"x": x, "band": band, "y": rng.normal(size=6000)})

    def edge_share(components: int | str) -> float:
        model = sim.GaussianCopula(random_state=0, components=components).fit(df)
        out = model.sample(6000)
        return float((out.loc[out["x"].abs() > 1.5, "band"] == "edge").mean())

    mixture = sim.GaussianCopula(random_state=0).fit(df)
    assert mixture.n_components_ == 20 and mixture.nominal_ == ["band"]
    assert edge_share("auto") > 0.85
    assert edge_share(1) < 0.7
    # the shares of the nominal column stay the data's
    out = mixture.sample(20_000, rng=3)
    real, fake = df["band"].value_counts(normalize=True), out["band"].value_counts(normalize=True)
    assert 0.5 * np.abs(real - fake.reindex(real.index)).sum() < 0.015


def test_mixture_copula_keeps_columns_that_determine_each_other_in_step(adult_small):
    # education and education-num are one column twice; a component's covariance must not
    # loosen them (a ridge on its diagonal put 9 % of the rows one education level off)
    model = sim.GaussianCopula(random_state=0).fit(adult_small)
    assert model.n_components_ == 10 and "education" not in model.nominal_
    out = model.sample(20_000)
    years = adult_small.groupby("education")["education-num"].first()
    assert (out["education"].map(years) == out["education-num"]).mean() > 0.99


def test_mixture_components_follow_rows_and_width():
    copula = sim.GaussianCopula()
    assert copula._n_components(32_561, 9) == 100  # Adult
    assert copula._n_components(1_000, 9) == 1  # too few rows for a mixture
    assert 4 <= copula._n_components(20_000, 60) < 20_000 // 300  # wide: fewer
    assert copula._n_components(20_000, 120) == 1  # wider still: the classic copula
    assert sim.GaussianCopula(components=7)._n_components(100, 300) == 7  # as asked


def test_mixture_em_in_chunks_equals_em_in_one_pass(monkeypatch):
    from simulacra.models import copula_mixture

    rng = np.random.default_rng(0)
    z = rng.normal(size=(3000, 4))
    codes = np.column_stack([rng.integers(0, 5, 3000), rng.integers(0, 3, 3000)])

    def fit() -> copula_mixture.Mixture:
        return copula_mixture.fit_mixture(z, codes, [5, 3], components=6,
                                          rng=np.random.default_rng(1))

    whole = fit()
    monkeypatch.setattr(copula_mixture, "CHUNK_CELLS", 256 * 6)  # 256-row chunks
    parts = fit()
    for a, b in [(whole.weights, parts.weights), (whole.means, parts.means),
                 (whole.cholesky, parts.cholesky), *zip(whole.tables, parts.tables, strict=True)]:
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_mixture_copula_round_trip_and_components_parameter(mixed, tmp_path):
    model = sim.GaussianCopula(random_state=4, components=3).fit(mixed)
    assert model.n_components_ == 3 and model.mixture_ is not None
    model.save(tmp_path / "m.simz")
    loaded = sim.load(tmp_path / "m.simz")
    assert loaded.n_components_ == 3 and loaded.nominal_ == model.nominal_
    pd.testing.assert_frame_equal(loaded.sample(200, rng=1), model.sample(200, rng=1))
    classic = sim.GaussianCopula(random_state=4, components=1).fit(mixed)
    assert classic.mixture_ is None and classic.n_components_ == 1
    for bad in (0, -1, 2.5, "many", True):
        with pytest.raises(sim.ParameterError, match="components"):
            sim.GaussianCopula(components=bad).fit(mixed)


def test_user_metadata_is_used(mixed):
    md = sim.Metadata.detect(mixed).update_column("age", kind="categorical")
    model = sim.GaussianCopula(md, random_state=0).fit(mixed)
    assert model.metadata_["age"].kind == "categorical"
    assert set(model.sample(1000)["age"]) <= set(mixed["age"])


def test_association_order_keeps_a_one_to_one_category_number_relation():
    rng = np.random.default_rng(0)
    levels = np.array(["HS", "Bachelors", "Some-college", "Masters", "Doctorate", "11th"])
    years = np.array([9, 13, 10, 14, 16, 7])
    idx = rng.choice(6, 5000, p=[0.35, 0.2, 0.25, 0.1, 0.03, 0.07])
    df = pd.DataFrame({"education": levels[idx], "years": years[idx],
                       "income": rng.normal(size=5000) + years[idx] / 3})

    def consistency(order: str, components: int | str = 1) -> float:
        out = sim.GaussianCopula(random_state=0, category_order=order,
                                 components=components).fit(df).sample(5000)
        expected = dict(zip(levels, years, strict=True))
        return float((out["education"].map(expected) == out["years"]).mean())

    # the classic copula (one Gaussian) needs the order; a mixture finds the pairs either way
    assert consistency("association") > 0.95
    assert consistency("frequency") < 0.8
    assert consistency("frequency", components="auto") > 0.95
    with pytest.raises(sim.ParameterError, match="category_order"):
        sim.GaussianCopula(category_order="alphabetical").fit(df)
