"""Partitioned draws (simulacra.scale): the same files for any number of workers, on a real
Dask LocalCluster; resumed after an interruption; nothing half-written under the output name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.errors import ParameterError, SimulacraError
from simulacra.randomness import chunk_plan
from simulacra.scale import SamplePlan, sample_partitioned, working_folder_of
from simulacra.scale.cluster import local_cluster

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def model() -> sim.GaussianCopula:
    return sim.GaussianCopula(random_state=0).fit(sim.datasets.load_demo().head(600))


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "adult.simz"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as connected:
        yield connected


def manifest(path: Path) -> dict:
    return json.loads((path / "_simulacra.json").read_text())


def test_rows_are_the_seeds_chunks_in_order(model, tmp_path):
    out = sample_partitioned(model, 2_300, tmp_path / "rows", partitions=3, seed=11,
                             chunk_rows=500, workers=1)
    got = pd.read_parquet(out.path)
    expected = pd.concat([model.sample(rows, rng=np.random.default_rng(seed))
                          for rows, seed in chunk_plan(2_300, 11, 500)], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_column_type=False)
    assert [f["rows"] for f in manifest(out.path)["files"]] == [500, 1_000, 800]
    assert sorted(p.name for p in out.path.iterdir()) == [
        "_simulacra.json", "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert not working_folder_of(out.path).exists()


def test_same_bytes_for_one_and_two_workers(model_file, client, tmp_path):
    alone = sample_partitioned(model_file, 4_000, tmp_path / "one", partitions=4, seed=3,
                               chunk_rows=1_000, workers=1)
    spread = sample_partitioned(model_file, 4_000, tmp_path / "two", partitions=4, seed=3,
                                chunk_rows=1_000, client=client)
    assert spread.where.startswith("Dask cluster")
    assert len(client.scheduler_info()["workers"]) == 2
    for name in (f["file"] for f in manifest(alone.path)["files"]):
        assert (alone.path / name).read_bytes() == (spread.path / name).read_bytes()
    assert manifest(alone.path) == manifest(spread.path)
    # another number of partitions: other files, the same rows in the same order
    fewer = sample_partitioned(model_file, 4_000, tmp_path / "fewer", partitions=2, seed=3,
                               chunk_rows=1_000, client=client)
    pd.testing.assert_frame_equal(pd.read_parquet(fewer.path), pd.read_parquet(alone.path))
    other = sample_partitioned(model_file, 4_000, tmp_path / "other", partitions=4, seed=4,
                               chunk_rows=1_000, client=client)
    assert manifest(other.path)["files"][0]["sha256"] != manifest(alone.path)["files"][0][
        "sha256"]


def test_local_cluster_of_workers_gives_the_same_files(model_file, tmp_path):
    alone = sample_partitioned(model_file, 3_000, tmp_path / "a", partitions=3, seed=5,
                               chunk_rows=1_000, workers=1, fmt="csv")
    local = sample_partitioned(model_file, 3_000, tmp_path / "b", partitions=3, seed=5,
                               chunk_rows=1_000, workers=2, fmt="csv")
    assert local.where == "a local Dask cluster of 2 workers"
    assert manifest(alone.path)["files"] == manifest(local.path)["files"]
    first = (local.path / "part-00001.csv").read_text().splitlines()
    assert first[0].startswith('"age"') and len(first) == 1_001  # a header in every file


class StopError(Exception):
    pass


def test_interrupted_draw_resumes_and_never_shows_half_a_folder(model, tmp_path):
    target = tmp_path / "big"
    calls = []

    def stop_after_two(result):
        calls.append(result.partition)
        if len(calls) == 2:
            raise StopError

    with pytest.raises(StopError):
        sample_partitioned(model, 5_000, target, partitions=5, seed=2, chunk_rows=1_000,
                           workers=1, on_partition=stop_after_two)
    assert not target.exists()
    work = working_folder_of(target)
    assert sorted(p.name for p in work.glob("part-*")) == ["part-00000.parquet",
                                                           "part-00001.parquet"]
    (work / ".part-00002.parquet.abc.tmp").write_bytes(b"half")  # a worker killed mid-write
    with pytest.raises(ParameterError, match="interrupted draw with other settings"):
        sample_partitioned(model, 5_000, target, partitions=5, seed=9, chunk_rows=1_000,
                           workers=1)
    resumed = sample_partitioned(model, 5_000, target, partitions=5, seed=2, chunk_rows=1_000,
                                 workers=1)
    assert resumed.written == 3 and not work.exists()
    whole = sample_partitioned(model, 5_000, tmp_path / "whole", partitions=5, seed=2,
                               chunk_rows=1_000, workers=1)
    assert manifest(resumed.path)["files"] == manifest(whole.path)["files"]
    assert not list(target.glob(".*"))


def test_existing_output_is_kept_unless_replaced(model, tmp_path):
    target = tmp_path / "out"
    first = sample_partitioned(model, 1_000, target, partitions=2, seed=1, chunk_rows=500,
                               workers=1)
    again = sample_partitioned(model, 1_000, target, partitions=2, seed=1, chunk_rows=500,
                               workers=1)
    assert again.written == 0 and manifest(target) == manifest(first.path)
    with pytest.raises(ParameterError, match="already exists"):
        sample_partitioned(model, 1_000, target, partitions=2, seed=7, chunk_rows=500,
                           workers=1)
    replaced = sample_partitioned(model, 1_000, target, partitions=2, seed=7, chunk_rows=500,
                                  workers=1, replace=True)
    assert replaced.written == 2 and manifest(target)["plan"]["seed"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_conditions_and_rebalancing_hold_in_every_partition(model, tmp_path):
    out = sample_partitioned(model, 3_000, tmp_path / "c", partitions=3, seed=0,
                             chunk_rows=1_000, workers=1, conditions={"age": (30, 40)},
                             rebalance={"income": {">50K": 0.5}})
    for path in out.files:
        part = pd.read_parquet(path)
        assert part["age"].between(30, 40).all()
        assert abs((part["income"] == ">50K").mean() - 0.5) < 0.06
    assert manifest(out.path)["plan"]["conditions"] == {"age": [30, 40]}


def test_bad_settings_are_refused_with_the_parameter_named(model, model_file, tmp_path):
    with pytest.raises(ParameterError, match="partitions must be an integer from 1 to 2"):
        sample_partitioned(model, 1_000, tmp_path / "x", partitions=3, chunk_rows=500)
    with pytest.raises(ParameterError, match="format"):
        sample_partitioned(model, 1_000, tmp_path / "x", fmt="xlsx", workers=1)
    with pytest.raises(ParameterError, match="workers"):
        sample_partitioned(model, 1_000, tmp_path / "x", workers=0)
    with pytest.raises(ParameterError, match="condition on 'age'"):
        sample_partitioned(model, 1_000, tmp_path / "x", workers=1,
                           conditions={"age": object()})
    with pytest.raises(SimulacraError, match="impossible"):
        sample_partitioned(model, 1_000, tmp_path / "x", workers=1, conditions={"age": 500})
    assert not working_folder_of(tmp_path / "x").exists()  # nothing left to block a retry
    (tmp_path / "file.parquet").write_bytes(b"")
    with pytest.raises(ParameterError, match="is a file"):
        sample_partitioned(model_file, 1_000, tmp_path / "file.parquet", workers=1,
                           replace=True)
    with pytest.raises(SimulacraError, match="cannot reach the Dask scheduler"):
        sample_partitioned(model, 1_000, tmp_path / "y", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "y").exists()
    assert SamplePlan.from_json(SamplePlan(n=5, seed=1, partitions=1, chunk_rows=5,
                                           fmt="csv", model_sha256="a").to_json()).n == 5


def test_database_models_are_refused(tmp_path):
    customers = pd.DataFrame({"id": range(20), "tier": ["a", "b"] * 10})
    orders = pd.DataFrame({"id": range(40), "customer_id": list(range(20)) * 2,
                           "amount": np.arange(40.0)})
    synth = sim.RelationalSynthesizer(model="independent", random_state=0).fit(
        {"customers": customers, "orders": orders})
    with pytest.raises(ParameterError, match="single-table model"):
        sample_partitioned(synth, 100, tmp_path / "db", workers=1)


def test_cli_writes_partitions_and_resumes(model_file, tmp_path):
    runner = CliRunner()
    out = tmp_path / "rows"
    args = ["sample", str(model_file), "-n", "2500", "-o", f"{out}/", "--partitions", "3",
            "--workers", "1", "--seed", "4", "--chunk-rows", "500", "-c", "sex=Female"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Sampled 2,500 rows in 3 partitions" in result.output
    frame = pd.read_parquet(out)
    assert len(frame) == 2_500 and (frame["sex"] == "Female").all()
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "already holds this draw" in result.output
    result = runner.invoke(app, [*args[:-2], "--format", "csv"])
    assert result.exit_code == 2 and "already exists" in result.output
    result = runner.invoke(app, [*args[:-2], "--format", "csv", "--replace"])
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in out.glob("part-*")) == [".csv"] * 3
    result = runner.invoke(app, ["sample", str(model_file), "-o", str(tmp_path / "x.csv"),
                                 "--scale", "2"])
    assert result.exit_code == 2 and "--scale" in result.output
