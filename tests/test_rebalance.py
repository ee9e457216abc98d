"""Rebalancing: target shares for one column, the rest of each row as the model has it."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.models.rebalance import allocate


@given(n=st.integers(1, 10_000), share=st.floats(0, 1),
       freqs=st.lists(st.floats(0.01, 1), min_size=1, max_size=6))
def test_allocation_sums_to_n_and_meets_the_target(n, share, freqs):
    frequencies = {f"c{i}": f for i, f in enumerate(freqs)}
    counts = allocate(n, {"target": share}, frequencies)
    assert sum(counts.values()) == n
    assert abs(counts.get("target", 0) - n * share) <= 1


@pytest.fixture(scope="module")
def model(adult_small):
    return sim.GaussianCopula(random_state=0).fit(adult_small)


def test_rebalanced_shares_are_exact_and_other_columns_stay_conditional(model, adult_small):
    out = model.sample(4000, rebalance={"income": {">50K": 0.5}}, rng=1)
    assert len(out) == 4000 and list(out.columns) == list(adult_small.columns)
    assert (out["income"] == ">50K").sum() == 2000
    assert not out["income"].head(200).is_monotonic_increasing  # rows are shuffled
    rich = model.sample(4000, conditions={"income": ">50K"}, rng=2)
    assert abs(out.loc[out["income"] == ">50K", "age"].mean() - rich["age"].mean()) < 1.5
    plain = model.sample(4000, rng=3)
    assert (plain["income"] == ">50K").mean() < 0.35  # it did change something


def test_rebalance_with_conditions_and_reproducible(model):
    kw = {"rebalance": {"income": {">50K": 0.3}}, "conditions": {"sex": "Female"}}
    out = model.sample(1000, rng=5, **kw)
    assert (out["sex"] == "Female").all() and (out["income"] == ">50K").sum() == 300
    pd.testing.assert_frame_equal(out, model.sample(1000, rng=5, **kw))


@pytest.mark.parametrize(("rebalance", "conditions", "error", "match"), [
    ({"income": {">50K": 0.7, "<=50K": 0.6}}, None, sim.ParameterError, "summing to at most 1"),
    ({"income": {">50K": 0.5}, "sex": {"Male": 0.5}}, None, sim.ParameterError, "one column"),
    ({"income": {">50K": 0.5}}, {"income": ">50K"}, sim.ParameterError, "both rebalanced"),
    ({"income": {"rich": 0.5}}, None, sim.DataError, "impossible"),
    ({"nope": {"a": 0.5}}, None, sim.ParameterError, "not in the model"),
    ({"income": {">50K": 2}}, None, sim.ParameterError, "numbers in \\[0, 1\\]"),
])
def test_bad_rebalance_is_refused(model, rebalance, conditions, error, match):
    with pytest.raises(error, match=match):
        model.sample(100, rebalance=rebalance, conditions=conditions)


def test_cli_rebalance(model, tmp_path):
    path = tmp_path / "m.simz"
    model.save(path)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["sample", str(path), "-n", "500", "-o", str(out),
                                      "-r", 'income={">50K": 0.5}', "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (pd.read_csv(out)["income"] == ">50K").sum() == 250


def test_sample_remaining_columns_keeps_known_values_in_order(model, adult_small):
    known = pd.DataFrame({"sex": ["Female", "Male", "Female", "Male", "Female"],
                          "income": [">50K", "<=50K", "<=50K", ">50K", ">50K"]})
    out = model.sample_remaining_columns(known, rng=3)
    assert list(out.columns) == list(adult_small.columns) and len(out) == 5
    for col in ("sex", "income"):
        assert out[col].tolist() == known[col].tolist()
    pd.testing.assert_frame_equal(out, model.sample_remaining_columns(known, rng=3))
    many = model.sample_remaining_columns(pd.DataFrame({"income": [">50K"] * 3000}), rng=4)
    rich = model.sample(3000, conditions={"income": ">50K"}, rng=5)
    assert abs(many["age"].mean() - rich["age"].mean()) < 1.5
    with pytest.raises(sim.ParameterError, match="not in the model"):
        model.sample_remaining_columns(pd.DataFrame({"nope": [1]}))
    with pytest.raises(sim.ParameterError, match="non-empty DataFrame"):
        model.sample_remaining_columns(pd.DataFrame())


def test_cli_known(model, tmp_path):
    path, known, out = tmp_path / "m.simz", tmp_path / "known.csv", tmp_path / "out.csv"
    model.save(path)
    pd.DataFrame({"income": [">50K", "<=50K", ">50K"]}).to_csv(known, index=False)
    r = CliRunner().invoke(app, ["sample", str(path), "--known", str(known), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out)["income"].tolist() == [">50K", "<=50K", ">50K"]
    r = CliRunner().invoke(app, ["sample", str(path), "--known", str(known), "-n", "5",
                                 "-o", str(out)])
    assert r.exit_code == 2 and "does not combine" in r.output
