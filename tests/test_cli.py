"""The command line: every command end to end on small files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
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
    assert r.output.startswith("simulacra demo: auto on the bundled Adult census table")
    assert "Fitting auto on 32,561 rows x 15 columns" in r.output
    # the printed hint can be followed: the real table is written beside the synthetic one
    assert pd.read_parquet(tmp_path / "adult_real.parquet").shape == (32561, 15)
    assert "simulacra evaluate " in r.output and "adult_real.parquet" in r.output


def test_errors_are_one_clear_line_and_exit_2(tmp_path):
    r = invoke("fit", tmp_path / "missing.csv", "-o", tmp_path / "m.simz")
    assert r.exit_code == 2
    assert "no such file" in r.output
    r = invoke("fit", tmp_path / "missing.csv", "-o", tmp_path / "m.simz", "--model", "gan9")
    assert r.exit_code == 2
    (tmp_path / "bad.simz").write_text("nope")
    r = invoke("sample", tmp_path / "bad.simz", "-o", tmp_path / "s.csv")
    assert r.exit_code == 2 and "error" in r.output


@pytest.mark.parametrize("command", [
    ["metadata", "{dup}"], ["fit", "{dup}", "-o", "{tmp}/m.simz"],
    ["evaluate", "{ok}", "{dup}"], ["evaluate", "{dup}", "{ok}"], ["drift", "{ok}", "{dup}"],
    ["pseudonymize", "{dup}", "-o", "{tmp}/p.csv"],
], ids=lambda c: " ".join(c[:2]))
def test_duplicate_headers_are_refused_by_every_reading_command(tmp_path, monkeypatch, command):
    monkeypatch.setenv("SIMULACRA_PSEUDONYM_KEY", "a-secret-key-long-enough")
    (tmp_path / "dup.csv").write_text("age,city,age\n30,Oslo,31\n40,Rome,41\n")
    (tmp_path / "ok.csv").write_text("age,city\n30,Oslo\n40,Rome\n")
    paths = {"dup": tmp_path / "dup.csv", "ok": tmp_path / "ok.csv", "tmp": tmp_path}
    r = invoke(*[part.format(**paths) for part in command])
    assert r.exit_code == 2, r.output
    assert "names the column 'age' more than once" in " ".join(r.output.split())
    assert "Traceback" not in r.output

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
    r = invoke("fit", data, "-o", model, "-m", "gaussian_copula", "-p", "category_order")
    assert r.exit_code == 2 and "KEY=VALUE" in r.output

    out = tmp_path / "rich.csv"
    r = invoke("sample", model, "-n", 200, "-o", out, "-c", "income=>50K", "-c", "age=[30, 40]")
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(out)
    assert len(rows) == 200 and (rows["income"] == ">50K").all()
    assert rows["age"].between(30, 40).all()
    r = invoke("sample", model, "-o", out, "-c", "income=martian")
    assert r.exit_code == 2 and "impossible" in r.output


# -- outputs that would destroy data -----------------------------------------------------------
@pytest.fixture
def files(tmp_path, adult_small):
    """A table, a second table, a model, metadata and a schema, as a command's inputs."""
    real, other = tmp_path / "real.csv", tmp_path / "other.csv"
    adult_small.head(300).to_csv(real, index=False)
    adult_small.tail(300).to_csv(other, index=False)
    model = tmp_path / "m.simz"
    sim.GaussianCopula(random_state=0).fit(adult_small.head(300)).save(model)
    md = tmp_path / "md.yaml"
    sim.Metadata.detect(adult_small.head(300)).save(md)
    return {"real": real, "other": other, "model": model, "md": md}


@pytest.mark.parametrize(("args", "victim"), [
    (["fit", "{real}", "-o", "{real}"], "real"),
    (["fit", "{real}", "--metadata", "{md}", "-o", "{md}"], "md"),
    (["evaluate", "{real}", "{other}", "--report", "{real}"], "real"),
    (["evaluate", "{real}", "{other}", "--json", "{other}"], "other"),
    (["sample", "{model}", "-n", "5", "-o", "{model}"], "model"),
    (["impute", "{model}", "{real}", "-o", "{real}"], "real"),
    (["metadata", "{real}", "-o", "{real}"], "real"),
    (["drift", "{real}", "{other}", "--report", "{other}"], "other"),
])
def test_an_output_that_is_an_input_of_the_same_command_is_refused(args, victim, files,
                                                                    tmp_path):
    before = {name: path.read_bytes() for name, path in files.items()}
    spelled = [a.format(**files) for a in args]
    spelled[-1] = str(Path(spelled[-1]).parent / ".." / tmp_path.name / files[victim].name)
    r = invoke(*spelled)
    assert r.exit_code == 2, r.output
    assert "is also an input of this command" in r.output and files[victim].name in r.output
    assert "Traceback" not in r.output
    assert {name: path.read_bytes() for name, path in files.items()} == before


def test_pseudonymize_never_writes_over_its_input(files, monkeypatch):
    monkeypatch.setenv("SIMULACRA_PSEUDONYM_KEY", "a-secret-key-long-enough")
    before = files["real"].read_bytes()
    r = invoke("pseudonymize", files["real"], "-o", files["real"])
    assert r.exit_code == 2 and "is also an input" in r.output
    assert files["real"].read_bytes() == before


