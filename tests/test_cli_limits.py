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


# -- large draws stream in chunks --------------------------------------------------------------
def planned_rows(model, n: int, seed: int, chunk_rows: int) -> pd.DataFrame:
    """The rows of the chunk plan (the HTTP service's and a partitioned draw's)."""
    from simulacra.randomness import chunk_plan

    return pd.concat([model.sample(rows, rng=np.random.default_rng(sequence))
                      for rows, sequence in chunk_plan(n, seed, chunk_rows)], ignore_index=True)


@pytest.mark.parametrize("name", ["s.csv.gz", "s.parquet", "s.tsv"])
def test_a_sample_larger_than_a_chunk_streams_the_plans_rows(tmp_path, small, name):
    _, path, model = small
    r = invoke("sample", path, "-n", 25, "--chunk-rows", 10, "-o", tmp_path / name, "--seed", 3)
    assert r.exit_code == 0, r.output
    assert "in chunks of 10 rows, seed 3" in " ".join(r.output.split())
    pd.testing.assert_frame_equal(sim.read_table(tmp_path / name), planned_rows(model, 25, 3, 10),
                                  check_dtype=False, check_column_type=False)


def test_a_sample_streams_to_standard_output(small):
    _, path, model = small
    r = invoke("sample", path, "-n", 25, "--chunk-rows", 10, "-o", "-", "--seed", 3)
    assert r.exit_code == 0, r.output
    import io

    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(r.stdout)),
                                  planned_rows(model, 25, 3, 10), check_dtype=False,
                                  check_column_type=False)


def test_a_sample_within_a_chunk_is_one_draw_as_before(tmp_path, small):
    _, path, model = small
    r = invoke("sample", path, "-n", 25, "-o", tmp_path / "s.csv", "--seed", 3)
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "s.csv"), model.sample(25, rng=3),
                                  check_dtype=False, check_column_type=False)


def test_ten_billion_rows_stream_chunk_by_chunk(tmp_path, small, monkeypatch):
    _, path, _ = small
    drawn: list[int] = []
    original = sim.GaussianCopula.sample

    def sample(self, n, **options):
        if n == 50:  # not the trial draw of loading the model
            drawn.append(n)
        if len(drawn) == 3:
            raise sim.DataError("stopped by the test")
        return original(self, n, **options)

    monkeypatch.setattr(sim.GaussianCopula, "sample", sample)
    out = tmp_path / "big.csv"
    fails_cleanly(invoke("sample", path, "-n", 10_000_000_000, "--chunk-rows", 50, "-o", out),
                  "stopped by the test")
    assert drawn == [50, 50, 50]
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary file


def test_python_sample_refuses_more_rows_than_memory_holds(small, monkeypatch):
    _, _, model = small
    monkeypatch.setattr(type(model), "_sample", lambda *a: pytest.fail("sampled"))
    with pytest.raises(sim.ParameterError, match="sample_partitioned") as err:
        model.sample(10**13)
    assert "memory" in str(err.value) and "simulacra sample" in str(err.value)


# -- signals -----------------------------------------------------------------------------------
#: The console script's entry point (pyproject.toml), run as the installed command runs it.
COMMAND = ("-c", "from simulacra_launcher import main; main()")


def command(*args: object):
    """The ``simulacra`` command with ``args``, in a child process (pipes for its output)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, *COMMAND, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


def test_ctrl_c_while_the_command_starts_is_one_line_and_status_130(tmp_path, small):
    import signal
    import time

    data, _, _ = small
    child = command("fit", data, "-o", tmp_path / "m.simz", "-q")
    try:
        time.sleep(0.3)  # importing the package takes about a second
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert err.strip() == "stopped: interrupted (Ctrl-C)"


@pytest.mark.parametrize(("signum", "status", "word"), [(15, 143, "terminated"),
                                                        (2, 130, "interrupted")])
def test_a_signal_mid_write_leaves_no_temporary_file(tmp_path, small, signum, status, word):
    import time

    _, path, _ = small
    out = tmp_path / "out" / "big.csv"
    child = command("sample", path, "-n", 10_000_000_000, "--chunk-rows", 1000, "-o", out, "-q")
    try:
        deadline = time.monotonic() + 60
        while not list(out.parent.glob(".big.csv.*.tmp")):  # writing has started
            assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()
            time.sleep(0.05)
        child.send_signal(signum)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == status, err
    assert word in err and "Traceback" not in err
    assert list(out.parent.iterdir()) == []


# -- impossible conditions ---------------------------------------------------------------------
@pytest.mark.parametrize(("condition", "message"), [
    ("age=200", "generated values of 'age' stay within ["),
    ("age=[40, 30]", "its low end 40 is above its high end 30"),
])
def test_impossible_condition_flags_are_refused_before_sampling(tmp_path, small, monkeypatch,
                                                               condition, message):
    _, path, _ = small
    original = sim.GaussianCopula._sample

    def sample(self, n, rng):
        assert n == 5, "only the trial draw of loading the model"
        return original(self, n, rng)

    monkeypatch.setattr(sim.GaussianCopula, "_sample", sample)
    fails_cleanly(invoke("sample", path, "-n", 10, "-c", condition, "-o", tmp_path / "s.csv"),
                  message)
    assert not (tmp_path / "s.csv").exists()


# -- wide tables -------------------------------------------------------------------------------
def wide(columns: int, rows: int = 3) -> pd.DataFrame:
    values = np.random.default_rng(0).normal(size=(rows, columns))
    return pd.DataFrame(values, columns=[f"c{i}" for i in range(columns)])


def test_auto_models_a_very_wide_table_column_by_column():
    from simulacra.models.auto import MAX_COLUMNS_FOR_JOINT

    with pytest.warns(UserWarning, match="correlations between columns are not kept"):
        chosen = sim.AutoSynthesizer(random_state=0).choose(wide(MAX_COLUMNS_FOR_JOINT + 1))
    assert type(chosen) is sim.IndependentMarginals


def test_the_copula_refuses_a_table_too_wide_for_it_before_any_work(monkeypatch):
    limit = sim.GaussianCopula.max_columns
    monkeypatch.setattr(sim.Metadata, "detect", lambda *a, **k: pytest.fail("detected"))
    with pytest.raises(sim.ParameterError, match="at most 4,000 columns") as err:
        sim.GaussianCopula(random_state=0).fit(wide(limit + 1, rows=2))
    assert "'independent'" in str(err.value) and "4,001" in str(err.value)
