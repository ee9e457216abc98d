"""Training the text model: every token weighs the same whichever batch it is in, so texts
come out as long as the column's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from simulacra.encoders.language.model import LanguageModel, LanguageSettings

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "theta", "kappa"]


def test_short_and_long_texts_are_written_as_often_as_they_are_seen():
    """Half the texts two words, half twenty, nothing in the row to tell them apart: the model
    must end after two words half the time. Batches are of texts of similar length; when each
    batch's loss was its own mean per token, a short text's tokens weighed ten times a long
    one's and most texts came out short."""
    rng = np.random.default_rng(4)
    words = [2 if short else 20 for short in rng.random(600) < 0.5]
    df = pd.DataFrame({"kind": "one",
                       "text": [" ".join(rng.choice(WORDS, w)) + "." for w in words]})
    settings = replace(LanguageSettings(), epochs=12, vocabulary=300, width=32, dropout=0.0)
    model = LanguageModel.fit(df["text"], df[["kind"]], np.random.default_rng(0), settings)
    texts = model.generate(df[["kind"]].iloc[:400], np.random.default_rng(1))
    counts = np.array([len((t or "").split()) for t in texts])
    assert 0.33 < np.mean(counts <= 4) < 0.6  # the old weighting: .68
