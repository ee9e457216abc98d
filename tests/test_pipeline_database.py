"""`simulacra run` on a database: a folder or a database URL in, a synthetic database out,
held out by a subject table, evaluated and gated per table, relation and key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from databases import shop
from simulacra.cli import app
from simulacra.errors import ConfigError
from simulacra.metadata import DatabaseMetadata
from simulacra.metadata.keys import parent_positions
from simulacra.multitable.folders import read_folder
from simulacra.multitable.sources import read_database, write_database
from simulacra.multitable.split import default_subject, split_database
from simulacra.pipeline import load_config, run_pipeline

TABLES = ["items", "orders", "products", "stores", "users"]


@pytest.fixture(scope="module")
def tables() -> dict:
    return shop(n_users=120)


@pytest.fixture()
def folder(tmp_path: Path, tables: dict) -> Path:
    write_database(tables, DatabaseMetadata.detect(tables), tmp_path / "shop")
    return tmp_path


def write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


DATABASE = """\
source: {path: shop}
seed: 2
sampling: {scale: 1.0}
evaluation:
  holdout: 0.25
  subject: users
  metrics: [integrity, fidelity, cardinality]
gates:
  - {metric: foreign key resolution, min: 1.0}
  - {metric: cardinality shape, relation: orders.user_id, min: 0.5}
  - {metric: shape, table: orders, min: 0.6}
"""


def keys_resolve(frames: dict, meta: DatabaseMetadata) -> None:
    for table in meta:
        for fk in meta.parents(table):
            rows = parent_positions(frames[fk.table], fk.columns, frames[fk.parent],
                                    fk.parent_columns)
            assert (rows != -2).all(), f"{fk} has orphans"


def test_a_folder_in_a_synthetic_database_out(folder: Path):
    result = run_pipeline(write(folder, DATABASE))
    out = folder / "out"
    assert result.passed, [g.describe() for g in result.gates]
    assert {g.metric for g in result.gates} == {
        "foreign key resolution", "cardinality shape (relation orders.user_id)",
        "shape (table orders)"}
    frames, meta = read_folder(out / "synthetic")
    assert sorted(frames) == TABLES
    keys_resolve(frames, meta)
    assert frames["users"]["user_id"].is_unique
    record = json.loads((out / "run.json").read_text())
    assert record["model"]["rows"]["users"] == 90  # a quarter of 120 held out
    assert set(record["model"]["tables"]) == set(TABLES)
    assert record["metrics"]["foreign key resolution"] == 1.0
    assert "shape (table orders)" in record["metrics"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert "seconds" not in metrics["info"]  # no clock: same seed, same bytes
    assert (out / "report.html").is_file() and (out / "model.simz").is_file()
    # a re-run with nothing changed computes nothing
    again = run_pipeline(folder / "p.yaml")
    assert [s.name for s in again.steps if not s.cached] == []
    # a larger database re-runs sampling and what follows, nothing before
    write(folder, DATABASE.replace("scale: 1.0", "scale: 2.0"))
    bigger = run_pipeline(folder / "p.yaml")
    assert [s.name for s in bigger.steps if not s.cached] == ["sample", "evaluate"]
    frames2, _ = read_folder(out / "synthetic")
    assert len(frames2["users"]) == 2 * len(frames["users"])


def test_same_seed_same_bytes(folder: Path):
    config = write(folder, DATABASE)
    run_pipeline(config, output_dir=folder / "a")
    run_pipeline(config, output_dir=folder / "b")
    names = sorted(p.relative_to(folder / "a") for p in (folder / "a").rglob("*")
                   if p.is_file() and ".cache" not in p.parts and p.name != "run.json")
    assert Path("synthetic/orders.csv") in names and Path("report.html") in names
    for name in names:
        assert (folder / "a" / name).read_bytes() == (folder / "b" / name).read_bytes(), name


def test_a_sql_database_in_and_out_with_a_failed_gate(tmp_path: Path, tables: dict):
    write_database(tables, DatabaseMetadata.detect(tables), f"sqlite:///{tmp_path / 'in.db'}")
    write(tmp_path, f"""\
source: {{url: "sqlite:///{tmp_path / 'in.db'}", tables: [users, orders, stores]}}
model:
  name: gaussian_copula
  tables: {{orders: {{name: bayesian_network}}}}
  keep: [stores]
sampling: {{scale: 0.5, conditions: {{users: {{tier: gold}}}}}}
evaluation: {{holdout: 0.2, metrics: [integrity, cardinality], report: false}}
gates:
  - {{metric: cardinality shape, relation: orders.store_id, min: 0.999}}
sinks:
  - {{url: "sqlite:///{tmp_path / 'out.db'}"}}
""")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "p.yaml")])
    assert result.exit_code == 3, result.output
    assert "cardinality shape (relation orders.store_id)" in result.output
    frames, meta = read_database(f"sqlite:///{tmp_path / 'out.db'}")
    assert sorted(frames) == ["orders", "stores", "users"]
    assert (frames["users"]["tier"] == "gold").all()
    keys_resolve(frames, meta)
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["model"]["tables"]["orders"] == "bayesian_network"
    assert record["model"]["tables"]["users"] == "gaussian_copula"
    assert record["model"]["tables"]["stores"] == "(kept)"
    assert frames["stores"].sort_values("store_id").reset_index(drop=True).equals(
        tables["stores"].sort_values("store_id").reset_index(drop=True))  # copied as it is
    assert record["status"] == "failed"


def test_database_config_problems_are_listed_with_their_lines(folder: Path):
    path = write(folder, """\
