"""Evaluation of datasets larger than memory (simulacra.scale.evaluation): shape and trend over
every row equal to the in-memory figures, whatever the files, format and workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from partitions import write_parts
from simulacra.cli import app
from simulacra.scale import reductions
from simulacra.scale.cluster import local_cluster
from simulacra.scale.evaluation import evaluate_dataset

pytest.importorskip("distributed")


def table(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    frame = pd.DataFrame({
        "x": (z * 10 + shift).round(1),
        "y": np.exp(z + rng.normal(0, 0.5, n) + shift),       # many distinct values
        "k": rng.integers(0, 40, n) + (z > 1),
        "c": np.where(z > 0.5, "high", rng.choice(["a", "b"], n)),
        "flag": z + rng.normal(0, 1, n) > shift,
        "when": pd.Timestamp("2021-01-01") + pd.to_timedelta(
            (z * 30 + 200 + 40 * shift).astype(int), unit="D"),
    })
    frame.loc[rng.choice(n, n // 20, replace=False), "x"] = np.nan
    frame.loc[rng.choice(n, n // 25, replace=False), "c"] = None
    if shift:
        frame.loc[: n // 50, "c"] = "only-synthetic"
    return frame


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return table(6_000, 0, 0.0), table(5_000, 1, 0.3)


def by_name(rows: list[dict], key: str) -> dict:
    return {tuple(r[k] for k in key.split(",")): r for r in rows}


def test_shape_and_trend_are_the_in_memory_figures(frames, tmp_path):
    real, synth = frames
    got = evaluate_dataset(write_parts(real, tmp_path / "r", 3),
                           write_parts(synth, tmp_path / "s", 2), metrics=["fidelity"],
                           sample_rows=1_000, workers=1)
    want = sim.evaluate(real, synth, metrics=["fidelity"])
    assert got.value("shape") == pytest.approx(want.value("shape"), abs=1e-12)
    assert got.value("trend") == pytest.approx(want.value("trend"), abs=1e-12)
    pairs = by_name(got["trend"].details["pairs"], "column_1,column_2")
    for pair in want["trend"].details["pairs"]:
        mine = pairs[pair["column_1"], pair["column_2"]]
        for field in ("score", "real", "synthetic", "real_association"):
            assert mine[field] == pytest.approx(pair[field], abs=1e-9, nan_ok=True), pair
    assert got.info["exact"] == ["shape", "trend"]
    assert got.info["rows"] == {"real": 6_000, "synthetic": 5_000}
    assert "detection AUC" not in got and "range coverage" in got.info["sampled"]
    assert "computed over every row" in got["shape"].note


def test_many_distinct_values_use_quantile_counts_within_their_bound(frames, tmp_path,
                                                                     monkeypatch):
    real, synth = frames
    monkeypatch.setattr(reductions, "EXACT_VALUES", 100)  # "x", "y", "when" past the limit
    monkeypatch.setattr(reductions, "KS_BINS", 64)
    got = evaluate_dataset(write_parts(real, tmp_path / "r", 2),
                           write_parts(synth, tmp_path / "s", 2), metrics=["fidelity"],
                           sample_rows=2_000, workers=1)
    want = sim.evaluate(real, synth, metrics=["fidelity"])
    columns = by_name(got["shape"].details["columns"], "column")
    for column in want["shape"].details["columns"]:
        mine = columns[(column["column"],)]
        if column["column"] in ("y", "x", "when"):  # over 100 distinct values
            assert 0 < mine["ks_bound"] < 0.1
            assert mine["score"] >= column["score"] - 1e-12  # binned KS can only miss gaps
            assert mine["score"] - column["score"] <= mine["ks_bound"]
        else:
            assert "ks_bound" not in mine
            assert mine["score"] == pytest.approx(column["score"], abs=1e-12)


def test_workers_and_formats_give_the_same_figures(frames, tmp_path):
    real, synth = frames
    alone = evaluate_dataset(write_parts(real, tmp_path / "r", 3),
                             write_parts(synth, tmp_path / "s", 3),
                             metrics=["fidelity", "detection"], sample_rows=2_000, workers=1)
    with local_cluster(2) as client:
        spread = evaluate_dataset(f"{tmp_path}/r/*.parquet", f"{tmp_path}/s/*.parquet",
                                  metrics=["fidelity", "detection"], sample_rows=2_000,
                                  client=client)
    for name in ("shape", "trend", "detection AUC", "range coverage"):
        assert spread.value(name) == pytest.approx(alone.value(name), abs=1e-12), name
    as_csv = evaluate_dataset(write_parts(real, tmp_path / "rc", 2, fmt="csv"),
                              write_parts(synth, tmp_path / "sc", 2, fmt="csv"),
                              metrics=["fidelity"], sample_rows=2_000, workers=1)
    assert as_csv.value("trend") == pytest.approx(alone.value("trend"), abs=1e-9)


def test_cli_evaluates_globs(frames, tmp_path):
    real, synth = frames
    write_parts(real, tmp_path / "r", 2)
    write_parts(synth, tmp_path / "s", 2)
    result = CliRunner().invoke(app, [
        "evaluate", f"{tmp_path}/r/*.parquet", f"{tmp_path}/s/*.parquet", "--metrics",
        "fidelity", "--workers", "1", "--json", str(tmp_path / "q.json")])
    assert result.exit_code == 0, result.output
    assert "shape, trend over every row (6,000 real, 5,000 synthetic)" in result.output
    assert (tmp_path / "q.json").stat().st_size > 0
    result = CliRunner().invoke(app, ["evaluate", f"{tmp_path}/r/*.parquet",
                                      f"{tmp_path}/s/*.parquet", "--sequence-key", "k"])
    assert result.exit_code == 2 and "evaluated as tables" in result.output
