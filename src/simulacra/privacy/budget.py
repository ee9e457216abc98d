"""``PrivacyBudget`` (what the user allows) and ``PrivacyLedger`` (what a fit spent, by stage).

>>> budget = PrivacyBudget(epsilon=1.0, delta=1e-5)
>>> ledger = PrivacyLedger(budget, n_rows=1000)
>>> ledger.spend("model", "2-way marginals", ledger.remaining_rho)
>>> report = ledger.report()
>>> report.epsilon <= 1.0, report.stages["model"].share
(True, 1.0)
>>> PrivacyReport.from_dict(report.to_dict()) == report
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulacra.errors import ParameterError
from simulacra.privacy.accounting import cdp_epsilon, cdp_rho

ACCOUNTANT = ("zCDP (Bun & Steinke 2016), converted to (ε, δ) with Canonne, Kamath & Steinke "
              "(2020); thresholded histograms add their failure probability to δ")
#: Share of δ reserved for thresholded histograms (category and frequent-value discovery).
THRESHOLD_DELTA_SHARE = 0.1
#: δ when none is given: fixed, never derived from the table (δ = 0.1/rows would publish the
#: row count); the common choice for tables of up to some 100,000 rows.
DEFAULT_DELTA = 1e-5


@dataclass(frozen=True)
class PrivacyBudget:
    """A differential-privacy budget (ε, δ) for a whole fit.

    ``delta=None`` is :data:`DEFAULT_DELTA` (1e-5, whatever the table: a δ chosen from the
    row count would reveal it). ``epsilon`` must be > 0 and ``delta`` in (0, 1/n_rows).

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
        """δ for a table of ``n_rows`` rows (never derived from it); refuses δ ≥ 1/n, which
        would allow leaking a row.

        >>> PrivacyBudget(1.0).resolve_delta(600), PrivacyBudget(1.0).resolve_delta(60_000)
        (1e-05, 1e-05)
        """
        delta = DEFAULT_DELTA if self.delta is None else float(self.delta)
        if delta >= 1 / max(n_rows, 1):
            given = "Got" if self.delta is not None else "It defaults to"
            raise ParameterError(
                f"The 'delta' parameter must be below 1/rows = {1 / n_rows:.3g} for this table of "
                f"{n_rows:,} rows (a larger δ allows publishing a whole row). {given} {delta!r}; "
                f"give e.g. delta={0.1 / n_rows:.1g} (--delta on the command line)")
        return delta

    def to_dict(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "delta": self.delta}


@dataclass(frozen=True)
class StageSpend:
    """What one stage of a fit (``metadata``, ``model``) spent."""

    #: ρ-zCDP spent (for an RDP-accounted stage: its RDP at the conversion order / order).
    rho: float
    #: Failure probability spent by thresholded histograms.
    delta: float
    #: This stage's part of the total.
    share: float
    #: ε of this stage alone, where the accountant gives it (DP-SGD).
    epsilon_alone: float | None = None

    def to_dict(self) -> dict[str, float]:
        out = {"rho": self.rho, "delta": self.delta, "share": self.share}
        if self.epsilon_alone is not None:
            out["epsilon_alone"] = self.epsilon_alone
        return out


@dataclass(frozen=True)
class Mechanism:
    """One use of the data: ``what`` was measured in ``stage`` at cost ``rho`` (and ``delta``)."""

    stage: str
    what: str
    rho: float
    delta: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "what": self.what, "rho": self.rho, "delta": self.delta}


@dataclass(frozen=True)
class PrivacyReport:
    """The (ε, δ) guarantee a private fit reached, with what each stage and mechanism spent.

    Models keep it as ``privacy_report_``; model files hold :meth:`to_dict` (and older files,
    written as that dict, load through :meth:`from_dict`). DP-SGD fits also state their
    ``rdp_order``, ``noise_multiplier``, ``max_grad_norm``, ``sample_rate`` and ``steps``.
    """

    epsilon: float
    delta: float
    budget: PrivacyBudget
    #: Total ρ-zCDP (RDP-accounted fits: the total RDP at the conversion order / order).
    rho: float
    accountant: str
    stages: Mapping[str, StageSpend] = field(default_factory=dict)
    mechanisms: tuple[Mechanism, ...] = ()
    rdp_order: float | None = None
    noise_multiplier: float | None = None
    max_grad_norm: float | None = None
    sample_rate: float | None = None
    steps: int | None = None

    _SGD = ("noise_multiplier", "max_grad_norm", "sample_rate", "steps")

    def __str__(self) -> str:
        stages = ", ".join(f"{name} {spent.share:.0%}" for name, spent in self.stages.items())
        return (f"ε = {self.epsilon:.4g}, δ = {self.delta:.3g} (budget ε = "
                f"{self.budget.epsilon:g}); ρ by stage: {stages or 'none'}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in model files."""
        out: dict[str, Any] = {"epsilon": self.epsilon, "delta": self.delta,
                               "budget": self.budget.to_dict(), "rho": self.rho,
                               "accountant": self.accountant}
        if self.rdp_order is not None:
            out["rdp_order"] = self.rdp_order
        out["stages"] = {name: spent.to_dict() for name, spent in self.stages.items()}
        out["mechanisms"] = [m.to_dict() for m in self.mechanisms]
        out.update({k: getattr(self, k) for k in self._SGD if getattr(self, k) is not None})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrivacyReport:
        """A report from :meth:`to_dict`'s form (as every model file has it)."""
        return cls(
            epsilon=data["epsilon"], delta=data["delta"],
            budget=PrivacyBudget(**data["budget"]), rho=data["rho"],
            accountant=data["accountant"],
            stages={name: StageSpend(**spent) for name, spent in data["stages"].items()},
            mechanisms=tuple(Mechanism(**m) for m in data["mechanisms"]),
            rdp_order=data.get("rdp_order"),
            **{k: data.get(k) for k in cls._SGD})


def dump_report(report: PrivacyReport | None) -> dict[str, Any] | None:
    """What a model file keeps of a model's ``privacy_report_`` (None: not private)."""
    return None if report is None else report.to_dict()


def load_report(data: Mapping[str, Any] | None) -> PrivacyReport | None:
    """A model's ``privacy_report_`` back from its model file (None: not private)."""
    return None if data is None else PrivacyReport.from_dict(data)


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

    def report(self) -> PrivacyReport:
        """The (ε, δ) guarantee of everything spent, with ρ by stage and by mechanism."""
        rho = self.spent_rho
        conversion_delta = self.delta - self.threshold_delta
        sums: dict[str, dict[str, float]] = {}
        for e in self.entries:
            s = sums.setdefault(e["stage"], {"rho": 0.0, "delta": 0.0})
            s["rho"] += e["rho"]
            s["delta"] += e["delta"]
        stages = {name: StageSpend(s["rho"], s["delta"], round(s["rho"] / rho, 6) if rho
                                   else 0.0) for name, s in sums.items()}
        return PrivacyReport(
            epsilon=cdp_epsilon(rho, conversion_delta) if rho else 0.0,
            delta=self.delta,
            budget=self.budget,
            rho=rho,
            accountant=ACCOUNTANT,
            stages=stages,
            mechanisms=tuple(Mechanism(**e) for e in self.entries),
        )
