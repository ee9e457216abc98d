"""Free text: bags of frequent words with the column's words-per-value distribution.

Only words used in at least ``min_word_count`` distinct rows are learned (with their counts),
plus the histogram of words per value and the null share; no whole value is kept. Generated
values draw a length, then that many words by frequency. With too few rows for any word to
qualify, Faker's lorem words (seeded from ``rng``) are used instead.

>>> s = pd.Series(["red fox", "red dog", "a red fox", "fox", None] * 3, name="note")
>>> enc = TextEncoder(min_word_count=3).fit(s)
>>> enc.vocabulary_, enc.word_counts_.tolist()
(['fox', 'red', 'a', 'dog'], [9, 9, 3, 3])
>>> out = enc.generate(5, np.random.default_rng(0))
>>> int(out.isna().sum()), set(" ".join(out.dropna()).split()) <= set(enc.vocabulary_)
(1, True)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import State
from simulacra.encoders.missing import GeneratedEncoder
from simulacra.encoders.pii import make_faker
from simulacra.errors import check_param
from simulacra.kinds import Text, column_from_dict

_FALLBACK_LENGTH = 5  # words per value when the column had no values at all


class TextEncoder(GeneratedEncoder):
    """Generate text from the column's frequent words and words-per-value histogram."""

    name: ClassVar[str] = "text"

    def __init__(self, spec: Text | None = None, *, min_word_count: int = 5) -> None:
        super().__init__()
        self.spec = spec if spec is not None else Text()
        self.min_word_count = min_word_count

    def _stand_in(self, series: pd.Series) -> pd.Series:
        """No words at all (a vocabulary would leak): generated text is Faker's lorem words."""
        return pd.Series([], name=series.name, dtype=object).astype(series.dtype)

    def _fit(self, values: pd.Series) -> None:
        check_param("min_word_count", self.min_word_count, "an integer >= 1",
                    isinstance(self.min_word_count, int | np.integer)
                    and not isinstance(self.min_word_count, bool) and self.min_word_count >= 1)
        tokens = values.astype(str).reset_index(drop=True).str.split()
        lengths = tokens.str.len().value_counts().sort_index()
        self.lengths_ = lengths.index.to_numpy(dtype=np.int64)
        self.length_counts_ = lengths.to_numpy(dtype=np.int64)
        words = tokens.explode().dropna()
        pairs = pd.DataFrame({"row": words.index, "word": words.to_numpy(dtype=object)})
        rows = pairs.drop_duplicates()["word"].value_counts()  # distinct rows per word
        frequent = rows.index[rows.to_numpy() >= self.min_word_count]
        counts = words.value_counts()
        counts = counts[counts.index.isin(frequent)]
        order = sorted(range(len(counts)), key=lambda i: (-counts.iloc[i], counts.index[i]))
        self.vocabulary_: list[str] = [str(counts.index[i]) for i in order]
        self.word_counts_ = counts.to_numpy(dtype=np.int64)[order]

    def _generate(self, k: int, rng: np.random.Generator) -> pd.Series:
        # 1. words per value, 2. the words, 3. join them row by row in one pass.
        if self.length_counts_.size:
            p = self.length_counts_ / self.length_counts_.sum()
            lengths = self.lengths_[rng.choice(len(p), size=k, p=p)]
        else:
            lengths = np.full(k, _FALLBACK_LENGTH, dtype=np.int64)
        total = int(lengths.sum())
        if self.vocabulary_:
            p = self.word_counts_ / self.word_counts_.sum()
            vocabulary = pd.Series(self.vocabulary_, dtype=object) + " "
            words = vocabulary.to_numpy()[rng.choice(len(p), size=total, p=p)]
        else:
            fake = make_faker("en_US", rng)
            words = (pd.Series(fake.words(nb=total), dtype=object) + " ").to_numpy()
        return pd.Series(_join(words, lengths), dtype=object).astype(self.dtype_)

    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "min_word_count": int(self.min_word_count),
                "vocabulary": self.vocabulary_, "word_counts": self.word_counts_,
                "lengths": self.lengths_, "length_counts": self.length_counts_}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.min_word_count = int(state["min_word_count"])
        self.vocabulary_ = list(state["vocabulary"])
        self.word_counts_ = np.asarray(state["word_counts"], dtype=np.int64)
        self.lengths_ = np.asarray(state["lengths"], dtype=np.int64)
        self.length_counts_ = np.asarray(state["length_counts"], dtype=np.int64)


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
