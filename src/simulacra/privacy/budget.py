"""``PrivacyBudget`` (what the user allows) and ``PrivacyLedger`` (what a fit spent, by stage).

>>> budget = PrivacyBudget(epsilon=1.0, delta=1e-5)
>>> ledger = PrivacyLedger(budget, n_rows=1000)
>>> ledger.spend("model", "2-way marginals", ledger.remaining_rho)
>>> report = ledger.report()
>>> report["epsilon"] <= 1.0, report["stages"]["model"]["share"]
(True, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from simulacra.errors import ParameterError
from simulacra.privacy.accounting import cdp_epsilon, cdp_rho

ACCOUNTANT = ("zCDP (Bun & Steinke 2016), converted to (ε, δ) with Canonne, Kamath & Steinke "
              "(2020); thresholded histograms add their failure probability to δ")
#: Share of δ reserved for thresholded histograms (category and frequent-value discovery).
THRESHOLD_DELTA_SHARE = 0.1


@dataclass(frozen=True)
class PrivacyBudget:
    """A differential-privacy budget (ε, δ) for a whole fit.

    ``delta=None`` picks ``min(1e-5, 0.1 / n_rows)`` at fit time. ``epsilon`` must be > 0 and
    ``delta`` in (0, 1/n_rows).

    >>> PrivacyBudget(1.0).epsilon
    1.0
    >>> PrivacyBudget(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simulacra.errors.ParameterError: The 'epsilon' parameter must be a number > 0 ...
    """

    epsilon: float
    delta: float | None = None

    def __post_init__(self) -> None:
        eps = self.epsilon
        ok = isinstance(eps, int | float) and not isinstance(eps, bool) and math.isfinite(eps) \
            and eps > 0
        if not ok:
            raise ParameterError(f"The 'epsilon' parameter must be a number > 0 (smaller is more "
                                 f"private; 1 is a common choice). Got {eps!r} instead.")
        d = self.delta
        if d is not None and not (isinstance(d, int | float) and not isinstance(d, bool)
                                  and 0 < d < 1):
            raise ParameterError(f"The 'delta' parameter must be a number in (0, 1), well below "
                                 f"1/rows (e.g. 1e-5), or None. Got {d!r} instead.")

    def resolve_delta(self, n_rows: int) -> float:
        """δ for a table of ``n_rows`` rows; refuses δ ≥ 1/n, which would allow leaking a row."""
        if self.delta is None:
            return min(1e-5, 0.1 / max(n_rows, 1))
        if self.delta >= 1 / n_rows:
            raise ParameterError(
                f"The 'delta' parameter must be below 1/rows = {1 / n_rows:.3g} for this table of "
                f"{n_rows:,} rows (a larger δ allows publishing a whole row). Got {self.delta!r}; "
                f"use e.g. delta={min(1e-5, 0.1 / n_rows):.1g}")
        return float(self.delta)

    def to_dict(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "delta": self.delta}


class PrivacyLedger:
    """Spends a budget in ρ-zCDP, stage by stage, and reports the (ε, δ) reached.

    δ is split: :data:`THRESHOLD_DELTA_SHARE` of it may be used by thresholded histograms
    (``spend(..., delta=...)``); the rest converts the total ρ to ε.
    """

    def __init__(self, budget: PrivacyBudget, n_rows: int) -> None:
        self.budget = budget
        self.delta = budget.resolve_delta(n_rows)
        self.threshold_delta = THRESHOLD_DELTA_SHARE * self.delta
        self.total_rho = cdp_rho(budget.epsilon, self.delta - self.threshold_delta)
        self.entries: list[dict[str, Any]] = []

    @property
    def spent_rho(self) -> float:
        return sum(e["rho"] for e in self.entries)

    @property
    def spent_delta(self) -> float:
        return sum(e["delta"] for e in self.entries)

    @property
    def remaining_rho(self) -> float:
        return max(self.total_rho - self.spent_rho, 0.0)

    def spend(self, stage: str, what: str, rho: float, delta: float = 0.0) -> None:
        """Record ``rho`` (and a failure probability ``delta``) spent on ``what``."""
        if rho < 0 or delta < 0:
            raise ValueError("rho and delta must be >= 0")
        if rho > self.remaining_rho * (1 + 1e-9) + 1e-15:
            raise RuntimeError(f"privacy budget overspent: {what} asks ρ={rho:.4g}, "
                               f"{self.remaining_rho:.4g} left")
        if self.spent_delta + delta > self.threshold_delta * (1 + 1e-9):
            raise RuntimeError(f"threshold δ overspent by {what}")
        self.entries.append({"stage": stage, "what": what, "rho": float(rho),
                             "delta": float(delta)})

    def report(self) -> dict[str, Any]:
        """The (ε, δ) guarantee of everything spent, with ρ by stage and by mechanism."""
        rho = self.spent_rho
        conversion_delta = self.delta - self.threshold_delta
        stages: dict[str, dict[str, float]] = {}
        for e in self.entries:
            s = stages.setdefault(e["stage"], {"rho": 0.0, "delta": 0.0})
            s["rho"] += e["rho"]
            s["delta"] += e["delta"]
        for s in stages.values():
            s["share"] = round(s["rho"] / rho, 6) if rho else 0.0
        return {
            "epsilon": cdp_epsilon(rho, conversion_delta) if rho else 0.0,
            "delta": self.delta,
            "budget": self.budget.to_dict(),
            "rho": rho,
            "accountant": ACCOUNTANT,
            "stages": stages,
            "mechanisms": list(self.entries),
        }
