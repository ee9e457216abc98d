"""``DatabaseEvaluation``: every figure of a database evaluation, each with where it applies.

A figure applies to the whole database, to one table, to one relation (a foreign key, named
``child.column``) or to one key path of two or more foreign keys
(``card.disp_id > disp.account_id > account``). The result reads as a table
(:meth:`DatabaseEvaluation.summary`), JSON (a lossless round trip) or an HTML report.

>>> from simulacra.evaluation.metric import Metric
>>> shape = Metric("shape", "fidelity", 0.9, definition="…", direction="higher", ideal=1.0)
>>> result = DatabaseEvaluation([Scoped("table", "users", shape)])
>>> result.value("shape", table="users")
0.9
>>> DatabaseEvaluation.from_json(result.to_json()) == result
True

A free-text column's figures are figures of its table whose ``Metric.column`` names it, so
two text columns of a table stay apart:

>>> auc = Metric("text detection AUC", "text", 0.6, definition="…", direction="closer",
...              ideal=0.5, column="note")
>>> result = DatabaseEvaluation([Scoped("table", "reviews", auc),
...                              Scoped("table", "reviews", dataclasses.replace(
...                                  auc, value=0.7, column="title"))])
>>> result.value("text detection AUC", table="reviews", column="title")
0.7
>>> result.summary()[["where", "column", "value"]].values.tolist()
[['reviews', 'note', 0.6], ['reviews', 'title', 0.7]]
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulacra.errors import DataError
from simulacra.evaluation.database.report import render_database_report
from simulacra.evaluation.database.scoped import SCOPES, Scope, Scoped
from simulacra.evaluation.metric import DIRECTION_TEXT, Metric, json_safe
from simulacra.evaluation.report import without_timings

__all__ = ["SCOPES", "DatabaseEvaluation", "Scope", "Scoped"]


@dataclass
class DatabaseEvaluation:
    """All figures of one database evaluation, plus the run's ``info``.

    ``figures`` holds what the HTML report shows beside the figures and the JSON leaves out:
    ``figures["text"][table][column]["samples"]``, texts of each side.
    """

    metrics: list[Scoped]
    info: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, *, table: str | None = None, relation: str | None = None,
            path: str | None = None, column: str | None = None) -> Metric:
        """The figure ``name`` of the database, or of one ``table``, ``relation`` or ``path``;
        with ``column``, that free-text column's (``table=`` names its table).

        Without ``column``, the figure of the whole place comes first; a figure that only
        free-text columns have is found when one column has it, and refused (naming the
        columns) when several do.
        """
        scope, where = _where(table, relation, path)
        here = [f.metric for f in self.metrics
                if f.metric.name == name and f.scope == scope and f.where == where]
        if column is not None:
            here = [m for m in here if m.column == column]
        else:
            whole = [m for m in here if m.column is None]
            columns = list(dict.fromkeys(m.column for m in here if m.column is not None))
            if not whole and len(columns) > 1:
                raise KeyError(f"figure {name!r} of {_place(scope, where)} is one per "
                               f"free-text column; name one with column=: {columns}")
            here = whole or here
        if here:
            return here[0]
        known = sorted({f.metric.label for f in self.metrics
                        if f.scope == scope and f.where == where})
        of = f" column {column!r} of" if column is not None else ""
        raise KeyError(f"no figure {name!r} for{of} {_place(scope, where)}; its figures are: "
                       f"{known}")

    def value(self, name: str, *, table: str | None = None, relation: str | None = None,
              path: str | None = None, column: str | None = None) -> float:
        """``get(...).value``."""
        return self.get(name, table=table, relation=relation, path=path, column=column).value

    def __getitem__(self, name: str) -> Metric:
        """A database-wide figure by name."""
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return any(f.metric.name == name and f.scope == "database" for f in self.metrics)

    def scoped(self, scope: Scope, where: str | None = None) -> Iterator[Scoped]:
        """Figures of one ``scope`` (and one ``where``, if given), in order."""
        return (f for f in self.metrics
                if f.scope == scope and (where is None or f.where == where))

    def places(self, scope: Scope) -> list[str]:
        """The tables, relations or paths that have figures, in order of first appearance."""
        return list(dict.fromkeys(f.where for f in self.metrics if f.scope == scope))

    def summary(self) -> pd.DataFrame:
        """One row per figure: scope, where, column (a free-text column's figures; else
        ``None``), group, metric, value, ideal, reference, direction.

        ``print(result.summary().to_string())`` gives a text table.
        """
        rows = [{
            "scope": f.scope,
            "where": f.where,
            "column": f.metric.column,
            "group": f.metric.group,
            "metric": f.metric.name,
            "value": f.metric.value,
            "ideal": f.metric.ideal,
            "reference": f.metric.reference,
            "direction": DIRECTION_TEXT[f.metric.direction],
        } for f in self.metrics]
        return pd.DataFrame(rows, columns=["scope", "where", "column", "group", "metric", "value",
                                           "ideal", "reference", "direction"])

    def summary_text(self) -> str:
        """:meth:`summary` as a plain text table (values to 3 decimals; the column only when
        a figure has one)."""
        table = self.summary().drop(columns="direction")
        if table["column"].isna().all():
            table = table.drop(columns="column")
        else:
            table["column"] = table["column"].fillna("")
        return table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—")

    # -- JSON -----------------------------------------------------------------------------
    def to_dict(self, *, reproducible: bool = False) -> dict[str, Any]:
        """Figures and run info; ``reproducible=True`` leaves out the timings."""
        info = without_timings(self.info) if reproducible else self.info
        return json_safe({"info": info, "metrics": [
            {"scope": f.scope, "where": f.where, **f.metric.to_dict()} for f in self.metrics]})

    def to_json(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """JSON text (NaN written as null); also written atomically to ``path`` if given.
        ``reproducible=True`` leaves out the timings, so the same inputs give the same bytes."""
        text = json.dumps(self.to_dict(reproducible=reproducible), indent=2, ensure_ascii=False)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, text)
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatabaseEvaluation:
        if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
            raise DataError("a database evaluation must be a mapping with a 'metrics' list")
        return cls([Scoped(m["scope"], m["where"], _metric_from_dict(m))
                    for m in data["metrics"]], info=data.get("info") or {})

    @classmethod
    def from_json(cls, text: str) -> DatabaseEvaluation:
        from simulacra.io import load_json

        return cls.from_dict(load_json(text))  # nesting bounded

    # -- HTML -----------------------------------------------------------------------------
    def to_html(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """A self-contained HTML report: the database, then a section per table, per relation
        and per key path; written atomically to ``path`` if given. ``reproducible=True``
        leaves out the clock."""
        html = render_database_report(self.metrics, self.info, self.figures,
                                      reproducible=reproducible)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, html)
        return html

    def save_html(self, path: str | Path) -> None:
        """Write :meth:`to_html` to ``path`` atomically."""
        self.to_html(path)

    def __eq__(self, other: object) -> bool:
        """Same figures and same run settings (timings aside)."""
        if not isinstance(other, DatabaseEvaluation):
            return NotImplemented
        mine, theirs = self.to_dict(), other.to_dict()
        for out in (mine, theirs):
            out["info"] = without_timings(out["info"])
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        lines = [f"  {f.scope:<8} {f.where:<28} {f.metric.label:<26} {f.metric.verdict()}"
                 for f in self.metrics if f.scope in ("database", "table")]
        return "DatabaseEvaluation(\n" + "\n".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        """Every figure — database, table, relation, path — with its verdict (notebooks)."""
        from simulacra.htmlrepr import html_table

        return html_table(f"Database evaluation: {len(self.metrics)} figures",
                          ["scope", "where", "figure", "result"],
                          [[f.scope, f.where, f.metric.label, f.metric.verdict()]
                           for f in self.metrics])


def _where(table: str | None, relation: str | None, path: str | None) -> tuple[Scope, str]:
    given = [(s, w) for s, w in (("table", table), ("relation", relation), ("path", path))
             if w is not None]
    if len(given) > 1:
        raise DataError("name at most one of table=, relation= and path=")
    return given[0] if given else ("database", "")  # type: ignore[return-value]


def _place(scope: str, where: str) -> str:
    return f"{scope} {where!r}" if where else "the database"


def _metric_from_dict(data: dict[str, Any]) -> Metric:
    names = {f.name for f in dataclasses.fields(Metric)}
    kept = {k: v for k, v in data.items() if k in names}
    if kept.get("value") is None:  # JSON has no NaN: a figure not computed was written as null
        kept["value"] = math.nan
    if kept.get("ci") is not None:
        kept["ci"] = tuple(math.nan if v is None else v for v in kept["ci"])
    return Metric(**kept)
