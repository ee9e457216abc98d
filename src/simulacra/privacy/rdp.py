"""Rényi DP accounting for DP-SGD, composed with the zCDP stages of a fit.

A fit of a deep model under a budget has two stages that look at the data:

* ``metadata``: bounds, bins and category sets learned by the private
  :class:`~simulacra.encoders.binned.BinnedCodec`, accounted in ρ-zCDP by a
  :class:`~simulacra.privacy.PrivacyLedger`. ρ-zCDP is RDP of order α with ε(α) = ρ·α for every
  α > 1 (Bun & Steinke 2016);
* ``model``: DP-SGD (Abadi et al. 2016), ``steps`` noisy gradient steps on Poisson-sampled
  batches (sample rate ``q``, noise multiplier σ). Its RDP is opacus's bound for the sampled
  Gaussian mechanism (Mironov, Talwar & Zhang 2019), ``opacus.accountants.analysis.rdp``.

RDP adds up order by order; the total is converted to (ε, δ) with Balle et al. (AISTATS 2020,
Theorem 21) on a shared grid of orders — the conversion opacus's ``RDPAccountant`` uses, so
without a metadata stage the ε here is exactly opacus's. :func:`calibrate_noise` finds the
smallest noise multiplier whose total ε stays within the budget. Stable histograms (category
discovery) fail with a probability that is added to δ, as in the ledger.

>>> orders = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
>>> eps, order = rdp_epsilon(zcdp_rdp(0.01, orders), orders, 1e-5)  # ρ = 0.01 alone
>>> round(eps, 3), order  # the zCDP conversion of ρ = 0.01 gives ε = 0.5457
(0.548, 32.0)
>>> sigma = calibrate_noise(3.0, 1e-5, sample_rate=0.01, steps=1000, rho=0.01)
>>> eps = rdp_epsilon(zcdp_rdp(0.01) + sgd_rdp(0.01, sigma, 1000), DEFAULT_ORDERS, 1e-5)[0]
>>> 2.99 < eps <= 3.0
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.privacy.budget import Mechanism, PrivacyReport, StageSpend

#: RDP orders: opacus's ``RDPAccountant.DEFAULT_ALPHAS`` and larger ones (small ε and zCDP
#: stages reach their best conversion at high orders).
DEFAULT_ORDERS = np.array([1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
                          + [64, 80, 96, 128, 160, 192, 256, 320, 384, 512], dtype=float)

ACCOUNTANT = ("Rényi DP: DP-SGD (opacus's subsampled-Gaussian RDP) composed with the zCDP "
              "metadata stage (RDP ρ·α), converted to (ε, δ) by Balle et al. (2020); a stage's "
              "ρ is its RDP at the conversion order / α")


def require_opacus() -> Any:
    """Import opacus, or explain how to install it."""
    from simulacra.errors import SimulacraError

    try:
        import opacus
    except ImportError:
        raise SimulacraError('differentially private training of the deep models needs opacus: '
                             'pip install "simulacra[dp]"') from None
    return opacus


def zcdp_rdp(rho: float, orders: np.ndarray = DEFAULT_ORDERS) -> np.ndarray:
    """RDP curve ε(α) = ρ·α of a ρ-zCDP mechanism."""
    return rho * np.asarray(orders, dtype=float)


def sgd_rdp(sample_rate: float, noise_multiplier: float, steps: int,
            orders: np.ndarray = DEFAULT_ORDERS) -> np.ndarray:
    """RDP curve of ``steps`` sampled Gaussian steps (opacus's analysis); needs opacus."""
    require_opacus()
    from opacus.accountants.analysis.rdp import compute_rdp

    if steps <= 0:
        return np.zeros(len(orders))
    return np.asarray(compute_rdp(q=float(sample_rate), noise_multiplier=float(noise_multiplier),
                                  steps=int(steps), orders=[float(a) for a in orders]),
                      dtype=float)


def rdp_epsilon(rdp: np.ndarray, orders: np.ndarray, delta: float) -> tuple[float, float]:
    """``(ε, best order)`` of an RDP curve at ``delta`` (Balle et al. 2020, Theorem 21).

    >>> rdp_epsilon(np.array([0.0, 0.0]), np.array([2.0, 3.0]), 1e-5)  # nothing spent
    (0.0, 2.0)
    """
    orders = np.asarray(orders, dtype=float)
    rdp = np.asarray(rdp, dtype=float)
    if not rdp.any():
        return 0.0, float(orders[0])
    eps = rdp - (np.log(delta) + np.log(orders)) / (orders - 1) + np.log((orders - 1) / orders)
    eps = np.where(np.isnan(eps), np.inf, eps)
    best = int(np.argmin(eps))
    return max(float(eps[best]), 0.0), float(orders[best])


def calibrate_noise(epsilon: float, delta: float, *, sample_rate: float, steps: int,
                    rho: float = 0.0, orders: np.ndarray = DEFAULT_ORDERS,
                    tolerance: float = 1e-3) -> float:
    """Smallest noise multiplier (to ``tolerance`` relative) keeping the total ε ≤ ``epsilon``.

    The total is ``steps`` DP-SGD steps composed with a ``rho``-zCDP stage, at ``delta``.
    """
    fixed = zcdp_rdp(rho, orders)
    if rdp_epsilon(fixed, orders, delta)[0] >= epsilon:
        raise ValueError(f"the zCDP stages alone (ρ={rho:.4g}) already spend ε={epsilon}")

    def total(sigma: float) -> float:
        return rdp_epsilon(fixed + sgd_rdp(sample_rate, sigma, steps, orders), orders, delta)[0]

    low, high = 0.05, 1.0
    while total(high) > epsilon:
        low, high = high, high * 2
        if high > 1e6:
            raise ValueError("no noise multiplier below 1e6 meets the budget")
    while high / low > 1 + tolerance:
        mid = (low * high) ** 0.5
        if total(mid) > epsilon:
            low = mid
        else:
            high = mid
    return high


def composed_report(*, ledger: Any, sample_rate: float, noise_multiplier: float, steps: int,
                    max_grad_norm: float, orders: np.ndarray = DEFAULT_ORDERS) -> PrivacyReport:
    """The privacy report of a metadata ledger composed with DP-SGD, as the discrete models'.

    ``epsilon`` is what the steps actually taken reached; each stage's ``rho`` is its RDP at
    the order the conversion used divided by that order (exactly ρ for the zCDP stage), and
    ``share`` its part of the total RDP there.
    """
    conversion_delta = ledger.delta - ledger.threshold_delta
    meta = zcdp_rdp(ledger.spent_rho, orders)
    sgd = sgd_rdp(sample_rate, noise_multiplier, steps, orders)
    epsilon, order = rdp_epsilon(meta + sgd, orders, conversion_delta)
    at = int(np.flatnonzero(orders == order)[0])
    total = meta[at] + sgd[at]
    base = ledger.report()
    stages = {
        "metadata": StageSpend(float(ledger.spent_rho), float(ledger.spent_delta),
                               round(float(meta[at] / total), 6) if total else 0.0),
        "model": StageSpend(float(sgd[at] / order), 0.0,
                            round(float(sgd[at] / total), 6) if total else 0.0,
                            epsilon_alone=rdp_epsilon(sgd, orders, conversion_delta)[0]),
    }
    return PrivacyReport(
        epsilon=epsilon,
        delta=float(ledger.delta),
        budget=base.budget,
        rho=float(total / order),
        accountant=ACCOUNTANT,
        rdp_order=order,
        stages=stages,
        mechanisms=(*base.mechanisms,
                    Mechanism("model", "DP-SGD (subsampled Gaussian)", float(sgd[at] / order))),
        noise_multiplier=float(noise_multiplier),
        max_grad_norm=float(max_grad_norm),
        sample_rate=float(sample_rate),
        steps=int(steps),
    )
