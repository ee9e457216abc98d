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

from simulacra.models.marginals import Marginal, fit_marginal, marginal_from_state

#: probabilities kept inside (ε, 1 − ε): normal scores within ±5.2
EDGE = 1e-7
#: the largest normal score the transform produces (reverse diffusion clips to it)
LIMIT = float(-ndtri(EDGE))


class QuantileNormal:
    """One numeric column's marginal, used to map values to normal scores and back."""

    def __init__(self, resolution: int = 1000) -> None:
        self.resolution = resolution

    def fit(self, x: np.ndarray) -> QuantileNormal:
        self.marginal_: Marginal = fit_marginal(np.asarray(x, dtype=np.float64),
                                                discrete=False, resolution=self.resolution)
        return self

    def transform(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        left, right = self.marginal_.interval(np.asarray(x, dtype=np.float64))
        u = left + (right - left) * rng.random(len(left))
        return ndtri(np.clip(u, EDGE, 1 - EDGE))

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        return self.marginal_.from_uniform(np.clip(ndtr(np.asarray(z, np.float64)), 0.0, 1.0))

    def get_state(self) -> dict[str, Any]:
        return {"resolution": self.resolution, "marginal": self.marginal_.get_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> QuantileNormal:
        q = cls(int(state["resolution"]))
        q.marginal_ = marginal_from_state(state["marginal"])
        return q
