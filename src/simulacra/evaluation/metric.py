"""``Metric``: one typed figure of an evaluation, with its definition, direction and ideal.

>>> m = Metric("shape", "fidelity", 0.97, definition="mean of 1 - KS / 1 - TVD over columns",
...            direction="higher", ideal=1.0)
>>> m.verdict()
'0.970 (ideal 1)'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Group = Literal["fidelity", "utility", "privacy", "fairness", "integrity", "sequence", "text"]
# integrity: keys of a database; sequence: event sequences (simulacra.evaluation.sequence);
# text: one free-text column (simulacra.evaluation.text)
Direction = Literal["higher", "lower", "closer"]

DIRECTION_TEXT = {"higher": "higher is better", "lower": "lower is better",
                  "closer": "closer to ideal is better"}


@dataclass(frozen=True)
class Metric:
    """One figure of an evaluation.

    ``reference`` is what the same figure gives for the real holdout (where that makes sense),
    so a reader knows what "normal" is; ``ci`` a confidence interval; ``details`` JSON-safe
    per-column/per-pair breakdowns; ``note`` says e.g. that a subsample was used; ``column``
    names the one column a figure is about (a free-text column's figures), ``None`` for a
    figure of the whole table.
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
    column: str | None = None

    @property
    def label(self) -> str:
        """The name, with the column first for a figure of one column: ``"notes: …"``."""
        return self.name if self.column is None else f"{self.column}: {self.name}"

    def verdict(self) -> str:
        ideal = "" if self.ideal is None else f" (ideal {self.ideal:g})"
        return f"{self.value:.3f}{ideal}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.column is None:  # a figure of the whole table: as before columns had figures
            del out["column"]
        out["direction_text"] = DIRECTION_TEXT[self.direction]
        return json_safe(out)


def json_safe(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.DataFrame):
        return json_safe(value.to_dict(orient="records"))
    return value
