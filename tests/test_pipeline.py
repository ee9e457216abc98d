"""`simulacra run` / `simulacra init`: validated configs, cached steps, gates, sinks, records."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.errors import ConfigError
from simulacra.pipeline import json_schema, load_config, run_pipeline, starter_config

ROOT = Path(__file__).parents[1]
OUTPUTS = ("metadata.yaml", "model.simz", "synthetic.csv", "metrics.json", "report.html")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    sim.datasets.load_demo().head(800).to_csv(tmp_path / "adult.csv", index=False)
    return tmp_path


def write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


FAST = """\
source: {path: adult.csv}
seed: 3
sampling: {n: 300}
evaluation: {holdout: 0.25, metrics: [fidelity], report: true}
gates:
  - {metric: shape, min: 0.8}
"""


def test_run_writes_outputs_and_a_record(folder: Path):
    result = run_pipeline(write(folder, FAST))
    out = folder / "out"
    assert result.passed and result.output_dir == out
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    synth = pd.read_csv(out / "synthetic.csv")
    assert synth.shape == (300, 15)
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "passed" and record["seed"] == 3
    assert [s["name"] for s in record["steps"]] == ["metadata", "split", "fit", "sample",
                                                     "evaluate"]
    assert not any(s["cached"] for s in record["steps"])
    assert record["model"]["rows"] == 600  # 800 rows, a quarter held out
    assert len(record["inputs"]["source"]["sha256"]) == 64
    assert record["versions"]["simulacra"] == sim.__version__
    assert 0.8 <= record["metrics"]["shape"] <= 1
    assert record["gates"][0]["passed"] and record["gates"][0]["bound"] == "min"
    assert set(record["outputs"]) == set(OUTPUTS)
    assert sim.models.load(out / "model.simz").sample(5, rng=0).shape == (5, 15)


def test_a_rerun_with_nothing_changed_does_no_work(folder: Path):
    config = write(folder, FAST)
    run_pipeline(config)
    stamps = {n: (folder / "out" / n).stat().st_mtime_ns for n in OUTPUTS}
    again = run_pipeline(config)
    assert all(s.cached for s in again.steps)
    assert {n: (folder / "out" / n).stat().st_mtime_ns for n in OUTPUTS} == stamps
    assert again.metrics == run_pipeline(config).metrics


def test_changing_the_sample_size_reruns_only_sampling_and_what_follows(folder: Path):
    config = write(folder, FAST)
    run_pipeline(config)
    changed = run_pipeline(write(folder, FAST.replace("n: 300", "n: 200")))
    ran = [s.name for s in changed.steps if not s.cached]
    assert ran == ["sample", "evaluate"]
    assert len(pd.read_csv(folder / "out" / "synthetic.csv")) == 200
    # the cache keeps only what the last run used
    entries = sorted(p.name.split("-")[0] for p in (folder / "out" / ".cache").iterdir())
    assert entries == ["evaluate", "fit", "metadata", "sample", "split"]


def test_the_source_file_changing_reruns_everything(folder: Path):
    config = write(folder, FAST)
    run_pipeline(config)
    sim.datasets.load_demo().iloc[800:1600].to_csv(folder / "adult.csv", index=False)
    assert all(not s.cached for s in run_pipeline(config).steps)


def test_same_seed_same_bytes(folder: Path):
    config = write(folder, FAST)
    run_pipeline(config, output_dir=folder / "a")
    run_pipeline(config, output_dir=folder / "b")
    for name in OUTPUTS:
        assert (folder / "a" / name).read_bytes() == (folder / "b" / name).read_bytes(), name
    run_pipeline(write(folder, FAST.replace("seed: 3", "seed: 4"), "q.yaml"),
                 output_dir=folder / "c")
    assert (folder / "c" / "synthetic.csv").read_bytes() != \
        (folder / "a" / "synthetic.csv").read_bytes()


def test_a_failed_gate_exits_3_and_says_by_how_much(folder: Path):
    write(folder, FAST.replace("{metric: shape, min: 0.8}", "{metric: shape, min: 0.9999}"))
    result = CliRunner().invoke(app, ["run", str(folder / "p.yaml")])
    assert result.exit_code == 3, result.output
    assert "gate failed: shape" in result.output and "short by" in result.output
    assert json.loads((folder / "out" / "run.json").read_text())["status"] == "failed"


def test_tstr_gap_gate_and_full_evaluation(folder: Path):
    config = write(folder, """\
