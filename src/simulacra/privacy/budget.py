"""``PrivacyBudget`` (what the user allows) and ``PrivacyLedger`` (what a fit spent, by stage).

>>> budget = PrivacyBudget(epsilon=1.0, delta=1e-5)
>>> ledger = PrivacyLedger(budget, n_rows=1000)
>>> ledger.spend("model", "2-way marginals", ledger.remaining_rho)
>>> report = ledger.report()
>>> report.epsilon <= 1.0, report.stages["model"].share
(True, 1.0)
>>> PrivacyReport.from_dict(report.to_dict()) == report
True

A stage accounted in Rényi DP (DP-SGD) spends its RDP curve on :data:`DEFAULT_ORDERS`; the
ledger then composes and converts everything on that grid:

>>> ledger = PrivacyLedger(budget, n_rows=1000)
>>> ledger.spend("metadata", "bounds", 0.1 * ledger.total_rho)
>>> ledger.spend_rdp("text", "a Gaussian", zcdp_rdp(0.2 * ledger.total_rho))  # any RDP curve
>>> ledger.spend("model", "marginals", ledger.remaining_rho)
>>> report = ledger.report()
>>> 0.999 < report.epsilon <= 1.0, list(report.stages), report.stages["metadata"].share
(True, ['metadata', 'text', 'model'], 0.1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulacra.errors import ParameterError
from simulacra.privacy.accounting import cdp_epsilon, cdp_rho
from simulacra.privacy.renyi import DEFAULT_ORDERS, rdp_epsilon, zcdp_rdp, zcdp_room

ACCOUNTANT = ("zCDP (Bun & Steinke 2016), converted to (ε, δ) with Canonne, Kamath & Steinke "
              "(2020); thresholded histograms add their failure probability to δ")
#: The accountant of a ledger holding RDP curves (:meth:`PrivacyLedger.spend_rdp`).
RDP_ACCOUNTANT = ("Rényi DP: zCDP stages (RDP ρ·α) composed with RDP-accounted stages (DP-SGD's "
                  "subsampled Gaussian), converted to (ε, δ) by Balle et al. (2020); a stage's "
                  "ρ is its RDP at the conversion order / α; thresholded histograms add their "
                  "failure probability to δ")
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
    written as that dict, load through :meth:`from_dict`). Reports accounted in Rényi DP state
    their ``rdp_order``; DP-SGD fits also their ``noise_multiplier``, ``max_grad_norm``,
    ``sample_rate`` and ``steps``.
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
    """Spends a budget stage by stage, and reports the (ε, δ) reached.

    Most mechanisms are accounted in ρ-zCDP (:meth:`spend`). A stage accounted in Rényi DP
    (DP-SGD, whose subsampled Gaussian is no zCDP mechanism) records its RDP curve on
    :data:`~simulacra.privacy.renyi.DEFAULT_ORDERS` instead (:meth:`spend_rdp`). While no
    curve is spent the ledger converts the total ρ to ε exactly (Canonne, Kamath & Steinke
    2020); once one is, everything is composed order by order (:meth:`spent_rdp`) and
    converted on that grid (Balle et al. 2020): :attr:`remaining_rho` is then the ρ that
    conversion leaves, and :meth:`report` states the ε it gives.

    δ is split: :data:`THRESHOLD_DELTA_SHARE` of it may be used by thresholded histograms
    (``spend(..., delta=...)``); the rest (:attr:`conversion_delta`) converts to ε.

    ``entries`` lists the spends in order, as dicts: ``stage``, ``what``, ``delta`` and
    either ``rho`` (zCDP) or ``curve`` (RDP, a read-only array on the grid).
    """

    def __init__(self, budget: PrivacyBudget, n_rows: int) -> None:
        self.budget = budget
        self.delta = budget.resolve_delta(n_rows)
        self.threshold_delta = THRESHOLD_DELTA_SHARE * self.delta
        self.total_rho = cdp_rho(budget.epsilon, self.delta - self.threshold_delta)
        self.entries: list[dict[str, Any]] = []

    @property
    def conversion_delta(self) -> float:
        """The δ that converts the total to ε: δ less the thresholded histograms' share."""
        return self.delta - self.threshold_delta

    @property
    def spent_rho(self) -> float:
        """ρ spent by zCDP mechanisms (RDP curves are not in it: see :meth:`spent_rdp`)."""
        return sum(e["rho"] for e in self.entries if "curve" not in e)

    @property
    def spent_delta(self) -> float:
        return sum(e["delta"] for e in self.entries)

    @property
    def has_curves(self) -> bool:
        """Whether an RDP curve (other than all zeros) was spent: the ledger then accounts on
        the grid of orders."""
        return bool(self._curves().any())

    def spent_rdp(self) -> np.ndarray:
        """The total RDP curve on ``DEFAULT_ORDERS``: the zCDP spends (ρ·α) and every curve.

        >>> ledger = PrivacyLedger(PrivacyBudget(1.0), 1000)
        >>> ledger.spend("metadata", "bounds", 0.001)
        >>> ledger.spend_rdp("text", "a Gaussian", zcdp_rdp(0.002))
        >>> bool(np.allclose(ledger.spent_rdp(), zcdp_rdp(0.003)))
        True
        """
        return zcdp_rdp(self.spent_rho) + self._curves()

    @property
    def remaining_rho(self) -> float:
        """The largest ρ a zCDP mechanism may still spend: ``total_rho − spent_rho`` while no
        curve is spent, else the largest ρ whose curve ρ·α added to :meth:`spent_rdp` stays
        within ε at :attr:`conversion_delta` on the grid."""
        if not self.has_curves:
            return max(self.total_rho - self.spent_rho, 0.0)
        return zcdp_room(self.spent_rdp(), self.budget.epsilon, self.conversion_delta)

    def remaining_rho_after(self, curve: np.ndarray) -> float:
        """What :attr:`remaining_rho` would be once ``curve`` is spent too (0 when it would
        overspend): sizes an RDP stage so that it leaves the later ones their part.

        >>> ledger = PrivacyLedger(PrivacyBudget(1.0), 1000)
        >>> curve = zcdp_rdp(0.25 * ledger.total_rho)
        >>> after = ledger.remaining_rho_after(curve)
        >>> bool(0.7 * ledger.total_rho < after < 0.75 * ledger.total_rho)  # the grid costs a bit
        True
        >>> ledger.spend_rdp("text", "a Gaussian", curve)
        >>> ledger.remaining_rho == after
        True
        """
        curve = _checked_curve(curve)
        if not (self._curves() + curve).any():
            return self.remaining_rho
        return zcdp_room(self.spent_rdp() + curve, self.budget.epsilon, self.conversion_delta)

    @property
    def spent_rho_equivalent(self) -> float:
        """The part of ``total_rho`` no longer available: ``spent_rho`` while no curve is
        spent, else ``total_rho − remaining_rho`` (the curves counted at what they cost the
        zCDP spends, the grid's conversion included). A measure of progress through the
        budget (AIM grows its model with it)."""
        if not self.has_curves:
            return self.spent_rho
        return max(self.total_rho - self.remaining_rho, 0.0)

    def spend(self, stage: str, what: str, rho: float, delta: float = 0.0) -> None:
        """Record ``rho`` (and a failure probability ``delta``) spent on ``what``."""
        if rho < 0 or delta < 0:
            raise ValueError("rho and delta must be >= 0")
        remaining = self.remaining_rho
        if rho > remaining * (1 + 1e-9) + 1e-15:
            raise RuntimeError(f"privacy budget overspent: {what} asks ρ={rho:.4g}, "
                               f"{remaining:.4g} left")
        if self.spent_delta + delta > self.threshold_delta * (1 + 1e-9):
            raise RuntimeError(f"threshold δ overspent by {what}")
        self.entries.append({"stage": stage, "what": what, "rho": float(rho),
                             "delta": float(delta)})

    def spend_rdp(self, stage: str, what: str, curve: np.ndarray) -> None:
        """Record the RDP ``curve`` (ε(α) at each order of ``DEFAULT_ORDERS``; ``inf`` where an
        order gives no bound) of a mechanism run on ``what``.

        >>> ledger = PrivacyLedger(PrivacyBudget(1.0), 1000)
        >>> ledger.spend_rdp("text", "too much", zcdp_rdp(2 * ledger.total_rho))
        Traceback (most recent call last):
        ...
        RuntimeError: privacy budget overspent: too much would reach ε=1.46 of ε=1
        """
        curve = _checked_curve(curve)
        after = self.spent_rdp() + curve
        if (self._curves() + curve).any():
            epsilon = rdp_epsilon(after, DEFAULT_ORDERS, self.conversion_delta)[0]
            if epsilon > self.budget.epsilon * (1 + 1e-9):
                raise RuntimeError(f"privacy budget overspent: {what} would reach "
                                   f"ε={epsilon:.4g} of ε={self.budget.epsilon:g}")
        self.entries.append({"stage": stage, "what": what, "curve": curve, "delta": 0.0})

    def report(self) -> PrivacyReport:
        """The (ε, δ) guarantee of everything spent, with ρ by stage and by mechanism (once an
        RDP curve is spent: :meth:`rdp_report`)."""
        if self.has_curves:
            return self.rdp_report()
        rho = self.spent_rho
        sums: dict[str, dict[str, float]] = {}
        for e in self.entries:
            s = sums.setdefault(e["stage"], {"rho": 0.0, "delta": 0.0})
            s["rho"] += e.get("rho", 0.0)  # RDP curves here are all zeros
            s["delta"] += e["delta"]
        stages = {name: StageSpend(s["rho"], s["delta"], round(s["rho"] / rho, 6) if rho
                                   else 0.0) for name, s in sums.items()}
        return PrivacyReport(
            epsilon=cdp_epsilon(rho, self.conversion_delta) if rho else 0.0,
            delta=self.delta,
            budget=self.budget,
            rho=rho,
            accountant=ACCOUNTANT,
            stages=stages,
            mechanisms=tuple(Mechanism(e["stage"], e["what"], e.get("rho", 0.0), e["delta"])
                             for e in self.entries),
        )

    def rdp_report(self, extra: Sequence[tuple[str, str, np.ndarray]] = (),
                   orders: np.ndarray = DEFAULT_ORDERS) -> PrivacyReport:
        """The report of everything spent composed in Rényi DP on ``orders``, with ``extra``
        ``(stage, what, curve)`` spends composed in though not recorded (the DP-SGD of a
        model, :func:`~simulacra.privacy.rdp.composed_report`).

        ``epsilon`` is the conversion at the grid's best order (``rdp_order``); each stage's
        and mechanism's ``rho`` is its RDP there / the order (exactly ρ for zCDP), its share
        its part of the total there; a stage holding a curve also states its ε alone. Only
        the default grid holds the ledger's own curves.
        """
        orders = np.asarray(orders, dtype=float)
        spends = list(self.entries)
        if any("curve" in e for e in spends) and not np.array_equal(orders, DEFAULT_ORDERS):
            raise ValueError("the ledger's RDP curves are on DEFAULT_ORDERS only")
        for stage, what, curve in extra:
            curve = np.asarray(curve, dtype=float)
            if curve.shape != orders.shape:
                raise ValueError(f"an RDP curve of shape {orders.shape} was expected, got "
                                 f"{curve.shape}")
            spends.append({"stage": stage, "what": what, "curve": curve, "delta": 0.0})
        sums: dict[str, dict[str, Any]] = {}
        curves = np.zeros(len(orders))
        for e in spends:
            s = sums.setdefault(e["stage"], {"rho": 0.0, "delta": 0.0, "curve": None})
            s["delta"] += e["delta"]
            if "curve" in e:
                s["curve"] = e["curve"] if s["curve"] is None else s["curve"] + e["curve"]
                curves = curves + e["curve"]
            else:
                s["rho"] += e["rho"]
        total = zcdp_rdp(self.spent_rho, orders) + curves
        epsilon, order = rdp_epsilon(total, orders, self.conversion_delta)
        at = int(np.flatnonzero(orders == order)[0])
        whole = total[at]

        def share(part: float) -> float:
            return round(float(part / whole), 6) if whole else 0.0

        stages = {}
        for name, s in sums.items():
            curve = s["curve"]
            if curve is None:
                stages[name] = StageSpend(float(s["rho"]), float(s["delta"]),
                                          share(s["rho"] * order))
                continue
            alone = rdp_epsilon(zcdp_rdp(s["rho"], orders) + curve, orders,
                                self.conversion_delta)[0]
            stages[name] = StageSpend(float(s["rho"] + curve[at] / order), float(s["delta"]),
                                      share(s["rho"] * order + curve[at]), epsilon_alone=alone)
        mechanisms = tuple(
            Mechanism(e["stage"], e["what"], float(e["curve"][at] / order)) if "curve" in e
            else Mechanism(e["stage"], e["what"], e["rho"], e["delta"]) for e in spends)
        return PrivacyReport(
            epsilon=epsilon,
            delta=float(self.delta),
            budget=self.budget,
            rho=float(whole / order),
            accountant=RDP_ACCOUNTANT,
            rdp_order=order,
            stages=stages,
            mechanisms=mechanisms,
        )

    def _curves(self) -> np.ndarray:
        """The sum of the RDP curves spent (zeros if none)."""
        total = np.zeros(len(DEFAULT_ORDERS))
        for e in self.entries:
            if "curve" in e:
                total = total + e["curve"]
        return total


def _checked_curve(curve: np.ndarray) -> np.ndarray:
    """``curve`` as a read-only float copy, if it is an RDP curve on ``DEFAULT_ORDERS``."""
    out = np.array(curve, dtype=float)
    if out.shape != DEFAULT_ORDERS.shape:
        raise ValueError(f"an RDP curve gives ε(α) at each of the {len(DEFAULT_ORDERS)} orders "
                         f"of DEFAULT_ORDERS; got shape {out.shape}")
    if np.isnan(out).any() or (out < 0).any():
        raise ValueError("an RDP curve must be >= 0 at every order (inf where an order gives "
                         "no bound), never NaN")
    out.flags.writeable = False
    return out
