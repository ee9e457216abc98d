"""``EvaluationResult``: the metrics of one evaluation, as a table, JSON or an HTML report.

>>> from simulacra.evaluation.metric import Metric
>>> result = EvaluationResult([Metric("shape", "fidelity", 0.97, definition="…",
...                                   direction="higher", ideal=1.0)])
>>> result.value("shape"), "trend" in result
(0.97, False)

A free-text column's figures carry its name (``Metric.column``):

>>> notes = Metric("text detection AUC", "text", 0.61, definition="…", direction="closer",
...                ideal=0.5, column="notes")
>>> EvaluationResult([notes]).value("text detection AUC", column="notes")
0.61
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulacra.evaluation.metric import DIRECTION_TEXT, Metric, json_safe
from simulacra.evaluation.report import render_report, without_timings


@dataclass
class EvaluationResult:
    """All metrics of one evaluation, plus what the HTML report needs to draw."""

    metrics: list[Metric]
    info: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> Metric:
        """The first figure called ``name`` (see :meth:`get` for one column's)."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"no metric {name!r}; metrics are: {[m.name for m in self.metrics]}")

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.metrics)

    def get(self, name: str, *, column: str | None = None) -> Metric:
        """The figure ``name``; with ``column``, that column's (a free-text column's figures
        carry its name), else the first of that name."""
        if column is None:
            return self[name]
        for metric in self.metrics:
            if metric.name == name and metric.column == column:
                return metric
        known = [m.name for m in self.metrics if m.column == column]
        raise KeyError(f"no metric {name!r} for column {column!r}; its metrics are: {known}")

    def value(self, name: str, *, column: str | None = None) -> float:
        return self.get(name, column=column).value

    def for_column(self, column: str) -> list[Metric]:
        """The figures of one column (a free-text column's), in order."""
        return [m for m in self.metrics if m.column == column]

    def summary(self) -> pd.DataFrame:
        """One row per figure: group, value, ideal, holdout reference and what it means
        (``column``: the column a figure is about, empty for the whole table's)."""
        rows = [{
            "group": m.group,
            "metric": m.name,
            "column": m.column,
            "value": m.value,
            "ideal": m.ideal,
            "reference": m.reference,
            "direction": DIRECTION_TEXT[m.direction],
            "definition": m.definition,
        } for m in self.metrics]
        return pd.DataFrame(rows)

    def to_dict(self, *, reproducible: bool = False) -> dict[str, Any]:
        """Figures and run info; ``reproducible=True`` leaves out the timings."""
        info = without_timings(self.info) if reproducible else self.info
        return json_safe({"info": info, "metrics": [m.to_dict() for m in self.metrics]})

    def to_json(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """JSON of :meth:`to_dict`, written atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(reproducible=reproducible), indent=2, ensure_ascii=False)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, text)
        return text

    def to_html(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """A self-contained HTML report (figures embedded, no network needed);
        ``reproducible=True`` leaves out the clock, so the same inputs give the same bytes."""
        html = render_report(self.metrics, info=self.info, figures=self.figures,
                             reproducible=reproducible)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, html)
        return html

    def __repr__(self) -> str:
        body = "\n".join(f"  {m.group:<9} {m.label:<28} {m.verdict()}" for m in self.metrics)
        return f"EvaluationResult(\n{body}\n)"

    def _repr_html_(self) -> str:
        """Every figure with its verdict, as a table (notebooks)."""
        from simulacra.htmlrepr import html_table

        return html_table(f"Evaluation: {len(self.metrics)} figures",
                          ["group", "figure", "result"],
                          [[m.group, m.label, m.verdict()] for m in self.metrics])
