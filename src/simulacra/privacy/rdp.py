"""Rényi DP accounting for DP-SGD, composed with the stages of a fit before it.

A fit of a deep model under a budget has stages that look at the data:

* ``metadata``: bounds, bins and category sets learned by the private
  :class:`~simulacra.encoders.binned.BinnedCodec`, accounted in ρ-zCDP by a
  :class:`~simulacra.privacy.PrivacyLedger`. ρ-zCDP is RDP of order α with ε(α) = ρ·α for every
  α > 1 (Bun & Steinke 2016);
* optionally stages accounted in RDP that the ledger records as curves
  (:meth:`~simulacra.privacy.PrivacyLedger.spend_rdp`), e.g. DP-SGD of a text column's model;
* ``model``: DP-SGD (Abadi et al. 2016), ``steps`` noisy gradient steps on Poisson-sampled
  batches (sample rate ``q``, noise multiplier σ). Its RDP is opacus's bound for the sampled
  Gaussian mechanism (Mironov, Talwar & Zhang 2019), ``opacus.accountants.analysis.rdp``.

RDP adds up order by order; the total is converted to (ε, δ) with Balle et al. (AISTATS 2020,
Theorem 21) on a shared grid of orders — the conversion opacus's ``RDPAccountant`` uses, so
without a metadata stage the ε here is exactly opacus's. :func:`calibrate_noise` finds the
smallest noise multiplier whose total ε stays within the budget. Stable histograms (category
discovery) fail with a probability that is added to δ, as in the ledger. The grid and the
conversion live in :mod:`~simulacra.privacy.renyi` (no opacus), re-exported here.

>>> orders = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
>>> eps, order = rdp_epsilon(zcdp_rdp(0.01, orders), orders, 1e-5)  # ρ = 0.01 alone
>>> round(eps, 3), order  # the zCDP conversion of ρ = 0.01 gives ε = 0.5457
(0.548, 32.0)
>>> sigma = calibrate_noise(3.0, 1e-5, sample_rate=0.01, steps=1000, rho=0.01)
>>> eps = rdp_epsilon(zcdp_rdp(0.01) + sgd_rdp(0.01, sigma, 1000), DEFAULT_ORDERS, 1e-5)[0]
>>> 2.99 < eps <= 3.0
True
>>> before = zcdp_rdp(0.01) + sgd_rdp(0.02, 2.0, 300)  # e.g. a ledger's spent_rdp()
>>> sigma = calibrate_noise(3.0, 1e-5, sample_rate=0.01, steps=1000, fixed=before)
>>> eps = rdp_epsilon(before + sgd_rdp(0.01, sigma, 1000), DEFAULT_ORDERS, 1e-5)[0]
>>> 2.99 < eps <= 3.0
True
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from simulacra.privacy.budget import PrivacyReport, StageSpend
from simulacra.privacy.renyi import DEFAULT_ORDERS, rdp_epsilon, zcdp_rdp, zcdp_room

__all__ = ["ACCOUNTANT", "DEFAULT_ORDERS", "STAGED_ACCOUNTANT", "calibrate_noise",
           "composed_report", "rdp_epsilon", "require_opacus", "sgd_rdp", "zcdp_rdp", "zcdp_room"]

ACCOUNTANT = ("Rényi DP: DP-SGD (opacus's subsampled-Gaussian RDP) composed with the zCDP "
              "metadata stage (RDP ρ·α), converted to (ε, δ) by Balle et al. (2020); a stage's "
              "ρ is its RDP at the conversion order / α")
#: The accountant when the ledger also holds RDP curves of stages before the model's.
STAGED_ACCOUNTANT = ("Rényi DP: DP-SGD (opacus's subsampled-Gaussian RDP) composed with the "
                     "zCDP metadata stage (RDP ρ·α) and the RDP curves of stages before the "
                     "model (e.g. DP-SGD of a text column's model), converted to (ε, δ) by "
                     "Balle et al. (2020); a stage's ρ is its RDP at the conversion order / α")


def require_opacus() -> Any:
    """Import opacus, or explain how to install it."""
    from simulacra.errors import SimulacraError

    try:
        import opacus
    except ImportError:
        raise SimulacraError('differentially private training of the deep models needs opacus: '
                             'pip install "simulacra[dp]"') from None
    return opacus


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


def calibrate_noise(epsilon: float, delta: float, *, sample_rate: float, steps: int,
                    rho: float = 0.0, fixed: np.ndarray | None = None,
                    orders: np.ndarray = DEFAULT_ORDERS, tolerance: float = 1e-3) -> float:
    """Smallest noise multiplier (to ``tolerance`` relative) keeping the total ε ≤ ``epsilon``.

    The total is ``steps`` DP-SGD steps composed, at ``delta``, with what was spent before
    them: a ``rho``-zCDP stage and ``fixed``, an RDP curve on ``orders`` (a ledger's
    :meth:`~simulacra.privacy.PrivacyLedger.spent_rdp`, its zCDP spends and RDP curves).
    """
    before = zcdp_rdp(rho, orders)
    if fixed is not None:
        fixed = np.asarray(fixed, dtype=float)
        if fixed.shape != before.shape:
            raise ValueError(f"fixed must be an RDP curve on the {len(before)} orders, got "
                             f"shape {fixed.shape}")
        before = before + fixed
    reached = rdp_epsilon(before, orders, delta)[0]
    if reached >= epsilon:
        spent = f"ρ={rho:.4g}" if fixed is None else f"ε={reached:.4g}"
        raise ValueError(f"the stages before DP-SGD alone ({spent}) already spend ε={epsilon}")

    def total(sigma: float) -> float:
        return rdp_epsilon(before + sgd_rdp(sample_rate, sigma, steps, orders), orders,
                           delta)[0]

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
    """The privacy report of a ledger composed with a model's DP-SGD, as the discrete models'.

    ``epsilon`` is what the steps actually taken reached, with everything the ledger holds
    (:meth:`~simulacra.privacy.PrivacyLedger.rdp_report`): its stages (``metadata``, and e.g.
    ``text`` for an RDP curve it recorded) and ``model``. Each stage's ``rho`` is its RDP at
    the order the conversion used divided by that order (exactly ρ for a zCDP stage), and
    ``share`` its part of the total RDP there.
    """
    sgd = sgd_rdp(sample_rate, noise_multiplier, steps, orders)
    report = ledger.rdp_report([("model", "DP-SGD (subsampled Gaussian)", sgd)], orders)
    stages = dict(report.stages)
    if "metadata" not in stages:
        stages = {"metadata": StageSpend(0.0, 0.0, 0.0), **stages}
    return replace(
        report,
        accountant=STAGED_ACCOUNTANT if ledger.has_curves else ACCOUNTANT,
        stages=stages,
        noise_multiplier=float(noise_multiplier),
        max_grad_norm=float(max_grad_norm),
        sample_rate=float(sample_rate),
        steps=int(steps),
    )
