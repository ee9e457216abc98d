"""Histograms of code columns over cliques of attributes (the data side of MST and AIM).

>>> codes = {"a": np.array([0, 1, 1]), "b": np.array([2, 0, 2])}
>>> histogram(codes, {"a": 2, "b": 3}, ("a", "b")).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from simulacra.models.discrete.pgm.estimation import Measurement
from simulacra.privacy import PrivacyLedger
from simulacra.privacy.accounting import gaussian_sigma
from simulacra.privacy.mechanisms import gaussian_counts


def histogram(codes: Mapping[str, np.ndarray], sizes: Mapping[str, int],
              clique: tuple[str, ...]) -> np.ndarray:
    """Counts of every configuration of ``clique``, axes in its order."""
    shape = [sizes[a] for a in clique]
    flat = np.ravel_multi_index([codes[a] for a in clique], shape) if clique else \
        np.zeros(len(next(iter(codes.values()))), np.int64)
    return np.bincount(flat, minlength=math.prod(shape)).reshape(shape).astype(float)


def measure(codes: Mapping[str, np.ndarray], sizes: Mapping[str, int], clique: tuple[str, ...],
            rho: float, ledger: PrivacyLedger, rng: np.random.Generator,
            what: str = "marginal") -> Measurement:
    """The Gaussian mechanism on ``clique``'s histogram (ρ-zCDP), recorded in ``ledger``."""
    ledger.spend("model", f"{what} {' × '.join(clique)}", rho)
    y = gaussian_counts(histogram(codes, sizes, clique), rho, rng)
    return Measurement(clique, y, gaussian_sigma(rho))
