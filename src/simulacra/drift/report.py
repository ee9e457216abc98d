"""What :func:`~simulacra.drift.detect_drift` returns: a :class:`DriftReport` of typed parts.

>>> column = ColumnDrift(column="age", kind="numerical", test="KS", statistic=0.2,
...                      p_value=0.002, p_adjusted=0.004, asymptotic_p=1e-9, drifted=True,
...                      psi=0.14, wasserstein=0.31, jensen_shannon=0.18,
...                      missing_reference=0.0, missing_current=0.0)
>>> report = DriftReport(columns=(column,), dependence=None, skipped=(), alpha=0.05,
...                      permutations=499, random_state=0, correction=CORRECTION,
...                      reference=ReferenceInfo("table", 1000), current_rows=1000)
>>> report.drifted, report.drifted_columns, report["age"].decision
(True, ['age'], 'drift')
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from simulacra.evaluation.metric import json_safe

#: How p-values are adjusted across the columns and the dependence test.
CORRECTION = "Westfall-Young step-down min-P over permutations (family-wise error rate)"


def _decision(drifted: bool) -> str:
    return "drift" if drifted else "no drift"


@dataclass(frozen=True)
class ColumnDrift:
    """One column's test.

    ``statistic`` is the test's own (KS distance for numbers and datetimes, Pearson's
    chi-square for categories); ``asymptotic_p`` its textbook p-value (shown for reference,
    not used for decisions: it is wrong with ties and small counts); ``p_value`` the column's
    permutation p-value; ``p_adjusted`` the family-wise adjusted one, which decides
    (``drifted`` when ≤ alpha). ``missing_p`` is the permutation p-value of the share of
    nulls alone (numbers and datetimes with nulls; categories count nulls as a category).
    Effect sizes: ``psi``, ``wasserstein`` (over the reference's standard deviation; None for
    categories) and ``jensen_shannon`` (distance, base 2).
    """

    column: str
    kind: str
    test: str
    statistic: float
    p_value: float
    p_adjusted: float
    asymptotic_p: float
    drifted: bool
    psi: float
    wasserstein: float | None
    jensen_shannon: float
    missing_reference: float
    missing_current: float
    missing_p: float | None = None
    #: the bins PSI and Jensen–Shannon read (quantile bins of the reference, or labels) and
    #: each side's share of rows in them
    bins: tuple[str, ...] = ()
    reference_shares: tuple[float, ...] = ()
    current_shares: tuple[float, ...] = ()

    @property
    def decision(self) -> str:
        return _decision(self.drifted)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decision": self.decision}


@dataclass(frozen=True)
class PairChange:
    """The association of two columns on each side (``measure``: Spearman, correlation ratio
    or Cramér's V) and its change in permutation standard deviations (``z``)."""

    columns: tuple[str, str]
    measure: str
    reference: float
    current: float
    z: float


@dataclass(frozen=True)
class DependenceDrift:
    """The pairwise-dependence test: did the associations between columns change?

    ``statistic`` is the largest ``|z|`` over the pairs, ``pairs`` the pairs that changed most
    (largest ``|z|`` first), ``rows`` the pooled rows the test read.
    """

    statistic: float
    p_value: float
    p_adjusted: float
    drifted: bool
    pairs: tuple[PairChange, ...]
    n_pairs: int
    rows: int

    @property
    def decision(self) -> str:
        return _decision(self.drifted)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["pairs"] = [{**asdict(p), "columns": list(p.columns)} for p in self.pairs]
        return {**out, "decision": self.decision}


@dataclass(frozen=True)
class SkippedColumn:
    """A column that was not tested, and why."""

    column: str
    kind: str
    reason: str


@dataclass(frozen=True)
class ReferenceInfo:
    """Where the reference rows came from: ``"table"``, or ``"model"`` (rows sampled from a
    fitted synthesizer, named by ``model``)."""

    source: str
    rows: int
    model: str | None = None

    @property
    def note(self) -> str:
        if self.source == "model":
            return (f"the reference is {self.rows} rows sampled from a fitted {self.model} "
                    "model: drift means the current data no longer looks like what the model "
                    "generates (new data, or what the model never learned)")
        return f"the reference is a table of {self.rows} rows"


@dataclass(frozen=True)
class DriftReport:
    """Every column's test, the dependence test, and the dataset-level verdict.

    ``drifted`` is true when any test's adjusted p-value is ≤ ``alpha``; when nothing drifted,
    that happens with probability at most ``alpha`` (see :mod:`simulacra.drift.calibration`).
    """

    columns: tuple[ColumnDrift, ...]
    dependence: DependenceDrift | None
    skipped: tuple[SkippedColumn, ...]
    alpha: float
    permutations: int
    random_state: int | None
    correction: str
    reference: ReferenceInfo
    current_rows: int
    seconds: float = field(default=math.nan, compare=False)

    @property
    def p_value(self) -> float:
        """The dataset-level p-value: the smallest adjusted p-value of the family."""
        values = [c.p_adjusted for c in self.columns]
        if self.dependence is not None:
            values.append(self.dependence.p_adjusted)
        return min(values, default=1.0)

    @property
    def drifted(self) -> bool:
        return any(c.drifted for c in self.columns) or bool(
            self.dependence is not None and self.dependence.drifted)

    @property
    def verdict(self) -> str:
        return _decision(self.drifted)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def __getitem__(self, column: str) -> ColumnDrift:
        for found in self.columns:
            if found.column == column:
                return found
        raise KeyError(f"no tested column {column!r}; tested: {[c.column for c in self.columns]}")

    def to_dict(self, *, reproducible: bool = False) -> dict[str, Any]:
        """Plain JSON types (NaN and infinity as None); ``reproducible=True`` drops the time."""
        out: dict[str, Any] = {
            "drifted": self.drifted,
            "verdict": self.verdict,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "permutations": self.permutations,
            "random_state": self.random_state,
            "correction": self.correction,
            "reference": {**asdict(self.reference), "note": self.reference.note},
            "current_rows": self.current_rows,
            "columns": [c.to_dict() for c in self.columns],
            "dependence": None if self.dependence is None else self.dependence.to_dict(),
            "skipped": [asdict(s) for s in self.skipped],
        }
        if not reproducible:
            out["seconds"] = self.seconds
        return json_safe(out)

    def to_json(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """JSON of :meth:`to_dict`, written atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(reproducible=reproducible), indent=2, ensure_ascii=False)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, text)
        return text

    def to_html(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """A self-contained HTML page: the verdict, a table of every column's test and effect
        sizes (drifted columns first), each tested column's binned shares on both sides, and
        the pairs whose association changed most; written atomically to ``path`` if given.
        ``reproducible=True`` leaves out the clock."""
        from simulacra.drift.page import render_drift_report

        html = render_drift_report(self, reproducible=reproducible)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, html)
        return html

    def __str__(self) -> str:
        lines = [f"Drift: {self.verdict} (p = {self.p_value:.4g}, alpha = {self.alpha:g}; "
                 f"{len(self.columns)} columns tested"
                 + (", dependence tested" if self.dependence is not None else "") + ")"]
        lines += [f"  {c.column}: {c.decision} (p adjusted {c.p_adjusted:.4g}, PSI {c.psi:.3f})"
                  for c in self.columns]
        if self.dependence is not None:
            d = self.dependence
            lines.append(f"  dependence: {d.decision} (p adjusted {d.p_adjusted:.4g})")
        lines += [f"  {s.column}: skipped ({s.reason})" for s in self.skipped]
        return "\n".join(lines)
