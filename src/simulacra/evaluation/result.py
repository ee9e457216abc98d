"""Typed metric results: every figure carries its definition, direction and ideal value.

>>> m = Metric("shape", "fidelity", 0.97, definition="mean of 1 - KS / 1 - TVD over columns",
...            direction="higher", ideal=1.0)
>>> m.verdict()
'0.970 (ideal 1)'
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

Group = Literal["fidelity", "utility", "privacy"]
Direction = Literal["higher", "lower", "closer"]

_DIRECTION_TEXT = {"higher": "higher is better", "lower": "lower is better",
                   "closer": "closer to ideal is better"}


@dataclass(frozen=True)
class Metric:
    """One figure of an evaluation.

    ``reference`` is what the same figure gives for the real holdout (where that makes sense),
    so a reader knows what "normal" is; ``ci`` a confidence interval; ``details`` JSON-safe
    per-column/per-pair breakdowns; ``note`` says e.g. that a subsample was used.
    """

    name: str
    group: Group
    value: float
    definition: str
    direction: Direction
    ideal: float | None = None
    reference: float | None = None
    reference_label: str = "holdout"
    ci: tuple[float, float] | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def verdict(self) -> str:
        ideal = "" if self.ideal is None else f" (ideal {self.ideal:g})"
        return f"{self.value:.3f}{ideal}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["direction_text"] = _DIRECTION_TEXT[self.direction]
        return _json_safe(out)


@dataclass
class EvaluationResult:
    """All metrics of one evaluation, plus what the HTML report needs to draw."""

    metrics: list[Metric]
    info: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"no metric {name!r}; metrics are: {[m.name for m in self.metrics]}")

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.metrics)

    def value(self, name: str) -> float:
        return self[name].value

    def summary(self) -> pd.DataFrame:
        """One row per figure: group, value, ideal, holdout reference and what it means."""
        rows = [{
            "group": m.group,
            "metric": m.name,
            "value": m.value,
            "ideal": m.ideal,
            "reference": m.reference,
            "direction": _DIRECTION_TEXT[m.direction],
            "definition": m.definition,
        } for m in self.metrics]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return _json_safe({"info": self.info, "metrics": [m.to_dict() for m in self.metrics]})

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, text)
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        """A self-contained HTML report (figures embedded, no network needed)."""
        from simulacra.evaluation.report import render_report

        html = render_report(self)
        if path is not None:
            from simulacra.io import write_text_atomic

            write_text_atomic(path, html)
        return html

    def __repr__(self) -> str:
        body = "\n".join(f"  {m.group:<9} {m.name:<28} {m.verdict()}" for m in self.metrics)
        return f"EvaluationResult(\n{body}\n)"


def _json_safe(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.DataFrame):
        return _json_safe(value.to_dict(orient="records"))
    return value
