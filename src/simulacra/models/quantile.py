"""Numeric columns ↔ standard normal scores through their empirical quantile function.

A value's normal score is ``Φ⁻¹(u)`` for a ``u`` drawn inside the probability interval it owns
(:mod:`simulacra.models.marginals`): distinct values map one to one, and a value repeated many
times (the zeros of ``capital-gain``) spreads over its whole interval instead of piling on one
point, which a Gaussian diffusion models far more easily. Decoding is the quantile function
of ``Φ(z)``, so every value a column had comes back with its frequency.

>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([np.zeros(700), rng.exponential(size=300)])
>>> q = QuantileNormal().fit(x)
>>> z = q.transform(x, rng)
>>> round(float(z.mean()), 1), round(float(z.std()), 1)
(0.0, 1.0)
>>> back = q.inverse_transform(z)
>>> float(np.mean(back == 0))
0.7
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from simulacra.models.marginals import (
    Marginal,
    fit_marginal,
    marginal_from_state,
    normal_scores,
)

#: probabilities kept inside (ε, 1 − ε): normal scores within ±5.2
EDGE = 1e-7
#: the largest normal score the transform produces (reverse diffusion clips to it)
LIMIT = float(-ndtri(EDGE))


class QuantileNormal:
    """One numeric column's marginal, used to map values to normal scores and back."""

    def __init__(self, resolution: int = 1000, min_count: int = 1) -> None:
        self.resolution = resolution
        self.min_count = min_count  # value protection: see marginals.fit_marginal

    def fit(self, x: np.ndarray) -> QuantileNormal:
        self.marginal_: Marginal = fit_marginal(np.asarray(x, dtype=np.float64),
                                                discrete=False, resolution=self.resolution,
                                                min_count=self.min_count)
        return self

    def transform(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        left, right = self.marginal_.interval(np.asarray(x, dtype=np.float64))
        u = left + (right - left) * rng.random(len(left))
        return ndtri(np.clip(u, EDGE, 1 - EDGE))

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Each value's expected normal score over its interval: tied values share one (no
        noise between the steps of a series that stays on a value)."""
        return normal_scores(self.marginal_, np.asarray(x, dtype=np.float64))

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        return self.marginal_.from_uniform(np.clip(ndtr(np.asarray(z, np.float64)), 0.0, 1.0))

    def get_state(self) -> dict[str, Any]:
        return {"resolution": self.resolution, "marginal": self.marginal_.get_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> QuantileNormal:
        q = cls(int(state["resolution"]))
        q.marginal_ = marginal_from_state(state["marginal"])
        return q


class BinQuantileNormal:
    """A numeric column under a privacy budget ↔ normal scores, from DP statistics only.

    The column arrives as :class:`~simulacra.encoders.binned.BinnedCodec`
    gives it, ``code + position within the bin`` for DP codes (frequent exact values, quantile
    bins between DP bounds, null). Its quantile function is that of the codes' noisy counts,
    codes in the order of their values (a frequent value where it falls among the bins; the
    null code left out: nulls are a flag of their own), with the mass of each bin spread
    evenly over it. As in :class:`QuantileNormal` a frequent value spreads over its whole
    probability interval; nulls get a random score.

    >>> from simulacra.encoders.domains import NumericDomain
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = pd.Series(np.concatenate([np.zeros(500), np.arange(1.0, 501)]))
    >>> dom = NumericDomain.fit(x, bins=4, integer=True, declared=(None, None), budget=None,
    ...                         rng=rng)
    >>> dom.atoms_, dom.size  # 0 has a code of its own, then 3 bins
    ([0.0], 4)
    >>> q = BinQuantileNormal.fit(dom, np.array([500, 167, 167, 166]))
    >>> codes = dom.transform(x.to_numpy()).astype(float)  # the code, positions at 0
    >>> z = q.transform(codes, rng)
    >>> bool(np.all(z[:500] <= 0)), bool(np.all(z[500:] >= 0))  # 0 first, then the bins
    (True, True)
    >>> np.floor(q.inverse_transform(np.array([-1.0, 0.2, 2.0]))).tolist()
    [0.0, 1.0, 3.0]
    """

    def __init__(self, order: np.ndarray, mass: np.ndarray, atoms: int) -> None:
        self.order_ = np.asarray(order, dtype=np.int64)  # codes by value
        self.mass_ = np.asarray(mass, dtype=np.float64)  # per code, 0 for the null code
        self.atoms_ = int(atoms)  # codes below this are exact values (no position)
        cum = np.concatenate([[0.0], np.cumsum(self.mass_[self.order_])])
        total = max(cum[-1], 1e-300)
        self._left = np.zeros(len(self.mass_))
        self._left[self.order_] = cum[:-1] / total  # each code's lower probability
        self._edges = cum / total  # along the value order

    @classmethod
    def fit(cls, domain: Any, counts: np.ndarray) -> BinQuantileNormal:
        """From a DP :class:`~simulacra.encoders.domains.NumericDomain` and the noisy
        counts of its codes."""
        k, edges = len(domain.atoms_), np.asarray(domain.edges_, dtype=np.float64)
        where = np.concatenate([np.asarray(domain.atoms_, dtype=np.float64),
                                (edges[:-1] + edges[1:]) / 2])
        mass = np.maximum(np.asarray(counts, dtype=np.float64)[:domain.size], 0.0)
        mass = np.concatenate([mass, np.zeros(domain.size - len(mass))])
        if domain.null_code >= 0:
            mass[domain.null_code] = 0.0
        order = np.argsort(where, kind="stable")  # the value codes (the null code is last)
        return cls(order, mass, k)

    def transform(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        code = np.clip(np.floor(x), 0, len(self.mass_) - 1).astype(np.int64)
        position = x - code
        spread = (code < self.atoms_) | (self.mass_[code] == 0)  # exact values, nulls
        position[spread] = rng.random(int(spread.sum()))
        u = self._left[code] + position * self.mass_[code] / max(self.mass_.sum(), 1e-300)
        null = self.mass_[code] == 0
        u[null] = rng.random(int(null.sum()))
        return ndtri(np.clip(u, EDGE, 1 - EDGE))

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """``code + position`` (a code of a value, never the null code) for normal scores."""
        u = np.clip(ndtr(np.asarray(z, dtype=np.float64)), 0.0, 1.0)
        i = np.clip(np.searchsorted(self._edges, u, side="right") - 1, 0, len(self.order_) - 1)
        low, high = self._edges[i], self._edges[i + 1]
        position = np.clip((u - low) / np.maximum(high - low, 1e-300), 0.0, 1 - 1e-6)
        return self.order_[i] + position

    def get_state(self) -> dict[str, Any]:
        return {"type": "bins", "order": self.order_.tolist(), "mass": self.mass_.tolist(),
                "atoms": self.atoms_}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BinQuantileNormal:
        return cls(np.asarray(state["order"]), np.asarray(state["mass"]), int(state["atoms"]))


def quantile_from_state(state: dict[str, Any]) -> QuantileNormal | BinQuantileNormal:
    """A numeric column's transform from its state: DP codes, or the empirical quantiles."""
    if state.get("type") == "bins":
        return BinQuantileNormal.from_state(state)
    return QuantileNormal.from_state(state)
