"""The column's known words: sampling writes only words that at least ``min_rows`` rows use.

A byte-level BPE can spell anything, so a model that has not learned a column's words yet
writes new ones ("virginner", "Hearken forth"): a word no real text has is what gives a
synthetic text away first. The lexicon holds the words (letter runs, as the BPE's
pre-tokenizer splits them) that at least ``min_rows`` distinct rows use — the rare-token
rule again, so a name or a spelling only one record has is not among them — and constrains
sampling: while a word is being written, only tokens that keep it a prefix of a known word may
follow, and it may only end (a space, punctuation, the end of the text) where it is a whole
known word. Numbers, punctuation and whitespace are left free. Where the network gives no
allowed token any chance, the row writes freely until its next word (never stuck).

Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese)
have no words to list — a letter run there is a clause — so a column whose letters are more
than :data:`UNSPACED_SHARE` in them gets no lexicon (:func:`spaced`).

States: ``0`` between words, ``-1`` free (inside a word the lexicon gave up on), any other
number a known prefix. Masks and moves are computed for the states met and cached.

>>> lexicon = Lexicon.fit(["the red fox", "the red dog", "a fox"] * 2, tokens=None, min_rows=2)
>>> lexicon.words
['a', 'dog', 'fox', 'red', 'the']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulacra.encoders.language.tokens import BYTE_CHARS, require_tokenizers

#: Longest word and most characters in all (byte characters) a lexicon holds: what its prefix
#: table grows with, so a model file cannot make loading it allocate gigabytes. A column with
#: more is given its most used words up to the bound.
MAX_WORD_CHARS, MAX_LEXICON_CHARS = 256, 1_000_000
#: Letters of scripts written without spaces between words (kana, CJK ideographs, Thai, Lao,
#: Khmer, Myanmar), and the share of a column's letters in them above which it has no lexicon.
UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff"
                      "\u3400-\u9fff\uf900-\ufaff]")
UNSPACED_SHARE = 0.05
#: The token kinds: anything else, a word's first piece after a space, a piece of a word.
OTHER, START, PIECE = 0, 1, 2
_SPACE = "Ġ"  # how the byte-level BPE writes a space (GPT-2's byte map)


def _word_chars() -> frozenset[str]:
    """Byte characters (GPT-2's map) of ASCII letters and of every non-ASCII byte (pieces of
    letters outside ASCII): what a word is written with."""
    return frozenset(BYTE_CHARS[b] for b in range(256)
                     if (chr(b).isascii() and chr(b).isalpha()) or b >= 0x80)


WORD_CHARS = _word_chars()


def spaced(texts: Sequence[str]) -> bool:
    """Whether the column's words are separated by spaces: at most :data:`UNSPACED_SHARE` of
    its letters are in scripts written without them.

    >>> spaced(["the red fox", "a dog"]), spaced(["我们今天去公园散步", "the fox"])
    (True, False)
    """
    letters = unspaced = 0
    for text in texts:
        letters += sum(c.isalpha() for c in text)
        unspaced += len(UNSPACED.findall(text))
    return unspaced <= UNSPACED_SHARE * max(letters, 1)


def _is_word(piece: str) -> bool:
    return bool(piece) and all(c in WORD_CHARS for c in piece)


def _pieces(text_pieces: list[tuple[str, Any]]) -> set[str]:
    """The words among a text's pre-tokenized pieces (a leading space taken off)."""
    out = set()
    for piece, _ in text_pieces:
        word = piece[1:] if piece.startswith(_SPACE) else piece
        if _is_word(word):
            out.add(word)
    return out


