"""The drift report as an HTML page a person reads (:meth:`DriftReport.to_html`).

The verdict first, then one row per tested column (drifted ones first, then by PSI) with the
test's adjusted p-value and the effect sizes, a chart of each column's binned shares on both
sides (the bins PSI reads), the pairs whose association changed most, and the columns not
tested with the reason. Figures are embedded, so the page needs no network.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from simulacra._version import __version__
from simulacra.evaluation import figures as plots

#: Columns drawn as charts at most (drifted first, then by PSI); the table lists them all.
MAX_CHARTS = 40
#: Bars of one chart at most: a category's largest labels, the rest as one bar.
MAX_BARS = 25


def psi_reading(value: float) -> str:
    """The usual reading of a PSI: 'good' below 0.1, 'fair' to 0.25, 'poor' above.

    >>> psi_reading(0.05), psi_reading(0.2), psi_reading(0.4)
    ('good', 'fair', 'poor')
    """
    if value != value:
        return "unknown"
    return "good" if value < 0.1 else "fair" if value <= 0.25 else "poor"


def render_drift_report(report: Any, *, reproducible: bool = False) -> str:
    """The page of ``report`` (a :class:`~simulacra.drift.report.DriftReport`, which calls
    this from its ``to_html``); ``reproducible=True`` leaves out the clock."""
    env = Environment(loader=PackageLoader("simulacra.evaluation", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = _fmt
    ordered = sorted(report.columns, key=lambda c: (not c.drifted, -_finite(c.psi)))
    charts = [{"column": c.column, "img": _chart(c)} for c in ordered[:MAX_CHARTS] if c.bins]
    return env.get_template("drift_report.html.j2").render(
        title="Drift report",
        generated=None if reproducible else
        dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=None if reproducible else report.seconds,
        version=__version__,
        report=report,
        columns=[(c, psi_reading(c.psi)) for c in ordered],
        charts=charts,
        hidden=max(0, len([c for c in ordered if c.bins]) - MAX_CHARTS),
    )


def _chart(column: Any) -> str:
    """A chart of one :class:`~simulacra.drift.report.ColumnDrift`'s binned shares."""
    labels, ref, cur = list(column.bins), list(column.reference_shares), \
        list(column.current_shares)
    if column.kind != "categorical" and labels[-1:] == ["null"] and ref[-1] == cur[-1] == 0:
        labels, ref, cur = labels[:-1], ref[:-1], cur[:-1]  # no nulls on either side
    if len(labels) > MAX_BARS:  # the largest labels, the rest as one bar
        keep = sorted(sorted(range(len(labels)), key=lambda i: -max(ref[i], cur[i]))
                      [:MAX_BARS - 1])
        rest = set(range(len(labels))) - set(keep)
        labels = [labels[i] for i in keep] + [f"{len(rest)} other labels"]
        ref = [ref[i] for i in keep] + [sum(ref[i] for i in rest)]
        cur = [cur[i] for i in keep] + [sum(cur[i] for i in rest)]
    dist: dict[str, Any] = {"labels": labels, "real": ref, "synthetic": cur}
    title = f"{column.column} · {column.decision} · PSI {column.psi:.3f}"
    return plots.distribution_figure(title, dist, names=("reference", "current"))


def _finite(value: float) -> float:
    return value if value == value else -1.0


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:
            return "—"
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return str(value)
