"""Free-text columns of a database: each table's text figures in evaluate_database.

keepers → sightings: a sighting's ``note`` names animals of its ``habitat`` (tests/texts.py),
so a text classifier reads the habitat from the note; its ``remark`` is a note of another
row, which says nothing of this one. Texts shuffled across rows keep every word and lose
that link, which only the coherence figure sees.
"""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.evaluation.database import DATABASE_GROUPS, DatabaseEvaluation, evaluate_database
from simulacra.metadata import DatabaseMetadata
from simulacra.multitable.sources import write_database
from texts import animal_notes

COHERENCE = "coherence ROC-AUC (habitat)"
QUICK = {"char_features": 0, "folds": 3, "samples": 3}


def zoo(seed: int, sightings: int = 500, *, shuffled: bool = False) -> dict[str, pd.DataFrame]:
    """keepers (a region each) → sightings (habitat, size, note, remark), a draw of ``seed``."""
    rng = np.random.default_rng(seed)
    keepers = pd.DataFrame({"keeper_id": np.arange(60) + 1000 * seed,
                            "region": rng.choice(["north", "south"], 60)})
    rows = animal_notes(sightings, seed)
    rows.insert(0, "sighting_id", np.arange(sightings) + 10_000 * seed)
    rows.insert(1, "keeper_id", rng.choice(keepers["keeper_id"], sightings))
    rows["remark"] = animal_notes(sightings, seed + 100)["note"].to_numpy()
    if shuffled:
        rows["note"] = rng.permutation(rows["note"].to_numpy())
    return {"keepers": keepers, "sightings": rows}


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    return zoo(0)


@pytest.fixture(scope="module")
def holdout() -> dict[str, pd.DataFrame]:
    return zoo(2, 400)


@pytest.fixture(scope="module")
def metadata(real) -> DatabaseMetadata:
    md = DatabaseMetadata.detect(real)
    assert [str(fk) for fk in md.foreign_keys] == ["sightings.keeper_id -> keepers.keeper_id"]
    table = md["sightings"]
    for column in ("note", "remark"):
        table = table.update_column(column, kind="text")
    return md.set_table("sightings", table)


@pytest.fixture(scope="module")
def faithful(real, holdout, metadata) -> DatabaseEvaluation:
    """Every figure of a fresh draw of the same database (what a good synthesizer makes)."""
    return evaluate_database(real, zoo(1), metadata, holdout=holdout, text_options=QUICK)


@pytest.fixture(scope="module")
def shuffled(real, holdout, metadata) -> DatabaseEvaluation:
    return evaluate_database(real, zoo(1, shuffled=True), metadata, holdout=holdout,
                             metrics=["text"], text_options=QUICK)


def test_text_is_a_group_of_all():
    assert "text" in DATABASE_GROUPS


def test_a_faithful_database_keeps_its_texts_coherent(faithful):
    auc = faithful.get(COHERENCE, table="sightings", column="note")
    assert auc.column == "note" and auc.group == "text"
    assert auc.reference_label == "trained on real" and auc.reference > 0.95
    assert auc.value > 0.95 and auc.value >= auc.reference - 0.03
    assert faithful.info["text"]["sightings"]["note"]["coherence_targets"] == ["habitat"]
    assert 0.4 < faithful.value("text detection AUC", table="sightings", column="note") < 0.65
    # the table's other figures still leave the text columns out
    assert "note" not in json.dumps(faithful.get("shape", table="sightings").details)


def test_texts_shuffled_across_rows_lose_their_coherence(faithful, shuffled):
    lost = shuffled.value(COHERENCE, table="sightings", column="note")
    kept = faithful.value(COHERENCE, table="sightings", column="note")
    assert lost < 0.65 and lost < kept - 0.25
    # the same words: the texts alone do not give the shuffle away
    assert shuffled.value("text detection AUC", table="sightings", column="note") < 0.65


def test_the_same_database_scores_like_the_real_texts(real, holdout, metadata):
    same = evaluate_database(real, {t: f.copy() for t, f in real.items()}, metadata,
                             holdout=holdout, metrics="text", text_options=QUICK)
    auc = same.get(COHERENCE, table="sightings", column="note")
    assert auc.value == pytest.approx(auc.reference, abs=1e-9)
    assert same.value("text exact copies", table="sightings", column="note") == 1.0


def test_two_text_columns_of_a_table_stay_apart(faithful):
    note = faithful.value(COHERENCE, table="sightings", column="note")
    remark = faithful.value(COHERENCE, table="sightings", column="remark")
    assert remark < 0.65 < note  # another row's note says nothing of this row's habitat
    with pytest.raises(KeyError, match=r"one per free-text column.*\['note', 'remark'\]"):
        faithful.get(COHERENCE, table="sightings")
    with pytest.raises(KeyError, match="no figure"):
        faithful.get(COHERENCE, table="sightings", column="habitat")
    assert faithful.value("shape", table="sightings") > 0.8  # a table's own figure, no column
    rows = faithful.summary().query("metric == @COHERENCE")
    assert sorted(rows["column"]) == ["note", "remark"] and set(rows["where"]) == {"sightings"}
    assert "remark" in faithful.summary_text()


def test_json_round_trip_keeps_the_text_figures_and_no_text(faithful):
    text = faithful.to_json()
    back = DatabaseEvaluation.from_json(text)
    assert back == faithful
    assert back.get(COHERENCE, table="sightings", column="remark") == \
        faithful.get(COHERENCE, table="sightings", column="remark")
    shown = faithful.figures["text"]["sightings"]["note"]["samples"]
    assert len(shown["synthetic"]) == 3 and len(shown["real"]) == 3
    assert not any(t in text for t in shown["synthetic"] + shown["real"])  # no text in JSON
    assert back.info["text"]["sightings"]["note"]["statistics"]["synthetic"]["texts"] == 500