class Lexicon:
    """Known words and, once :meth:`bind` gave it the tokens, the masks and moves of sampling."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = sorted(set(words))
        self._prefixes: dict[str, int] = {"": 0}
        for word in self.words:
            for end in range(1, len(word) + 1):
                self._prefixes.setdefault(word[:end], len(self._prefixes))
        self._names = list(self._prefixes)
        known = set(self.words)
        self._whole = np.array([name in known or name == "" for name in self._names])
        self._kinds: np.ndarray | None = None  # the rest is set by bind()
        self._letters: list[str] = []
        self._starts_known = np.zeros(0, dtype=bool)
        self._pieces = np.zeros(0, dtype=np.int64)
        self._masks: dict[int, np.ndarray] = {}
        self._moves: dict[tuple[int, int], int] = {}

    @classmethod
    def fit(cls, texts: Sequence[str], *, tokens: Any, min_rows: int) -> Lexicon:
        """The words of ``texts`` that at least ``min_rows`` of them use (``tokens``: the
        column's :class:`~simulacra.encoders.language.tokens.TextTokens`, whose pre-tokenizer
        splits the texts; None: a byte-level split of its own)."""
        if tokens is None:
            splitter = require_tokenizers().pre_tokenizers.ByteLevel(add_prefix_space=False)
        else:
            splitter = tokens.tokenizer.pre_tokenizer
        counts: dict[str, int] = {}
        for text in texts:
            for word in _pieces(splitter.pre_tokenize_str(text)):
                counts[word] = counts.get(word, 0) + 1
        kept, size = [], 0
        for word in sorted(counts, key=lambda w: (-counts[w], w)):
            if counts[word] < min_rows or size + len(word) > MAX_LEXICON_CHARS:
                break
            if len(word) <= MAX_WORD_CHARS:
                kept.append(word)
                size += len(word)
        return cls(kept)

    def bind(self, vocabulary: dict[str, int]) -> Lexicon:
        """Classify the tokens (``vocabulary``: token → id) once before sampling."""
        size = max(vocabulary.values()) + 1
        self._kinds = np.zeros(size, dtype=np.int8)
        self._letters = [""] * size
        for token, i in vocabulary.items():
            if token.startswith(_SPACE) and _is_word(token[1:]):
                self._kinds[i], self._letters[i] = START, token[1:]
            elif _is_word(token):
                self._kinds[i], self._letters[i] = PIECE, token
        self._starts_known = np.array([k == START and self._letters[i] in self._prefixes
                                       for i, k in enumerate(self._kinds)])
        self._pieces = np.flatnonzero(self._kinds == PIECE)
        self._masks, self._moves = {}, {}
        return self

    def mask(self, state: int) -> np.ndarray:
        """Tokens that may follow ``state`` (bool per token)."""
        found = self._masks.get(state)
        if found is not None:
            return found
        assert self._kinds is not None, "bind the lexicon to the tokens first"
        if state < 0:
            out = np.ones(self._kinds.size, dtype=bool)
        else:
            whole = bool(self._whole[state])
            out = (self._kinds == OTHER) & whole | self._starts_known & whole
            prefix = self._names[state]
            for i in self._pieces:
                if prefix + self._letters[i] in self._prefixes:
                    out[i] = True
        self._masks[state] = out
        return out

    def move(self, state: int, token: int) -> int:
        """The state after writing ``token`` from ``state``."""
        key = (state, token)
        found = self._moves.get(key)
        if found is not None:
            return found
        assert self._kinds is not None, "bind the lexicon to the tokens first"
        kind = self._kinds[token]
        if kind == OTHER:
            out = 0
        elif kind == START:
            out = self._prefixes.get(self._letters[token], -1)
        else:
            out = -1 if state < 0 else self._prefixes.get(self._names[state]
                                                          + self._letters[token], -1)
        self._moves[key] = out
        return out

    def masks(self, states: np.ndarray) -> np.ndarray:
        """``(len(states), tokens)`` bool: :meth:`mask` of every state."""
        unique, where = np.unique(states, return_inverse=True)
        return np.stack([self.mask(int(s)) for s in unique])[where.ravel()]

    def moves(self, states: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return np.fromiter((self.move(int(s), int(t)) for s, t in zip(states, tokens,
                                                                       strict=True)),
                           dtype=np.int64, count=len(states))

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> list[str]:
        return list(self.words)

    @classmethod
    def from_state(cls, state: Any) -> Lexicon:
        """Rebuild from :meth:`get_state` (untrusted: a ``ValueError`` when it is not a list
        of words of word characters, :data:`MAX_LEXICON_CHARS` at most in all)."""
        if not isinstance(state, list) or len(state) > MAX_LEXICON_CHARS or sum(
                len(w) if isinstance(w, str) else 1 for w in state) > MAX_LEXICON_CHARS:
            raise ValueError(f"the text model's lexicon is not a list of words of at most "
                             f"{MAX_LEXICON_CHARS:,} characters in all")
        for word in state:
            if not isinstance(word, str) or not 0 < len(word) <= MAX_WORD_CHARS \
                    or not _is_word(word):
                raise ValueError(f"the text model's lexicon holds {str(word)[:40]!r}, which "
                                 "is not a word")
        return cls(state)
