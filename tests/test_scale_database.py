"""Partitioned database draws (simulacra.scale.database): every key unique and resolving across
partitions, the same files for any number of workers on a real Dask LocalCluster, resumed
after an interruption, kept tables written once, conditions in every partition, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import simulacra as sim
from databases import shop
from simulacra.cli import app
from simulacra.encoders.identifier import shift_ids
from simulacra.errors import DataError, ParameterError
from simulacra.multitable.folders import read_folder
from simulacra.randomness import chunk_seed
from simulacra.scale import sample_database_partitioned, working_folder_of
from simulacra.scale.cluster import local_cluster
from simulacra.scale.database import _check_table_names
from simulacra.scale.dataset import is_dataset

distributed = pytest.importorskip("distributed")


class StopError(Exception):
    pass


@pytest.fixture(scope="module")
def source() -> dict[str, pd.DataFrame]:
    return shop(0, n_users=200)


@pytest.fixture(scope="module")
def model(source) -> sim.RelationalSynthesizer:
    with pytest.warns(sim.ProtectionWarning):  # stores and products look like lookups
        return sim.RelationalSynthesizer(model="gaussian_copula", random_state=0).fit(source)


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "shop.simz"
    model.save(path)
    return path


def manifest(path: Path) -> dict:
    return json.loads((path / "_simulacra.json").read_text())


def read(out) -> dict[str, pd.DataFrame]:
    return {table: pd.read_parquet(out.table_path(table)) for table in out.rows}


def assert_keys_hold(db: dict[str, pd.DataFrame]) -> None:
    for table, key in (("users", "user_id"), ("orders", "order_id"), ("stores", "store_id"),
                       ("products", "product_id")):
        assert db[table][key].is_unique, table
    assert not db["items"].duplicated(["order_id", "product_id"]).any()
    for child, column, parent, key in (("orders", "user_id", "users", "user_id"),
                                       ("orders", "store_id", "stores", "store_id"),
                                       ("items", "order_id", "orders", "order_id"),
                                       ("items", "product_id", "products", "product_id"),
                                       ("users", "referrer_id", "users", "user_id")):
        assert db[child][column].dropna().isin(db[parent][key]).all(), (child, column)


def test_one_partition_is_the_in_memory_draw_of_its_stream(model, tmp_path):
    out = sample_database_partitioned(model, tmp_path / "db", scale=1.5, partitions=1, seed=4,
                                      workers=1)
    expected = model.sample(1.5, rng=np.random.default_rng(chunk_seed(4, 0)))
    got = read(out)
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(got[table], frame, check_dtype=False,
                                      check_column_type=False)
    assert out.rows == {t: len(f) for t, f in expected.items()}


def test_partitions_make_one_database_whose_keys_resolve(model, source, tmp_path):
    out = sample_database_partitioned(model, tmp_path / "new" / "db", scale=3, partitions=4,
                                      seed=1, workers=1)  # the folder's parents are made
    db = read(out)
    assert_keys_hold(db)
    # each partition is a database of its own; their shares of users add up to 3 x 200
    assert out.rows["users"] == 600
    assert sorted(f["rows"] for f in manifest(out.path)["files"] if f["table"] == "users") == [
        150, 150, 150, 150]
    assert 0.8 < out.rows["orders"] / (3 * len(source["orders"])) < 1.25
    files = manifest(out.path)["files"]
    assert sorted({f["table"] for f in files}) == sorted(source)
    assert sum(f["rows"] for f in files if f["table"] == "orders") == len(db["orders"])
    assert sorted(p.name for p in out.path.iterdir()) == [
        "_simulacra.json", "items", "orders", "products", "stores", "users"]
    assert not working_folder_of(out.path).exists()
    # the draw is a database folder: read back (a table per folder of parts), not a dataset
    back, detected = read_folder(out.path)
    assert {t: len(f) for t, f in back.items()} == out.rows and not is_dataset(out.path)
    assert_keys_hold(back)
    assert "orders.user_id -> users.user_id" in [str(fk) for fk in detected.foreign_keys]
    # the relation the model learned holds over the whole draw: gold users order more
    per_user = db["orders"].groupby("user_id").size().reindex(db["users"]["user_id"],
                                                              fill_value=0)
    gold = db["users"].set_index("user_id")["tier"].eq("gold")
    assert per_user[gold.to_numpy()].mean() > 2 * per_user[~gold.to_numpy()].mean()


def test_same_bytes_for_one_and_two_workers(model_file, tmp_path):
    alone = sample_database_partitioned(model_file, tmp_path / "one", scale=2, partitions=3,
                                        seed=5, workers=1)
    with local_cluster(2) as client:
        spread = sample_database_partitioned(model_file, tmp_path / "two", scale=2,
                                             partitions=3, seed=5, client=client)
    assert spread.where.startswith("Dask cluster") and alone.where == "this process"
    assert manifest(alone.path) == manifest(spread.path)
    for f in manifest(alone.path)["files"]:
        assert (alone.path / f["file"]).read_bytes() == (spread.path / f["file"]).read_bytes()
    other = sample_database_partitioned(model_file, tmp_path / "other", scale=2, partitions=3,
                                        seed=6, workers=1)
    assert manifest(other.path)["files"] != manifest(alone.path)["files"]


def test_interrupted_draw_resumes_and_never_shows_half_a_folder(model, tmp_path):
    target = tmp_path / "db"
    calls = []

    def stop_after_two(result):
        calls.append(result.partition)
        if len(calls) == 2:
            raise StopError

    with pytest.raises(StopError):
        sample_database_partitioned(model, target, scale=2, partitions=4, seed=2, workers=1,
                                    on_partition=stop_after_two)
    assert not target.exists()
    work = working_folder_of(target)
    assert len(list(work.glob("_simulacra/done-*.json"))) == 2
    (work / "users" / ".part-00002.parquet.abc.tmp").write_bytes(b"half")  # killed mid-write
    with pytest.raises(ParameterError, match="interrupted draw with other settings"):
        sample_database_partitioned(model, target, scale=2, partitions=4, seed=9, workers=1)
    resumed = sample_database_partitioned(model, target, scale=2, partitions=4, seed=2,
                                          workers=1)
    assert resumed.written == 2 and not work.exists()
    whole = sample_database_partitioned(model, tmp_path / "whole", scale=2, partitions=4,
                                        seed=2, workers=1)
    assert manifest(resumed.path)["files"] == manifest(whole.path)["files"]
    assert not list(target.rglob(".*"))
    again = sample_database_partitioned(model, target, scale=2, partitions=4, seed=2,
                                        workers=1)
    assert again.written == 0 and again.rows == whole.rows
    with pytest.raises(ParameterError, match="already exists"):
        sample_database_partitioned(model, target, scale=1, partitions=4, seed=2, workers=1)


def test_kept_tables_are_written_once_and_conditions_hold_everywhere(source, tmp_path):
    synth = sim.RelationalSynthesizer(model="gaussian_copula", keep=["stores"],
                                      random_state=0)
    with pytest.warns(sim.ProtectionWarning):
        synth.fit(source)
    out = sample_database_partitioned(synth, tmp_path / "db", scale=2, partitions=3, seed=0,
                                      workers=1, conditions={"users": {"tier": "gold",
                                                                       "age": (30, 40)}})
    db = read(out)
    assert db["users"]["age"].between(30, 40).all()  # a range, carried as JSON, still a range
    assert sorted(p.name for p in (out.path / "stores").iterdir()) == ["part-00000.parquet"]
    pd.testing.assert_frame_equal(db["stores"], source["stores"], check_dtype=False,
                                  check_column_type=False)
    assert (db["users"]["tier"] == "gold").all() and len(db["users"]) == 400
    assert db["orders"]["store_id"].isin(source["stores"]["store_id"]).all()
    # each kept store gets its share of orders in every partition: its real share in all
    plain = read(sample_database_partitioned(synth, tmp_path / "plain", scale=2, partitions=3,
                                             seed=0, workers=1))
    real = source["orders"]["store_id"].value_counts(normalize=True)
    drawn = plain["orders"]["store_id"].value_counts(normalize=True).reindex(real.index)
    assert (drawn - real).abs().max() < 0.01
    assert_keys_hold(db)


def test_bad_settings_are_refused_with_the_parameter_named(model, tmp_path):
    single = sim.GaussianCopula(random_state=0).fit(sim.datasets.load_demo().head(300))
    with pytest.raises(ParameterError, match="RelationalSynthesizer"):
        sample_database_partitioned(single, tmp_path / "a", workers=1)
    with pytest.raises(ParameterError, match="database model: use sample_database_partitioned"):
        sim.sample_partitioned(model, 100, tmp_path / "b", workers=1)
    with pytest.raises(ParameterError, match="scale"):
        sample_database_partitioned(model, tmp_path / "c", scale=0, workers=1)
    with pytest.raises(ParameterError, match="partitions"):
        sample_database_partitioned(model, tmp_path / "d", partitions=0, workers=1)
    with pytest.raises(ParameterError, match="format"):
        sample_database_partitioned(model, tmp_path / "e", fmt="xlsx", workers=1)
    with pytest.raises(ParameterError, match="conditions name tables"):
        sample_database_partitioned(model, tmp_path / "f", conditions={"nope": {"x": 1}},
                                    workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing made on the way
    named = {"_simulacra_log": pd.DataFrame({"id": range(30), "v": np.arange(30.0)})}
    odd = sim.RelationalSynthesizer(model="independent", random_state=0).fit(named)
    with pytest.raises(ParameterError, match="rename the table"):
        sample_database_partitioned(odd, tmp_path / "g", workers=1)


def test_cli_sample_and_clone_write_partitions(model_file, source, tmp_path):
    runner = CliRunner()
    out = tmp_path / "db"
    args = ["sample", str(model_file), "-o", f"{out}/", "--scale", "2", "--partitions", "2",
            "--workers", "1", "--seed", "3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "in 2 partitions" in result.output and "a folder per table" in result.output
    assert_keys_hold({t: pd.read_parquet(out / t) for t in source})
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "already holds this draw" in result.output
    result = runner.invoke(app, [*args, "--chunk-rows", "10"])
    assert result.exit_code == 2 and "--chunk-rows" in result.output
    result = runner.invoke(app, ["sample", str(model_file), "-o", f"sqlite:///{tmp_path}/x.db",
                                 "--partitions", "2"])
    assert result.exit_code == 2 and "folder per table" in result.output
    assert not (tmp_path / "x.db").exists() and not list(tmp_path.glob("sqlite*"))
    folder = tmp_path / "src"
    folder.mkdir()
    for table, frame in source.items():
        frame.to_csv(folder / f"{table}.csv", index=False)
    cloned = tmp_path / "clone"
    result = runner.invoke(app, ["clone", str(folder), str(cloned), "-m", "gaussian_copula",
                                 "--scale", "2", "--partitions", "2", "--workers", "1",
                                 "--seed", "3"])
    assert result.exit_code == 0, result.output
    db = {t: pd.read_parquet(cloned / t) for t in source}
    assert_keys_hold(db)
    assert len(db["users"]) == 2 * 200


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.integers(-10**6, 10**6), max_size=20), min_size=1, max_size=6),
       st.sampled_from(["integer", "prefixed", "template"]))
def test_shifted_ids_of_different_partitions_never_meet(ids_per_partition, source):
    partitions = len(ids_per_partition)
    seen: set = set()
    for p, ids in enumerate(ids_per_partition):
        if source == "integer":
            values = pd.Series(sorted(ids), dtype="int64")
        elif source == "prefixed":
            values = pd.Series([f"C-{abs(i):07d}" for i in sorted(ids)], dtype=object).unique()
            values = pd.Series(values, dtype=object)
        else:
            values = pd.Series([f"k{i}" for i in sorted(ids)], dtype=object)
        shifted = set(shift_ids(values, source, p, partitions).tolist())
        assert len(shifted) == len(values)  # one to one inside a partition
        assert not shifted & seen  # and apart from every other partition's
        seen |= shifted


def test_a_table_name_that_is_not_a_file_name_is_refused():
    with pytest.raises(DataError, match="path separator"):
        _check_table_names(["a/b"])


def test_parts_of_a_kept_parent_add_up_to_its_children_at_scale():
    rng = np.random.default_rng(0)
    regions = pd.DataFrame({"region_id": range(9), "name": list("abcdefghi")})
    sizes = np.array([1, 2, 3, 5, 8, 13, 21, 34, 55])
    people = pd.DataFrame({"person_id": range(sizes.sum()),
                           "region_id": np.repeat(np.arange(9), sizes),
                           "age": rng.integers(18, 90, sizes.sum())})
    synth = sim.RelationalSynthesizer(model="independent", keep=["regions"], random_state=0)
    synth.fit({"regions": regions, "people": people})
    parts = [synth.sample(3, rng=p, partition=(p, 4)) for p in range(4)]
    drawn = pd.concat([part["people"] for part in parts])
    assert drawn["person_id"].is_unique
    counts = drawn["region_id"].value_counts().reindex(range(9), fill_value=0).to_numpy()
    assert counts.tolist() == (3 * sizes).tolist()  # exactly, though no part saw another
    with pytest.raises(ParameterError, match="partition"):
        synth.sample(1, partition=(4, 4))
