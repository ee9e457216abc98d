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
    """All figures of one database evaluation, plus the run's ``info``."""

    metrics: list[Scoped]
    info: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, *, table: str | None = None, relation: str | None = None,
            path: str | None = None) -> Metric:
        """The figure ``name`` of the database, or of one ``table``, ``relation`` or ``path``."""
        scope, where = _where(table, relation, path)
        for found in self.metrics:
            if found.metric.name == name and found.scope == scope and found.where == where:
                return found.metric
        known = sorted({f.metric.name for f in self.metrics
                        if f.scope == scope and f.where == where})
        place = f"{scope} {where!r}" if where else "the database"
        raise KeyError(f"no figure {name!r} for {place}; its figures are: {known}")

    def value(self, name: str, *, table: str | None = None, relation: str | None = None,
              path: str | None = None) -> float:
        """``get(...).value``."""
        return self.get(name, table=table, relation=relation, path=path).value

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
        """One row per figure: scope, where, group, metric, value, ideal, reference, direction.

        ``print(result.summary().to_string())`` gives a text table.
        """
        rows = [{
            "scope": f.scope,
            "where": f.where,
            "group": f.metric.group,
            "metric": f.metric.name,
            "value": f.metric.value,
            "ideal": f.metric.ideal,
            "reference": f.metric.reference,
            "direction": DIRECTION_TEXT[f.metric.direction],
        } for f in self.metrics]
        return pd.DataFrame(rows, columns=["scope", "where", "group", "metric", "value", "ideal",
                                           "reference", "direction"])

    def summary_text(self) -> str:
        """:meth:`summary` as a plain text table (values to 3 decimals)."""
        table = self.summary().drop(columns="direction")
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
        return cls.from_dict(json.loads(text))

    # -- HTML -----------------------------------------------------------------------------
    def to_html(self, path: str | Path | None = None, *, reproducible: bool = False) -> str:
        """A self-contained HTML report: the database, then a section per table, per relation
        and per key path; written atomically to ``path`` if given. ``reproducible=True``
        leaves out the clock."""
        html = render_database_report(self.metrics, self.info, reproducible=reproducible)
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
            out["info"] = {k: v for k, v in out["info"].items() if k not in _TIMINGS}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        lines = [f"  {f.scope:<8} {f.where:<28} {f.metric.name:<26} {f.metric.verdict()}"
                 for f in self.metrics if f.scope in ("database", "table")]
        return "DatabaseEvaluation(\n" + "\n".join(lines) + "\n)"


_TIMINGS = ("seconds", "stage_seconds")


def _where(table: str | None, relation: str | None, path: str | None) -> tuple[Scope, str]:
    given = [(s, w) for s, w in (("table", table), ("relation", relation), ("path", path))
             if w is not None]
    if len(given) > 1:
        raise DataError("name at most one of table=, relation= and path=")
    return given[0] if given else ("database", "")  # type: ignore[return-value]


def _metric_from_dict(data: dict[str, Any]) -> Metric:
    names = {f.name for f in dataclasses.fields(Metric)}
    kept = {k: v for k, v in data.items() if k in names}
    if kept.get("value") is None:  # JSON has no NaN: a figure not computed was written as null
        kept["value"] = math.nan
    if kept.get("ci") is not None:
        kept["ci"] = tuple(math.nan if v is None else v for v in kept["ci"])
    return Metric(**kept)
