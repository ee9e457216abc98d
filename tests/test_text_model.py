"""The language model of text columns: written given the row, through both codecs, private by
design (rare tokens, no copies of rare texts), reproducible, saved safely."""

from __future__ import annotations

import copy
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from leaks import assert_file_keeps_none_of
from simulacra.encoders.language.tokens import TextTokens
from simulacra.encoders.text import TextEncoder, choose_generator
from simulacra.errors import MetadataError, ModelFileError, ParameterError
from simulacra.kinds import Text
from simulacra.metadata.table import METADATA_VERSION
from texts import animal_notes, habitat_agreement

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

NETWORK = {"kind": "text", "generator": "network", "epochs": 8}


def metadata(df: pd.DataFrame, **text: object) -> sim.Metadata:
    md = sim.Metadata.detect(df)
    md.update_column("note", **{**NETWORK, **text})
    return md


@pytest.fixture(scope="module")
def notes() -> pd.DataFrame:
    df = animal_notes(1200, seed=0)
    df.loc[5, "note"] = "the tiny zebulonqx cow sees the hen in the barn."  # one row's word
    return df


@pytest.fixture(scope="module")
def copula(notes) -> sim.Synthesizer:
    return sim.GaussianCopula(metadata(notes), random_state=0).fit(notes)


def test_texts_follow_their_row(copula, notes):
    out = copula.sample(600)
    assert list(out.columns) == list(notes.columns) and out["note"].notna().all()
    assert habitat_agreement(out) > 0.85  # a model blind to the row would sit near 0.5
    size_word = np.where(out["size"] > 50, "big", "small")
    said = out["note"].str.split().str[1]
    assert (said == size_word).mean() > 0.8
    assert out["note"].str.endswith(".").mean() > 0.9
    assert out["note"].nunique() > 550


def test_rare_texts_and_tokens_do_not_come_out(copula, notes):
    out = copula.sample(1500)
    assert not out["note"].isin(set(notes["note"])).any()  # every training note is rare
    assert not out["note"].str.contains("zebulon").any()
    encoder = copula.codec_.encoders_["note"]
    tokens = encoder.network_.tokens
    assert all(not tokens.allowed[t] for t in tokens.tokenizer.encode(" zebulonqx").ids
               if tokens.tokenizer.id_to_token(t) not in ("Ġ", "z"))


def test_same_seed_same_texts_and_the_file_round_trips(copula, tmp_path):
    pd.testing.assert_frame_equal(copula.sample(50, rng=3), copula.sample(50, rng=3))
    assert not copula.sample(50, rng=3)["note"].equals(copula.sample(50, rng=4)["note"])
    path = tmp_path / "m.simz"
    copula.save(path)
    pd.testing.assert_frame_equal(sim.load(path).sample(80, rng=1), copula.sample(80, rng=1))
    with zipfile.ZipFile(path) as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                       if not n.endswith(".safetensors"))
    assert "zebulonqx" not in text and "the big red cow" not in text  # pieces, not texts


def test_fits_are_reproducible(notes):
    small = notes.iloc[:400]
    md = metadata(small, epochs=2)
    a = sim.GaussianCopula(md, random_state=5).fit(small).sample(30)
    b = sim.GaussianCopula(md, random_state=5).fit(small).sample(30)
    pd.testing.assert_frame_equal(a, b)


def test_the_binned_codec_writes_texts_given_the_row_too(notes):
    model = sim.BayesianNetwork(metadata(notes), random_state=0).fit(notes)
    out = model.sample(400)
    assert habitat_agreement(out) > 0.8


def test_nulls_depend_on_the_row():
    df = animal_notes(1200, seed=1)
    df.loc[(df["habitat"] == "sea") & (df["size"] < 50), "note"] = None
    out = sim.GaussianCopula(metadata(df), random_state=0).fit(df).sample(800)
    sea_small = (out["habitat"] == "sea") & (out["size"] < 50)
    assert out.loc[sea_small, "note"].isna().mean() > 0.8
    assert out.loc[~sea_small, "note"].isna().mean() < 0.1


def test_under_a_budget_without_a_share_the_text_is_public_words(notes, tmp_path):
    model = sim.MODELS["mst"](metadata(notes, privacy_share=0.0), random_state=0,
                              privacy=sim.PrivacyBudget(5.0, delta=1e-6)).fit(notes)
    encoder = model.codec_.value_encoders_["note"]
    assert encoder.generator_ == "words" and encoder.network_ is None
    model.save(tmp_path / "dp.simz")
    assert_file_keeps_none_of(tmp_path / "dp.simz", ["zebulon", "spotted", "whale"], [])


