"""The text model's known words, its per-row logit bias and its learning-rate decay: sampling
writes only words enough rows use, the row reaches the logits directly, files round-trip and
files written before these load as they were."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from simulacra.encoders.language.lexicon import Lexicon
from simulacra.encoders.language.model import LanguageModel, LanguageSettings
from simulacra.encoders.language.tokens import TextTokens
from texts import animal_notes

pytest.importorskip("torch")
pytest.importorskip("tokenizers")


def words_of(texts) -> list[str]:
    return re.findall(r"[A-Za-z]+", " ".join(t or "" for t in texts))


@pytest.fixture(scope="module")
def notes():
    df = animal_notes(400, seed=0)
    df.loc[3, "note"] = "the zebulonqx cow sees the hen."  # one row's word
    return df


def fit(notes, **settings) -> LanguageModel:
    # one epoch on 400 notes: a model that still spells badly, where the lexicon has work
    base = replace(LanguageSettings(), epochs=1, vocabulary=300, **settings)
    return LanguageModel.fit(notes["note"], notes[["habitat", "size"]],
                             np.random.default_rng(0), base)


def test_the_lexicon_keeps_words_enough_rows_use():
    texts = ["the red fox runs", "the red dog", "a fox, the fox"] * 2 + ["zebulonqx once"]
    lexicon = Lexicon.fit(texts, tokens=None, min_rows=2)
    assert lexicon.words == ["a", "dog", "fox", "red", "runs", "the"]


def test_masks_let_a_word_grow_only_into_a_known_word_and_end_only_when_whole():
    texts = ["the red fox", "a red dog", "then the fox"] * 5
    tokens = TextTokens.fit(texts, vocabulary=300, min_rows=2)
    lexicon = Lexicon.fit(texts, tokens=tokens, min_rows=2).bind(tokens.tokenizer.get_vocab())
    vocab = tokens.tokenizer.get_vocab()
    between = lexicon.mask(0)
    assert between[vocab["the"]] and not between[vocab["x"]]  # no known word starts with x
    state = lexicon.move(0, vocab["t"])
    inside = lexicon.mask(state)
    assert inside[vocab["h"]] and not inside[vocab["o"]]
    assert not inside[vocab["."]] and not inside[vocab["Ġ"]]  # "t" is not a word: no end
    whole = lexicon.move(lexicon.move(state, vocab["h"]), vocab["e"])
    assert lexicon.mask(whole)[vocab["."]] and lexicon.mask(whole)[vocab["n"]]  # the / then
    assert lexicon.move(whole, vocab["."]) == 0
    assert lexicon.move(whole, vocab["q"]) == -1 and lexicon.mask(-1).all()


def test_sampling_writes_known_words_only(notes):
    known = set(Lexicon.fit(notes["note"].tolist(), tokens=None, min_rows=5).words)
    free = fit(notes, known_words=False).generate(notes[["habitat", "size"]],
                                                  np.random.default_rng(1))
    held = fit(notes).generate(notes[["habitat", "size"]], np.random.default_rng(1))
    unknown = [np.mean([w not in known for w in words_of(t)]) for t in (free, held)]
    assert unknown[0] > 0.2  # a model one epoch in invents words ...
    assert unknown[1] < 0.05  # ... and the lexicon keeps them out (a stuck row writes free)
    assert "zebulonqx" not in " ".join(t or "" for t in held)


def test_the_lexicon_and_the_row_bias_round_trip_and_old_files_load(notes):
    model = fit(notes)
    assert model.net.prior is not None and model.report["known_words"] > 10
    rows = notes[["habitat", "size"]].iloc[:40]
    state = model.get_state()
    assert "zebulonqx" not in state["lexicon"] and "cow" in state["lexicon"]
    again = LanguageModel.from_state(state)
    assert again.generate(rows, np.random.default_rng(2)) == \
        model.generate(rows, np.random.default_rng(2))
    old = fit(notes, known_words=False, row_prior=False).get_state()
    for key in ("known_words", "row_prior", "decay"):
        del old["settings"][key]  # as a file from before these settings
    loaded = LanguageModel.from_state(old)
    assert loaded.lexicon is None and loaded.net.prior is None


def test_a_tampered_lexicon_is_refused(notes):
    state = fit(notes).get_state()
    for bad in (["cow", "x y"], "cow", ["cow"] * 500_001, [""]):
        broken = {**state, "lexicon": bad}
        with pytest.raises(ValueError, match="lexicon"):
            LanguageModel.from_state(broken)
    without = {k: v for k, v in state.items() if k != "lexicon"}
    with pytest.raises(ValueError, match="known_words"):
        LanguageModel.from_state(without)


def test_the_row_bias_learns_what_each_row_writes():
    """A context value whose texts use words no other value uses: with the per-row logit bias
    the fitted model gives them more of its probability than without (same epochs)."""
    import torch

    from simulacra.encoders.language.training import batch_loss, pad

    df = animal_notes(600, seed=2)
    losses = {}
    for prior in (False, True):
        model = LanguageModel.fit(df["note"], df[["habitat"]], np.random.default_rng(0),
                                  replace(LanguageSettings(), epochs=2, vocabulary=300,
                                          row_prior=prior, known_words=False))
        seqs = model.tokens.encode(df["note"].tolist()[:200], max_tokens=64)
        codes = torch.from_numpy(model.context.transform(df[["habitat"]].iloc[:200]))
        with torch.no_grad():
            losses[prior] = float(batch_loss(model.net, pad(seqs, np.arange(200)), codes))
    assert losses[True] < losses[False]


def test_a_column_in_a_script_without_spaces_gets_no_lexicon():
    rng = np.random.default_rng(0)
    clauses = ["我们今天去公园散步", "他在图书馆看书", "天气很好", "她喜欢喝茶"]
    texts = ["，".join(rng.choice(clauses, 3)) + "。" for _ in range(300)]
    import pandas as pd

    model = LanguageModel.fit(pd.Series(texts), pd.DataFrame({"k": rng.integers(0, 2, 300)}),
                              np.random.default_rng(0),
                              replace(LanguageSettings(), epochs=1, vocabulary=300))
    assert model.lexicon is None and model.settings.known_words is False
    again = LanguageModel.from_state(model.get_state())
    assert again.lexicon is None and len(again.generate(pd.DataFrame({"k": [0, 1]}),
                                                        np.random.default_rng(1))) == 2


def test_known_words_is_a_setting_of_the_text_kind(notes):
    import simulacra as sim
    from simulacra.errors import MetadataError

    md = sim.Metadata.detect(notes)
    md.update_column("note", kind="text", generator="network", epochs=1, known_words=False)
    model = sim.GaussianCopula(md, random_state=0).fit(notes)
    network = model.codec_.encoders_["note"].network_
    assert network.lexicon is None and network.settings.known_words is False
    md.update_column("note", known_words=True)
    network = sim.GaussianCopula(md, random_state=0).fit(notes).codec_.encoders_["note"].network_
    assert network.lexicon is not None and "cow" in network.lexicon.words
    from simulacra.metadata.table import METADATA_VERSION

    with pytest.raises(MetadataError, match="known_words: should be a valid boolean"):
        sim.Metadata.from_dict({"metadata_version": METADATA_VERSION, "columns": {
            "t": {"kind": "text", "known_words": "maybe"}}})
