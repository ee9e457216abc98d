"""The DP mechanisms DP models are built from, each stated in ρ-zCDP.

All take an explicit ``numpy.random.Generator``. Neighbouring tables differ by one row
(add/remove), so a histogram has L2 sensitivity 1.

>>> rng = np.random.default_rng(0)
>>> noisy = gaussian_counts(np.array([100.0, 5.0]), rho=10.0, rng=rng)
>>> bool(np.all(np.abs(noisy - [100, 5]) < 2))
True
>>> int(exponential_mechanism(np.array([0.0, 50.0, 1.0]), 1.0, 1.0, rng))
1
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from simulacra.privacy.accounting import exponential_epsilon, gaussian_sigma


def gaussian_counts(counts: np.ndarray, rho: float, rng: np.random.Generator,
                    sensitivity: float = 1.0) -> np.ndarray:
    """``counts`` plus Gaussian noise that makes their release ρ-zCDP."""
    sigma = gaussian_sigma(rho, sensitivity)
    return np.asarray(counts, dtype=float) + rng.normal(0.0, sigma, size=np.shape(counts))


#: Share of a budget's total ρ a DP-SGD fit spends on the noisy row count it plans its
#: schedule from (:func:`schedule_count`).
COUNT_SHARE = 0.01


def schedule_count(n: int, ledger: Any, rng: np.random.Generator, *, stage: str,
                   unit: str = "rows") -> int:
    """A noisy count of ``n`` rows (or entities: ``unit``), at least 1, for planning DP-SGD
    (batch, Poisson rate ``batch / count``, steps: those figures are kept in model files, and
    from the exact count they would give it back) and for judging whether the budget suits the
    table (:mod:`~simulacra.privacy.adequacy`). ρ-zCDP with :data:`COUNT_SHARE` of
    ``ledger``'s total ρ, spent in ``stage``; drawn from a child of ``rng`` (its own stream
    left as it was).

    >>> from simulacra.privacy import PrivacyBudget, PrivacyLedger
    >>> ledger = PrivacyLedger(PrivacyBudget(1.0), 1000)
    >>> abs(schedule_count(1000, ledger, np.random.default_rng(0), stage="model") - 1000) < 250
    True
    """
    rho = COUNT_SHARE * ledger.total_rho
    ledger.spend(stage, f"{unit}: noisy count (schedule, budget check)", rho)
    noisy = gaussian_counts(np.array([n]), rho, rng.spawn(1)[0])[0]
    return max(1, round(float(noisy)))


def exponential_mechanism(scores: np.ndarray, sensitivity: float, rho: float,
                          rng: np.random.Generator) -> int:
    """Index of a candidate drawn with probability ∝ exp(ε·score / (2·sensitivity)).

    ρ-zCDP with ε = √(8ρ) (bounded-range analysis). Sampled with the Gumbel-max trick.
    """
    scores = np.asarray(scores, dtype=float)
    epsilon = exponential_epsilon(rho)
    logits = epsilon * (scores - scores.max()) / (2 * sensitivity)
    return int(np.argmax(logits + rng.gumbel(size=scores.shape)))


def threshold(rho: float, delta: float) -> float:
    """The noisy-count threshold above which a value unseen in a neighbour appears w.p. ≤ δ."""
    sigma = gaussian_sigma(rho)
    return 1.0 + sigma * float(-ndtri(delta))  # the normal quantile isf(delta)


def frequent_values(values: pd.Series, rho: float, delta: float, rng: np.random.Generator,
                    minimum_count: float = 0.0) -> dict[Hashable, float]:
    """Values whose noisy count passes the threshold, with those noisy counts.

    A stable histogram (Bun, Nissim & Stemmer 2016): only values found in the data are
    counted, so it is δ-approximately ρ-zCDP: a row with a value no other row has is published
    with probability at most ``delta``. Rare values (noisy count below the threshold or
    ``minimum_count``) are suppressed. Nulls are never counted here.
    """
    counts = values.dropna().value_counts(sort=False)
    if counts.empty:
        return {}
    noisy = gaussian_counts(counts.to_numpy(dtype=float), rho, rng)
    cut = max(threshold(rho, delta), minimum_count)
    keep = noisy >= cut
    kept = counts.index[keep]
    return dict(zip(kept.tolist(), noisy[keep].tolist(), strict=True))
