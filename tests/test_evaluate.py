"""evaluate(), the result object, the HTML report, and the evaluate/bench commands."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.bench import DATASETS, BenchDataset, markdown_table, run_one, summarize
from simulacra.cli import app


@pytest.fixture(scope="module")
def adult_eval():
    df = sim.datasets.load_demo().sample(4000, random_state=1).reset_index(drop=True)
    train, test = df.iloc[:2500].reset_index(drop=True), df.iloc[2500:].reset_index(drop=True)
    synth = sim.GaussianCopula(random_state=0).fit(train).sample(len(train))
    result = sim.evaluate(train, synth, holdout=test, target="income", random_state=0)
    return train, test, synth, result


def test_every_figure_is_typed_and_explained(adult_eval):
    *_, result = adult_eval
    names = {m.name for m in result.metrics}
    for expected in ("shape", "trend", "detection AUC", "TSTR ROC-AUC", "DCR share",
                     "exact copies", "membership inference AUC"):
        assert expected in names
    for m in result.metrics:
        assert m.group in ("fidelity", "utility", "privacy")
        assert m.direction in ("higher", "lower", "closer") and m.definition
    assert result["TSTR ROC-AUC"].reference is not None  # TRTR beside TSTR
    assert result["exact copies"].reference is not None  # the holdout's own rate
    assert result["trend"].reference_label == "holdout" and 0.9 < result["trend"].reference <= 1
    summary = result.summary()
    assert {"group", "metric", "value", "ideal", "direction"} <= set(summary.columns)


def test_deterministic_under_seed(adult_eval):
    train, test, synth, result = adult_eval
    again = sim.evaluate(train, synth, holdout=test, target="income", random_state=0)
    assert [m.value for m in again.metrics] == pytest.approx([m.value for m in result.metrics],
                                                             nan_ok=True)


def test_real_copy_scores_perfect_fidelity_and_poor_privacy(adult_eval):
    train, test, *_ = adult_eval
    res = sim.evaluate(train, train.copy(), holdout=test, target="income",
                       metrics=["fidelity", "privacy"])
    assert res.value("shape") == pytest.approx(1.0)
    assert res.value("trend") == pytest.approx(1.0)
    assert res.value("exact copies") > 0.95
    assert res.value("DCR share") > 0.9


def test_json_and_html_outputs(adult_eval, tmp_path):
    *_, result = adult_eval
    data = json.loads(result.to_json(tmp_path / "q.json"))
    assert {m["name"] for m in data["metrics"]} == {m.name for m in result.metrics}
    assert json.loads((tmp_path / "q.json").read_text()) == data
    html = result.to_html(tmp_path / "r.html")
    assert html.startswith("<!DOCTYPE html>")
    for section in ("scorecard", "fidelity", "utility", "privacy", "columns", "correlations",
                    "worst-pairs", "distances"):
        assert f'id="{section}"' in html, section
    images = re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', html)
    # a plot per column, two heatmaps, the four worst pairs, where rows lie, the distances
    assert len(images) == len(train_columns(adult_eval)) + 2 + 4 + 1 + 1
    assert 'id="similarity"' in html and "principal components" in html
    assert 'alt="association difference heatmap"' in html
    assert len(re.findall(r'alt="[^"]+ against [^"]+, real and synthetic"', html)) == 4
    assert "http://" not in html and "https://" not in html and "<script" not in html


def train_columns(adult_eval) -> list[str]:
    return list(adult_eval[0].columns)


def test_bad_arguments(adult_eval):
    train, test, synth, _ = adult_eval
    with pytest.raises(sim.ParameterError, match="target"):
        sim.evaluate(train, synth, holdout=test, target="nope")
    with pytest.raises(sim.ParameterError, match="metrics"):
        sim.evaluate(train, synth, metrics=["vibes"])
    with pytest.raises(sim.DataError, match="missing"):
        sim.evaluate(train, synth.drop(columns=["age"]))
    res = sim.evaluate(train, synth, metrics=["privacy", "utility"], target="income")
    assert "exact copies" in res and "DCR share" not in res
    assert any("holdout" in n for n in res.info["not_computed"])


def test_evaluate_command(adult_eval, tmp_path):
    train, test, synth, _ = adult_eval
    for name, frame in (("train.csv", train), ("test.csv", test), ("synth.csv", synth)):
        frame.to_csv(tmp_path / name, index=False)
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "evaluate", str(tmp_path / "train.csv"), str(tmp_path / "synth.csv"),
        "--holdout", str(tmp_path / "test.csv"), "--target", "income",
        "--report", str(tmp_path / "r.html"), "--json", str(tmp_path / "q.json")])
    assert result.exit_code == 0, result.output
    assert "detection AUC" in result.output and "TSTR ROC-AUC" in result.output
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert json.loads((tmp_path / "q.json").read_text())["info"]["target"] == "income"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "evaluate", str(tmp_path / "train.csv"), str(tmp_path / "synth.csv"),
        "--holdout", str(tmp_path / "test.csv"), "--target", "income",
        "--metrics", "fidelity, utility", "--json", str(tmp_path / "q2.json")])
    assert result.exit_code == 0, result.output
    names = {m["name"] for m in json.loads((tmp_path / "q2.json").read_text())["metrics"]}
    assert "trend" in names and "TSTR ROC-AUC" in names
    assert "detection AUC" not in names and "DCR share" not in names
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "train.csv"),
                                      str(tmp_path / "synth.csv"), "--metrics", "speed"])
    assert result.exit_code == 2 and "'metrics' parameter" in result.output


def test_bench_run_on_a_small_dataset(tmp_path):
    df = sim.datasets.load_demo().sample(1500, random_state=0)
    df.to_csv(tmp_path / "small.csv", index=False)
    ds = BenchDataset("small", "small.csv", "income")
    train, holdout = ds.load(tmp_path)
    assert len(train) == 1200 and len(holdout) == 300
    again, _ = ds.load(tmp_path)
    pd.testing.assert_frame_equal(train, again)  # fixed split
    run = run_one(ds, "gaussian_copula", 0, tmp_path)
    assert run.fit_s > 0 and run.sample_s > 0 and run.peak_mb > 50
    rows = summarize([run])
    table = markdown_table(rows)
    assert table.startswith("| dataset | model |") and "gaussian_copula" in table
    assert "TSTR vs TRTR" in table and "DCR share" in table


def test_bench_datasets_registry_and_missing_files(tmp_path):
    assert set(DATASETS) == {"adult", "default", "shoppers", "magic", "california", "beijing"}
    with pytest.raises(sim.DataError, match="--datasets-dir"):
        DATASETS["adult"].load(tmp_path)


def test_bench_hyperparameters_epochs_and_external_samples(tmp_path):
    pytest.importorskip("torch")
    from simulacra.bench import run_external

    df = sim.datasets.load_demo().sample(1500, random_state=0)
    df.to_csv(tmp_path / "small.csv", index=False)
    ds = BenchDataset("small", "small.csv", "income")
    run = run_one(ds, "tvae", 0, tmp_path, params={"epochs": 3, "batch_size": 200})
    assert run.epochs == 3 and run.seconds_per_epoch > 0
    train, _ = ds.load(tmp_path)
    other = tmp_path / "other_tool.csv"
    train.sample(frac=1.0, random_state=1)[train.columns[::-1]].to_csv(other, index=False)
    ext = run_external(ds, "other_tool", other, 0, tmp_path,
                       {"fit_s": 12.5, "epochs": 300, "s_per_epoch_mean": 0.04})
    assert ext.model == "other_tool" and ext.fit_s == 12.5 and np.isnan(ext.peak_mb)
    assert ext.figures["shape"] > 0.99  # the train rows themselves
    table = markdown_table(summarize([run, ext]))
    assert "epochs (s/epoch)" in table and "| 300 (0.04) |" in table and "| 3 (" in table
    (tmp_path / "broken.csv").write_text("a,b\n1,2\n")
    with pytest.raises(sim.DataError, match="lacks"):
        run_external(ds, "broken", tmp_path / "broken.csv", 0, tmp_path)


def test_bench_command_with_privacy_budgets_metrics_and_json(tmp_path):
    demo = sim.datasets.load_demo().sample(1500, random_state=1).reset_index(drop=True)
    demo.iloc[:1200].to_csv(tmp_path / "adult_train.csv", index=False)
    demo.iloc[1200:].to_csv(tmp_path / "adult_test.csv", index=False)
    out = tmp_path / "runs.json"
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, [
        "bench", "-d", "adult", "-m", "mst", "--epsilon", "1", "--epsilon", "10",
        "--seeds", "1", "--datasets-dir", str(tmp_path), "--metrics", "fidelity",
        "-p", "iterations=100", "--json", str(out)])
    assert result.exit_code == 0, result.output
    runs = json.loads(out.read_text())["runs"]
    assert [r["model"] for r in runs] == ["mst ε=1", "mst ε=10"]
    assert all("trend" in r["figures"] and "TSTR ROC-AUC" not in r["figures"] for r in runs)
    assert "2-way TVD" in result.output
    # the markdown table pastes as it is: one line per row, whatever the terminal's width
    rows = [line for line in result.output.splitlines() if line.startswith("| adult |")]
    assert len(rows) == 2 and all(line.endswith("|") for line in rows)
    assert "not computed" in rows[0] and "n/a vs n/a" not in result.output


def test_rows_on_the_real_tables_principal_components():
    from simulacra.evaluation import fidelity
    from simulacra.evaluation.prepare import Featurizer, prepare

    real = sim.datasets.load_demo().head(1500)
    faithful = sim.datasets.load_demo().iloc[1500:3000].reset_index(drop=True)
    rng = np.random.default_rng(1)  # each column its own order: the rows fall apart
    shuffled = faithful.apply(lambda c: c.to_numpy()[rng.permutation(len(c))])
    shares = {}
    for name, synth in (("faithful", faithful), ("shuffled", shuffled)):
        data = prepare(real, synth)
        view = fidelity.embedding_view(data, Featurizer(data), np.random.default_rng(0))
        real_grid, synth_grid = np.asarray(view["real"]), np.asarray(view["synthetic"])
        assert real_grid.shape == (32, 32) and abs(real_grid.sum() - 1) < 1e-9
        assert 0 < view["explained"][1] <= view["explained"][0] < 1
        shares[name] = 0.5 * np.abs(real_grid - synth_grid).sum()
    # other real rows cover the same cells; columns shuffled apart leave the clusters
    assert shares["faithful"] < shares["shuffled"] - 0.1
