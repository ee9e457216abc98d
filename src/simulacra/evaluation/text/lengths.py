"""Text lengths: are synthetic texts as long as real ones, in characters and in words?

Two figures, each 1 − the two-sample Kolmogorov–Smirnov statistic between the real training
texts' and the synthetic texts' lengths (SDMetrics' KSComplement applied to a length, as
:mod:`simulacra.evaluation.fidelity` does for a number column): "text length similarity" on
characters per value and "text word count similarity" on words per value. With a holdout,
each figure's reference is what the holdout's own texts score against the training texts.

>>> real = ["a b c", "a b", "a b c d", "a"] * 5
>>> short = ["a", "b"] * 10
>>> m = length_similarity(real, short)[1]
>>> m.name, m.value   # words: real 3, 2, 4, 1; synthetic all 1 — KS 0.75
('text word count similarity', 0.25)
"""

from __future__ import annotations

import numpy as np

from simulacra.evaluation.fidelity.statistics import ks_statistic
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.text.data import Texts, TextsLike, require_texts

_FIGURES = (
    ("text length similarity", "characters", "char_counts"),
    ("text word count similarity", "words", "word_counts"),
)


def length_similarity(train: TextsLike, synthetic: TextsLike, holdout: TextsLike | None = None,
                      *, column: str | None = None) -> list[Metric]:
    """1 − KS of characters per text and of words per text, real training vs synthetic.

    1. Values are whitespace-normalised and nulls left out (:class:`Texts`).
    2. ``value`` = 1 − KS(train lengths, synthetic lengths); ``reference`` = 1 − KS(train
       lengths, holdout lengths) when ``holdout`` is given (what real unseen texts score).

    ``details`` hold the mean, median, 10th and 90th percentile of each side's lengths.
    ``column`` is recorded on the figures (``Metric.column``).
    """
    train, synthetic = Texts.of(train), Texts.of(synthetic)
    holdout = None if holdout is None else Texts.of(holdout)
    for side, texts in (("training", train), ("synthetic", synthetic)):
        require_texts(texts, side, "text length similarity")
    out = []
    for name, unit, attribute in _FIGURES:
        real, synth = getattr(train, attribute), getattr(synthetic, attribute)
        reference = None
        details = {"unit": unit, "train": _summary(real), "synthetic": _summary(synth)}
        if holdout is not None and len(holdout):
            held = getattr(holdout, attribute)
            reference = 1.0 - ks_statistic(real.astype(float), held.astype(float))
            details["holdout"] = _summary(held)
        out.append(Metric(
            name, "text", 1.0 - ks_statistic(real.astype(float), synth.astype(float)),
            definition=f"1 − two-sample KS statistic between the {unit} per text of the real "
                       f"training texts and of the synthetic texts; reference: the holdout's "
                       f"texts against the training texts",
            direction="higher", ideal=1.0, reference=reference, details=details,
            column=column))
    return out


def _summary(lengths: np.ndarray) -> dict[str, float]:
    if lengths.size == 0:
        return {"mean": float("nan"), "median": float("nan"), "p10": float("nan"),
                "p90": float("nan")}
    p10, median, p90 = np.quantile(lengths, [0.1, 0.5, 0.9])
    return {"mean": float(lengths.mean()), "median": float(median), "p10": float(p10),
            "p90": float(p90)}
