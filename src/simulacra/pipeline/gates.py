"""Quality gates: figures of the evaluation that must lie within bounds.

>>> from simulacra.pipeline.config import Gate
>>> figures = {"trend": {"value": 0.93, "reference": 0.95},
...            "TSTR accuracy": {"value": 0.80, "reference": 0.83}}
>>> for result in check_gates([Gate(metric="trend", min=0.95),
...                              Gate(metric="TSTR accuracy", max_gap=0.02)], figures):
...     print(result.describe())
trend = 0.93 < min 0.95 (short by 0.02)
TSTR accuracy gap = 0.03 > max_gap 0.02 (over by 0.01)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from simulacra.pipeline.config import Gate


@dataclass(frozen=True)
class GateResult:
    """One bound of one gate, checked: the figure, the bound and by how much it missed."""

    metric: str
    bound: str  # "min", "max" or "max_gap"
    limit: float
    value: float  # the figure (for max_gap: reference − figure)
    passed: bool
    index: int  # the gate's position in the config

    @property
    def miss(self) -> float:
        """How far past the bound (0 when passed)."""
        return 0.0 if self.passed else abs(self.value - self.limit)

    def describe(self, *, private: bool = False) -> str:
        """The check in words; ``private`` leaves the figure out (a privacy budget's run)."""
        name = f"{self.metric} gap" if self.bound == "max_gap" else self.metric
        if private:
            sign = ">=" if self.bound == "min" else "<="
            return f"{name} {sign} {self.bound} {self.limit:g}: " + \
                ("passed" if self.passed else "failed (figure withheld: see metrics.json)")
        if self.passed:
            sign = ">=" if self.bound == "min" else "<="
            return f"{name} = {self.value:.4g} {sign} {self.bound} {self.limit:g}"
        if self.bound == "min":
            return f"{name} = {self.value:.4g} < min {self.limit:g} (short by {self.miss:.2g})"
        return (f"{name} = {self.value:.4g} > {self.bound} {self.limit:g} "
                f"(over by {self.miss:.2g})")

    def to_dict(self, *, private: bool = False) -> dict[str, Any]:
        out = {**asdict(self), "miss": self.miss}
        return {k: v for k, v in out.items() if k not in ("value", "miss")} if private else out


class UnknownMetricError(LookupError):
    """A gate names a figure the evaluation did not compute."""

    def __init__(self, index: int, metric: str, known: Sequence[str]) -> None:
        self.index, self.metric, self.known = index, metric, list(known)
        super().__init__(metric)


def check_gates(gates: Sequence[Gate], figures: Mapping[str, Mapping[str, Any]]
                ) -> list[GateResult]:
    """Every bound of every gate against ``figures`` (name → {"value", "reference"}; a
    database's figure of one place named as :func:`~simulacra.pipeline.config.figure_name`
    does).

    Raises :class:`UnknownMetricError` for the first gate whose figure is missing, or whose
    ``max_gap`` has no reference to measure the gap from.
    """
    results = []
    for index, gate in enumerate(gates):
        name = gate.figure
        figure = figures.get(name)
        if figure is None:
            raise UnknownMetricError(index, name, list(figures))
        value = float("nan") if figure["value"] is None else float(figure["value"])
        if gate.min is not None:
            results.append(GateResult(name, "min", gate.min, value,
                                      value >= gate.min, index))
        if gate.max is not None:
            results.append(GateResult(name, "max", gate.max, value,
                                      value <= gate.max, index))
        if gate.max_gap is not None:
            reference = figure.get("reference")
            if reference is None:
                with_ref = [n for n, f in figures.items() if f.get("reference") is not None]
                raise UnknownMetricError(index, name, with_ref)
            gap = float(reference) - value
            results.append(GateResult(name, "max_gap", gate.max_gap, round(gap, 12),
                                      gap <= gate.max_gap, index))
    return results
