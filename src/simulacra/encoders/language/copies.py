"""No verbatim copies of rare training texts: keyed hashes to check generated texts against.

A generated text that equals (up to spacing and case) a training text used in fewer than
``min_rows`` rows is a copy of something only a few records hold, and is written again. Texts
many rows share ("Yes", "And the LORD spake unto Moses, saying,") may come out as they are,
as they do in a holdout of real rows.

The model keeps 64-bit BLAKE2b hashes of those rare texts under a random key, not the texts.
Whoever holds the model file can still test whether an exact text they already know was a
training text, as they could from the network's own likelihood of it: a model file with a text
model fitted without a budget should be shared like the data it was fitted on. Under a privacy
budget the guard is empty (:meth:`CopyGuard.empty`): the hashes are of real texts, and DP-SGD
bounds what any one text changes instead.

>>> guard = CopyGuard.fit(["A b", "a  B", "c d", "e"], min_rows=2, rng=np.random.default_rng(0))
>>> guard.hits(["c d", " C D ", "a b", "x"]).tolist()
[True, True, False, False]
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def normalize(text: str) -> str:
    """Lower case, single spaces, no spaces at the ends."""
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class CopyGuard:
    key: bytes
    hashes: np.ndarray  # sorted uint64

    @classmethod
    def fit(cls, texts: Sequence[str], *, min_rows: int, rng: np.random.Generator) -> CopyGuard:
        key = rng.bytes(16)
        counts = Counter(normalize(t) for t in texts)
        rare = [t for t, count in counts.items() if count < min_rows]
        return cls(key, np.sort(np.array([_hash(key, t) for t in rare], dtype=np.uint64)))

    @classmethod
    def empty(cls) -> CopyGuard:
        """A guard that holds nothing (a model trained under a privacy budget)."""
        return cls(bytes(16), np.zeros(0, dtype=np.uint64))

    def hits(self, texts: Sequence[str]) -> np.ndarray:
        """Which ``texts`` copy a rare training text."""
        if not len(texts) or not self.hashes.size:
            return np.zeros(len(texts), dtype=bool)
        h = np.array([_hash(self.key, normalize(t)) for t in texts], dtype=np.uint64)
        pos = np.minimum(np.searchsorted(self.hashes, h), self.hashes.size - 1)
        return self.hashes[pos] == h

    def get_state(self) -> dict[str, Any]:
        return {"key": np.frombuffer(self.key, dtype=np.uint8).copy(), "hashes": self.hashes}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CopyGuard:
        key = np.asarray(state["key"], dtype=np.uint8)
        if key.size != 16:
            raise ValueError("the text column's copy key is not 16 bytes")
        return cls(key.tobytes(), np.sort(np.asarray(state["hashes"], dtype=np.uint64).ravel()))


def _hash(key: bytes, text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "little")