source: {path: shop}
metadata:
  primary_key: user_id
  columns: {age: numerical}
model:
  params: {n_components: 3}
  tables: {orders: {name: nope}}
sampling: {n: 100, rebalance: {tier: {gold: 0.5}}}
evaluation: {target: tier}
monitor: {current: shop/users.csv}
sinks:
  - {path: synth.csv}
""")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    for expected in ("line 3, metadata.primary_key", "line 4, metadata.columns.age",
                     "line 6, model.params", "line 7, model.tables.orders.name",
                     "line 8, sampling.n", "line 8, sampling.rebalance",
                     "line 9, evaluation.target", "line 10, monitor",
                     "line 12, sinks[0].path"):
        assert expected in text, (expected, text)


def test_names_the_database_lacks_are_listed(folder: Path):
    write(folder, """\
source: {path: shop}
model: {tables: {basket: {name: independent}}}
sampling: {conditions: {users: {colour: red}}}
evaluation: {subject: accounts, target: users.nope, metrics: [integrity]}
gates:
  - {metric: shape, table: nope, min: 0.5}
""")
    with pytest.raises(ConfigError) as err:
        run_pipeline(folder / "p.yaml")
    text = str(err.value)
    for expected in ("line 2, model.tables.basket: no table 'basket'",
                     "line 3, sampling.conditions.users.colour",
                     "line 4, evaluation.subject: no table 'accounts'",
                     "line 4, evaluation.target", "line 6, gates[0].table: no table 'nope'"):
        assert expected in text, (expected, text)


def test_database_settings_on_a_single_table_are_refused(folder: Path, tables: dict):
    tables["users"].to_csv(folder / "users.csv", index=False)
    write(folder, """\
source: {path: users.csv, tables: [users]}
model: {keep: [users]}
evaluation: {subject: users, metrics: [fidelity, cardinality]}
gates:
  - {metric: shape, table: users, min: 0.5}
""")
    with pytest.raises(ConfigError) as err:
        load_config(folder / "p.yaml")
    text = str(err.value)
    for expected in ("line 1, source.tables", "line 2, model.keep", "line 3, evaluation.subject",
                     "line 3, evaluation.metrics[1]", "line 5, gates[0].table"):
        assert expected in text, (expected, text)


def test_the_split_keeps_both_parts_consistent(tables: dict):
    meta = DatabaseMetadata.detect(tables)
    assert default_subject(meta, tables) == "users"
    train, holdout = split_database(tables, meta, 0.3, seed=1)
    for part in (train, holdout):
        keys_resolve(part, meta)
    assert len(train["users"]) + len(holdout["users"]) == len(tables["users"])
    assert len(train["items"]) + len(holdout["items"]) == len(tables["items"])
    # stores and products are lookups of users' rows' children, not ancestors of users: they
    # go with the rows that use them only when every row using them is held out
    held_users = set(holdout["users"]["user_id"])
    assert set(holdout["orders"]["user_id"]) <= held_users
    assert not set(train["orders"]["user_id"]) & held_users
    assert split_database(tables, meta, 0.3, seed=1)[1]["orders"].equals(holdout["orders"])


def test_init_writes_a_database_starter_that_runs(folder: Path, tables: dict):
    config = folder / "p.yaml"
    result = CliRunner().invoke(app, ["init", str(folder / "shop"), "-o", str(config)])
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert "subject: users" in text  # the tables listed, with their rows
    assert f"orders: {len(tables['orders']):,} rows, key order_id" in text
    assert "user_id -> users" in text
    pipeline = load_config(config)
    assert pipeline.is_database
    bad = CliRunner().invoke(app, ["init", str(folder / "shop"), "-o", str(folder / "q.yaml"),
                                   "--target", "tier"])
    assert bad.exit_code == 2 and "TABLE.COLUMN" in bad.output


def test_a_referrer_in_the_other_part_becomes_null_whatever_the_key_dtype():
    import pandas as pd

    for dtype in ("int64", "uint16", "Int64"):  # no null yet: the numpy ones are made nullable
        users = pd.DataFrame({"user_id": pd.array(range(1, 41), dtype=dtype),
                              "referrer_id": pd.array([1, *range(1, 40)], dtype=dtype),
                              "age": range(20, 60)})
        meta = DatabaseMetadata.detect({"users": users})
        if not meta.parents("users"):
            meta = meta.add_foreign_key("users", "referrer_id", "users")
        train, holdout = split_database({"users": users}, meta, 0.5, seed=3)
        for part in (train, holdout):
            keys_resolve(part, meta)
            assert part["users"]["referrer_id"].isna().sum() >= 1, dtype  # chains cut here
            assert part["users"]["referrer_id"].notna().sum() >= 1, dtype
