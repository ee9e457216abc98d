"""The HTML report of a database evaluation: the database, then each table, relation and path.

A table with free-text columns shows, per column, the single-table report's text section
(``templates/text_column.html.j2``): its figures, lengths and words, the n-grams that give
synthetic texts away and a few sampled texts beside real ones.

It shares the single-table report's style sheet (``templates/style.css.j2``), its reading of a
figure as good / fair / poor (:func:`simulacra.evaluation.report.status`) and its plots
(:mod:`simulacra.evaluation.figures`). One self-contained file: CSS inline, figures as base64
PNG, no scripts, no network.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from simulacra._version import __version__
from simulacra.evaluation import figures as plots
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.report import plain_name, status, text_sections, without_timings

#: Database figures shown as cards at the top, in order, when present.
SCORECARD = ("foreign key resolution", "primary key integrity", "shape", "trend",
             "cardinality shape", "parent-child trend", "2-hop trend", "AVG 2-way",
             "detection AUC", "C2ST-Agg AUC", "TSTR ROC-AUC", "TSTR R2")
#: Crossing pairs listed per relation or path (the least well kept first).
WORST_PAIRS = 8


def render_database_report(metrics: list[Scoped], info: dict[str, Any],
                           figures: dict[str, Any] | None = None,
                           title: str = "Synthetic database quality report", *,
                           reproducible: bool = False) -> str:
    """The report page of a database evaluation's ``metrics``, ``info`` and ``figures``
    (``figures["text"][table][column]["samples"]``: texts shown side by side; may be absent);
    ``reproducible=True`` leaves out the clock (when it was made, how long it took)."""
    env = Environment(loader=PackageLoader("simulacra.evaluation", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = _fmt
    env.filters["anchor"] = anchor
    env.filters["plain"] = plain_name
    figures = figures or {}
    database = [(f.metric, status(f.metric)) for f in metrics if f.scope == "database"]
    by_name = {m.name: m for m, _ in database}
    cards = [(by_name[n], status(by_name[n])) for n in SCORECARD if n in by_name]
    sections = {scope: [_place(metrics, scope, where, info, figures) for where in
                        dict.fromkeys(f.where for f in metrics if f.scope == scope)]
                for scope in ("table", "relation", "path")}
    return env.get_template("database_report.html.j2").render(
        title=title,
        generated=None if reproducible else
        dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        info=without_timings(info) if reproducible else info,
        cards=cards,
        database=database,
        tables=sections["table"],
        relations=sections["relation"],
        paths=sections["path"],
        notes=[f"{f.where or 'database'} · {f.metric.label}: {f.metric.note}"
               for f in metrics if f.metric.note],
    )


def anchor(text: str) -> str:
    """An HTML id made of ``text``: ``order.account_id`` → ``order-account_id``.

    >>> anchor("card > disp > account")
    'card-disp-account'
    """
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-") or "x"


def _place(found: list[Scoped], scope: str, where: str, info: dict[str, Any],
           figures: dict[str, Any]) -> dict[str, Any]:
    """One table's, relation's or path's section: its figures (a free-text column's in a
    text section of their own), chart and worst pairs."""
    metrics: list[Metric] = [f.metric for f in found if f.scope == scope and f.where == where]
    texts = [m for m in metrics if m.column is not None]
    metrics = [m for m in metrics if m.column is None]
    out: dict[str, Any] = {"name": where, "metrics": [(m, status(m)) for m in metrics],
                           "chart": None, "pairs": [], "texts": []}
    if texts and scope == "table":
        out["texts"] = text_sections(texts, {"text": info.get("text", {}).get(where, {})},
                                     {"text": figures.get("text", {}).get(where, {})})
    for m in metrics:
        if m.name == "cardinality shape" and m.details.get("distribution"):
            out["chart"] = plots.distribution_figure(f"children per parent · {where}",
                                                     m.details["distribution"])
        if m.details.get("hops") and m.details.get("pairs"):
            out["pairs"] = sorted(m.details["pairs"],
                                  key=lambda p: p["score"] if p["score"] == p["score"] else 2.0
                                  )[:WORST_PAIRS]
    return out


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
