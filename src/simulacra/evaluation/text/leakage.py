"""N-gram leakage: synthetic texts that reproduce a run of ``n`` words of a training text.

A model that writes no training text whole may still reproduce long passages of one. The
figure is the share of synthetic texts containing at least one word ``n``-gram (``n``
consecutive words, 10 by default) that occurs in some training text, beside the same share for
the holdout's texts: real unseen texts share long runs with the training texts too (quotations,
formulas, boilerplate), and that base rate is what a model may reach without having memorised
anything. This is the verbatim-overlap test of memorisation studies, which count generations
that share a long token sequence with the training data (Carlini et al., "Quantifying
Memorization Across Neural Language Models", ICLR 2023; McCoy et al., "How much do language
models copy from their training data?", TACL 2023, on n-gram novelty).

Words are lower-cased ``\\w+`` runs, so case and punctuation do not hide a copy. Each word is
hashed to 64 bits, and each window of ``n`` words to the sum of its words' hashes times ``n``
fixed odd 64-bit multipliers (arithmetic modulo 2⁶⁴, a multilinear hash), so the whole test is
a few vectorised passes and one sorted-array lookup: exact up to hash collisions.

>>> train = ["one two three four five six", "seven eight nine"]
>>> synth = ["zero one two three four", "two four six", "nine"]
>>> m = ngram_leakage(train, synth, n=3)
>>> m.name, round(m.value, 3), m.details["synthetic_ngrams_in_train"]
('3-gram leakage', 0.333, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.text.data import Texts, TextsLike, require_texts

#: Words per n-gram, as in the memorisation studies' "10-gram" overlap.
N = 10
#: Fixed multipliers of the window hash (odd, from a fixed seed: the same hash everywhere).
_MULTIPLIERS = np.random.default_rng(20_231_010).integers(
    1, 2**63, size=256, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


@dataclass(frozen=True)
class NGrams:
    """The word n-grams of some texts: one 64-bit hash per n-gram and the text it is in."""

    hashes: np.ndarray  # (windows,) uint64
    text: np.ndarray  # (windows,) int64: position of the text among the texts


def ngram_leakage(train: TextsLike, synthetic: TextsLike, holdout: TextsLike | None = None,
                  *, n: int = N, column: str | None = None) -> Metric:
    """Share of synthetic texts that contain a word ``n``-gram of some training text;
    ``reference``: the same share for the holdout's texts (needs ``holdout``).

    1. Every text's words, hashed; every window of ``n`` consecutive words inside one text,
       hashed (:func:`ngrams`). A text of fewer than ``n`` words has none and cannot leak.
    2. The training n-grams, sorted and deduplicated; each synthetic n-gram looked up.
    3. ``value``: synthetic texts with at least one training n-gram, over all (non-null)
       synthetic texts. ``details`` add the share among texts of at least ``n`` words and the
       share of all synthetic n-grams that occur in the training texts.
    """
    check_param("n", n, f"an integer between 1 and {_MULTIPLIERS.size}",
                isinstance(n, int | np.integer) and not isinstance(n, bool)
                and 1 <= n <= _MULTIPLIERS.size)
    train, synthetic = Texts.of(train), Texts.of(synthetic)
    require_texts(train, "training", f"{n}-gram leakage")
    require_texts(synthetic, "synthetic", f"{n}-gram leakage")
    seen = np.unique(ngrams(train, n).hashes)
    value, details = _leaks(synthetic, seen, n)
    out_details = {"n": n, "training_ngrams": int(seen.size),
                   **{f"synthetic_{k}": v for k, v in details.items()}}
    reference = None
    if holdout is not None:
        holdout = Texts.of(holdout)
        if len(holdout):
            reference, held = _leaks(holdout, seen, n)
            out_details.update({f"holdout_{k}": v for k, v in held.items()})
    return Metric(
        f"{n}-gram leakage", "text", value,
        definition=f"share of synthetic texts containing a run of {n} consecutive words that "
                   f"occurs in a training text; reference: the same share for the holdout's "
                   f"texts, the corpus's own base rate",
        direction="lower", ideal=0.0, reference=reference, details=out_details, column=column)


def ngrams(texts: Texts, n: int) -> NGrams:
    """Hashes of every window of ``n`` consecutive words within each text."""
    tokens = texts.word_hashes  # (T,) uint64, one per word
    if tokens.size < n:
        return NGrams(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64))
    windows = tokens.size - n + 1
    hashes = np.zeros(windows, dtype=np.uint64)
    for j in range(n):  # wraps modulo 2**64: uint64 arrays overflow silently
        hashes += tokens[j:j + windows] * _MULTIPLIERS[j]
    counts = texts.word_counts
    ends = np.cumsum(counts)  # one past each text's last word
    text = np.repeat(np.arange(len(counts)), counts)[:windows]
    inside = np.arange(windows) + n <= ends[text]  # the window stays within its text
    return NGrams(hashes[inside], text[inside])


def _leaks(texts: Texts, seen: np.ndarray, n: int) -> tuple[float, dict[str, float | int]]:
    """Share of ``texts`` with an n-gram in ``seen`` (sorted), and counts behind it."""
    grams = ngrams(texts, n)
    found = _isin_sorted(grams.hashes, seen)
    leaked = np.zeros(len(texts), dtype=bool)
    leaked[grams.text[found]] = True
    eligible = int((texts.word_counts >= n).sum())
    return float(leaked.mean()), {
        "texts": len(texts), "texts_with_n_words": eligible, "leaking_texts": int(leaked.sum()),
        "share_of_texts_with_n_words": float(leaked.sum() / eligible) if eligible
        else float("nan"),
        "ngrams": int(grams.hashes.size),
        "ngrams_in_train": float(found.mean()) if found.size else float("nan"),
    }


def _isin_sorted(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    if sorted_unique.size == 0 or values.size == 0:
        return np.zeros(values.size, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_unique, values), sorted_unique.size - 1)
    return sorted_unique[at] == values