source: {path: adult.csv}
evaluation: {target: income, metrics: [utility]}
gates:
  - {metric: TSTR accuracy, max_gap: 0.5}
  - {metric: TSTR accuracy, min: 0.01, max: 1}
""")
    result = run_pipeline(config)
    assert [g.bound for g in result.gates] == ["max_gap", "min", "max"]
    gap = result.gates[0]
    figure = result.metrics["TSTR accuracy"]
    assert gap.value == pytest.approx(figure["reference"] - figure["value"])
    assert result.passed


def test_every_problem_is_listed_with_its_line(folder: Path):
    config = write(folder, """\
source: {path: missing.csv}
seed: -1
model:
  name: gaussian_copula
  params: {epochs: 3}
sampling: {n: 0, colour: red}
evaluation: {holdout: 1.5}
gates:
  - {metric: trend}
""")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    text = str(err.value)
    assert "line 2, seed" in text
    assert "line 6, sampling.n" in text and "line 6, sampling.colour: unknown key" in text
    assert "line 7, evaluation.holdout" in text
    assert "line 9, gates[0]" in text and "needs 'min', 'max' or 'max_gap'" in text
    assert len(err.value.problems) == 5  # the schema's problems first, all at once
    fixed = config.read_text().replace("seed: -1", "seed: 1").replace("n: 0, colour: red",
                                                                      "n: 5").replace(
        "holdout: 1.5", "holdout: 0.5").replace("{metric: trend}", "{metric: trend, min: 0}")
    with pytest.raises(ConfigError) as err:
        load_config(write(folder, fixed))
    text = str(err.value)
    assert "line 1, source.path: no file" in text
    assert "line 5, model.params.epochs: gaussian_copula has no hyperparameter 'epochs'" in text


def test_cli_shows_config_problems_and_exits_2(folder: Path):
    write(folder, "source: {path: adult.csv}\nmodel: {name: nope}\n")
    result = CliRunner().invoke(app, ["run", str(folder / "p.yaml")])
    assert result.exit_code == 2
    assert "line 2, model.name: no synthesizer 'nope'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("source: {path: adult.csv\n", "line 2, column 1: not valid YAML"),
    ("- just a list\n", "a pipeline config is a mapping"),
    ("source: !!python/object:os.system {}\n", "not valid YAML"),
])
def test_unreadable_configs(folder: Path, text: str, expected: str):
    with pytest.raises(ConfigError, match=expected):
        load_config(write(folder, text))


def test_a_large_config_is_refused(folder: Path):
    with pytest.raises(sim.MetadataError, match="larger than"):
        load_config(write(folder, "name: x\n" + "#" * (2 * 1024 * 1024)))


@pytest.mark.parametrize("where", ["output_dir: ../elsewhere", "output_dir: /tmp/x",
                                   "sinks: [{path: ../../x.csv}]"])
def test_outputs_stay_inside_the_pipeline_folder(folder: Path, where: str):
    with pytest.raises(ConfigError, match="relative path inside"):
        load_config(write(folder, f"source: {{path: adult.csv}}\n{where}\n"))


def test_unknown_gate_metric_points_at_its_line(folder: Path):
    config = write(folder, FAST + "  - {metric: nonsense, max: 1}\n")
    with pytest.raises(ConfigError) as err:
        run_pipeline(config)
    assert "line 7, gates[1].metric: the evaluation has no figure named 'nonsense'" in \
        str(err.value)
    assert "shape" in str(err.value)  # what it does have


def test_edits_constraints_and_bad_edits(folder: Path):
    config = write(folder, FAST + """\
metadata:
  columns:
    education-num: categorical
    age: {kind: numerical, minimum: 17}
constraints:
  - {type: positive, column: capital-gain}