def test_html_shows_the_text_figures_and_sampled_texts(faithful, tmp_path):
    faithful.save_html(tmp_path / "db.html")
    page = (tmp_path / "db.html").read_text(encoding="utf-8")
    section = page[page.index('id="text-sightings-note"'):]
    section = section[:section.index("</section>")]
    assert "Free text: sightings.note" in section and "Sampled texts" in section
    assert "does the text predict habitat? (ROC-AUC)" in section
    for sample in faithful.figures["text"]["sightings"]["note"]["samples"]["synthetic"]:
        assert f"<li>{html.escape(sample)}</li>" in section
    assert 'id="text-sightings-remark"' in page
    # read back from JSON, the report has the figures and no texts
    back = DatabaseEvaluation.from_json(faithful.to_json()).to_html()
    assert "Free text: sightings.note" in back and "Sampled texts" not in back


def test_text_figures_alone(shuffled):
    assert {f.metric.group for f in shuffled.metrics} == {"text"}
    assert {(f.scope, f.where) for f in shuffled.metrics} == {("table", "sightings")}
    assert {f.metric.column for f in shuffled.metrics} == {"note", "remark"}
    assert shuffled.info["metrics"] == ["text"]


def test_settings_reach_every_text_column(real, holdout, metadata):
    result = sim.evaluate(real, zoo(1), holdout, metadata=metadata, metrics=["text"],
                          text_options={"folds": 3, "columns": ["sightings.note"],
                                        "char_features": 0, "samples": 0})
    assert {f.metric.column for f in result.metrics} == {"note"}
    assert len(result.get("text detection AUC", table="sightings").details["fold_aucs"]) == 3
    assert not result.figures.get("text")
    with pytest.raises(sim.ParameterError, match="'text_options' parameter takes"):
        sim.evaluate(real, zoo(1), metadata=metadata, metrics="text", text_options={"fold": 3})
    with pytest.raises(sim.ParameterError, match="'columns' text setting"):
        evaluate_database(real, zoo(1), metadata, metrics="text",
                          text_options={"columns": "habitat"})
    with pytest.raises(sim.ParameterError, match="'coherence' text setting"):
        evaluate_database(real, zoo(1), metadata, metrics="text",
                          text_options={"coherence": "keeper_id"})  # a key is never a target


def test_coherence_needs_the_tables_holdout(real, metadata):
    alone = evaluate_database(real, zoo(1), metadata, metrics="text",
                              text_options={**QUICK, "columns": "note"})
    assert not any(f.metric.name.startswith("coherence") for f in alone.metrics)
    assert any("sightings" in n and "needs a holdout" in n for n in alone.info["not_computed"])


def test_subsampled_tables_say_so(real, holdout, metadata):
    small = evaluate_database(real, zoo(1), metadata, holdout=holdout, metrics="text",
                              max_rows=200, text_options={**QUICK, "columns": "note"})
    auc = small.get(COHERENCE, table="sightings", column="note")
    assert "200 of 500 real rows" in auc.note and "200 of 400 holdout rows" in auc.note
    assert small.info["text"]["sightings"]["note"]["statistics"]["train"]["texts"] == 200


def test_a_database_without_text_columns_has_no_text_figures(real, metadata):
    plain = {"keepers": real["keepers"], "sightings": real["sightings"].drop(
        columns=["note", "remark"])}
    md = DatabaseMetadata.detect(plain)
    everything = evaluate_database(plain, plain, md, metrics=["integrity", "fidelity", "text"])
    assert everything.metrics and all(f.metric.group != "text" for f in everything.metrics)
    assert any("no table has a column of kind 'text'" in n
               for n in everything.info["not_computed"])
    assert "text" not in everything.info
    alone = evaluate_database(plain, plain, md, metrics="text")
    assert alone.metrics == []


def test_evaluate_command_on_a_database_takes_text_options(real, holdout, metadata, tmp_path):
    for name, frames in (("real", real), ("fake", zoo(1)), ("held", holdout)):
        write_database(frames, metadata, tmp_path / name)
    metadata.save(tmp_path / "db.yaml")
    out = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "evaluate", str(tmp_path / "real"), str(tmp_path / "fake"),
        "--holdout", str(tmp_path / "held"), "--metadata", str(tmp_path / "db.yaml"),
        "--metrics", "text", "--text-option", "folds=3", "--text-option", "columns=note",
        "--json", str(tmp_path / "q.json"), "--report", str(tmp_path / "q.html")])
    assert out.exit_code == 0, out.output
    assert COHERENCE in out.output
    figures = json.loads((tmp_path / "q.json").read_text())["metrics"]
    coherence = [m for m in figures if m["name"] == COHERENCE]
    assert [(m["where"], m["column"]) for m in coherence] == [("sightings", "note")]
    assert coherence[0]["value"] > 0.95
    assert len(next(m for m in figures if m["name"] == "text detection AUC")
               ["details"]["fold_aucs"]) == 3
    assert "Sampled texts" in (tmp_path / "q.html").read_text(encoding="utf-8")


def test_a_pipeline_gate_names_a_tables_text_column():
    from simulacra.pipeline.config import Gate

    gate = Gate(metric="text detection AUC", table="sightings", column="note", max=0.7)
    assert gate.figure == "text detection AUC (column sightings.note)"
    with pytest.raises(ValueError, match="at most one"):
        Gate(metric="text detection AUC", relation="sightings.keeper_id", column="note",
             max=0.7)
