"""The database commands: metadata, fit, sample, clone (and --subset), evaluate; SQLite,
folders and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from databases import bank, shop
from simulacra.cli import app
from simulacra.metadata import DatabaseMetadata
from simulacra.multitable.sources import read_database, write_database

runner = CliRunner(env={"COLUMNS": "200"})


def run(*args: object, code: int = 0) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    """The shop database in SQLite, as a user would have it."""
    tables = shop(n_users=120)
    path = tmp_path_factory.mktemp("db") / "shop.db"
    write_database(tables, DatabaseMetadata.detect(tables), f"sqlite:///{path}")
    return f"sqlite:///{path}"


def _integrity(frames: dict, meta: DatabaseMetadata) -> None:
    for table, key in meta.primary_keys.items():
        assert not frames[table][list(key)].duplicated().any(), table
    assert all(rate == 0 for rate in meta.orphans(frames).values())


def test_clone_sqlite_to_sqlite_with_the_same_ddl(source: str, tmp_path: Path):
    target = f"sqlite:///{tmp_path / 'fake.db'}"
    out = run("clone", source, target, "--model", "gaussian_copula", "--seed", "0")
    assert "Sampled 5 tables" in out
    real, real_meta = read_database(source)
    fake, fake_meta = read_database(target)
    assert set(fake) == set(real)
    assert fake_meta.primary_keys == real_meta.primary_keys
    assert set(fake_meta.foreign_keys) == set(real_meta.foreign_keys)
    _integrity(fake, fake_meta)
    assert len(fake["users"]) == len(real["users"])
    # a second clone into the same target is refused, then replaces with --replace
    run("clone", source, target, "--model", "independent", code=2)
    run("clone", source, target, "--model", "independent", "--replace", "--scale", "0.5")
    assert len(read_database(target)[0]["users"]) == len(real["users"]) // 2


def test_metadata_fit_sample_evaluate(source: str, tmp_path: Path):
    yaml_path, model = tmp_path / "db.yaml", tmp_path / "db.simz"
    out = run("metadata", source, "-o", yaml_path)
    assert "orders.user_id" in out and yaml_path.exists()
    meta = DatabaseMetadata.load(yaml_path)
    assert meta.primary_keys["items"] == ("order_id", "product_id")
    run("fit", source, "-o", model, "--metadata", yaml_path, "-m", "bayesian_network",
        "--seed", "1", "-p", "orders.bins=10")
    folder = tmp_path / "fake"
    out = run("sample", model, "-o", folder, "--scale", "0.5", "--seed", "2")
    fake, fake_meta = read_database(folder)
    _integrity(fake, fake_meta)
    assert len(fake["users"]) == 60
    report, figures = tmp_path / "r.html", tmp_path / "r.json"
    out = run("evaluate", source, folder, "--report", report, "--json", figures,
              "--metrics", "integrity,fidelity,cardinality,trends", "--target", "users.tier")
    assert "cardinality shape" in out
    html = report.read_text(encoding="utf-8")
    assert "orders.user_id" in html and "items" in html
    run("sample", model, "-o", folder, "-n", "10", code=2)  # a database takes --scale


def test_clone_subset_keeps_every_key(source: str, tmp_path: Path):
    target = tmp_path / "slice"
    out = run("clone", source, target, "--subset", "users: 10%", "--seed", "0")
    assert "real rows" in out
    part, meta = read_database(target)
    real, _ = read_database(source)
    assert len(part["users"]) >= 12 and len(part["users"]) < len(real["users"])
    _integrity(part, meta)
    assert part["orders"]["user_id"].isin(part["users"]["user_id"]).all()


def test_clone_a_folder_keeping_its_lookup_table(tmp_path: Path):
    tables = bank(n_accounts=150)
    source = tmp_path / "bank"
    write_database(tables, DatabaseMetadata.detect(tables), source)
    target = tmp_path / "fake"
    out = run("clone", source, target, "--keep", "district", "--model", "bayesian_network",
              "--scale", "0.5", "--seed", "0")
    assert "(kept)" in out and "public tables only" in out
    real, _ = read_database(source)
    fake, meta = read_database(target)
    pd.testing.assert_frame_equal(fake["district"], real["district"])
    _integrity(fake, meta)
    assert len(fake["account"]) == 75 and len(fake["client"]) == round(len(real["client"]) / 2)
    # fit --keep, then sample: the same, through a model file
    model = tmp_path / "bank.simz"
    run("fit", source, "-o", model, "--keep", "district", "-m", "independent", "--seed", "1")
    run("sample", model, "-o", tmp_path / "again", "--seed", "2")
    again, meta = read_database(tmp_path / "again")
    pd.testing.assert_frame_equal(again["district"], real["district"])
    _integrity(again, meta)
    out = run("clone", source, tmp_path / "no", "--keep", "account", code=2)
    assert "kept table 'account' refers to 'district'" in out
    out = run("clone", source, tmp_path / "no", "--keep", "nope", code=2)
    assert "nope" in out


def test_clone_with_a_model_per_table(tmp_path: Path):
    tables = bank(n_accounts=150)
    source = tmp_path / "bank"
    write_database(tables, DatabaseMetadata.detect(tables), source)
    model = tmp_path / "bank.simz"
    out = run("fit", source, "-o", model, "--model",
              "account=bayesian_network, disp=independent", "--keep", "district",
              "--seed", "0")
    assert "bayesian_network" in out and "independent" in out
    from simulacra.multitable.synthesizer import RelationalSynthesizer

    fitted = RelationalSynthesizer.load(model)
    assert fitted.models_["account"].name == "bayesian_network"
    assert fitted.models_["disp"].name == "independent"
    out = run("clone", source, tmp_path / "no", "--model", "account=", code=2)
    assert "TABLE=MODEL" in out
    # hyperparameters go to the model auto picks (a copula for these few clients): one line
    out = run("clone", source, tmp_path / "no", "-p", "client.epochs=2", code=2)
    assert "['epochs'] are not parameters of its model 'gaussian_copula'" in out


def test_bad_sources_get_one_clear_line(tmp_path: Path):
    out = run("clone", f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "out", code=2)
    assert "error" in out
    out = run("fit", tmp_path, "-o", tmp_path / "m.simz", code=2)  # an empty folder
    assert "error" in out


def test_clone_into_and_out_of_postgres(source: str, pg_url: str, tmp_path: Path):
    run("clone", source, pg_url, "--model", "gaussian_copula", "--seed", "0")
    fake, meta = read_database(pg_url)
    _integrity(fake, meta)
    assert set(meta.foreign_keys) == set(read_database(source)[1].foreign_keys)
    back = f"sqlite:///{tmp_path / 'back.db'}"
    run("clone", pg_url, back, "--model", "independent", "--seed", "0")
    _integrity(*read_database(back))
