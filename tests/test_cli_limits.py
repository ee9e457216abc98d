"""The command line's limits: outputs checked before any work, clean errors for bad files,
signals, large draws streamed in chunks, impossible conditions refused up front."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple:
    """A tiny table, its CSV and a Gaussian copula fitted on it (saved)."""
    folder = tmp_path_factory.mktemp("small")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 200), "x": rng.normal(size=200),
                          "c": rng.choice(["a", "b"], 200)})
    data = folder / "d.csv"
    frame.to_csv(data, index=False)
    model = sim.GaussianCopula(random_state=0).fit(frame)
    path = folder / "m.simz"
    model.save(path)
    return data, path, model


def fails_cleanly(result, *words: str) -> None:
    """Exit status 2, one message (no traceback) that holds every one of ``words``."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    text = " ".join(result.output.split())  # the console wraps long lines
    for word in words:
        assert word in text, result.output


# -- outputs checked before any work -----------------------------------------------------------
def test_fit_into_a_folder_that_cannot_be_made_is_refused_before_fitting(tmp_path, small,
                                                                        monkeypatch):
    data, _, _ = small
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setattr(sim.GaussianCopula, "fit", lambda *a, **k: pytest.fail("fitted"))
    fails_cleanly(invoke("fit", data, "-m", "gaussian_copula", "-o", blocker / "sub" / "m.simz"),
                  "is a file, not a folder")


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes into read-only folders")
def test_fit_into_a_read_only_folder_is_refused_before_fitting(tmp_path, small):
    data, _, _ = small
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    fails_cleanly(invoke("fit", data, "-m", "gaussian_copula", "-o", folder / "m.simz"),
                  "not writable")


def test_demo_checks_its_folder_before_loading(tmp_path, monkeypatch):
    import simulacra.datasets as datasets

    monkeypatch.setattr(datasets, "load_demo", lambda: pytest.fail("loaded"))
    blocker = tmp_path / "taken.csv"
    blocker.write_text("a\n1\n")
    fails_cleanly(invoke("demo", "-q", "-o", blocker), "--output-dir", "is a file")


def test_bench_outputs_need_their_suffix(tmp_path):
    fails_cleanly(invoke("bench", "--json", tmp_path / "out.txt"), "--json", ".json")
    fails_cleanly(invoke("bench", "--append", tmp_path / "out.txt"), "--append", ".md")


def test_generate_checks_every_table_file_before_generating(tmp_path):
    schema = tmp_path / "s.yaml"
    column = "{kind: integer, min: 0, max: 9}"
    schema.write_text(f"tables:\n  a:\n    rows: 3\n    columns:\n      x: {column}\n"
                      f"  b:\n    rows: 3\n    columns:\n      y: {column}\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.csv").write_bytes(b"PK\x03\x04zip")  # another kind of file where a table goes
    fails_cleanly(invoke("generate", schema, "-o", out), "b.csv", "--force")
    assert not (out / "a.csv").exists()


def test_clone_checks_the_model_file_first(tmp_path):
    fails_cleanly(invoke("clone", tmp_path, tmp_path / "copy", "--save-model",
                         tmp_path / "m.txt"), "--save-model", ".simz")


# -- bad files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_pseudonymize_key_file_that_cannot_be_read(tmp_path, small, kind):
    data, _, _ = small
    key = tmp_path / "key"
    if kind == "directory":
        key.mkdir()
    fails_cleanly(invoke("pseudonymize", data, "-o", tmp_path / "p.csv", "--key-file", key),
                  "--key-file", "no such file" if kind == "missing" else "is a directory")


def test_bench_synthetic_timing_that_is_not_json(tmp_path):
    rows = tmp_path / "tool_seed0.csv"
    rows.write_text("a\n1\n")
    rows.with_suffix(".json").write_text("{not json")
    fails_cleanly(invoke("bench", "--synthetic", rows, "--datasets-dir", tmp_path),
                  "tool_seed0.json")