def test_auto_chooses_by_size_and_installed_extras():
    assert choose_generator(Text(), 5000, available=True) == "network"
    assert choose_generator(Text(), 999, available=True) == "words"
    assert choose_generator(Text(), 5000, available=False) == "words"
    enc = TextEncoder().fit(animal_notes(100)["note"])
    assert enc.generator_ == "words" and not enc.reads_rows


def test_bad_settings_are_named():
    with pytest.raises(MetadataError) as err:
        sim.Metadata.from_dict({"metadata_version": METADATA_VERSION, "columns": {"t": {
            "kind": "text", "generator": "gpt", "top_p": 2, "epochs": 0, "vocabulary": 50}}})
    message = str(err.value)
    assert "generator" in message and "top_p" in message and "epochs" in message
    assert "vocabulary must be an integer from 300" in message


def test_the_vocabulary_setting_sizes_the_tokenizer(notes):
    sizes = {}
    for vocabulary in (300, 400):
        md = metadata(notes, epochs=1, vocabulary=vocabulary)
        model = sim.GaussianCopula(md, random_state=0).fit(notes)
        sizes[vocabulary] = model.codec_.encoders_["note"].network_.tokens.size
    assert sizes[300] == 300 and 300 < sizes[400] <= 400


def test_network_without_torch_says_how_to_install(monkeypatch):
    monkeypatch.setattr("simulacra.encoders.text.network_available", lambda: False)
    with pytest.raises(ParameterError, match="simulacra\\[deep\\]"):
        TextEncoder(Text(generator="network")).fit(animal_notes(50)["note"])


def test_a_tampered_tokenizer_is_a_model_file_error(copula, tmp_path):
    state = copula.codec_.encoders_["note"].get_state()
    broken = json.loads(json.dumps(state["network"]["tokens"]["tokenizer"]))
    state["network"]["tokens"]["tokenizer"] = broken.replace('"BPE"', '"WordPiece"')
    from simulacra.encoders.columns import encoder_from_state

    with pytest.raises(ModelFileError, match="tokenizer"):
        encoder_from_state(state)
    state["network"]["tokens"]["tokenizer"] = "x" * 5_000_000
    with pytest.raises(ModelFileError, match="larger than"):
        encoder_from_state(state)


def test_a_text_network_sized_beyond_its_weights_is_refused_before_it_is_built(
        copula, monkeypatch):
    """Context columns added to the file (each up to 100,000 codes, as a real one may have)
    would size embedding tables of gigabytes: the network is laid out on torch's meta device
    and checked against the file's weights before anything is allocated."""
    from simulacra.encoders.columns import encoder_from_state

    def never(*args, **kwargs):
        raise AssertionError("the network was built before its sizes were checked")

    monkeypatch.setattr("simulacra.neural.weights.load_weights", never)
    state = copy.deepcopy(copula.codec_.encoders_["note"].get_state())
    added = [{"name": f"x{i}", "edges": None, "categories": None, "given": 100_000}
             for i in range(20)]
    state["network"]["context"] = list(state["network"]["context"]) + added
    with pytest.raises(ModelFileError, match="weights"):
        encoder_from_state(state)


def test_tokens_mask_what_few_rows_use():
    texts = ["common words here"] * 10 + ["onlyonce qqzzkk"]
    tokens = TextTokens.fit(texts, vocabulary=400, min_rows=3)
    ids = tokens.tokenizer.encode("common words here").ids
    assert all(tokens.allowed[i] for i in ids)
    rare = set(tokens.tokenizer.encode("onlyonce qqzzkk").ids) - set(ids)
    assert rare and not any(tokens.allowed[i] for i in rare)


def test_an_event_table_writes_each_events_text_given_the_event():
    rng = np.random.default_rng(0)
    notes = animal_notes(3000, seed=1)
    lengths = rng.integers(3, 8, 300)
    events = pd.DataFrame({"user": np.repeat(np.arange(300), lengths),
                           "step": np.concatenate([np.arange(k) for k in lengths])})
    events = events.assign(**notes.iloc[:len(events)][["habitat", "note"]]
                           .reset_index(drop=True))
    md = sim.Metadata.detect(events)
    md.update_column("note", **{**NETWORK, "epochs": 3})
    model = sim.SequentialNetwork(md, sequence_key="user", sequence_index="step", epochs=3,
                                  random_state=0).fit(events)
    fake = model.sample(30, rng=1)
    assert fake["user"].nunique() == 30
    assert fake["note"].map(type).eq(str).all()
    assert habitat_agreement(fake) > 0.8  # each event's text follows its own habitat
