"""Rényi-DP curves on a grid of orders, and their conversion to (ε, δ): pure numpy.

An RDP curve gives ε(α) for each order α of :data:`DEFAULT_ORDERS`; curves of mechanisms run
on the same rows add up order by order. ρ-zCDP is the curve ε(α) = ρ·α (Bun & Steinke 2016,
:func:`zcdp_rdp`). A curve converts to (ε, δ) at any order (Balle et al., AISTATS 2020,
Theorem 21), so the best order of the grid gives a sound ε (:func:`rdp_epsilon`), and
:func:`zcdp_room` inverts that: the largest ρ-zCDP spend a curve leaves within a budget ε.

Both :mod:`~simulacra.privacy.budget` (a ledger holding RDP curves) and
:mod:`~simulacra.privacy.rdp` (DP-SGD) build on this module; it imports nothing (opacus
included) beyond numpy.

>>> orders = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
>>> eps, order = rdp_epsilon(zcdp_rdp(0.01, orders), orders, 1e-5)  # ρ = 0.01 alone
>>> round(eps, 3), order  # the zCDP conversion of ρ = 0.01 gives ε = 0.5457
(0.548, 32.0)
>>> rho = zcdp_room(zcdp_rdp(0.01, orders), 1.0, 1e-5, orders)  # what ε = 1 leaves
>>> round(rho, 5), round(rdp_epsilon(zcdp_rdp(0.01 + rho, orders), orders, 1e-5)[0], 9)
(0.02012, 1.0)
"""

from __future__ import annotations

import numpy as np

#: RDP orders: opacus's ``RDPAccountant.DEFAULT_ALPHAS`` and larger ones (small ε and zCDP
#: stages reach their best conversion at high orders).
DEFAULT_ORDERS = np.array([1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
                          + [64, 80, 96, 128, 160, 192, 256, 320, 384, 512], dtype=float)


def zcdp_rdp(rho: float, orders: np.ndarray = DEFAULT_ORDERS) -> np.ndarray:
    """RDP curve ε(α) = ρ·α of a ρ-zCDP mechanism.

    >>> zcdp_rdp(0.5, np.array([2.0, 10.0])).tolist()
    [1.0, 5.0]
    """
    return rho * np.asarray(orders, dtype=float)


def _conversion_terms(orders: np.ndarray, delta: float) -> np.ndarray:
    """What Balle et al.'s conversion adds to ε(α) at each order: ε = ε(α) + term(α)."""
    return -(np.log(delta) + np.log(orders)) / (orders - 1) + np.log((orders - 1) / orders)


def rdp_epsilon(rdp: np.ndarray, orders: np.ndarray, delta: float) -> tuple[float, float]:
    """``(ε, best order)`` of an RDP curve at ``delta`` (Balle et al. 2020, Theorem 21).

    >>> rdp_epsilon(np.array([0.0, 0.0]), np.array([2.0, 3.0]), 1e-5)  # nothing spent
    (0.0, 2.0)
    """
    orders = np.asarray(orders, dtype=float)
    rdp = np.asarray(rdp, dtype=float)
    if not rdp.any():
        return 0.0, float(orders[0])
    eps = rdp + _conversion_terms(orders, delta)
    eps = np.where(np.isnan(eps), np.inf, eps)
    best = int(np.argmin(eps))
    return max(float(eps[best]), 0.0), float(orders[best])


def zcdp_room(rdp: np.ndarray, epsilon: float, delta: float,
              orders: np.ndarray = DEFAULT_ORDERS) -> float:
    """The largest ρ whose zCDP curve added to ``rdp`` keeps :func:`rdp_epsilon` ≤ ``epsilon``.

    Exact on the grid: at order α the total converts to ``rdp(α) + ρ·α + term(α)``, so the
    largest ρ is ``max over α of (epsilon − rdp(α) − term(α)) / α`` (0 when ``rdp`` alone
    already exceeds ``epsilon``). Rounding is settled on the safe side: the ρ returned is
    checked, and bisected down if floating point put it a hair over.

    >>> orders = np.array([2.0, 8.0, 32.0])
    >>> zcdp_room(zcdp_rdp(1.0, orders), 1.0, 1e-5, orders)  # ρ = 1 alone exceeds ε = 1
    0.0
    """
    orders = np.asarray(orders, dtype=float)
    rdp = np.asarray(rdp, dtype=float)
    with np.errstate(invalid="ignore"):
        room = (epsilon - rdp - _conversion_terms(orders, delta)) / orders
    room = np.where(np.isnan(room), -np.inf, room)
    rho = float(room.max())
    if not rho > 0:
        return 0.0

    def fits(r: float) -> bool:
        return rdp_epsilon(rdp + r * orders, orders, delta)[0] <= epsilon

    if fits(rho):
        return rho
    low, high = 0.0, rho
    if not fits(low):
        return 0.0
    for _ in range(200):
        mid = (low + high) / 2
        if mid in (low, high):
            break
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low
