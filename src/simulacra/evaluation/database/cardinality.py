"""Cardinality shape: how many children each parent row has (SDMetrics' CardinalityShapeSimilarity).

For each foreign key, count the child rows of every parent row — parents without children
count 0 — in the real and the synthetic database, and compare the two distributions of
counts: score = 1 − two-sample KS statistic (ideal 1). A synthesizer that gives every customer
the average number of orders keeps the total and the shapes of both tables, and fails here.
Reference: ``sdmetrics.multi_table.statistical.CardinalityShapeSimilarity``.

>>> counts_per_parent(np.array([0, 0, 2, -1]), 4).tolist()
[2, 0, 1, 0]
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.evaluation.database.data import DatabaseData
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.fidelity import ks_statistic
from simulacra.evaluation.metric import Metric

#: Counts above this many children are pooled in the report's bar chart (not in the score).
CHART_MAX = 12


def counts_per_parent(positions: np.ndarray, parents: int) -> np.ndarray:
    """Number of child rows pointing at each of ``parents`` rows (null keys and orphans
    point at none)."""
    return np.bincount(positions[positions >= 0], minlength=parents)


def cardinality_shapes(data: DatabaseData) -> list[Scoped]:
    """"cardinality shape" per foreign key, and their mean for the database."""
    out: list[Scoped] = []
    for fk in data.metadata.foreign_keys:
        real = counts_per_parent(data.positions("real", fk), len(data.real[fk.parent]))
        synth = counts_per_parent(data.positions("synthetic", fk),
                                  len(data.synthetic[fk.parent]))
        score = 1.0 - ks_statistic(real.astype(float), synth.astype(float))
        out.append(Scoped("relation", fk.name, Metric(
            "cardinality shape", "fidelity", score,
            definition=(f"1 − KS statistic between the real and synthetic distributions of the "
                        f"number of {data.label(fk)} rows per {fk.parent} row (0 included), "
                        "as SDMetrics' CardinalityShapeSimilarity"),
            direction="higher", ideal=1.0,
            details={"real": _summary(real), "synthetic": _summary(synth),
                     "distribution": _chart(real, synth)})))
    scores = [f.metric.value for f in out if not math.isnan(f.metric.value)]
    if scores:
        out.append(Scoped("database", "", Metric(
            "cardinality shape", "fidelity", float(np.mean(scores)),
            definition="mean over foreign keys of the cardinality shape (children per parent)",
            direction="higher", ideal=1.0)))
    return out


def _summary(counts: np.ndarray) -> dict[str, float]:
    if counts.size == 0:
        return {"parents": 0}
    return {"parents": int(counts.size), "mean": float(counts.mean()),
            "max": int(counts.max()), "share_without_children": float((counts == 0).mean())}


def _chart(real: np.ndarray, synth: np.ndarray) -> dict[str, list]:
    """Shares of parents with 0, 1, …, CHART_MAX − 1 and ≥ CHART_MAX children, for the report."""
    top = int(min(max(real.max(initial=0), synth.max(initial=0)), CHART_MAX))
    labels = [str(i) for i in range(top)] + [f"≥{top}" if top == CHART_MAX else str(top)]

    def shares(counts: np.ndarray) -> list[float]:
        pooled = np.bincount(np.minimum(counts, top), minlength=top + 1).astype(float)
        return (pooled / max(counts.size, 1)).tolist()

    return {"labels": labels, "real": shares(real), "synthetic": shares(synth)}
