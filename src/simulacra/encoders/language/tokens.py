"""The tokens of a text column: byte-level BPE learned on the column, and which may be written.

A byte-level BPE (the ``tokenizers`` library) starts from the 256 bytes, so every text can be
encoded, and merges pairs seen at least ``min_rows`` times into the column's frequent words and
word pieces. Rare-token protection: a token used in fewer than ``min_rows`` distinct rows is
never generated (its logit is masked), so a rare merged token — a name, a number, a spelling
only one record has — cannot come out whole.

Ids: ``0`` pads, ``1`` begins a text, ``2`` ends it, ``3`` stands for a null text (the model
writes ``<null>`` then ends, so nulls can depend on the row); the learned tokens follow.

>>> texts = ["the red fox", "the red dog", "a red fox runs"] * 4
>>> tokens = TextTokens.fit(texts, vocabulary=300, min_rows=3)
>>> ids = tokens.encode(["the red fox", None], max_tokens=16)
>>> int(ids[0][0]), int(ids[0][-1]), ids[1].tolist()
(1, 2, [1, 3, 2])
>>> tokens.decode([ids[0][1:-1].tolist()])
['the red fox']
>>> bool(tokens.allowed[tokens.token_id("Ġfox")]), bool(tokens.allowed[0])
(True, False)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulacra.errors import SimulacraError

PAD, BOS, EOS, NULL = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<null>")
#: A tokenizer in a model file is at most this long (JSON characters): 32k tokens and merges.
MAX_TOKENIZER_CHARS = 4_000_000
#: The replacement character a byte sequence that is not UTF-8 decodes to: dropped from texts.
_REPLACEMENT = "\ufffd"


def require_tokenizers() -> Any:
    """Import ``tokenizers``, or explain how to install it."""
    try:
        import tokenizers
    except ImportError:
        raise SimulacraError('the language model of text columns needs the tokenizers library: '
                             'pip install "simulacra[deep]"') from None
    return tokenizers


def _byte_chars() -> dict[int, str]:
    """The character a byte-level BPE writes each byte as (GPT-2's map, which the
    ``tokenizers`` library's ``ByteLevel`` uses): printable bytes as themselves, the rest
    shifted past 255."""
    shown = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    hidden = [b for b in range(256) if b not in shown]
    return {**{b: chr(b) for b in shown}, **{b: chr(256 + k) for k, b in enumerate(hidden)}}


#: The character the byte-level BPE writes each byte as.
BYTE_CHARS = _byte_chars()
#: Bytes a model trained under a privacy budget never writes: control characters but tab and
#: newline, DEL, and bytes that never occur in UTF-8 (0xC0, 0xC1, 0xF5-0xFF).
NEVER_WRITTEN = (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, 0xC0, 0xC1, *range(0xF5, 0x100))


def _byte_level_bpe(texts: Sequence[str], *, vocabulary: int, min_rows: int) -> Any:
    """A byte-level BPE of at most ``vocabulary`` tokens (:data:`SPECIALS`, the 256 bytes, then
    merges of pairs seen at least ``min_rows`` times in ``texts``)."""
    tk = require_tokenizers()
    tokenizer = tk.Tokenizer(tk.models.BPE())
    tokenizer.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = tk.decoders.ByteLevel()
    trainer = tk.trainers.BpeTrainer(
        vocab_size=vocabulary, min_frequency=min_rows, special_tokens=list(SPECIALS),
        initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    return tokenizer


@dataclass
class TextTokens:
    """A fitted byte-level BPE with the ids of :data:`SPECIALS` first, and ``allowed``: the
    tokens generation may write (row counts at least ``min_rows``; ``<eos>`` and ``<null>``)."""

    tokenizer: Any
    allowed: np.ndarray

    @classmethod
    def fit(cls, texts: Sequence[str], *, vocabulary: int, min_rows: int) -> TextTokens:
        """Learn merges on ``texts`` (non-null strings) and which tokens enough rows use."""
        tokenizer = _byte_level_bpe(texts, vocabulary=vocabulary, min_rows=min_rows)
        size = tokenizer.get_vocab_size()
        rows = np.zeros(size, dtype=np.int64)
        for encoding in tokenizer.encode_batch(list(texts)):
            rows[np.unique(np.asarray(encoding.ids, dtype=np.int64))] += 1
        allowed = rows >= min_rows
        allowed[[PAD, BOS]] = False
        allowed[[EOS, NULL]] = True
        return cls(tokenizer, allowed)

    @classmethod
    def bytes_only(cls) -> TextTokens:
        """The 256 bytes and the specials, nothing learned from any text: the tokens of a model
        trained under a privacy budget, where merges and row counts would leak the column.

        Control characters other than tab and newline, and bytes no UTF-8 text holds, are never
        written (:data:`NEVER_WRITTEN`: a public rule, not one read off the column).

        >>> tokens = TextTokens.bytes_only()
        >>> tokens.size, len(tokens.encode(["héllo"], max_tokens=64)[0])  # é is two bytes
        (260, 8)
        >>> int(tokens.allowed.sum())  # 256 bytes less the 44 never written, and <eos>
        213
        """
        tokenizer = _byte_level_bpe([], vocabulary=len(SPECIALS) + 256, min_rows=1)
        allowed = np.ones(tokenizer.get_vocab_size(), dtype=bool)
        allowed[[PAD, BOS, NULL]] = False  # nulls are the codec's to write
        for byte in NEVER_WRITTEN:
            allowed[tokenizer.token_to_id(BYTE_CHARS[byte])] = False
        return cls(tokenizer, allowed)

    @property
    def size(self) -> int:
        return int(self.allowed.size)

    def token_id(self, token: str) -> int:
        """The id of ``token`` (a ``KeyError`` when the tokenizer has none)."""
        found = self.tokenizer.token_to_id(token)
        if found is None:
            raise KeyError(token)
        return int(found)

    def encode(self, texts: Sequence[str | None], *, max_tokens: int) -> list[np.ndarray]:
        """Each text as ``<bos> tokens <eos>`` (``<bos> <null> <eos>`` for a null), at most
        ``max_tokens`` ids: a longer text is cut (and still ends with ``<eos>``)."""
        present = [i for i, t in enumerate(texts) if t is not None]
        encoded = self.tokenizer.encode_batch([texts[i] for i in present]) if present else []
        out = [np.array([BOS, NULL, EOS], dtype=np.int64)] * len(texts)
        for i, encoding in zip(present, encoded, strict=True):
            body = np.asarray(encoding.ids[: max_tokens - 2], dtype=np.int64)
            out[i] = np.concatenate([[BOS], body, [EOS]]).astype(np.int64)
        return out

    def decode(self, bodies: Sequence[Sequence[int]]) -> list[str]:
        """Texts of token ids (no specials): bytes that are not UTF-8 are dropped."""
        texts = self.tokenizer.decode_batch([list(map(int, b)) for b in bodies])
        return [t.replace(_REPLACEMENT, "") for t in texts]

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_str(), "allowed": self.allowed.astype(np.int8)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TextTokens:
        """Rebuild from :meth:`get_state` (a ``ValueError`` naming the problem when the file's
        tokenizer is not one this module writes: it is untrusted)."""
        text = state["tokenizer"]
        if not isinstance(text, str) or len(text) > MAX_TOKENIZER_CHARS:
            raise ValueError("the text column's tokenizer is missing or larger than "
                             f"{MAX_TOKENIZER_CHARS:,} characters")
        spec = json.loads(text)
        model = spec.get("model") if isinstance(spec, dict) else None
        if not isinstance(model, dict) or model.get("type") != "BPE":
            raise ValueError("the text column's tokenizer is not a byte-level BPE")
        tk = require_tokenizers()
        try:
            tokenizer = tk.Tokenizer.from_str(text)
        except Exception as exc:  # the library raises its own exception types
            raise ValueError(f"the text column's tokenizer cannot be read ({exc})") from None
        allowed = np.asarray(state["allowed"]).astype(bool).ravel()
        if allowed.size != tokenizer.get_vocab_size():
            raise ValueError(f"the text column's tokenizer has {tokenizer.get_vocab_size()} "
                             f"tokens but {allowed.size} token flags")
        if [tokenizer.token_to_id(s) for s in SPECIALS] != [PAD, BOS, EOS, NULL]:
            raise ValueError("the text column's tokenizer does not start with "
                             f"{', '.join(SPECIALS)}")
        return cls(tokenizer, allowed)
