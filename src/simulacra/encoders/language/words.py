"""The frequent-words text model: bags of the column's common words, to its length distribution.

Only words used in at least ``min_word_count`` distinct rows are learned (with their counts),
plus the histogram of words per value; no whole value is kept. Generated values draw a length,
then that many words by frequency. With too few rows for any word to qualify, Faker's lorem
words (seeded from ``rng``) are used instead. It needs no torch, and is what a text column gets
under a privacy budget (fitted on a public stand-in) or with ``Text(generator="words")``.

>>> s = pd.Series(["red fox", "red dog", "a red fox", "fox"] * 3)
>>> bag = WordBag.fit(s, min_word_count=3)
>>> bag.vocabulary, bag.word_counts.tolist()
(['fox', 'red', 'a', 'dog'], [9, 9, 3, 3])
>>> out = bag.generate(5, np.random.default_rng(0))
>>> set(" ".join(out).split()) <= set(bag.vocabulary)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.pii import make_faker

_FALLBACK_LENGTH = 5  # words per value when the column had no values at all


@dataclass(frozen=True)
class WordBag:
    vocabulary: list[str]
    word_counts: np.ndarray
    lengths: np.ndarray
    length_counts: np.ndarray

    @classmethod
    def fit(cls, values: pd.Series, *, min_word_count: int) -> WordBag:
        """Learn from the non-null ``values``."""
        tokens = values.astype(str).reset_index(drop=True).str.split()
        lengths = tokens.str.len().value_counts().sort_index()
        words = tokens.explode().dropna()
        pairs = pd.DataFrame({"row": words.index, "word": words.to_numpy(dtype=object)})
        rows = pairs.drop_duplicates()["word"].value_counts()  # distinct rows per word
        frequent = rows.index[rows.to_numpy() >= min_word_count]
        counts = words.value_counts()
        counts = counts[counts.index.isin(frequent)]
        order = sorted(range(len(counts)), key=lambda i: (-counts.iloc[i], counts.index[i]))
        return cls([str(counts.index[i]) for i in order],
                   counts.to_numpy(dtype=np.int64)[order],
                   lengths.index.to_numpy(dtype=np.int64), lengths.to_numpy(dtype=np.int64))

    def generate(self, k: int, rng: np.random.Generator) -> list[str]:
        # 1. words per value, 2. the words, 3. join them row by row in one pass.
        if self.length_counts.size:
            p = self.length_counts / self.length_counts.sum()
            lengths = self.lengths[rng.choice(len(p), size=k, p=p)]
        else:
            lengths = np.full(k, _FALLBACK_LENGTH, dtype=np.int64)
        total = int(lengths.sum())
        if self.vocabulary:
            p = self.word_counts / self.word_counts.sum()
            vocabulary = pd.Series(self.vocabulary, dtype=object) + " "
            words = vocabulary.to_numpy()[rng.choice(len(p), size=total, p=p)]
        else:
            fake = make_faker("en_US", rng)
            words = (pd.Series(fake.words(nb=total), dtype=object) + " ").to_numpy()
        return _join(words, lengths)

    def get_state(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary, "word_counts": self.word_counts,
                "lengths": self.lengths, "length_counts": self.length_counts}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> WordBag:
        return cls(list(map(str, state["vocabulary"])),
                   np.asarray(state["word_counts"], dtype=np.int64),
                   np.asarray(state["lengths"], dtype=np.int64),
                   np.asarray(state["length_counts"], dtype=np.int64))


def _join(words: np.ndarray, lengths: np.ndarray) -> list[str]:
    """Join consecutive runs of ``words`` (each ending in a space) into ``len(lengths)`` strings.

    >>> _join(np.array(["a ", "b ", "c "], dtype=object), np.array([2, 0, 1]))
    ['a b', '', 'c']
    """
    k = len(lengths)
    if k == 0:
        return []
    seq = np.empty(len(words) + k, dtype=object)
    ends = np.cumsum(lengths) + np.arange(k)  # where each row's terminator goes
    is_end = np.zeros(len(seq), dtype=bool)
    is_end[ends] = True
    seq[is_end] = "\n"
    seq[~is_end] = words
    rows = "".join(seq.tolist()).split("\n")[:-1]
    return pd.Series(rows, dtype=object).str.rstrip(" ").tolist()
