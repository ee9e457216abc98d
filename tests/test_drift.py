"""Drift monitoring: calibration (false alarms ≤ alpha), power on planted shifts, dependence,
missing values, tied columns, determinism, bad input, a model as the reference, the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.drift import detect_drift
from simulacra.drift.calibration import permutation_p_values, step_down_min_p
from simulacra.drift.cells import continuous_cells
from simulacra.drift.effects import jensen_shannon, psi
from simulacra.drift.statistics import ks_from_counts
from simulacra.errors import DataError, MetadataError, ParameterError
from simulacra.evaluation.fidelity.statistics import ks_statistic  # = scipy's ks_2samp

runner = CliRunner(env={"COLUMNS": "200"})
DEMO_COLUMNS = ["age", "workclass", "education-num", "marital-status", "sex", "hours-per-week",
                "income"]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return sim.datasets.load_demo()[DEMO_COLUMNS]


def halves(frame: pd.DataFrame, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = np.random.default_rng(seed).choice(len(frame), 2 * n, replace=False)
    return (frame.iloc[rows[:n]].reset_index(drop=True),
            frame.iloc[rows[n:]].reset_index(drop=True))


def correlated(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": x + 0.5 * rng.normal(size=n),
                         "c": rng.choice(["a", "b", "c"], n)})


# -- calibration -----------------------------------------------------------------------------

def test_the_dataset_false_alarm_rate_is_at_most_alpha(demo):
    """60 same-distribution splits of the demo table: the verdict says "drift" no more often
    than a binomial(60, 0.05) count allows (a per-column 5% rule would alarm in about half)."""
    trials, md = 60, sim.Metadata.detect(demo)
    alarms = sum(detect_drift(*halves(demo, 300, seed), metadata=md, permutations=99,
                              random_state=seed).drifted for seed in range(trials))
    assert alarms <= stats.binom.ppf(0.999, trials, 0.05)


def test_a_tied_column_gets_calibrated_p_values():
    """A number with three values: KS's asymptotic p-value is far too large (conservative); the
    permutation p-value is uniform, so p ≤ 0.2 happens about 20% of the time."""
    trials, own, textbook = 120, [], []
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({"t": rng.choice([0.0, 1.0, 2.0], 400, p=[0.5, 0.3, 0.2])})
        column = detect_drift(frame.iloc[:200], frame.iloc[200:], permutations=99,
                              random_state=seed, dependence=False)["t"]
        own.append(column.p_value)
        textbook.append(column.asymptotic_p)
    low, high = stats.binom.ppf([0.001, 0.999], trials, 0.2)
    assert low <= sum(p <= 0.2 for p in own) <= high
    assert sum(p <= 0.2 for p in textbook) < low  # what the permutations correct


# -- detection -------------------------------------------------------------------------------

def test_a_shifted_number_and_a_shifted_category_are_found(demo):
    ref, cur = halves(demo, 2000, 1)
    cur["age"] = cur["age"] + 4
    report = detect_drift(ref, cur)
    assert report.drifted and report.drifted_columns == ["age"]
    assert report["age"].p_adjusted <= 0.05 and report["age"].psi > 0.05
    moved = stats.wasserstein_distance(ref["age"], cur["age"])  # over the reference's std
    assert report["age"].wasserstein == pytest.approx(moved / ref["age"].std(ddof=0))

    ref, cur = halves(demo, 2000, 2)
    married = cur.index[cur["marital-status"] == "Married-civ-spouse"][:250]
    cur.loc[married, "marital-status"] = "Never-married"
    report = detect_drift(ref, cur, dependence=False)
    assert report.drifted_columns == ["marital-status"]
    assert report["marital-status"].test == "chi-square"
    assert report["marital-status"].wasserstein is None and report.dependence is None


def test_a_broken_dependence_is_found_with_unchanged_marginals():
    ref, cur = correlated(1000, 0), correlated(1000, 1)
    cur["y"] = np.random.default_rng(2).permutation(cur["y"].to_numpy())  # same values
    report = detect_drift(ref, cur)
    assert report.drifted and report.drifted_columns == []
    assert report.dependence is not None and report.dependence.drifted
    top = report.dependence.pairs[0]
    assert top.columns == ("x", "y") and top.measure == "spearman"
    assert top.reference > 0.8 and abs(top.current) < 0.1


def test_the_share_of_missing_values_is_part_of_a_column(demo):
    ref, cur = halves(demo, 1500, 3)
    rng = np.random.default_rng(0)
    ref.loc[rng.random(len(ref)) < 0.05, "hours-per-week"] = np.nan
    cur.loc[rng.random(len(cur)) < 0.15, "hours-per-week"] = np.nan
    cur.loc[rng.random(len(cur)) < 0.10, "workclass"] = None
    report = detect_drift(ref, cur, dependence=False)
    hours = report["hours-per-week"]
    assert hours.drifted and hours.test == "KS + missing share"
    assert hours.missing_p is not None and hours.missing_p <= 0.01
    assert hours.missing_reference == pytest.approx(0.05, abs=0.015)
    assert hours.missing_current == pytest.approx(0.15, abs=0.02)
    assert report["workclass"].drifted  # nulls are a category of their own
    assert set(report.drifted_columns) == {"hours-per-week", "workclass"}


def test_skipped_columns_say_why_and_null_columns_are_handled():
    ref, cur = correlated(300, 0), correlated(300, 1)
    for frame in (ref, cur):
        frame["id"] = np.arange(len(frame)) + (0 if frame is ref else 10_000)
        frame["email"] = [f"user{i}@example.org" for i in frame["id"]]
        frame["empty"] = np.nan
    ref["filled"], cur["filled"] = np.nan, 1.0
    md = sim.Metadata.detect(ref)
    md.update_column("filled", kind="numerical")
    report = detect_drift(ref, cur, metadata=md)
    reasons = {s.column: s.reason for s in report.skipped}
    assert "identifier" in reasons["id"] and "PII" in reasons["email"]
    assert "null on both sides" in reasons["empty"]
    assert report["filled"].drifted and report["filled"].test == "chi-square (missing share)"


# -- contract ----------------------------------------------------------------------------------

def test_same_inputs_same_report_and_the_inputs_are_untouched(demo):
    ref, cur = halves(demo, 800, 4)
    ref.loc[::7, "age"] = np.nan
    before = (ref.copy(deep=True), cur.copy(deep=True))
    first = detect_drift(ref, cur, random_state=11)
    again = detect_drift(ref, cur, random_state=11)
    assert first.to_dict(reproducible=True) == again.to_dict(reproducible=True)
    pd.testing.assert_frame_equal(ref, before[0])
    pd.testing.assert_frame_equal(cur, before[1])
    assert json.loads(first.to_json())["columns"][0]["column"] == "age"


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"alpha": 0}, ParameterError, "'alpha'"),
    ({"alpha": 1.0}, ParameterError, "'alpha'"),
    ({"alpha": True}, ParameterError, "'alpha'"),
    ({"alpha": 0.001, "permutations": 99}, ParameterError, "at least 999"),
    ({"permutations": 0}, ParameterError, "'permutations'"),
    ({"columns": "x"}, ParameterError, "list of column names"),
    ({"columns": []}, ParameterError, "at least one column"),
    ({"columns": ["x", "nope"]}, DataError, "'nope'"),
    ({"reference_rows": 10}, ParameterError, "only when the reference is a model"),
    ({"random_state": -1}, ParameterError, "'random_state'"),
    ({"metadata": {"x": "numerical"}}, ParameterError, "'metadata'"),
])
def test_bad_parameters_are_refused_by_name(kwargs, error, words):
    with pytest.raises(error, match=words):
        detect_drift(correlated(50, 0), correlated(50, 1), **kwargs)


def test_bad_tables_are_refused_with_what_to_do():
    ref, cur = correlated(50, 0), correlated(50, 1)
    with pytest.raises(DataError, match="current table is empty"):
        detect_drift(ref, cur.iloc[:0])
    with pytest.raises(DataError, match="no column in common"):
        detect_drift(ref, cur.rename(columns=str.upper))
    with pytest.raises(DataError, match=r"only in the reference \['c'\].*columns=\["):
        detect_drift(ref, cur.drop(columns="c"))
    with pytest.raises(ParameterError, match="read_table"):
        detect_drift("reference.csv", cur)  # type: ignore[arg-type]
    with pytest.raises(MetadataError, match="'c' is not in the metadata"):
        detect_drift(ref, cur, metadata=sim.Metadata.detect(ref[["x", "y"]]))
    with pytest.raises(DataError, match="no column can be tested"):
        detect_drift(pd.DataFrame({"id": range(30)}), pd.DataFrame({"id": range(30, 60)}))


def test_a_fitted_model_can_be_the_reference(demo):
    train, rest = demo.iloc[:2000], demo.iloc[2000:]
    model = sim.GaussianCopula(random_state=0).fit(train)
    current = rest.iloc[:600].copy()
    report = detect_drift(model, current, random_state=3)
    assert report.reference.source == "model" and report.reference.model == "GaussianCopula"
    assert report.reference.rows == 1000  # at least MIN_MODEL_ROWS
    assert "sampled from a fitted GaussianCopula" in report.to_dict()["reference"]["note"]
    assert detect_drift(model, current, random_state=3).to_dict(reproducible=True) \
        == report.to_dict(reproducible=True)
    current["age"] = current["age"] + 10
    shifted = detect_drift(model, current, reference_rows=2000, random_state=3)
    assert shifted.reference.rows == 2000 and "age" in shifted.drifted_columns


# -- properties --------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 6)),
              elements=st.floats(0, 1)))
def test_adjusted_p_values_are_valid_step_down_values(scores):
    own, adjusted = permutation_p_values(scores), step_down_min_p(scores)
    assert np.all(adjusted >= own - 1e-12) and np.all((adjusted > 0) & (adjusted <= 1))
    order = np.argsort(scores[0], kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)  # more extreme, never a larger p-value
    assert adjusted.min() == pytest.approx((scores.min(axis=1) <= scores[0].min()).mean())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=1, max_size=40),
       st.lists(st.integers(0, 8), min_size=1, max_size=40))
def test_ks_from_cell_counts_is_the_usual_ks_statistic(a, b):
    values = np.array(a + b, dtype=np.float64)
    cells = continuous_cells(values)
    total = np.bincount(cells.codes, minlength=cells.n_cells).astype(np.float64)
    ref = np.bincount(cells.codes[: len(a)], minlength=cells.n_cells).astype(np.float64)
    d, _ = ks_from_counts(ref[None, :], total)
    assert d[0] == pytest.approx(ks_statistic(np.array(a, float), np.array(b, float)))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 5, elements=st.floats(0.01, 1)),
       arrays(np.float64, 5, elements=st.floats(0.01, 1)))
def test_effect_sizes_are_zero_for_no_change_and_bounded(r, c):
    r, c = r / r.sum(), c / c.sum()
    assert psi(r, r) == pytest.approx(0) and psi(r, c) >= 0
    assert 0 <= jensen_shannon(r, c) <= 1 + 1e-12
    assert jensen_shannon(r, c) == pytest.approx(jensen_shannon(c, r))


def test_cells_keep_order_and_ties_when_grouped():
    values = np.round(np.random.default_rng(0).normal(size=5000), 2)
    cells = continuous_cells(values, max_cells=50)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(cells.codes[order]) >= 0) and cells.n_values <= 50
    for value in np.unique(values)[:200]:
        assert np.unique(cells.codes[values == value]).size == 1


# -- the command -------------------------------------------------------------------------------

def test_drift_command_exit_codes_and_json(tmp_path, demo):
    ref, cur = halves(demo, 1000, 5)
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_parquet(tmp_path / "same.parquet")
    shifted = cur.assign(age=cur["age"] + 5)
    shifted.to_csv(tmp_path / "shifted.csv", index=False)

    same = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "same.parquet"),
                               "--seed", "0"])
    assert same.exit_code == 0, same.output
    assert "dataset: no drift" in same.output and "dependence" in same.output

    found = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "shifted.csv"),
                                "--report", str(tmp_path / "r.json")])
    assert found.exit_code == 1, found.output
    assert "drifted: age" in found.output
    assert json.loads((tmp_path / "r.json").read_text())["drifted"] is True

    page = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "shifted.csv"),
                               "--report", str(tmp_path / "drift.html")])
    assert page.exit_code == 1 and "HTML report" in page.output
    html = (tmp_path / "drift.html").read_text()
    assert "DRIFT" in html and "<strong>age</strong>" in html and "data:image/png" in html
    clobber = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"),
                                  str(tmp_path / "shifted.csv"), "--report",
                                  str(tmp_path / "ref.csv")])
    assert clobber.exit_code == 2 and "input" in clobber.output
    assert (tmp_path / "ref.csv").read_text().startswith("age")  # untouched

    machine = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"),
                                  str(tmp_path / "shifted.csv"), "--json", "--columns",
                                  "age,sex", "--no-dependence"])
    assert machine.exit_code == 1
    parsed = json.loads(machine.stdout)  # nothing else on stdout
    assert [c["column"] for c in parsed["columns"]] == ["age", "sex"]
    assert parsed["dependence"] is None and parsed["verdict"] == "drift"

    for args, words in [([str(tmp_path / "nope.csv"), str(tmp_path / "shifted.csv")],
                         "no such file"),
                        ([str(tmp_path / "ref.csv"), str(tmp_path / "shifted.csv"), "--alpha",
                          "1.5"], "'alpha'"),
                        ([str(tmp_path / "ref.csv"), str(tmp_path / "shifted.csv"),
                          "--columns", "age,height"], "'height'"),
                        ([str(tmp_path / "ref.csv")], "Missing argument")]:
        bad = runner.invoke(app, ["drift", *args])
        assert bad.exit_code == 2 and words in bad.output, bad.output


def test_drift_command_with_a_model_as_the_reference(tmp_path, demo):
    model = sim.GaussianCopula(random_state=0).fit(demo.iloc[:1500])
    model.save(tmp_path / "m.simz")
    demo.iloc[1500:2100].assign(age=lambda f: f["age"] + 12).to_csv(tmp_path / "new.csv",
                                                                       index=False)
    r = runner.invoke(app, ["drift", str(tmp_path / "m.simz"), str(tmp_path / "new.csv"),
                            "--json", "--reference-rows", "1500"])
    assert r.exit_code == 1, r.output
    parsed = json.loads(r.stdout)
    assert parsed["reference"]["source"] == "model" and parsed["reference"]["rows"] == 1500
    assert parsed["columns"][0]["column"] == "age" and parsed["columns"][0]["drifted"]


def test_the_html_page_shows_the_bins_psi_reads(demo: pd.DataFrame):
    ref, cur = halves(demo, 1500, 11)
    shifted = cur.assign(age=cur["age"] + 8, workclass=cur["workclass"].where(
        cur.index % 3 != 0, "Never-worked"))
    report = detect_drift(ref, shifted, random_state=0, permutations=99)
    age = report["age"]
    assert len(age.bins) == len(age.reference_shares) == len(age.current_shares)
    assert age.bins[-1] == "null" and age.bins[0].startswith("< ")
    assert abs(sum(age.reference_shares) - 1) < 1e-9 and abs(sum(age.current_shares) - 1) < 1e-9
    assert age.reference_shares[0] > age.current_shares[0]  # older: fewer in the lowest decile
    work = report["workclass"]
    assert "Never-worked" in work.bins
    html = report.to_html(reproducible=True)
    assert html == report.to_html(reproducible=True)  # no clock: same report, same bytes
    assert "Generated" not in html and html.count("data:image/png") == len(report.columns)
    drifted = html.index("<td>age</td>"), html.index("<td>workclass</td>")
    assert all(position < html.index("<td>sex</td>") for position in drifted)  # first
