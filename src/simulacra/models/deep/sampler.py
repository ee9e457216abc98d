"""Conditional vectors and training-by-sampling (Xu et al., NeurIPS 2019, §4.3).

1. Pick one discrete column uniformly at random.
2. Pick one of its categories with probability ∝ log(frequency + 1) (training) or ∝ frequency
   (sampling, as the reference implementation's ``sample_original_condvec``).
3. The conditional vector is the one-hot of that category over all discrete columns' categories.
4. During training, pick a real row that has that category (rows are pre-sorted by category,
   so this is one array lookup per batch row).

Everything is vectorized over the batch.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> codes = [np.array([0, 0, 0, 1]), np.array([2, 1, 0, 0])]
>>> s = ConditionalSampler().fit(codes, [2, 3])
>>> cond, col, cat = s.sample_condvec(1000, rng)
>>> cond.shape, bool((cond.sum(axis=1) == 1).all())
((1000, 5), True)
>>> rows = s.sample_rows(col, cat, rng)
>>> all(codes[c][r] == k for c, k, r in zip(col, cat, rows))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ConditionalSampler:
    """Category frequencies of the discrete columns, and (after ``fit``) rows per category."""

    def fit(self, codes: list[np.ndarray], cardinalities: list[int]) -> ConditionalSampler:
        counts = [np.bincount(np.asarray(c, dtype=np.int64), minlength=k)[:k]
                  for c, k in zip(codes, cardinalities, strict=True)]
        self._set_counts(counts)
        # rows sorted by category, per column, flattened: column j occupies [j*n, (j+1)*n)
        n = len(codes[0]) if codes else 0
        self._n_rows = n
        self._sorted_rows = (np.concatenate([np.argsort(c, kind="stable") for c in codes])
                             if codes else np.zeros(0, dtype=np.int64))
        return self

    @classmethod
    def from_counts(cls, counts: list[np.ndarray]) -> ConditionalSampler:
        """A sampler of conditional vectors with these category counts (e.g. noisy ones) and
        no rows to pick from: it draws conditions, never training rows."""
        sampler = cls()
        sampler._set_counts(counts)
        return sampler

    def _set_counts(self, counts: list[np.ndarray]) -> None:
        self.counts_ = [np.asarray(c, dtype=np.int64) for c in counts]
        d = len(self.counts_)
        widths = np.array([len(c) for c in self.counts_], dtype=np.int64)
        self.n_categories_ = int(widths.sum())
        self.offsets_ = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64) \
            if d else np.zeros(0, dtype=np.int64)
        kmax = int(widths.max()) if d else 0
        padded = np.zeros((d, kmax))
        starts = np.zeros((d, kmax), dtype=np.int64)
        for j, c in enumerate(self.counts_):
            padded[j, :len(c)] = c
            starts[j, :len(c)] = np.cumsum(c) - c
        self._padded_counts = padded
        self._starts = starts  # first position of category k among column j's sorted rows
        self._cum_log = _cumulative(np.log1p(padded))
        self._cum_freq = _cumulative(padded)

    @property
    def n_columns_(self) -> int:
        return len(self.counts_)

    def sample_condvec(
        self, batch: int, rng: np.random.Generator, *, log_frequency: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cond (batch, n_categories) float32, column (batch,), category (batch,))``."""
        d = self.n_columns_
        col = rng.integers(0, d, size=batch)
        cum = (self._cum_log if log_frequency else self._cum_freq)[col]  # (B, kmax)
        u = rng.random(batch)
        cat = np.minimum((cum < u[:, None]).sum(axis=1), self._padded_counts.shape[1] - 1)
        cond = np.zeros((batch, self.n_categories_), dtype=np.float32)
        cond[np.arange(batch), self.offsets_[col] + cat] = 1.0
        return cond, col, cat

    def fixed_condvec(self, batch: int, column: int, category: int) -> np.ndarray:
        """Conditional vectors that all ask for ``category`` of discrete ``column``."""
        cond = np.zeros((batch, self.n_categories_), dtype=np.float32)
        cond[:, self.offsets_[column] + category] = 1.0
        return cond

    def sample_rows(self, col: np.ndarray, cat: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
        """One random real row per ``(column, category)`` pair having that category."""
        count = self._padded_counts[col, cat].astype(np.int64)
        pick = np.minimum((rng.random(len(col)) * count).astype(np.int64), count - 1)
        return self._sorted_rows[col * self._n_rows + self._starts[col, cat] + pick]

    def get_state(self) -> dict[str, Any]:
        return {"counts": list(self.counts_)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ConditionalSampler:
        s = cls()
        s._set_counts([np.asarray(c) for c in state["counts"]])
        return s


def _cumulative(weights: np.ndarray) -> np.ndarray:
    """Row-normalized cumulative sums, exactly 1 from each row's last positive weight on.

    So a uniform draw never lands on a zero-weight (or padding) category, whatever the rounding.
    """
    total = weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights / np.where(total > 0, total, 1.0), axis=1)
    if cum.size:
        positive = weights > 0
        last = weights.shape[1] - 1 - np.argmax(positive[:, ::-1], axis=1)
        cum[np.arange(weights.shape[1])[None, :] >= last[:, None]] = 1.0
    return cum
