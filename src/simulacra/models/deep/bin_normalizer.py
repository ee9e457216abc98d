"""The networks' matrix for DP codes: :class:`BinNormalizer`.

Without a budget CTGAN and TVAE fit a Gaussian mixture per continuous column (mode-specific
normalization, :mod:`~simulacra.models.deep.mode_normalizer`): its modes, and the bounds the
values are clipped to, are read off the data. Under a budget everything learned about the
values must come from DP mechanisms, so the table goes through the binned codec with
positions (:class:`~simulacra.encoders.binned.BinnedCodec`: DP bounds, frequent exact values,
noisy quantile bins, stable-histogram category sets with rare ones merged into ``other``,
nulls as a code of their own) and the networks see a *DP mode-specific normalization*:

* a numerical or datetime column becomes its bin (or frequent value, or null) code as a
  one-hot ("softmax" span) and the position within the bin as a scalar in [-1, 1] ("tanh"
  span); decoding maps the scalar back inside the bin, so values never leave the DP bounds;
* a categorical, boolean or PII column (value or null) becomes the one-hot of its code.

:class:`BinNormalizer` turns the codec's arrays (numeric columns as one float
``code + position``) into the matrix the networks train on, with the span layout of
:class:`~simulacra.models.deep.mode_normalizer.ModeNormalizer`.

>>> import pandas as pd
>>> from simulacra.encoders import BinnedCodec, CodecBudget
>>> from simulacra.metadata import Metadata
>>> from simulacra.privacy import PrivacyBudget, PrivacyLedger
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"age": rng.integers(18, 90, 2000), "city": rng.choice(list("AB"), 2000)})
>>> ledger = PrivacyLedger(PrivacyBudget(1.0), len(df))
>>> codec = BinnedCodec(Metadata.detect(df), bins=8, positions=True)
>>> codec = codec.fit(df, rng, budget=CodecBudget(ledger, 0.02))
>>> [(c.name, c.output, c.cardinality) for c in codec.encoded_columns_]
[('age', 'continuous', 8), ('city', 'discrete', 3)]
>>> bn = BinNormalizer().fit(codec.encoded_columns_)
>>> m = bn.transform(codec.transform(df, rng))
>>> [(s.activation, s.width) for s in bn.spans_], m.shape
([('tanh', 1), ('softmax', 8), ('softmax', 3)], (2000, 12))
>>> back = codec.inverse_transform(bn.inverse_transform(m), 2000, rng)
>>> lo, hi = codec.domains_["age"].minimum_, codec.domains_["age"].maximum_  # DP bounds
>>> inside = df["age"].between(lo, hi)  # values beyond them are clipped
>>> bool((back["city"] == df["city"]).all()), bool(back["age"].between(lo, hi).all())
(True, True)
>>> bool((back["age"] - df["age"])[inside].abs().max() <= 1)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simulacra.encoders import EncodedColumn
from simulacra.encoders.binned import TOP_POSITION
from simulacra.models.deep.mode_normalizer import ModeNormalizer, Span


class BinNormalizer:
    """Per-column arrays of the binned codec with positions ↔ the matrix the networks train on.

    Same interface as :class:`~simulacra.models.deep.mode_normalizer.ModeNormalizer`
    (``spans_``, ``discrete_spans_``, ``output_dim_``, state as plain lists); nothing is
    learned from the data, only the layout of the columns.
    """

    def fit(self, columns: list[EncodedColumn]) -> BinNormalizer:
        self.columns_ = [(c.name, c.output, int(c.cardinality)) for c in columns]
        self._build_spans()
        return self

    def _build_spans(self) -> None:
        spans: list[Span] = []
        start = 0
        for name, output, size in self.columns_:
            if output == "continuous":
                spans.append(Span(start, 1, "tanh", name))
                start += 1
            spans.append(Span(start, size, "softmax", name))
            start += size
        self.spans_ = spans
        self.output_dim_ = start
        discrete = {name for name, output, _ in self.columns_ if output == "discrete"}
        self.discrete_spans_ = [s for s in spans if s.column in discrete]

    def transform(self, encoded: Mapping[str, np.ndarray],
                  rng: np.random.Generator | None = None) -> np.ndarray:
        """The ``(n, output_dim_)`` float32 matrix (``rng`` unused: nothing is drawn)."""
        n = len(encoded[self.columns_[0][0]]) if self.columns_ else 0
        out = np.zeros((n, self.output_dim_), dtype=np.float32)
        rows = np.arange(n)
        start = 0
        for name, output, size in self.columns_:
            values = np.asarray(encoded[name])
            code = np.clip(np.floor(values), 0, size - 1).astype(np.int64)
            if output == "continuous":
                out[:, start] = 2 * (values - code) - 1
                start += 1
            out[rows, start + code] = 1.0
            start += size
        return out

    def inverse_transform(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Per-column arrays from activated outputs (scalars in [-1, 1], one-hot scores)."""
        matrix = np.asarray(matrix)
        out: dict[str, np.ndarray] = {}
        start = 0
        for name, output, size in self.columns_:
            position = None
            if output == "continuous":
                position = (np.clip(matrix[:, start].astype(np.float64), -1, 1) + 1) / 2
                start += 1
            code = matrix[:, start:start + size].argmax(axis=1).astype(np.int64)
            out[name] = code if position is None else code + np.minimum(position, TOP_POSITION)
            start += size
        return out

    def get_state(self) -> dict[str, Any]:
        return {"type": "bins", "columns": [list(c) for c in self.columns_]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BinNormalizer:
        bn = cls()
        bn.columns_ = [(str(n), str(o), int(c)) for n, o, c in state["columns"]]
        bn._build_spans()
        return bn


def transformer_from_state(state: dict[str, Any]) -> BinNormalizer | ModeNormalizer:
    """The deep model's transformer from its state: DP bins, or mode-specific normalization."""
    if state.get("type") == "bins":
        return BinNormalizer.from_state(state)
    return ModeNormalizer.from_state(state)
