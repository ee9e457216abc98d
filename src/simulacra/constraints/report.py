"""``ConstraintReport``: how the real data met its constraints at fit time.

Models keep it as ``constraint_report_``; model files hold :meth:`ConstraintReport.to_dict`
(and older files, written as that dict, load through :meth:`ConstraintReport.from_dict`).

>>> check = ConstraintCheck("positive(column='x')", violations=1, rows=(4,),
...                         examples=({"x": -2.0},))
>>> report = ConstraintReport(rows=10, on_violation="drop", rows_used=9, checks=(check,))
>>> print(report)
9 of 10 rows used (on_violation='drop'); positive(column='x'): 1 violation, held by re-sampling
>>> ConstraintReport.from_dict(report.to_dict()) == report
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConstraintCheck:
    """One constraint checked on the real data: how many rows broke it, and a few of them."""

    constraint: str
    violations: int
    #: Positions of the first failing rows.
    rows: tuple[int, ...] = ()
    #: The first failing rows' values of the constraint's columns.
    examples: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"constraint": self.constraint, "violations": self.violations,
                "rows": list(self.rows), "examples": [dict(e) for e in self.examples]}


@dataclass(frozen=True)
class ConstraintReport:
    """Every constraint's check on the real data, what was done about violations, and which
    constraints hold by construction (the others hold by re-sampling)."""

    #: Rows of the real data.
    rows: int
    on_violation: str
    #: Rows the model learned from (fewer than ``rows`` when violating rows were dropped).
    rows_used: int
    checks: tuple[ConstraintCheck, ...] = ()
    #: The constraints (as text) that hold by construction.
    by_construction: tuple[str, ...] = ()

    def held_by(self, check: ConstraintCheck) -> str:
        """'construction' or 're-sampling': how ``check``'s constraint holds in samples."""
        return "construction" if check.constraint in self.by_construction else "re-sampling"

    def __str__(self) -> str:
        parts = [f"{c.constraint}: {c.violations:,} violation{'' if c.violations == 1 else 's'}"
                 f", held by {self.held_by(c)}" for c in self.checks]
        return "; ".join([f"{self.rows_used:,} of {self.rows:,} rows used "
                          f"(on_violation={self.on_violation!r})", *parts])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in model files."""
        return {"rows": self.rows, "on_violation": self.on_violation,
                "constraints": [c.to_dict() for c in self.checks], "rows_used": self.rows_used,
                "by_construction": list(self.by_construction)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConstraintReport:
        return cls(rows=data["rows"], on_violation=data["on_violation"],
                   rows_used=data["rows_used"],
                   checks=tuple(ConstraintCheck(c["constraint"], c["violations"],
                                                tuple(c["rows"]), tuple(c["examples"]))
                                for c in data["constraints"]),
                   by_construction=tuple(data["by_construction"]))


def dump_report(report: ConstraintReport | None) -> dict[str, Any] | None:
    """What a model file keeps of a model's ``constraint_report_`` (None: no constraints)."""
    return None if report is None else report.to_dict()


def load_report(data: Mapping[str, Any] | None) -> ConstraintReport | None:
    """A model's ``constraint_report_`` back from its model file (None: no constraints)."""
    return None if data is None else ConstraintReport.from_dict(data)
