"""The command line on event tables: metadata, fit --sequence-key [--context], sample."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from events import bursts
from simulacra.cli import app

pytest.importorskip("torch")

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("events")
    real = bursts(n=300)
    users = real.groupby("user", as_index=False)["kind"].first()
    real.drop(columns="kind").to_csv(root / "events.csv", index=False)
    users.to_csv(root / "users.csv", index=False)
    real.to_csv(root / "flat.csv", index=False)
    return root, real


def test_fit_and_sample_an_event_table(files):
    root, real = files
    r = invoke("metadata", root / "flat.csv", "--sequence-key", "user", "-o", root / "md.yaml")
    assert r.exit_code == 0, r.output
    assert "ordered by date" in r.output and sim.Metadata.load(root / "md.yaml").sequence_index \
        == "date"
    r = invoke("fit", root / "events.csv", "--sequence-key", "user", "--context",
               root / "users.csv", "-o", root / "m.simz", "--seed", 0, "-p", "epochs=3")
    assert r.exit_code == 0, r.output
    assert "300 entities" in r.output and "context ['kind']" in r.output
    r = invoke("sample", root / "m.simz", "-n", 40, "-o", root / "out.csv", "--seed", 1)
    assert r.exit_code == 0, r.output
    out = pd.read_csv(root / "out.csv")
    assert out["user"].nunique() == 40 and set(out.columns) == set(real.columns)
    assert out.groupby("user")["kind"].nunique().max() == 1  # the entity's column, once
    # dates never go back within a user
    days = pd.to_datetime(out["date"]).groupby(out["user"], sort=False).diff().dt.days
    assert (days.dropna() >= 0).all()
    # one sequence per given entity
    pd.DataFrame({"user": ["a", "b", "c"], "kind": ["loyal", "casual", "loyal"]}).to_csv(
        root / "want.csv", index=False)
    r = invoke("sample", root / "m.simz", "--context", root / "want.csv", "-o",
               root / "given.csv", "--seed", 2)
    assert r.exit_code == 0, r.output
    given = pd.read_csv(root / "given.csv")
    assert set(given["user"]) == {"a", "b", "c"}
    assert given.groupby("user")["kind"].first().to_dict() == {"a": "loyal", "b": "casual",
                                                               "c": "loyal"}
    # entities of one kind, or in given shares
    r = invoke("sample", root / "m.simz", "-n", 30, "-c", "kind=loyal", "-o",
               root / "loyal.csv", "--seed", 4)
    assert r.exit_code == 0, r.output
    loyal = pd.read_csv(root / "loyal.csv")
    assert loyal["user"].nunique() == 30 and set(loyal["kind"]) == {"loyal"}
    r = invoke("sample", root / "m.simz", "-n", 40, "-r", "kind={casual: 0.75}", "-o",
               root / "shares.csv", "--seed", 4)
    assert r.exit_code == 0, r.output
    kinds = pd.read_csv(root / "shares.csv").groupby("user")["kind"].first()
    assert (kinds == "casual").sum() == 30
    r = invoke("sample", root / "m.simz", "-c", "kind=loyal", "--context", root / "want.csv",
               "-o", root / "x.csv")
    assert r.exit_code == 2 and "do not combine with --context" in r.output
    # what comes after given events
    real[real["user"] < 3].to_csv(root / "prefixes.csv", index=False)
    r = invoke("sample", root / "m.simz", "--prefixes", root / "prefixes.csv", "--events", 2,
               "-o", root / "next.csv", "--seed", 3)
    assert r.exit_code == 0, r.output
    nxt = pd.read_csv(root / "next.csv")
    assert nxt.groupby("user").size().to_dict() == {0: 2, 1: 2, 2: 2}
    last = pd.to_datetime(real[real["user"] < 3].groupby("user")["date"].max())
    assert (pd.to_datetime(nxt.groupby("user")["date"].min()) >= last).all()
    r = invoke("sample", root / "m.simz", "--events", 2, "-o", root / "x.csv")
    assert r.exit_code == 2 and "give both" in r.output
    # the sequence figures from the command line
    r = invoke("evaluate", root / "flat.csv", root / "out.csv", "--sequence-key", "user",
               "--metrics", "sequences", "--json", root / "seq.json")
    assert r.exit_code == 0, r.output
    figures = {m["name"]: m["value"] for m in pd.read_json(root / "seq.json",
                                                         typ="series")["metrics"]}
    assert 0 < figures["sequence length similarity"] <= 1
    assert 0 < figures["inter-event time similarity"] <= 1
    # the metadata file carries the key: no flag needed
    r = invoke("fit", root / "flat.csv", "--metadata", root / "md.yaml", "-o", root / "m2.simz",
               "-p", "epochs=2")
    assert r.exit_code == 0, r.output
    assert sim.load(root / "m2.simz").sequence_index_ == "date"


def test_event_table_mistakes_are_named(files):
    root, _ = files
    r = invoke("fit", root / "events.csv", "--sequence-key", "who", "-o", root / "x.simz")
    assert r.exit_code == 2 and "'who' is not a column" in r.output
    r = invoke("fit", root / "events.csv", "--sequence-key", "user", "--model", "ctgan", "-o",
               root / "x.simz")
    assert r.exit_code == 2 and "does not take sequences" in r.output
    r = invoke("fit", root / "events.csv", "--context", root / "users.csv", "-o",
               root / "x.simz")
    assert r.exit_code == 2 and "give --sequence-key too" in r.output
    pd.DataFrame({"user": [0, 0], "kind": ["a", "b"]}).to_csv(root / "dup.csv", index=False)
    r = invoke("fit", root / "events.csv", "--sequence-key", "user", "--context",
               root / "dup.csv", "-o", root / "x.simz")
    assert r.exit_code == 2 and "repeat; give one row per entity" in r.output
    r = invoke("fit", root / "events.csv", "--sequence-key", "user", "-p", "nope=1", "-o",
               root / "x.simz")
    assert r.exit_code == 2 and "no hyperparameter 'nope'" in r.output
    assert not (root / "x.simz").exists()


def test_many_entities_are_drawn_and_written_a_chunk_at_a_time(files):
    root, _ = files
    model = root / "chunks.simz"
    r = invoke("fit", root / "events.csv", "--sequence-key", "user", "--context",
               root / "users.csv", "-o", model, "--seed", 0, "-p", "epochs=2")
    assert r.exit_code == 0, r.output
    r = invoke("sample", model, "-n", 250, "--chunk-rows", 100, "-o", root / "chunked.csv",
               "--seed", 5, "-c", "kind=loyal")
    assert r.exit_code == 0, r.output
    assert "250 entities" in r.output and "in chunks of 100 entities, seed 5" in r.output
    out = pd.read_csv(root / "chunked.csv")
    assert out["user"].nunique() == 250 and set(out["kind"]) == {"loyal"}
    assert out.groupby("user")["kind"].nunique().max() == 1  # no two chunks share a key
    # chunk i is the model's draw from chunk i's stream, keys shifted apart (k -> 3k + i)
    import numpy as np

    from simulacra.randomness import chunk_seed

    synth = sim.load(model)
    first = synth.sample(100, rng=np.random.default_rng(chunk_seed(5, 0)),
                         conditions={"kind": "loyal"})
    got = out.iloc[:len(first)].reset_index(drop=True)
    assert got["user"].tolist() == (first["user"] * 3).tolist()
    assert got["date"].tolist() == first["date"].astype(str).tolist()
    r = invoke("sample", model, "-n", 10, "--partitions", 2, "-o", root / "p/")
    assert r.exit_code == 2 and "--chunk-rows entities" in r.output
