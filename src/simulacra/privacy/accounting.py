"""zero-concentrated DP (zCDP) accounting and its conversion to (ε, δ)-DP.

Every mechanism simulacra runs under a privacy budget is accounted in ρ-zCDP (Bun & Steinke,
TCC 2016): the Gaussian mechanism with L2 sensitivity Δ and noise σ is ``Δ²/(2σ²)``-zCDP, the
exponential mechanism with parameter ε is ``ε²/8``-zCDP (Cesar & Rogers 2021), and ρ's add up
under composition. A mechanism that also fails with probability δ (a thresholded histogram
over values not known in advance) is δ-approximately ρ-zCDP; those δ's add up too.

The total ρ is converted to (ε, δ) with the tight bound of Canonne, Kamath & Steinke (NeurIPS
2020, Proposition 12): ``δ = inf_α exp((α−1)(αρ−ε)) / (α−1) · (1 − 1/α)^α``.

>>> round(cdp_epsilon(0.5, 1e-5), 3)
4.728
>>> round(cdp_rho(1.0, 1e-5), 4)
0.0306
>>> bool(abs(cdp_epsilon(cdp_rho(3.0, 1e-6), 1e-6) - 3.0) < 1e-6)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy.special import ndtr


def cdp_delta(rho: float, epsilon: float) -> float:
    """The smallest δ such that ρ-zCDP implies (ε, δ)-DP (tight conversion)."""
    if rho < 0 or epsilon < 0:
        raise ValueError("rho and epsilon must be >= 0")
    if rho == 0:
        return 0.0
    # The exponent is convex in α; bisect on its derivative for the minimising α (always
    # above 1, where the derivative tends to -∞; close to 1 for a large ρ).
    low, high = _bisect(
        lambda a: (2 * a - 1) * rho - epsilon + math.log1p(-1 / a) < 0,
        1 + 1e-9, (epsilon + 1) / (2 * rho) + 2)
    alpha = (low + high) / 2
    log_delta = (alpha - 1) * (alpha * rho - epsilon) + alpha * math.log1p(-1 / alpha) \
        - math.log(alpha - 1)
    # δ is at most 1: cap in log space (exp of a large ρ's exponent would overflow)
    return math.exp(min(log_delta, 0.0))


def cdp_epsilon(rho: float, delta: float) -> float:
    """The smallest ε such that ρ-zCDP implies (ε, δ)-DP."""
    _check_delta(delta)
    if rho <= 0:
        return 0.0
    classic = rho + 2 * math.sqrt(rho * math.log(1 / delta))
    return _bisect(lambda eps: cdp_delta(rho, eps) > delta, 0.0, classic + 1)[1]


def cdp_rho(epsilon: float, delta: float) -> float:
    """The largest ρ such that ρ-zCDP implies (ε, δ)-DP."""
    _check_delta(delta)
    if epsilon <= 0:
        raise ValueError("epsilon must be > 0")
    return _bisect(lambda rho: cdp_delta(rho, epsilon) <= delta, 0.0, epsilon + 1.0)[0]


def gaussian_sigma(rho: float, sensitivity: float = 1.0) -> float:
    """Noise scale of the Gaussian mechanism that is ρ-zCDP for L2 ``sensitivity``."""
    if rho <= 0:
        raise ValueError("rho must be > 0")
    return sensitivity / math.sqrt(2 * rho)


def exponential_epsilon(rho: float) -> float:
    """The ε of an exponential mechanism that is ρ-zCDP (ε²/8 = ρ, bounded range)."""
    return math.sqrt(8 * rho)


def gaussian_exact_delta(sigma: float, epsilon: float, sensitivity: float = 1.0) -> float:
    """The exact δ(ε) of the Gaussian mechanism (Balle & Wang, ICML 2018, Theorem 8).

    A reference to test the zCDP conversion against: zCDP accounting may never claim less.
    """
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return float(ndtr(a - b) - math.exp(epsilon) * ndtr(-a - b))


def _bisect(go_up: Callable[[float], bool], low: float, high: float,
            steps: int = 200) -> tuple[float, float]:
    """Narrow [low, high] around the point where ``go_up`` turns from True to False."""
    for _ in range(steps):
        mid = (low + high) / 2
        if go_up(mid):
            low = mid
        else:
            high = mid
    return low, high


def _check_delta(delta: float) -> None:
    if not 0 < delta < 1:
        raise ValueError("delta must be in (0, 1)")
