"""Free-text evaluation (simulacra.evaluation.text) on small generated corpora.

Sentences are built from templates whose nouns and verbs depend on the row's ``topic``, so a
text classifier can tell the topic from a text (coherence is measurable), and from slots
drawn at random, so that texts rarely share a run of ten words by chance. The "synthetic"
sides: fresh draws of the same generator (faithful), training texts copied (memorised), word
salad (the training words in random order), and faithful texts shuffled between rows (fluent
but incoherent with their row).
"""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.evaluation.prepare import prepare
from simulacra.evaluation.text import (
    Texts,
    TextSettings,
    evaluate_text,
    length_similarity,
    ngram_leakage,
    ngrams,
    rarefied_types,
    text_coherence,
    text_detection_auc,
    text_exact_copies,
    text_samples,
    vocabulary,
)
from simulacra.kinds import Text

TOPICS = {
    "sea": ("ship", "harbour", "wave", "sailor", "tide", "anchor", "gull", "reef"),
    "farm": ("barn", "field", "cow", "farmer", "plough", "harvest", "hen", "orchard"),
    "city": ("street", "tram", "tower", "clerk", "market", "bridge", "cafe", "square"),
}
VERBS = {
    "sea": ("sailed", "drifted", "anchored", "rowed"),
    "farm": ("ploughed", "harvested", "planted", "fed"),
    "city": ("walked", "shopped", "queued", "commuted"),
}
ADJECTIVES = ("old", "quiet", "bright", "grey", "small", "busy", "cold", "green", "tall",
              "slow", "warm", "early", "late", "wet", "dry", "loud")
NAMES = ("anna", "bram", "cleo", "dirk", "elin", "femke", "gus", "hugo", "ines", "joop",
         "kees", "lotte", "mila", "noor", "otto", "pim")
TEMPLATES = (
    "{name} {verb} past the {adj} {noun} and the {adj2} {noun2} before {time}",
    "the {adj} {noun} near the {noun2} was {adj2} when {name} {verb} at {time}",
    "at {time} {name} saw a {adj} {noun} , then {verb} to the {adj2} {noun2}",
    "{name} says the {noun} is {adj} but the {noun2} {verb} {adj2} this {time}",
)
TIMES = ("dawn", "noon", "dusk", "night", "monday", "friday", "winter", "spring")


