"""Fairness: sensitive columns in the metadata, fairness-aware sampling (``make_fair``,
``sample(fairness=...)``), the fairness figures of ``evaluate``, the report and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.errors import MetadataError, ParameterError

runner = CliRunner(env={"COLUMNS": "200"})


def biased(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Men earn "high" far more often than women, partly through ``hours`` (a proxy)."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n, p=[0.4, 0.6])
    male = sex == "M"
    hours = rng.normal(38 + 4 * male, 6).round()
    skill = rng.normal(0, 1, n)
    logit = -2.2 + 1.3 * male + 0.8 * skill + 0.08 * (hours - 40)
    income = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "high", "low")
    grade = np.select([skill > 0.8, skill > -0.5], ["A", "B"], "C")
    return pd.DataFrame({"sex": sex, "hours": hours, "skill": skill.round(3),
                         "grade": grade, "income": income, "wage": (20 + 8 * male + 5 * skill
                                                                    + rng.normal(0, 3, n))})


def share(frame: pd.DataFrame, value: str = "high", by: str = "sex") -> pd.Series:
    return frame.groupby(by)["income"].apply(lambda s: float((s == value).mean()))


# --------------------------------------------------------------------------------------------
# make_fair
# --------------------------------------------------------------------------------------------


def test_make_fair_evens_out_a_binary_target_and_keeps_everything_else():
    table = biased()
    before = table.copy()
    fair = sim.make_fair(table, "income", "sex", random_state=0)
    pd.testing.assert_frame_equal(table, before)  # the caller's table is not touched
    assert share(table).max() - share(table).min() > 0.2
    rates = share(fair)
    assert abs(rates["M"] - rates["F"]) < 0.005  # to within a row or two per group
    assert abs((fair["income"] == "high").mean() - (table["income"] == "high").mean()) < 0.003
    pd.testing.assert_frame_equal(fair.drop(columns="income"), table.drop(columns="income"))
    # as few rows as parity needs: the flips each group must make, no more
    needed = sum(abs(share(table)[g] - (table["income"] == "high").mean())
                 * (table["sex"] == g).sum() for g in ("F", "M"))
    assert (fair["income"] != table["income"]).sum() <= needed + 2
    # the rows promoted are the likelier ones: women moved to "high" have more skill
    promoted = (table["income"] == "low") & (fair["income"] == "high")
    assert table.loc[promoted, "skill"].mean() > table.loc[
        (table["sex"] == "F") & (fair["income"] == "low"), "skill"].mean() + 0.3


def test_make_fair_is_reproducible_and_keeps_the_dtype():
    table = biased()
    table["income"] = table["income"].astype("category")
    a = sim.make_fair(table, "income", ["sex"], random_state=3)
    b = sim.make_fair(table, "income", ["sex"], random_state=3)
    pd.testing.assert_frame_equal(a, b)
    assert a["income"].dtype == table["income"].dtype
    assert not a.equals(sim.make_fair(table, "income", ["sex"], random_state=4))


def test_make_fair_with_several_classes_and_groups():
    table = biased()
    fair = sim.make_fair(table, "grade", ["sex"], random_state=0)
    shares = fair.groupby("sex")["grade"].value_counts(normalize=True).unstack()
    assert (shares.max() - shares.min()).max() < 0.01
    overall = table["grade"].value_counts(normalize=True)
    assert np.allclose(fair["grade"].value_counts(normalize=True)[overall.index], overall,
                       atol=0.01)


def test_make_fair_maps_a_number_onto_the_whole_tables_quantiles():
    table = biased()
    fair = sim.make_fair(table, "wage", "sex", random_state=0)
    means = fair.groupby("sex")["wage"].mean()
    assert table.groupby("sex")["wage"].mean().diff().abs().iloc[-1] > 5
    assert abs(means["M"] - means["F"]) < 0.3
    assert set(fair["wage"]) <= set(table["wage"])  # every value one the table has
    for group in ("F", "M"):  # the order within a group is kept
        rows = table["sex"] == group
        rho = fair.loc[rows, "wage"].rank().corr(table.loc[rows, "wage"].rank())
        assert rho > 0.999


def test_make_fair_leaves_null_targets_and_errors_clearly():
    table = biased(600)
    table.loc[:49, "income"] = None
    fair = sim.make_fair(table, "income", "sex", random_state=0)
    assert fair["income"].isna().sum() == 50 and fair.loc[:49, "income"].isna().all()
    with pytest.raises(ParameterError, match=r"does not have.*'race'"):
        sim.make_fair(table, "income", "race")
    with pytest.raises(ParameterError, match="cannot also be a sensitive"):
        sim.make_fair(table, "income", ["income"])
    with pytest.raises(ParameterError, match="pandas DataFrame"):
        sim.make_fair(table.to_numpy(), "income", "sex")


# --------------------------------------------------------------------------------------------
# The metadata and sample(fairness=...)
# --------------------------------------------------------------------------------------------


def test_metadata_declares_sensitive_columns_and_checks_them(tmp_path):
    table = biased(300)
    md = sim.Metadata.detect(table)
    md.sensitive = ["sex"]
    md.validate()
    md.save(tmp_path / "md.yaml")
    loaded = sim.Metadata.load(tmp_path / "md.yaml")
    assert loaded.sensitive == ["sex"] and loaded == md
    assert "sensitive: sex" in loaded.explain()
    with pytest.raises(MetadataError) as err:
        sim.Metadata(dict(md.items()), sensitive=["race", "hours"])
    text = str(err.value)
    assert "'race' is not a column" in text and "'hours' is 'numerical'" in text
    with pytest.raises(MetadataError, match="'sensitive' must be a list"):
        sim.Metadata.from_dict({**md.to_dict(), "sensitive": {"sex": 1}})
    assert md.with_columns({"hours": md["hours"]}).sensitive == []
    assert sim.Metadata(dict(md.items()), sensitive=["sex"]).remove_column("sex").sensitive == []


def test_sample_with_fairness_uses_the_metadatas_sensitive_columns(tmp_path):
    table = biased()
    md = sim.Metadata.detect(table)
    md.sensitive = ["sex"]
    model = sim.GaussianCopula(md, random_state=0).fit(table)
    ordinary = model.sample(3000, rng=1)
    fair = model.sample(3000, rng=1, fairness={"target": "income"})
    assert share(ordinary).max() - share(ordinary).min() > 0.15
    assert share(fair).max() - share(fair).min() < 0.01
    model.save(tmp_path / "m.simz")
    again = sim.load(tmp_path / "m.simz").sample(3000, rng=1, fairness={"target": "income"})
    pd.testing.assert_frame_equal(again, fair)
    with pytest.raises(ParameterError, match="cannot be combined"):
        model.sample(10, fairness={"target": "income"}, conditions={"sex": "F"})
    with pytest.raises(ParameterError, match="'target' column"):
        model.sample(10, fairness={"sensitive": ["sex"]})
    plain = sim.GaussianCopula(random_state=0).fit(table)
    with pytest.raises(ParameterError, match="needs 'sensitive' columns"):
        plain.sample(10, fairness={"target": "income"})


def test_sample_draws_each_groups_rows_given_its_target_values():
    table = biased()
    model = sim.GaussianCopula(random_state=0).fit(table)
    ordinary = model.sample(20_000, rng=1)
    ask = {"target": "income", "sensitive": ["sex"]}
    drawn = model.sample(20_000, rng=2, fairness=ask)  # 'draw' is the default for classes
    relabelled = model.sample(20_000, rng=2, fairness={**ask, "method": "relabel"})
    for fair in (drawn, relabelled):
        assert share(fair).max() - share(fair).min() < 0.002
        assert abs((fair["sex"] == "F").mean() - (ordinary["sex"] == "F").mean()) < 0.015
    assert abs((drawn["income"] == "high").mean() - (ordinary["income"] == "high").mean()) < 0.015

    def skill(frame: pd.DataFrame, income: str) -> float:
        return float(frame.loc[(frame["sex"] == "F") & (frame["income"] == income),
                               "skill"].mean())

    # drawn given (group, value), a woman's row with "low" is one the model gives such women;
    # relabelling promotes the most skilled of them and leaves the others behind
    assert abs(skill(drawn, "low") - skill(ordinary, "low")) < 0.04
    assert skill(ordinary, "low") - skill(relabelled, "low") > 0.06
    assert abs(skill(drawn, "high") - skill(ordinary, "high")) < 0.06
    # relabelling keeps every other column as drawn without fairness
    plain = model.sample(20_000, rng=2)
    pd.testing.assert_frame_equal(relabelled.drop(columns="income"),
                                  plain.drop(columns="income"))
    half = model.sample(20_000, rng=2, fairness={**ask, "strength": 0.5})
    gap = share(ordinary).max() - share(ordinary).min()
    assert 0.4 * gap < share(half).max() - share(half).min() < 0.6 * gap
    pd.testing.assert_frame_equal(model.sample(3000, rng=5, fairness=ask),
                                  model.sample(3000, rng=5, fairness=ask))


def test_the_fairness_method_is_checked_against_the_target_and_the_request():
    table = biased(600)
    model = sim.GaussianCopula(random_state=0).fit(table)
    with pytest.raises(ParameterError, match="'method' must be one of"):
        model.sample(10, fairness={"target": "income", "sensitive": "sex", "method": "swap"})
    with pytest.raises(ParameterError, match="needs method 'relabel'"):
        model.sample(10, fairness={"target": "income", "sensitive": "sex", "method": "draw",
                                   "strong": True})
    with pytest.raises(ParameterError, match="'wage' is a number"):
        model.sample(10, fairness={"target": "wage", "sensitive": "sex", "method": "draw"})
    with pytest.raises(ParameterError, match="undo rebalancing"):
        model.sample(10, rebalance={"grade": {"A": 0.5}},
                     fairness={"target": "income", "sensitive": "sex", "method": "draw"})
    # left to choose, a number is relabelled and rebalancing keeps its shares
    wage = model.sample(2000, rng=0, fairness={"target": "wage", "sensitive": "sex"})
    means = wage.groupby("sex")["wage"].mean()
    assert abs(means["M"] - means["F"]) < 0.5
    both = model.sample(2000, rng=0, rebalance={"grade": {"A": 0.5}},
                        fairness={"target": "income", "sensitive": "sex"})
    assert (both["grade"] == "A").mean() == 0.5
    assert share(both).max() - share(both).min() < 0.01


def test_fairness_refuses_a_target_bound_by_a_constraint():
    table = biased(400)
    md = sim.Metadata.detect(table)
    md.add_constraint(sim.FixedCombinations(["grade", "income"]))
    model = sim.GaussianCopula(md, random_state=0).fit(table)
    with pytest.raises(ParameterError, match="constraints"):
        model.sample(10, fairness={"target": "income", "sensitive": ["sex"]})


# --------------------------------------------------------------------------------------------
# The fairness figures
# --------------------------------------------------------------------------------------------


def test_evaluate_reports_the_real_and_synthetic_parity_gaps_side_by_side():
    real, holdout = biased(3000, seed=0), biased(2000, seed=1)
    fair = sim.make_fair(biased(3000, seed=2), "income", "sex", random_state=0)
    result = sim.evaluate(real, fair, holdout=holdout, target="income", sensitive="sex",
                          metrics=["fairness"])
    gap = result.get("target parity gap", column="sex")
    real_rates = share(real)
    assert gap.reference == pytest.approx(real_rates.max() - real_rates.min())
    assert gap.value < 0.01 and gap.reference > 0.2
    groups = {row["group"]: row for row in gap.details["groups"]}
    assert groups["F"]["real"] == pytest.approx(real_rates["F"])
    assert groups["F"]["real_rows"] == (real["sex"] == "F").sum()
    assert gap.details["positive_class"] == "high"
    parity = result.get("prediction parity gap (TSTR)", column="sex")
    assert parity.value < parity.reference  # a model trained on fair data selects more evenly
    assert {"equal opportunity gap (TSTR)", "worst-group TSTR"} <= {m.name for m in
                                                                   result.metrics}
    worst = result.get("worst-group TSTR", column="sex")
    assert 0.5 < worst.value <= 1 and 0.5 < worst.reference <= 1
    assert result.info["sensitive"] == ["sex"]


def test_evaluate_fairness_from_the_metadata_without_a_holdout_and_with_a_number():
    real, synth = biased(2000, seed=0), biased(2000, seed=5)
    md = sim.Metadata.detect(real)
    md.sensitive = ["sex"]
    result = sim.evaluate(real, synth, metadata=md, target="wage", metrics=["fairness"])
    assert [m.name for m in result.metrics] == ["target parity gap"]
    gap = result.metrics[0]
    assert 0.6 < gap.reference < 2.5 and abs(gap.value - gap.reference) < 0.3  # in stds


def test_evaluate_fairness_errors_and_notes():
    real, synth = biased(500, seed=0), biased(500, seed=1)
    with pytest.raises(ParameterError, match="needs a 'target'"):
        sim.evaluate(real, synth, sensitive="sex", metrics=["fairness"])
    with pytest.raises(ParameterError, match="'hours' is 'numerical'"):
        sim.evaluate(real, synth, target="income", sensitive="hours", metrics=["fairness"])
    with pytest.raises(ParameterError, match="also the target"):
        sim.evaluate(real, synth, target="income", sensitive="income", metrics=["fairness"])
    with pytest.raises(ParameterError, match="applies to one table"):
        sim.evaluate({"t": real}, {"t": synth}, sensitive="sex")
    result = sim.evaluate(real, synth, target="income", metrics=["fairness"])
    assert not result.metrics and any("fairness" in n for n in result.info["not_computed"])


def test_the_report_shows_the_groups(tmp_path):
    real, holdout = biased(2000, seed=0), biased(1500, seed=1)
    result = sim.evaluate(real, biased(2000, seed=2), holdout=holdout, target="income",
                          sensitive=["sex"], metrics=["utility", "fairness"])
    result.to_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "Groups of sex" in page and "Share of income = &#39;high&#39;" in page
    assert "true positive rate TSTR" in page and "sex: target parity gap" in page


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_declares_samples_and_evaluates_fairly(tmp_path):
    biased(2500, seed=0).to_csv(tmp_path / "train.csv", index=False)
    biased(1500, seed=1).to_csv(tmp_path / "hold.csv", index=False)
    md, model = tmp_path / "md.yaml", tmp_path / "m.simz"
    out = runner.invoke(app, ["metadata", str(tmp_path / "train.csv"), "-o", str(md),
                              "--sensitive", "sex"])
    assert out.exit_code == 0, out.output
    assert sim.Metadata.load(md).sensitive == ["sex"]
    out = runner.invoke(app, ["fit", str(tmp_path / "train.csv"), "-o", str(model),
                              "--metadata", str(md), "-q", "-m", "gaussian_copula"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["sample", str(model), "-o", str(tmp_path / "fair.csv"),
                              "--fair-target", "income", "--seed", "0"])
    assert out.exit_code == 0, out.output
    fair = pd.read_csv(tmp_path / "fair.csv")
    assert share(fair).max() - share(fair).min() < 0.01
    out = runner.invoke(app, ["evaluate", str(tmp_path / "train.csv"),
                              str(tmp_path / "fair.csv"), "--holdout", str(tmp_path / "hold.csv"),
                              "--target", "income", "--sensitive", "sex",
                              "--metrics", "fairness"])
    assert out.exit_code == 0, out.output
    assert "target parity gap" in out.output and "Share of income = 'high' by sex" in out.output
    out = runner.invoke(app, ["sample", str(model), "-o", str(tmp_path / "x.csv"),
                              "--sensitive", "sex"])
    assert out.exit_code != 0 and "need --fair-target" in out.output
    out = runner.invoke(app, ["sample", str(model), "-o", str(tmp_path / "strong.csv"),
                              "--fair-target", "income", "--fair-strong", "--seed", "0"])
    assert out.exit_code == 0, out.output
    strong = pd.read_csv(tmp_path / "strong.csv")
    assert share(strong).max() - share(strong).min() < 0.01
    plain = tmp_path / "plain.csv"
    out = runner.invoke(app, ["sample", str(model), "-o", str(plain), "--seed", "0"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["sample", str(model), "-o", str(tmp_path / "relabel.csv"),
                              "--fair-target", "income", "--fair-method", "relabel",
                              "--seed", "0"])
    assert out.exit_code == 0, out.output
    relabelled = pd.read_csv(tmp_path / "relabel.csv")
    assert share(relabelled).max() - share(relabelled).min() < 0.01
    pd.testing.assert_frame_equal(relabelled.drop(columns="income"),
                                  pd.read_csv(plain).drop(columns="income"))
    assert not fair.drop(columns="income").equals(relabelled.drop(columns="income"))
    out = runner.invoke(app, ["sample", str(model), "-o", str(tmp_path / "x.csv"),
                              "--fair-target", "income", "--fair-method", "swap"])
    assert out.exit_code != 0 and "draw" in out.output and "relabel" in out.output


def test_a_numeric_code_target_is_relabelled_by_its_features():
    table = biased()
    table["high"] = (table["income"] == "high").astype(int)  # a 0/1 code, not a quantity
    fair = sim.make_fair(table.drop(columns="income"), "high", "sex", random_state=0)
    rates = fair.groupby("sex")["high"].mean()
    assert abs(rates["M"] - rates["F"]) < 0.005 and fair["high"].dtype == table["high"].dtype
    promoted = (table["high"] == 0) & (fair["high"] == 1)  # chosen by skill, not at random
    assert table.loc[promoted, "skill"].mean() > table.loc[
        (table["sex"] == "F") & (fair["high"] == 0), "skill"].mean() + 0.3


def test_strong_parity_evens_out_the_scores_too():
    real, holdout = biased(4000, seed=0), biased(3000, seed=1)
    synth = biased(4000, seed=2)
    figures = {}
    for strong in (False, True):
        fair = sim.make_fair(synth, "income", "sex", strong=strong, random_state=0)
        assert share(fair).max() - share(fair).min() < 0.01
        result = sim.evaluate(real, fair, holdout=holdout, target="income", sensitive="sex",
                              metrics=["fairness"])
        figures[strong] = result.get("score distribution gap (TSTR)", column="sex")
    # trained on the real (unequal) rows, the model scores the groups apart; on fair rows less
    assert figures[False].reference > 0.3
    assert figures[True].value < figures[False].reference - 0.15
    assert figures[True].value <= figures[False].value + 0.05
    with pytest.raises(ParameterError, match="'strong'"):
        sim.make_fair(synth, "income", "sex", strong="yes")