def test_the_output_format_is_checked_before_any_work(files, tmp_path, monkeypatch):
    drawn = sim.GaussianCopula.sample

    def no_work(self, n, *args, **kwargs):
        if n > 5:  # loading a model draws 5 rows to check it; the 10**6 asked must not start
            raise AssertionError("sampled before checking the output")
        return drawn(self, n, *args, **kwargs)

    monkeypatch.setattr(sim.GaussianCopula, "sample", no_work)
    r = invoke("sample", files["model"], "-n", 10**6, "-o", tmp_path / "out.txt")
    assert r.exit_code == 2 and "--output" in r.output and "out.txt" in r.output
    assert "ending in .csv" in r.output
    r = invoke("fit", files["real"], "-o", tmp_path / "model.csv", "-m", "gaussian_copula")
    assert r.exit_code == 2 and "cannot hold a model file" in r.output and ".simz" in r.output
    r = invoke("evaluate", files["real"], files["other"], "--report", tmp_path / "r.pdf")
    assert r.exit_code == 2 and "cannot hold an HTML report" in r.output
    assert not list(tmp_path.glob("model.*")) and not (tmp_path / "r.pdf").exists()


def test_an_existing_file_of_another_kind_is_replaced_only_with_force(files, tmp_path):
    table = tmp_path / "looks_like_a_model.simz"
    table.write_bytes(files["real"].read_bytes())
    r = invoke("fit", files["other"], "-o", table, "-m", "gaussian_copula")
    assert r.exit_code == 2 and "holds text (e.g. a CSV table), not a model file" in r.output
    assert "--force" in r.output and table.read_bytes() == files["real"].read_bytes()
    model_named_csv = tmp_path / "synthetic.csv"
    model_named_csv.write_bytes(files["model"].read_bytes())
    r = invoke("sample", files["model"], "-n", 5, "-o", model_named_csv)
    assert r.exit_code == 2 and "holds a zip archive" in r.output
    r = invoke("sample", files["model"], "-n", 5, "-o", model_named_csv, "--force")
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(model_named_csv)) == 5
    r = invoke("sample", files["model"], "-n", 7, "-o", model_named_csv)  # a table: replaced
    assert r.exit_code == 0 and len(pd.read_csv(model_named_csv)) == 7
    r = invoke("fit", files["other"], "-o", table, "--force", "-m", "gaussian_copula")
    assert r.exit_code == 0 and sim.load(table).name == "gaussian_copula"


def test_help_is_plain_text_with_its_brackets_and_short_flags():
    root = invoke("-h")
    assert root.exit_code == 0 and "--install-completion" in root.output
    sample = invoke("sample", "-h")
    assert sample.exit_code == 0 and "[low, high]" in sample.output  # was eaten as markup
    listed = invoke("models")
    assert "needs simulacra[deep]" in listed.output and ":func:" not in listed.output
    assert "``" not in listed.output


def test_fit_prints_a_one_line_metadata_summary_and_quiet_silences_it(tmp_path, adult_small):
    from simulacra.cli.common import progress_params

    data = tmp_path / "adult.csv"
    adult_small.to_csv(data, index=False)
    r = invoke("fit", data, "-o", tmp_path / "m.simz", "-m", "gaussian_copula")
    assert r.exit_code == 0, r.output
    assert "Metadata (detected): 15 columns —" in r.output and "why" not in r.output
    quiet = invoke("fit", data, "-o", tmp_path / "q.simz", "-q", "-m", "gaussian_copula")
    assert quiet.exit_code == 0 and "Metadata" not in quiet.output
    # progress bars: on for models that have one, unless quiet, not a terminal or -p verbose=
    assert progress_params("autoregressive", {}, quiet=True) == {"verbose": False}
    assert progress_params("autoregressive", {"verbose": True}, quiet=True) == {"verbose": True}
    assert progress_params("gaussian_copula", {}, quiet=False) == {}


def test_sample_to_standard_output_with_dash(tmp_path, adult_small):
    import io

    data = tmp_path / "adult.csv"
    adult_small.to_csv(data, index=False)
    model = tmp_path / "m.simz"
    assert invoke("fit", data, "-o", model, "-q", "-m", "gaussian_copula").exit_code == 0
    r = invoke("sample", model, "-n", "25", "-o", "-", "--seed", "1")
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(io.StringIO(r.stdout))  # nothing but the CSV on standard output
    assert rows.shape == (25, 15) and list(rows.columns) == list(adult_small.columns)
    assert not (tmp_path / "-").exists()
    r = invoke("sample", model, "-n", "25", "-o", "-", "--partitions", "2")
    assert r.exit_code == 2 and "-o - (CSV on standard output) is for single-table" in r.output


def test_fit_defaults_to_auto_like_demo(tmp_path, adult_small):
    data = tmp_path / "small.csv"
    adult_small.head(150).to_csv(data, index=False)  # under 200 rows: auto picks the copula
    r = invoke("fit", data, "-o", tmp_path / "m.simz", "-q")
    assert r.exit_code == 0, r.output
    assert "Fitted auto → gaussian_copula on 150 rows" in " ".join(r.output.split())
    assert sim.load(tmp_path / "m.simz").name == "gaussian_copula"


def test_standard_output_closed_early_is_not_an_error(tmp_path, adult_small):
    import subprocess
    import sys

    model = tmp_path / "m.simz"
    sim.GaussianCopula(random_state=0).fit(adult_small).save(model)
    exe = Path(sys.executable).with_name("simulacra")
    proc = subprocess.Popen([str(exe), "sample", str(model), "-n", "200000", "-o", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"age,")  # `| head -1`: one line, then close
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