def corpus(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows: a topic, a boolean ``urgent`` and a ``note`` written about the topic."""
    rng = np.random.default_rng(seed)
    topic = rng.choice(list(TOPICS), n, p=[0.5, 0.3, 0.2])
    notes = []
    for t in topic:
        nouns = rng.choice(TOPICS[t], 2, replace=False)
        notes.append(TEMPLATES[rng.integers(len(TEMPLATES))].format(
            name=rng.choice(NAMES), verb=rng.choice(VERBS[t]), adj=rng.choice(ADJECTIVES),
            adj2=rng.choice(ADJECTIVES), noun=nouns[0], noun2=nouns[1], time=rng.choice(TIMES)))
    urgent = rng.random(n) < 0.3
    return pd.DataFrame({"topic": topic, "urgent": urgent, "score": rng.normal(size=n).round(2),
                         "note": notes})


def salad(texts: pd.Series, seed: int) -> pd.Series:
    """The words of ``texts`` in random order, each text keeping its number of words."""
    rng = np.random.default_rng(seed)
    words = np.concatenate([t.split() for t in texts])
    lengths = [len(t.split()) for t in texts]
    drawn = rng.permutation(words)
    cuts = np.cumsum(lengths)[:-1]
    return pd.Series([" ".join(part) for part in np.split(drawn, cuts)], index=texts.index)


def metadata(table: pd.DataFrame) -> sim.Metadata:
    md = sim.Metadata.detect(table)
    return md.update_column("note", kind="text")


@pytest.fixture(scope="module")
def tables():
    train, holdout, faithful = corpus(600, 1), corpus(300, 2), corpus(600, 3)
    copied = train.sample(frac=1.0, random_state=4).reset_index(drop=True)
    worded = train.copy()
    worded["note"] = salad(train["note"], 5)
    shuffled = faithful.copy()
    shuffled["note"] = faithful["note"].sample(frac=1.0, random_state=6).to_numpy()
    return {"train": train, "holdout": holdout, "faithful": faithful, "copied": copied,
            "salad": worded, "shuffled": shuffled}


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------


def test_texts_normalise_whitespace_drop_nulls_and_keep_row_positions():
    texts = Texts.of(pd.Series(["  A\tb\n c ", None, "", np.nan, "Don't stop"],
                               index=[10, 11, 12, 13, 14]))
    assert texts.values.tolist() == ["A b c", "", "Don't stop"]
    assert texts.rows.tolist() == [0, 2, 4] and texts.nulls == 2 and texts.total == 5
    assert texts.words == [["a", "b", "c"], [], ["don", "t", "stop"]]
    assert texts.word_counts.tolist() == [3, 0, 3] and texts.char_counts.tolist() == [5, 0, 10]
    assert Texts.of(texts) is texts
    stats = texts.statistics()
    assert stats.texts == 3 and stats.null_share == pytest.approx(0.4)
    assert stats.vocabulary == 6 and stats.words == 6 and stats.median_words == 3


# --------------------------------------------------------------------------------------------
# Lengths and vocabulary
# --------------------------------------------------------------------------------------------


def test_length_similarity_is_one_minus_ks_with_the_holdout_as_reference(tables):
    train, holdout = tables["train"]["note"], tables["holdout"]["note"]
    chars, words = length_similarity(train, train.sample(frac=1.0, random_state=0), holdout)
    assert chars.value == pytest.approx(1.0) and words.value == pytest.approx(1.0)
    assert 0.85 < words.reference < 1.0 and chars.group == "text"
    short = train.str.split().str[:4].str.join(" ")  # every text cut to 4 words
    cut = length_similarity(train, short)[1]
    assert cut.value < 0.05 and cut.details["synthetic"]["median"] == 4


def test_rarefied_types_match_brute_force_expectation():
    rng = np.random.default_rng(0)
    counts = np.array([5, 3, 1, 1, 2])
    tokens = np.repeat(np.arange(counts.size), counts)
    for n in (1, 3, 7, 12):  # exact expectation over every subset of n positions
        subsets = list(itertools.combinations(range(tokens.size), n)) if n <= 3 else [
            rng.choice(tokens.size, n, replace=False) for _ in range(20_000)]
        mean = np.mean([np.unique(tokens[list(s)]).size for s in subsets])
        tolerance = 1e-9 if n <= 3 else 0.02
        assert rarefied_types(counts, n) == pytest.approx(mean, abs=tolerance), n


def test_vocabulary_figures_see_repetition_and_invented_words(tables):
    train, holdout = tables["train"]["note"], tables["holdout"]["note"]
    ttr, novel = vocabulary(train, tables["faithful"]["note"], holdout)
    assert ttr.reference is not None and ttr.value == pytest.approx(ttr.reference, rel=0.1)
    assert novel.value == pytest.approx(0.0) and novel.reference == pytest.approx(0.0)
    repeated = pd.Series([train.iloc[0]] * len(train))  # one text over and over
    assert vocabulary(train, repeated, holdout)[0].value < 0.2 * ttr.reference
    rng = np.random.default_rng(0)
    invented = train.map(lambda t: " ".join(w if rng.random() < 0.8 else w + "x"
                                            for w in t.split()))
    share = vocabulary(train, invented, holdout)[1]
    assert 0.15 < share.value < 0.25  # about a fifth of the words are new forms
    assert share.details["sides"]["synthetic"]["vocabulary"] > len(Texts.of(train).vocabulary)


# --------------------------------------------------------------------------------------------
# Copies and n-gram leakage
# --------------------------------------------------------------------------------------------


def test_exact_copies_and_leakage_flag_memorised_texts_against_the_base_rate(tables):
    train, holdout = tables["train"]["note"], tables["holdout"]["note"]
    copies = text_exact_copies(train, tables["copied"]["note"], holdout)
    leak = ngram_leakage(train, tables["copied"]["note"], holdout)
    assert copies.value == 1.0 and leak.value == 1.0 and leak.name == "10-gram leakage"
    assert copies.reference < 0.05 and leak.reference < 0.2  # real unseen texts rarely do
    fresh = tables["faithful"]["note"]
    assert text_exact_copies(train, fresh, holdout).value <= copies.reference + 0.02
    assert ngram_leakage(train, fresh, holdout).value <= leak.reference + 0.06
    # whitespace does not hide a copy; a changed word does
    spaced = train.str.replace(" ", "   ", regex=False)
    assert text_exact_copies(train, spaced).value == 1.0
    edited = train.str.replace(" the ", " a ", regex=False)
    assert text_exact_copies(train, edited).value < 0.2


def test_leakage_finds_a_passage_embedded_in_new_text(tables):
    train = tables["train"]["note"]
    passage = " ".join(train.iloc[7].split()[:10])  # ten words of one training text
    fresh = ["completely new words here " + passage + " and more", "nothing to see here"]
    m = ngram_leakage(train, fresh, n=10)
    assert m.value == 0.5 and m.details["synthetic_leaking_texts"] == 1
    nine = " ".join(train.iloc[7].split()[:9])  # nine words are not a 10-gram
    assert ngram_leakage(train, ["new " + nine + " new"], n=10).value == 0.0


def test_ngram_hashes_agree_with_a_plain_python_set():
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(6)]
    train = [" ".join(rng.choice(vocab, rng.integers(0, 9))) for _ in range(60)]
    synth = [" ".join(rng.choice(vocab, rng.integers(0, 9))) for _ in range(60)]
    for n in (1, 2, 3, 4):
        def grams(text, n=n):
            words = text.split()
            return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
        seen = set().union(*map(grams, train))
        expected = np.mean([bool(grams(t) & seen) for t in synth])
        assert ngram_leakage(train, synth, n=n).value == pytest.approx(expected), n
        found = ngrams(Texts.of(synth), n)
        assert found.hashes.size == sum(max(len(t.split()) - n + 1, 0) for t in synth)


# --------------------------------------------------------------------------------------------
# Detection and coherence
# --------------------------------------------------------------------------------------------


def test_detection_auc_separates_word_salad_not_faithful_texts(tables):
    train, holdout = tables["train"]["note"], tables["holdout"]["note"]
    faithful = text_detection_auc(train, tables["faithful"]["note"], holdout, random_state=0)
    worded = text_detection_auc(train, tables["salad"]["note"], holdout, random_state=0)
    assert faithful.value < 0.62 and worded.value > 0.9
    assert worded.details["texts_per_side"] == 300 and len(worded.details["fold_aucs"]) == 5
    assert worded.details["telling"]["real"]  # the n-grams that give salad away
    again = text_detection_auc(train, tables["salad"]["note"], holdout, random_state=0)
    assert again.value == worded.value  # same seed, same figure
    # without a holdout the real side is the training texts: copies of them sit below 0.5
    assert text_detection_auc(train, tables["copied"]["note"]).value < 0.3


def test_coherence_is_tstr_beside_trtr(tables):
    train, holdout = tables["train"], tables["holdout"]
    faithful = text_coherence(train, tables["faithful"], holdout, text="note",
                              targets=["topic", "urgent"], random_state=0)
    by_name = {m.name: m for m in faithful}
    auc = by_name["coherence ROC-AUC (topic)"]
    assert auc.reference > 0.95 and auc.value > 0.95  # the words say the topic
    assert auc.details["gap"] == pytest.approx(auc.reference - auc.value)
    assert auc.details["classes"] == 3 and auc.column == "note"
    assert by_name["coherence accuracy (topic)"].value > 0.9
    noise = by_name["coherence ROC-AUC (urgent)"]  # urgent has nothing to do with the text
    assert abs(noise.reference - 0.5) < 0.12 and noise.details["task"] == "binary classification"
    shuffled = text_coherence(train, tables["shuffled"], holdout, text="note", targets="topic")
    assert shuffled[0].value < 0.65 and shuffled[0].reference > 0.95
    accuracy = shuffled[1]
    assert accuracy.value < accuracy.details["chance"] + 0.1  # no better than guessing


def test_coherence_pools_rare_classes_and_names_wrong_columns(tables):
    train, holdout = tables["train"], tables["holdout"]
    pooled = text_coherence(train, tables["faithful"], holdout, text="note", targets="topic",
                            max_classes=2)
    assert pooled[0].details["classes"] == 2 and "pooled" in pooled[0].note
    with pytest.raises(sim.ParameterError, match="no column 'nope'"):
        text_coherence(train, tables["faithful"], holdout, text="note", targets="nope")
    with pytest.raises(sim.ParameterError, match="text column"):
        text_coherence(train, tables["faithful"], holdout, text="note", targets="note")


def test_empty_and_null_texts_give_figures_or_say_why(tables):
    train, holdout = tables["train"], tables["holdout"]
    blank = train.assign(note="")  # every synthetic text empty (not null)
    out = evaluate_text(train, blank, holdout, metadata=metadata(train),
                        settings={"coherence": "topic", "samples": 2})
    figures = {m.name: m for m in out.metrics}
    assert figures["text detection AUC"].value == 1.0  # empty texts give themselves away
    nothing = text_detection_auc([""] * 50, [""] * 50)  # no n-gram on either side
    assert np.isnan(nothing.value) and "not computed" in nothing.note
    assert figures["coherence ROC-AUC (topic)"].value == pytest.approx(0.5)
    assert figures["text word count similarity"].value == 0.0
    assert figures["10-gram leakage"].value == 0.0 and figures["text exact copies"].value == 0.0
    gone = train.assign(note=None)  # every synthetic value null
    out = evaluate_text(train, gone, holdout, metadata=metadata(train))
    assert not out.metrics and "every synthetic value is null" in out.not_computed[0]
    assert out.statistics["note"]["synthetic"].null_share == 1.0


def test_samples_are_seeded_distinct_and_cut():
    texts = [f"text number {i} " + "word " * i for i in range(50)]
    first = text_samples(texts, texts, per_side=4, max_chars=30, random_state=1)
    assert first == text_samples(texts, texts, per_side=4, max_chars=30, random_state=1)
    assert len(set(first["real"])) == 4 and all(len(t) <= 30 for t in first["synthetic"])
    assert any(t.endswith("…") for t in first["real"] + first["synthetic"])


# --------------------------------------------------------------------------------------------
# evaluate(), JSON, HTML and the command line
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluated(tables):
    train, holdout = tables["train"].copy(), tables["holdout"]
    train.loc[[3, 9], "note"] = ['<script>alert("x")</script> & <b>bold</b>', None]
    md = metadata(train)
    result = sim.evaluate(train, tables["faithful"], holdout=holdout, metadata=md,
                          random_state=0, metrics=["fidelity", "detection", "privacy", "text"],
                          text_options={"samples": 600})
    return train, md, result


def test_text_columns_are_left_out_of_the_table_figures(tables, evaluated, monkeypatch):
    train, md, result = evaluated
    assert "note" not in result.info["columns_compared"]
    assert "text figures" in result.info["columns_skipped"]["note"]
    shape_columns = {row["column"] for row in result["shape"].details["columns"]}
    assert shape_columns == {"topic", "urgent", "score"}
    assert {f["column"] for f in result["detection AUC"].details["top_features"]} <= \
        {"topic", "urgent", "score"}
    # a text model that learns its column does not make the values categories
    monkeypatch.setattr(Text, "learned", True)
    assert "note" not in prepare(train, tables["faithful"], metadata=md).kinds


def test_evaluate_gives_every_text_figure_with_its_column(evaluated):
    _, _, result = evaluated
    text = result.for_column("note")
    names = [m.name for m in text]
    assert names == ["text length similarity", "text word count similarity",
                     "type-token ratio", "novel word share", "text detection AUC",
                     "coherence ROC-AUC (topic)", "coherence accuracy (topic)",
                     "coherence ROC-AUC (urgent)", "coherence accuracy (urgent)",
                     "text exact copies", "10-gram leakage"]
    assert all(m.group == "text" and m.column == "note" for m in text)
    assert result.value("text detection AUC", column="note") < 0.62
    assert result.get("coherence ROC-AUC (topic)", column="note").reference > 0.95
    with pytest.raises(KeyError, match="for column 'score'"):
        result.get("text detection AUC", column="score")
    assert set(result.info["text"]["note"]["statistics"]) == {"train", "synthetic", "holdout"}
    assert result.info["text"]["note"]["coherence_targets"] == ["topic", "urgent"]
    assert set(result.info["text_seconds"]["note"]) >= {"detection", "coherence"}
    summary = result.summary()
    assert summary.loc[summary["group"] == "text", "column"].eq("note").all()


def test_text_figures_in_json_without_real_texts_or_timings(evaluated, tables):
    _, _, result = evaluated
    data = json.loads(result.to_json())
    text = [m for m in data["metrics"] if m["group"] == "text"]
    assert text and all(m["column"] == "note" for m in text)
    assert all("column" not in m for m in data["metrics"] if m["group"] != "text")
    assert data["info"]["text"]["note"]["statistics"]["train"]["texts"] == 599
    dumped = json.dumps(data)
    assert tables["train"]["note"].iloc[0] not in dumped  # no whole real text
    assert "text_seconds" not in result.to_dict(reproducible=True)["info"]


def test_readings_of_the_text_figures():
    from simulacra.evaluation.report import status

    def figure(name, value, reference, direction="lower", ideal=0.0, label="holdout"):
        return sim.Metric(name, "text", value, definition="…", direction=direction,
                          ideal=ideal, reference=reference, reference_label=label,
                          column="note")

    assert status(figure("10-gram leakage", 0.11, 0.11)) == "good"  # the base rate is normal
    assert status(figure("10-gram leakage", 0.9, 0.11)) == "poor"
    assert status(figure("text exact copies", 0.2, 0.0)) == "poor"
    assert status(figure("type-token ratio", 0.083, 0.084, "closer", None)) == "good"
    assert status(figure("novel word share", 0.03, 0.006, "closer", None)) == "poor"
    assert status(figure("coherence ROC-AUC (book)", 0.94, 0.95, "higher", None,
                         "trained on real")) == "good"
    assert status(figure("coherence ROC-AUC (book)", 0.5, 0.95, "higher", None,
                         "trained on real")) == "poor"
    # a sequence figure trained on real keeps its own reading (an error with no ideal)
    predictive = sim.Metric("predictive score", "sequence", 0.11, definition="…",
                            direction="lower", reference=0.1,
                            reference_label="trained on real")
    assert status(predictive) == "fair"


def test_report_section_escapes_real_texts(evaluated):
    _, _, result = evaluated
    html = result.to_html(reproducible=True)
    assert html == result.to_html(reproducible=True)
    assert 'id="text-1"' in html and "Free text: note" in html
    assert "does the text predict topic?" in html and "Sampled texts" in html
    assert "<script" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    section = html[html.index('id="text-1"'):html.index("</section>", html.index('id="text-1"'))]
    assert len(re.findall(r"<li>", section)) >= 2 * 100  # the sampled texts of both sides
    assert "text detection AUC" in html[:html.index('id="text-1"')]  # a scorecard card


def test_text_settings_and_what_is_not_computed(tables):
    train, holdout, faithful = tables["train"], tables["holdout"], tables["faithful"]
    md = metadata(train)
    quick = {"char_features": 0, "folds": 3, "coherence": "topic", "samples": 0}
    alone = sim.evaluate(train, faithful, metadata=md, metrics="text", text_options=quick)
    assert {m.group for m in alone.metrics} == {"text"}
    assert all(m.reference is None for m in alone.metrics)
    assert any("needs a holdout" in n for n in alone.info["not_computed"])
    out = evaluate_text(train, faithful, holdout, metadata=md, settings=quick)
    assert out.coherence == {"note": ["topic"]} and not out.samples
    with pytest.raises(sim.ParameterError, match="'text_options' parameter takes"):
        sim.evaluate(train, faithful, metadata=md, text_options={"fold": 3})
    with pytest.raises(sim.ParameterError, match="'columns' text setting"):
        evaluate_text(train, faithful, metadata=md, settings={"columns": "topic"})
    with pytest.raises(sim.ParameterError, match="'folds' parameter"):
        TextSettings(folds=1)
    plain = train.drop(columns="note")
    res = sim.evaluate(plain, faithful.drop(columns="note"), metrics=["fidelity", "text"])
    assert any("no column of kind 'text'" in n for n in res.info["not_computed"])


def test_evaluate_command_prints_the_text_figures(tables, tmp_path):
    for name in ("train", "holdout", "salad"):
        tables[name].to_csv(tmp_path / f"{name}.csv", index=False)
    metadata(tables["train"]).save(tmp_path / "md.yaml")
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "evaluate", str(tmp_path / "train.csv"), str(tmp_path / "salad.csv"),
        "--holdout", str(tmp_path / "holdout.csv"), "--metadata", str(tmp_path / "md.yaml"),
        "--metrics", "text", "--text-option", "coherence=topic", "--text-option",
        "char_features=0", "--json", str(tmp_path / "q.json")])
    assert result.exit_code == 0, result.output
    assert "note: text detection AUC" in result.output
    assert "note: coherence ROC-AUC (topic)" in result.output
    assert "Free text: note" in result.output and "distinct words" in result.output
    figures = {m["name"]: m for m in json.loads((tmp_path / "q.json").read_text())["metrics"]}
    assert figures["text detection AUC"]["value"] > 0.9  # word salad is detected
    assert figures["coherence ROC-AUC (topic)"]["value"] < 0.65  # and says nothing of topics


def test_a_pipeline_gate_on_a_text_columns_figure(tables, tmp_path):
    from simulacra.pipeline import run_pipeline

    tables["train"].to_csv(tmp_path / "notes.csv", index=False)
    config = tmp_path / "p.yaml"
    config.write_text("""\
source: {path: notes.csv}
metadata: {columns: {note: text}}
model: {name: independent}
evaluation: {holdout: 0.25, metrics: [text]}
gates:
  - {metric: text detection AUC, column: note, min: 0.8}
  - {metric: text exact copies, column: note, max: 0.01}
""", encoding="utf-8")
    result = run_pipeline(config)
    assert result.passed, [g.describe() for g in result.gates]
    assert result.metrics["text detection AUC (column note)"]["value"] > 0.8  # bag of words
    assert "text detection AUC" not in result.metrics  # a text figure is keyed by its column
