"""``Texts``: the values of one free-text column as every text figure reads them.

A value is compared after whitespace normalisation (runs of spaces, tabs and newlines become
one space; leading and trailing ones go), so that two texts differing only in layout count as
the same text. Nulls are left out and counted. Words are the lower-cased runs of letters,
digits and underscores (``\\w+``): "The LORD's" has the words ``the``, ``lord``, ``s``. Words and
lengths are computed once, on first use, and shared by every figure that reads them.

>>> texts = Texts.of(pd.Series(["The  LORD is\\tmy shepherd", None, "I shall not want."]))
>>> texts.values.tolist(), texts.nulls
(['The LORD is my shepherd', 'I shall not want.'], 1)
>>> texts.words[0], texts.word_counts.tolist(), texts.char_counts.tolist()
(['the', 'lord', 'is', 'my', 'shepherd'], [5, 4], [23, 17])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import DataError

WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

TextsLike = Any  # Texts, a pandas Series, a numpy array or any iterable of values


class Texts:
    """Non-null values of one text column, whitespace-normalised, with their words.

    ``rows`` are the positions of the kept values in the input (to line them up with the
    table's other columns); ``total`` counts the input's values, nulls included.
    """

    def __init__(self, values: Iterable[Any]) -> None:
        series = values if isinstance(values, pd.Series) else pd.Series(
            list(values) if not isinstance(values, np.ndarray) else values, dtype=object)
        present = series.notna().to_numpy()
        kept = series[present].astype(str).str.replace(_SPACE, " ", regex=True).str.strip()
        self.values: np.ndarray = kept.to_numpy(dtype=object)
        self.rows: np.ndarray = np.flatnonzero(present)
        self.total = len(series)

    @classmethod
    def of(cls, values: TextsLike) -> Texts:
        """``values`` as :class:`Texts` (itself if it is one already)."""
        return values if isinstance(values, Texts) else cls(values)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def nulls(self) -> int:
        return self.total - len(self.values)

    @cached_property
    def words(self) -> list[list[str]]:
        """Each text's words, lower-cased, in order."""
        return [WORD.findall(text.lower()) for text in self.values]

    @cached_property
    def word_counts(self) -> np.ndarray:
        """Words per text."""
        return np.fromiter((len(w) for w in self.words), dtype=np.int64, count=len(self))

    @cached_property
    def char_counts(self) -> np.ndarray:
        """Characters per (normalised) text."""
        return np.fromiter((len(t) for t in self.values), dtype=np.int64, count=len(self))

    @cached_property
    def flat_words(self) -> np.ndarray:
        """Every word of every text, in order, as one object array."""
        out = np.empty(int(self.word_counts.sum()), dtype=object)
        position = 0
        for words in self.words:
            out[position:position + len(words)] = words
            position += len(words)
        return out

    @cached_property
    def word_hashes(self) -> np.ndarray:
        """A 64-bit hash of every word of :attr:`flat_words` (equal words, equal hashes), so
        that words are compared as numbers, whatever their length."""
        return pd.util.hash_array(self.flat_words, categorize=True)

    @cached_property
    def vocabulary_size(self) -> int:
        """How many distinct words there are."""
        return int(np.unique(self.word_hashes).size)

    @cached_property
    def vocabulary(self) -> np.ndarray:
        """The distinct words, in order of first appearance."""
        return pd.unique(self.flat_words) if self.flat_words.size else np.empty(0, dtype=object)

    def statistics(self) -> TextStatistics:
        """Counts and lengths of these texts (:class:`TextStatistics`)."""
        chars, words = self.char_counts, self.word_counts
        return TextStatistics(
            texts=len(self), null_share=self.nulls / self.total if self.total else 0.0,
            mean_chars=_mean(chars), median_chars=_median(chars),
            mean_words=_mean(words), median_words=_median(words),
            words=int(words.sum()), vocabulary=self.vocabulary_size)


@dataclass(frozen=True)
class TextStatistics:
    """What one side's texts look like: how many, how long, how many distinct words.

    ``null_share`` is the share of null values among the column's values; lengths are of the
    normalised texts (characters) and of their words; ``vocabulary`` counts distinct words.
    """

    texts: int
    null_share: float
    mean_chars: float
    median_chars: float
    mean_words: float
    median_words: float
    words: int
    vocabulary: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def require_texts(texts: Texts, side: str, figure: str) -> None:
    """A clear error when ``texts`` holds no value to compare."""
    if len(texts) == 0:
        raise DataError(f"{figure}: the {side} texts are all null or empty; there is nothing "
                        "to compare")


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else float("nan")
