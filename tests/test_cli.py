"""The command line: every command end to end on small files."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def test_metadata_fit_sample(tmp_path, adult_small):
    data = tmp_path / "adult.csv"
    adult_small.to_csv(data, index=False)
    md_path = tmp_path / "md.yaml"
    r = invoke("metadata", data, "-o", md_path)
    assert r.exit_code == 0, r.output
    assert "education" in r.output and md_path.exists()
    text = md_path.read_text().replace("age:\n    kind: numerical", "age:\n    kind: categorical")
    md_path.write_text(text)

    model = tmp_path / "m.simz"
    r = invoke("fit", data, "--model", "gaussian_copula", "-o", model, "--metadata", md_path,
               "--seed", 1)
    assert r.exit_code == 0, r.output
    assert sim.load(model).metadata_["age"].kind == "categorical"

    out = tmp_path / "synth.parquet"
    r = invoke("sample", model, "-n", 1234, "-o", out, "--seed", 7)
    assert r.exit_code == 0, r.output
    first = pd.read_parquet(out)
    assert first.shape == (1234, 15)
    invoke("sample", model, "-n", 1234, "-o", out, "--seed", 7)
    pd.testing.assert_frame_equal(pd.read_parquet(out), first)


def test_demo_writes_synthetic_table(tmp_path):
    r = invoke("demo", "-o", tmp_path, "--format", "parquet")
    assert r.exit_code == 0, r.output
    out = pd.read_parquet(tmp_path / "adult_synthetic.parquet")
    assert out.shape == (32561, 15)
    assert "fit time" in r.output and "adult_synthetic.parquet" in r.output
    assert "shape / trend" in r.output
    assert "auto → autoregressive" in r.output  # torch is installed: the flagship is chosen
    assert (tmp_path / "adult_model.simz").exists()


def test_errors_are_one_clear_line_and_exit_2(tmp_path):
    r = invoke("fit", tmp_path / "missing.csv", "-o", tmp_path / "m.simz")
    assert r.exit_code == 2
    assert "no such file" in r.output
    r = invoke("fit", tmp_path / "missing.csv", "-o", tmp_path / "m.simz", "--model", "gan9")
    assert r.exit_code == 2
    (tmp_path / "bad.simz").write_text("nope")
    r = invoke("sample", tmp_path / "bad.simz", "-o", tmp_path / "s.csv")
    assert r.exit_code == 2 and "error" in r.output


def test_models_and_version():
    r = invoke("models")
    assert r.exit_code == 0 and "gaussian_copula" in r.output and "independent" in r.output
    assert "sequential" in r.output and "window-diffusion" in r.output
    r = invoke("--version")
    assert r.exit_code == 0 and sim.__version__ in r.output


def test_fit_hyperparameters_and_conditional_sample(tmp_path, adult_small):
    data = tmp_path / "adult.csv"
    adult_small.to_csv(data, index=False)
    model = tmp_path / "m.simz"
    r = invoke("fit", data, "-m", "gaussian_copula", "-o", model, "-p",
               "category_order=association", "-p", "components=4", "--seed", 0)
    assert r.exit_code == 0, r.output
    assert sim.load(model).get_params()["category_order"] == "association"
    assert sim.load(model).n_components_ == 4
    r = invoke("fit", data, "-m", "gaussian_copula", "-o", model, "-p", "epochs=3")
    assert r.exit_code == 2 and "no hyperparameter 'epochs'" in r.output
    assert "category_order" in r.output  # lists what the model has
    r = invoke("fit", data, "-o", model, "-p", "category_order")
    assert r.exit_code == 2 and "KEY=VALUE" in r.output

    out = tmp_path / "rich.csv"
    r = invoke("sample", model, "-n", 200, "-o", out, "-c", "income=>50K", "-c", "age=[30, 40]")
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(out)
    assert len(rows) == 200 and (rows["income"] == ">50K").all()
    assert rows["age"].between(30, 40).all()
    r = invoke("sample", model, "-o", out, "-c", "income=martian")
    assert r.exit_code == 2 and "impossible" in r.output
