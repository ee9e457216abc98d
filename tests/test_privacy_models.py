"""Differentially private models end to end: budget spent, nothing leaked around the model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from leaks import assert_file_keeps_none_of
from simulacra.cli import app
from simulacra.metadata import Metadata
from simulacra.models.private import auto_metadata_share
from simulacra.privacy.mechanisms import COUNT_SHARE

FAST = {"aim": {"rounds": 6, "iterations": 30, "bins": 16}, "mst": {"iterations": 200},
        "privbayes": {}, "autoregressive": {"epochs": 2, "hidden_dim": 16}}
PRIVATE = ["mst", "aim", "privbayes"]


def invoke(*args: object):
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, [str(a) for a in args])


def fit(name: str, data: pd.DataFrame, epsilon: float = 1.0, seed: int = 0, **kw):
    budget = kw.pop("privacy", sim.PrivacyBudget(epsilon))
    return sim.MODELS[name](random_state=seed, privacy=budget, **{**FAST[name], **kw}).fit(data)


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2000
    age = rng.integers(18, 80, n)
    return pd.DataFrame({
        "age": age,
        "income": np.round(20_000 + 800 * age + rng.normal(0, 5000, n), 2),
        "city": rng.choice(["Lyon", "Oslo", "Kyiv", "Lima"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "smoker": rng.random(n) < 0.2,
        "visit": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
    })


@pytest.mark.parametrize("name", PRIVATE)
@pytest.mark.parametrize("epsilon", [0.3, 3.0])
def test_spends_exactly_the_budget_and_reports_it_by_stage(name, epsilon, people):
    model = fit(name, people, epsilon)
    report = model.privacy_report_
    assert report.epsilon == pytest.approx(epsilon, rel=1e-6)
    assert report.delta == pytest.approx(min(1e-5, 0.1 / len(people)))
    assert report.budget == sim.PrivacyBudget(epsilon)
    assert set(report.stages) == {"metadata", "model"}
    assert report.stages["metadata"].share == pytest.approx(  # and the noisy row count
        auto_metadata_share(model.metadata_) + COUNT_SHARE, abs=1e-6)
    assert "zCDP" in report.accountant
    assert sum(m.rho for m in report.mechanisms) == pytest.approx(report.rho)
    assert len(model.sample(50)) == 50


def test_the_encoding_gets_more_of_the_budget_only_where_domains_are_learned(people):
    """``metadata_share=None`` (the discrete models' default): 0.1 with a public schema that
    declares every domain, more in proportion to the columns whose domain is learned."""
    detected = Metadata.detect(people)
    public = Metadata.detect(people)
    for column in people.columns:
        if column in ("age", "income"):
            public = public.update_column(column, minimum=float(people[column].min()) - 1,
                                          maximum=float(people[column].max()) + 1)
        elif column == "city":
            public = public.update_column(column, categories=["Kyiv", "Lima", "Lyon", "Oslo"])
        elif column == "visit":
            public = public.update_column(column, minimum="2021-01-01", maximum="2022-01-01")
    assert auto_metadata_share(public) == pytest.approx(0.1)
    assert auto_metadata_share(detected) > 0.3
    shares = {}
    for label, metadata in (("public", public), ("detected", detected)):
        model = sim.MST(metadata, privacy=sim.PrivacyBudget(1.0), random_state=0,
                        iterations=50).fit(people)
        shares[label] = model.privacy_report_.stages["metadata"].share
    # the encoding's share, and the noisy row count's (the budget check)
    assert shares["public"] <= 0.1 + COUNT_SHARE + 1e-9  # declared domains spend less
    assert shares["detected"] == pytest.approx(auto_metadata_share(detected) + COUNT_SHARE)
    explicit = sim.MST(detected, privacy=sim.PrivacyBudget(1.0), random_state=0,
                       iterations=50, metadata_share=0.2).fit(people)
    assert explicit.privacy_report_.stages["metadata"].share == pytest.approx(0.2 + COUNT_SHARE)


@pytest.mark.parametrize("name", PRIVATE)
def test_needs_a_budget_and_refuses_a_large_delta(name, people):
    with pytest.raises(sim.ParameterError, match="needs privacy="):
        sim.MODELS[name]().fit(people)
    with pytest.raises(sim.ParameterError, match="'delta' parameter must be below 1/rows"):
        fit(name, people, privacy=sim.PrivacyBudget(1.0, delta=1e-3))
    with pytest.raises(sim.ParameterError, match="'privacy' parameter"):
        fit(name, people, privacy={"epsilon": 1.0})


@pytest.mark.parametrize("name", ["mst", "autoregressive"])
def test_bounds_and_edges_are_never_the_datas_own(name, people):
    data = people.copy()
    data.loc[0, "income"] = 9.9e8  # one extreme record
    data.loc[1, "age"] = 150  # and one far past the other ages (18–79)
    model = fit(name, data, 1.0)
    disc = model.codec_
    income = disc.domains_["income"]
    assert income.maximum_ < 1e6 and income.maximum_ != data["income"].max()
    assert income.minimum_ != data["income"].min()
    # ends are estimated from noisy counts (a uniform's sharp ends may well be hit exactly),
    # never copied: the lone 150 is not reached
    assert disc.domains_["age"].maximum_ < 120
    synth = model.sample(20_000, rng=1)
    assert synth["income"].max() < 1e6
    visit = pd.to_datetime(synth["visit"])
    assert visit.min() != people["visit"].min() or visit.max() != people["visit"].max()
    assert visit.between("2019-01-01", "2023-01-01").mean() > 0.99


def test_declared_bounds_and_categories_are_used_as_given(people):
    md = Metadata.detect(people).update_column("age", minimum=0, maximum=120)
    md = md.update_column("city", categories=["Lyon", "Oslo", "Kyiv", "Lima", "Rome"])
    model = fit("mst", people, 1.0, metadata=md)
    disc = model.codec_
    assert (disc.domains_["age"].minimum_, disc.domains_["age"].maximum_) == (0, 120)
    assert set(disc.domains_["city"].values_) == {"Lyon", "Oslo", "Kyiv", "Lima", "Rome"}
    paid = [m.what for m in model.privacy_report_.mechanisms if m.stage == "metadata"]
    assert not [w for w in paid if w.startswith("city:")]
    assert not [w for w in paid if w.startswith("age: bounds")]
    assert [w for w in paid if w.startswith("income: bounds")]
    assert model.sample(5000)["age"].between(0, 120).all()


def test_rare_categories_are_suppressed(people):
    data = people.copy()
    data.loc[:2, "city"] = ["Nuuk", "Suva", "Baku"]  # each once
    synth = fit("aim", data, 1.0).sample(20_000)
    assert not set(synth["city"]) & {"Nuuk", "Suva", "Baku"}
    assert set(synth["city"]) == {"Lyon", "Oslo", "Kyiv", "Lima"}


def test_free_text_and_pii_columns_are_generated_not_learned(people):
    data = people.assign(note=[f"secret{i} word" for i in range(len(people))],
                         email=[f"user{i}@example.org" for i in range(len(people))])
    md = Metadata.detect(data).update_column("note", "text", privacy_share=0.0)
    assert md["email"].kind == "pii"
    synth = fit("mst", data, 1.0, metadata=md).sample(3000)
    words = set(" ".join(synth["note"].dropna()).split())
    assert not any(w.startswith("secret") for w in words)
    assert not set(synth["email"]) & set(data["email"])
    # with a share of the budget the text is learned, by DP-SGD in the ledger (test_text_private)
    md = md.update_column("note", "text", epochs=1, privacy_share=0.3)
    model = fit("mst", data, 1.0, metadata=md)
    assert "text" in model.privacy_report_.stages
    assert not set(model.sample(500)["email"]) & set(data["email"])


def _audit(name: str, data: pd.DataFrame, seeds: range, **kw) -> float:
    """Share of fits whose synthetic table shows an age no ordinary record comes near."""
    hits = 0
    for seed in seeds:
        if name == "gaussian_copula":
            model = sim.GaussianCopula(random_state=seed, **kw).fit(data)
        else:
            model = fit(name, data, seed=seed, **kw)
        hits += bool((model.sample(len(data), rng=seed)["age"] > 130).any())
    return hits / len(seeds)


def _neighbours() -> tuple[pd.DataFrame, pd.DataFrame]:
    """1,500 people, and the same with one 150-year-old added."""
    rng = np.random.default_rng(1)
    base = pd.DataFrame({"age": rng.integers(18, 90, 1500),
                         "city": rng.choice(["Lyon", "Oslo", "Kyiv"], 1500)})
    neighbour = pd.concat([base, pd.DataFrame({"age": [150], "city": ["Oslo"]})],
                          ignore_index=True)
    return base, neighbour


def test_distinguishing_audit_one_extreme_record():
    """An attacker asks "was the 150-year-old in the data?" by looking for ages > 130.

    Without DP or value protection the answer is visible in most synthetic tables (the audit's
    power check); value protection hides this one record (the 5 oldest share one age); with
    ε = 1, tables from the data with and without that record look the same.
    """
    base, neighbour = _neighbours()
    seeds = range(8)
    assert _audit("gaussian_copula", base, seeds, value_protection=False) == 0
    # a leak the audit catches
    assert _audit("gaussian_copula", neighbour, seeds, value_protection=False) >= 0.5
    assert _audit("gaussian_copula", neighbour, seeds) == 0
    with_record = _audit("mst", neighbour, seeds)
    without = _audit("mst", base, seeds)
    assert with_record == without == 0


def test_distinguishing_audit_dp_sgd_network():
    """The same audit against the autoregressive network trained with DP-SGD at ε = 1."""
    base, neighbour = _neighbours()
    seeds = range(4)
    assert _audit("autoregressive", neighbour, seeds) == _audit("autoregressive", base, seeds) == 0


def test_save_load_keeps_report_and_samples(people, tmp_path):
    model = fit("aim", people, 1.0)
    path = tmp_path / "aim.simz"
    model.save(path)
    again = sim.load(path)
    assert again.privacy_report_ == model.privacy_report_
    assert again.privacy == model.privacy
    pd.testing.assert_frame_equal(again.sample(300, rng=4), model.sample(300, rng=4))


def test_cli_fit_with_epsilon_prints_the_spend(tmp_path, people):
    data = tmp_path / "people.csv"
    planted = people.copy()
    planted.loc[7, "income"] = 987654321.5  # detection would quote its range: it is not run
    planted.to_csv(data, index=False)
    out = tmp_path / "m.simz"
    r = invoke("fit", data, "--model", "mst", "--epsilon", "2", "--delta", "1e-6", "-o", out,
               "-p", "iterations=100")
    assert r.exit_code == 0, r.output
    assert "ε = 2" in r.output and "metadata" in r.output and "model" in r.output
    assert "987654321" not in r.output and "column types only" in r.output
    assert_file_keeps_none_of(out, ["987654321"], [987654321.5])
    report = sim.load(out).privacy_report_
    assert report.epsilon == pytest.approx(2.0, rel=1e-6) and report.delta == 1e-6
    r = invoke("fit", data, "--model", "gaussian_copula", "--epsilon", "1", "-o", out)
    assert r.exit_code == 2 and "no differentially private mode" in r.output
    r = invoke("fit", data, "--model", "mst", "--delta", "1e-6", "-o", out)
    assert r.exit_code == 2 and "--delta needs --epsilon" in r.output
    r = invoke("fit", data, "--model", "mst", "--epsilon", "0", "-o", out)
    assert r.exit_code == 2 and "'epsilon' parameter" in r.output


def test_private_bounds_that_fall_back_to_0_1_warn_and_suggest_a_public_schema():
    """Too few rows for ε: no bucket of the bounds histogram stands above the noise."""
    from simulacra.encoders.private_bounds import BoundsFallbackWarning

    few = pd.DataFrame({"age": np.arange(30, 70), "city": ["Lyon", "Oslo"] * 20})
    with pytest.warns(BoundsFallbackWarning, match=r"column 'age'.*fell back to \[0, 1\].*"
                                                   r"public schema.*minimum=.*larger ε"):
        fit("mst", few, 0.05)
    md = Metadata.detect(few).update_column("age", minimum=0, maximum=120)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundsFallbackWarning)
        fit("mst", few, 0.05, metadata=md)  # declared bounds: nothing to fall back from
