"""The data transformation of the deep models under a privacy budget.

Without a budget CTGAN and TVAE fit a Gaussian mixture per continuous column (mode-specific
normalization, :mod:`~simulacra.models.deep.mode_normalizer`): its modes, and the bounds the
values are clipped to, are read off the data. Under a budget everything learned about the
values must come from DP mechanisms, so the table goes through the private
:class:`~simulacra.models.discrete.Discretizer` instead (DP bounds, frequent exact values,
noisy quantile bins, stable-histogram category sets with rare ones merged into ``other``,
nulls as a code of their own) and the networks see a *DP mode-specific normalization*:

* a numerical or datetime column becomes its bin (or frequent value, or null) code as a
  one-hot ("softmax" span) and the position within the bin as a scalar in [-1, 1] ("tanh"
  span); decoding maps the scalar back inside the bin, so values never leave the DP bounds;
* a categorical, boolean or PII column (value or null) becomes the one-hot of its code.

:class:`PrivateTableEncoder` is the model's table encoder (DataFrame ↔ per-column arrays,
numeric columns as one float ``code + position``); :class:`BinNormalizer` turns those arrays
into the matrix the networks train on, with the span layout of
:class:`~simulacra.models.deep.mode_normalizer.ModeNormalizer`.

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> from simulacra.privacy import PrivacyBudget, PrivacyLedger
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"age": rng.integers(18, 90, 2000), "city": rng.choice(list("AB"), 2000)})
>>> ledger = PrivacyLedger(PrivacyBudget(1.0), len(df))
>>> enc = PrivateTableEncoder(Metadata.detect(df), bins=8).fit(df, ledger, rng, 0.01)
>>> [(c.name, c.output, c.cardinality) for c in enc.encoded_columns_]
[('age', 'continuous', 8), ('city', 'discrete', 3)]
>>> bn = BinNormalizer().fit(enc.encoded_columns_)
>>> m = bn.transform(enc.encode(df))
>>> [(s.activation, s.width) for s in bn.spans_], m.shape
([('tanh', 1), ('softmax', 8), ('softmax', 3)], (2000, 12))
>>> back = enc.inverse_transform(bn.inverse_transform(m), 2000, rng)
>>> lo, hi = enc.domains_["age"].minimum_, enc.domains_["age"].maximum_  # DP bounds
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
import pandas as pd

from simulacra.encoders.table import EncodedColumn
from simulacra.models.deep.mode_normalizer import ModeNormalizer, Span
from simulacra.models.discrete.columns import CategoricalDomain, NumericDomain
from simulacra.models.discrete.discretizer import Discretizer

#: Position within the bin given to codes that are not intervals (frequent values, nulls).
_MIDDLE = 0.5
_TOP = 1 - 1e-6  # positions stay below the next code


class PrivateTableEncoder(Discretizer):
    """A :class:`Discretizer` whose numeric columns also keep the position within their bin."""

    @property
    def encoded_columns_(self) -> list[EncodedColumn]:
        return [EncodedColumn(name, name, "continuous" if isinstance(d, NumericDomain)
                              else "discrete", d.size) for name, d in self.domains_.items()]

    def encode(self, data: pd.DataFrame) -> dict[str, np.ndarray]:
        """Codes of every modelled column; numeric ones as ``code + position in [0, 1)``."""
        codes = self.transform(data)
        out: dict[str, np.ndarray] = {}
        for name, domain in self.domains_.items():
            if not isinstance(domain, NumericDomain):
                out[name] = codes[name]
                continue
            x = self._floats(name, data[name])
            out[name] = codes[name] + _position(domain, x, codes[name])
        return out

    def spread(self, codes: Mapping[str, np.ndarray],
               rng: np.random.Generator) -> dict[str, np.ndarray]:
        """What :meth:`encode` gives for integer ``codes``: numeric codes get a position in
        their bin drawn from the bin's noisy fine histogram (the Discretizer's own decoding).

        For models that learn the codes alone (the autoregressive network under DP).
        """
        out = dict(codes)
        for name, domain in self.domains_.items():
            if isinstance(domain, NumericDomain) and name in codes:
                code = np.asarray(codes[name], dtype=np.int64)
                out[name] = code + _position(domain, domain.inverse_transform(code, rng), code)
        return out

    def discrete_codes(self, conditions: Mapping[str, Any]) -> dict[str, int]:
        """Codes of categorical columns that equality ``conditions`` pin down (for steering)."""
        out: dict[str, int] = {}
        for column, value in conditions.items():
            domain = self.domains_.get(column)
            if not isinstance(domain, CategoricalDomain) or isinstance(value, tuple) \
                    or self.metadata[column].kind in ("pii", "text"):
                continue
            if value is None:
                if domain.nullable_:
                    out[column] = domain.null_code
            elif value in domain.values_:
                out[column] = domain.values_.index(value)
        return out

    def _decode(self, name: str, codes: np.ndarray | None, n: int,
                rng: np.random.Generator) -> pd.Series:
        domain = self.domains_.get(name)
        if not isinstance(domain, NumericDomain) or codes is None:
            return super()._decode(name, codes, n, rng)
        positions = np.asarray(codes, dtype=float)
        code = np.clip(np.floor(positions), 0, domain.size - 1).astype(np.int64)
        null = code == domain.null_code
        return self._numbers(name, _values(domain, code, positions - code), null, rng)


def _position(domain: NumericDomain, x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Where each value lies in its interval bin, in [0, 1); the middle for other codes."""
    k, edges = len(domain.atoms_), domain.edges_
    out = np.full(len(x), _MIDDLE)
    inner = (codes >= k) & (codes < k + len(edges) - 1)
    b = codes[inner] - k
    low, high = edges[b], edges[b + 1]
    out[inner] = np.clip((x[inner] - low) / np.maximum(high - low, 1e-300), 0.0, _TOP)
    out[np.isnan(out)] = _MIDDLE  # nulls coded as a bin when the column has no null code
    return out


def _values(domain: NumericDomain, codes: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Floats for codes: atoms exactly, bins at ``position`` within them, nulls NaN."""
    k, edges = len(domain.atoms_), domain.edges_
    out = np.full(len(codes), np.nan)
    if k:
        atom = codes < k
        out[atom] = np.asarray(domain.atoms_)[codes[atom]]
    inner = (codes >= k) & (codes < k + len(edges) - 1)
    b = codes[inner] - k
    out[inner] = edges[b] + np.clip(position[inner], 0.0, _TOP) * (edges[b + 1] - edges[b])
    return out


class BinNormalizer:
    """Per-column arrays of :class:`PrivateTableEncoder` ↔ the matrix the networks train on.

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
            out[name] = code if position is None else code + np.minimum(position, _TOP)
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
