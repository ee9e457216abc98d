"""Private bounds of a numeric column: a noisy histogram over fixed power-of-two buckets.

No edge depends on the data, so the buckets themselves publish nothing; their noisy counts say
where a column's values lie. :mod:`simulacra.encoders.domains` takes a column's undeclared
bounds from the outermost buckets that pass the noise, the rows counted just past them, and
whether the frequent exact values explain every bucket.

>>> rng = np.random.default_rng(0)
>>> buckets = private_bounds(np.r_[np.full(5_000, 3.0), np.full(5_000, 900.0)], 1e-3, rng)
>>> buckets.bounds()
(2.0, 1024.0)
>>> buckets.holds_more_than([3.0, 900.0], {3.0: 5_000.0, 900.0: 5_000.0})
False
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtri

from simulacra.privacy.mechanisms import gaussian_counts

#: Power-of-two buckets for private bounds: ±2^j for j in [MIN_EXP, MAX_EXP).
MIN_EXP, MAX_EXP = -10, 60


class BoundsFallbackWarning(UserWarning):
    """Under a privacy budget, no bucket of a column's private bounds histogram stood above
    the noise, so its undeclared bounds fell back to [0, 1]."""


class PowerBuckets:
    """The private bounds histogram: noisy counts over fixed power-of-two buckets.

    Bucket ``j > 0`` holds ``(2^(j−1), 2^j]`` (bucket MIN_EXP everything in ``(0, 2^MIN_EXP]``),
    its mirror holds the negatives and one bucket holds exact zeros; no edge depends on the
    data. A bucket *passes* when its noisy count exceeds what noise alone reaches in any
    bucket with probability 0.1 %.
    """

    exps = np.arange(MIN_EXP, MAX_EXP + 1)
    #: far and near edge of each bucket
    outer = np.concatenate([-(2.0 ** exps[::-1]), [0.0], 2.0 ** exps])
    inner = np.concatenate([-np.r_[0.0, 2.0 ** exps[:-1]][::-1], [0.0],
                            np.r_[0.0, 2.0 ** exps[:-1]]])

    def __init__(self, noisy: np.ndarray, sigma: float) -> None:
        self.noisy, self.sigma = noisy, sigma
        self.z = float(-ndtri(1e-3 / len(noisy)))  # noise alone passes w.p. 1e-3 / buckets
        self.cut = sigma * self.z
        self.passed = np.flatnonzero(noisy > self.cut)

    @classmethod
    def index(cls, values: np.ndarray) -> np.ndarray:
        """The bucket of each value."""
        k = len(cls.exps)
        j = np.clip(np.ceil(np.log2(np.abs(values), where=values != 0,
                                    out=np.zeros(len(values)))),
                    MIN_EXP, MAX_EXP).astype(int) - MIN_EXP
        return np.where(values > 0, k + 1 + j, np.where(values < 0, k - 1 - j, k))

    def bounds(self) -> tuple[float, float]:
        """The outer edges of the outermost passing buckets."""
        first, last = self.passed[0], self.passed[-1]
        lo = float(min(self.outer[first], self.inner[first]))
        hi = float(max(self.outer[last], self.inner[last]))
        return lo, hi if hi > lo else lo + 1.0

    def rows_past(self) -> tuple[float, float]:
        """The noisy counts (clipped at 0) of the buckets just past each bound."""
        first, last = self.passed[0], self.passed[-1]
        below = float(max(self.noisy[first - 1], 0.0)) if first > 0 else 0.0
        above = float(max(self.noisy[last + 1], 0.0)) if last + 1 < len(self.noisy) else 0.0
        return below, above

    def holds_more_than(self, kept: list[float], counts: dict[float, float]) -> bool:
        """Whether a passing bucket counts more rows than the ``kept`` atoms in it explain
        (their noisy ``counts`` carry the same noise as a bucket's): evidence of values that
        are not atoms."""
        where = self.index(np.asarray(kept, dtype=float))
        for bucket in self.passed:
            inside = [counts[v] for v, b in zip(kept, where, strict=True) if b == bucket]
            if self.noisy[bucket] - sum(inside) > self.z * self.sigma * (1 + len(inside)) ** 0.5:
                return True
        return False


def private_bounds(values: np.ndarray, rho: float, rng: np.random.Generator) -> PowerBuckets:
    """The noisy power-of-two bucket histogram of a column's values (see :class:`PowerBuckets`)."""
    counts = np.bincount(PowerBuckets.index(values), minlength=2 * len(PowerBuckets.exps) + 1)
    return PowerBuckets(gaussian_counts(counts, rho, rng), (1 / (2 * rho)) ** 0.5)


def warn_fallback(column: str, declared: tuple[float | None, float | None]) -> None:
    """Warn that ``column``'s undeclared bounds fell back to [0, 1] (no bucket passed)."""
    missing = " and ".join(side for side, bound in zip(("minimum", "maximum"), declared,
                                                       strict=True) if bound is None)
    warnings.warn(
        f"column {column!r}: no bucket of its private bounds histogram stood above the noise "
        f"(too few rows for this ε), so its {missing} fell back to [0, 1] and its synthetic "
        f"values will be wrong there; declare them in a public schema (the metadata's "
        f"minimum/maximum, e.g. md.update_column({column!r}, minimum=..., maximum=...), known "
        f"without looking at the rows) or give a larger ε", BoundsFallbackWarning, stacklevel=2)
