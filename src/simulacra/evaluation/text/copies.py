"""Exact text copies: synthetic texts that are a training text, word for word.

The share of synthetic texts identical to some training text after whitespace normalisation
(case and punctuation count), beside the holdout's own share of texts identical to a training
text. Real corpora repeat themselves — formulas, refrains, "Thank you!" — so the holdout's
share is the base rate: a synthetic share above it means texts were memorised and
reproduced (verbatim memorisation, Carlini et al., "Extracting Training Data from Large
Language Models", USENIX Security 2021).

Texts are compared through 64-bit hashes (:func:`pandas.util.hash_array`), exact up to hash
collisions (about n²/2⁶⁴), so millions of texts take a second.

>>> train = ["In the beginning.", "And it was so.", "Amen."]
>>> m = text_exact_copies(train, ["And  it was so.", "And it was not."], ["Amen.", "Selah."])
>>> m.name, m.value, m.reference
('text exact copies', 0.5, 0.5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulacra.evaluation.metric import Metric
from simulacra.evaluation.text.data import Texts, TextsLike, require_texts


def text_exact_copies(train: TextsLike, synthetic: TextsLike, holdout: TextsLike | None = None,
                      *, column: str | None = None) -> Metric:
    """Share of synthetic texts identical to a training text; ``reference``: the holdout's
    share of texts identical to a training text (needs ``holdout``).

    ``details``: copies counted, distinct training texts copied, and the largest number of
    synthetic copies of one training text.
    """
    train, synthetic = Texts.of(train), Texts.of(synthetic)
    require_texts(train, "training", "text exact copies")
    require_texts(synthetic, "synthetic", "text exact copies")
    seen = np.unique(text_hashes(train))
    synth = text_hashes(synthetic)
    copied = np.isin(synth, seen)
    reference = None
    details: dict[str, object] = {
        "synthetic_texts": len(synthetic), "training_texts": len(train),
        "synthetic_copies": int(copied.sum()),
        "training_texts_copied": int(np.unique(synth[copied]).size),
        "most_copies_of_one_text": int(np.unique(synth[copied], return_counts=True)[1].max())
        if copied.any() else 0,
    }
    if holdout is not None:
        holdout = Texts.of(holdout)
        if len(holdout):
            held = np.isin(text_hashes(holdout), seen)
            reference = float(held.mean())
            details["holdout_copies"] = int(held.sum())
    return Metric(
        "text exact copies", "text", float(copied.mean()),
        definition="share of synthetic texts identical to a training text (whitespace "
                   "normalised); reference: share of holdout texts identical to a training "
                   "text, the corpus's own base rate",
        direction="lower", ideal=0.0, reference=reference, details=details, column=column)


def text_hashes(texts: Texts) -> np.ndarray:
    """One 64-bit hash per (normalised) text."""
    return pd.util.hash_array(texts.values.astype(object), categorize=False)