""")
    run_pipeline(config)
    md = sim.Metadata.load(folder / "out" / "metadata.yaml")
    assert md["education-num"].kind == "categorical"
    assert md.constraints and (pd.read_csv(folder / "out" / "synthetic.csv")["capital-gain"]
                               >= 0).all()
    bad = write(folder, FAST + "metadata:\n  columns:\n    nope: categorical\n"
                "constraints:\n  - {type: positive, column: ghost}\n", "bad.yaml")
    with pytest.raises(ConfigError) as err:
        run_pipeline(bad)
    assert "line 9, metadata.columns.nope: the table has no column 'nope'" in str(err.value)
    assert "line 11, constraints[0]" in str(err.value)


def test_sinks_files_and_a_database(folder: Path):
    db = folder / "synthetic.db"
    config = write(folder, FAST + f"""\
sinks:
  - {{path: copies/synthetic.parquet}}
  - {{url: "sqlite:///{db}", table: adult_synthetic}}
""")
    result = run_pipeline(config)
    copy = pd.read_parquet(folder / "out" / "copies" / "synthetic.parquet")
    assert copy.shape == (300, 15)
    frames, _ = __import__("simulacra.multitable.sources", fromlist=["read_database"]
                           ).read_database(f"sqlite:///{db}")
    assert len(frames["adult_synthetic"]) == 300
    assert [s.name for s in result.steps][-2:] == ["sink 1", "sink 2"]
    assert all(s.cached for s in run_pipeline(config).steps)


def test_source_from_a_database_table(folder: Path):
    from simulacra.metadata import DatabaseMetadata
    from simulacra.multitable.sources import write_database

    frame = pd.read_csv(folder / "adult.csv")
    db = folder / "real.db"
    write_database({"adult": frame}, DatabaseMetadata({"adult": sim.Metadata.detect(frame)}),
                   f"sqlite:///{db}")
    config = write(folder, FAST.replace("{path: adult.csv}", "{url_env: REAL_DB, table: adult}"))
    with pytest.raises(ConfigError, match="REAL_DB is not set"):
        load_config(config)
    import os

    os.environ["REAL_DB"] = f"sqlite:///{db}"
    try:
        result = run_pipeline(config)
        assert result.passed and len(pd.read_csv(folder / "out" / "synthetic.csv")) == 300
        record = (folder / "out" / "run.json").read_text()
        assert str(db) not in (folder / "p.yaml").read_text() and "sqlite" not in record
        assert all(s.cached for s in run_pipeline(config).steps)
    finally:
        del os.environ["REAL_DB"]


def test_privacy_keeps_figures_out_of_the_record_and_the_output(folder: Path):
    frame = pd.read_csv(folder / "adult.csv")
    frame.loc[7, "fnlwgt"] = 987654321  # a planted outlier
    frame.loc[7, "native-country"] = "Atlantis-Planted"
    frame.to_csv(folder / "adult.csv", index=False)
    write(folder, FAST.replace("seed: 3", "seed: 3\nmodel: {name: mst, privacy: {epsilon: 1}}"))

    def no_detection(*args, **kwargs):
        raise AssertionError("detection reads values; under a budget the kinds come from dtypes")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.Metadata, "detect", no_detection)
        result = CliRunner().invoke(app, ["run", str(folder / "p.yaml")])
    assert result.exit_code in (0, 3), result.output
    out = folder / "out"
    for name in ("run.json", "metadata.yaml", "model.simz", "synthetic.csv"):
        data = (out / name).read_bytes()
        assert b"987654321" not in data and b"Atlantis" not in data, name
    for text in (result.output, (out / "metadata.yaml").read_text(),
                 (out / "run.json").read_text()):
        assert "987654321" not in text and "Atlantis" not in text
    record = json.loads((out / "run.json").read_text())
    assert record["metrics"].startswith("withheld")
    assert "value" not in record["gates"][0]
    assert "privacy budget" in result.output
    assert record["model"]["privacy"]["budget"] == 1


def test_init_writes_a_config_that_runs_as_is(folder: Path):
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(folder / "adult.csv"), "-o",
                                 str(folder / "pipeline.yaml")])
    assert result.exit_code == 0, result.output
    text = (folder / "pipeline.yaml").read_text()
    assert "target: income" in text and "# Detected kinds:" in text
    assert load_config(folder / "pipeline.yaml").config.source.path == "adult.csv"
    again = runner.invoke(app, ["init", str(folder / "adult.csv"), "-o",
                                str(folder / "pipeline.yaml")])
    assert again.exit_code == 2 and "--force" in again.output
    small = text.replace("metrics: all", "metrics: [fidelity, utility]").replace(
        "  - {metric: detection AUC", "  # - {metric: detection AUC").replace(
        "  - {metric: DCR share", "  # - {metric: DCR share")
    (folder / "pipeline.yaml").write_text(small)
    ran = runner.invoke(app, ["run", str(folder / "pipeline.yaml")])
    assert ran.exit_code in (0, 3), ran.output
    assert "Quality gates" in ran.output and (folder / "out" / "run.json").is_file()


def test_init_checks_its_options(folder: Path):
    with pytest.raises(sim.ParameterError, match="--target"):
        starter_config(folder / "adult.csv", folder / "p.yaml", target="nope")
    with pytest.raises(sim.ParameterError, match="--model"):
        starter_config(folder / "adult.csv", folder / "p.yaml", model="nope")


def test_published_schema_is_current():
    published = json.loads((ROOT / "docs" / "pipeline.schema.json").read_text())
    assert published == json_schema(), "run: simulacra run --schema > docs/pipeline.schema.json"
    result = CliRunner().invoke(app, ["run", "--schema"])
    assert json.loads(result.output)["title"] == "simulacra pipeline"


def test_monitor_refits_when_new_rows_drifted(folder: Path):
    demo = sim.datasets.load_demo()
    demo.iloc[800:1400].to_csv(folder / "same.csv", index=False)  # the same population
    older = demo.iloc[800:3000]
    older[older["age"] >= 45].head(600).to_csv(folder / "older.csv", index=False)
    monitor = "monitor: {{current: {}, alpha: 0.05, on_drift: refit}}\n"
    calm = run_pipeline(write(folder, FAST + monitor.format("same.csv")))
    assert calm.drift is not None and calm.drift["drifted"] is False and calm.refit is None
    assert (folder / "out" / "drift.json").is_file()
    assert "Drift report" in (folder / "out" / "drift.html").read_text()
    assert not (folder / "out" / "refit").exists()

    drifted = run_pipeline(write(folder, FAST + monitor.format("older.csv")))
    assert drifted.drift["drifted"] is True
    assert "age" in json.dumps(drifted.drift)
    refit = drifted.refit
    assert refit is not None and refit.output_dir == folder / "out" / "refit"
    assert [s.name for s in refit.steps if not s.cached] == ["metadata", "split", "fit",
                                                             "sample", "evaluate"]
    refitted = pd.read_csv(folder / "out" / "refit" / "synthetic.csv")
    assert refitted["age"].min() >= 40  # learned from the new rows only
    assert refit.gates and json.loads((folder / "out" / "run.json").read_text())["drift"] == \
        {"drifted": True, "refit": True}
    again = run_pipeline(folder / "p.yaml")
    assert all(s.cached for s in again.steps) and all(s.cached for s in again.refit.steps)


def test_fairness_in_a_pipeline(folder: Path):
    config = write(folder, """\
source: {path: adult.csv}
seed: 1
metadata: {sensitive: [sex]}
sampling: {n: 600, fairness: {target: income}}
evaluation: {target: income, metrics: [fairness]}
gates:
  - {metric: target parity gap, column: sex, max: 0.01}
""")
    result = run_pipeline(config)
    assert result.passed, result.gates
    synth = pd.read_csv(folder / "out" / "synthetic.csv")
    rates = synth.groupby("sex")["income"].apply(lambda s: (s == ">50K").mean())
    assert abs(rates["Male"] - rates["Female"]) < 0.01
    figure = result.metrics["target parity gap (column sex)"]
    assert figure["reference"] > 0.1  # the real training rows' gap, side by side
    assert sim.Metadata.load(folder / "out" / "metadata.yaml").sensitive == ["sex"]
    bad = write(folder, """\
source: {path: adult.csv}
metadata: {sensitive: [gender]}
sampling: {fairness: {target: salary, strength: 2}}
""", "bad.yaml")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert "strength" in str(err.value)
