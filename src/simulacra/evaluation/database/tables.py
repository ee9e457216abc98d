"""Each table on its own: the single-table figures on its non-key columns.

Per table, the key columns are set aside (their values are arbitrary labels; integrity and
the relational figures judge them) and the single-table evaluation's functions run on the
rest: "shape" and "trend" (:mod:`simulacra.evaluation.fidelity`), "detection AUC"
(:mod:`simulacra.evaluation.detection`), and with a holdout of the table the privacy figures
"exact copies" and "DCR share" with their companions (:mod:`simulacra.evaluation.privacy`).
With a holdout, shape and trend carry the holdout's own score as ``reference``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

import numpy as np

from simulacra.evaluation import detection, fidelity, privacy
from simulacra.evaluation.database.data import DatabaseData, table_sides
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer, prepare
from simulacra.metadata import Metadata


def table_figures(data: DatabaseData, rng: np.random.Generator, groups: Collection[str], *,
                  max_rows: int) -> tuple[list[Scoped], list[str]]:
    """Per-table figures of the chosen ``groups`` ("fidelity", "detection", "privacy"), and
    notes on the tables left out."""
    out: list[Scoped] = []
    notes: list[str] = []
    for table in data.tables:
        kinds = data.value_kinds(table)
        if not kinds:
            notes.append(f"table {table!r} has no column besides its keys: only its keys and "
                         "relations are evaluated")
            continue
        if len(data.synthetic[table]) == 0:
            notes.append(f"synthetic table {table!r} is empty: its columns are not compared")
            continue
        evaluated, note = _evaluated(data, table, kinds, rng, max_rows)
        found: list[Metric] = []
        if "fidelity" in groups:
            found += [fidelity.column_shapes(evaluated), fidelity.column_pair_trends(evaluated)]
            if evaluated.holdout is not None:
                ceiling = evaluated.holdout_as_synthetic()
                reference = {"shape": fidelity.column_shapes(ceiling).value,
                             "trend": fidelity.column_pair_trends(ceiling).value}
                found = [dataclasses.replace(m, reference=reference[m.name],
                                             reference_label="holdout") for m in found]
        featurizer = Featurizer(evaluated)
        if "detection" in groups:
            found.append(detection.detection_auc(evaluated, featurizer, rng, max_rows=max_rows))
        if "privacy" in groups:
            found.append(privacy.exact_copies(evaluated))
            if evaluated.holdout is not None:
                pooled = privacy.symmetric_featurizer(featurizer, evaluated, rng)
                found += privacy.distance_to_closest_record(evaluated, pooled, rng)
        if note:
            found = [dataclasses.replace(m, note="; ".join(filter(None, [m.note, note])))
                     for m in found]
        out += [Scoped("table", table, m) for m in found]
    return out, notes


def table_means(found: list[Scoped]) -> list[Scoped]:
    """Database-wide "shape", "trend" and "detection AUC": means over the tables."""
    out = []
    for name, direction, ideal in (("shape", "higher", 1.0), ("trend", "higher", 1.0),
                                   ("detection AUC", "closer", 0.5)):
        values = [f.metric.value for f in found if f.scope == "table" and f.metric.name == name]
        values = [v for v in values if not np.isnan(v)]
        if values:
            out.append(Scoped("database", "", Metric(
                name, "fidelity", float(np.mean(values)),
                definition=f"mean over tables of each table's {name} (non-key columns)",
                direction=direction, ideal=ideal, details={"tables": len(values)})))
    return out


def _evaluated(data: DatabaseData, table: str, kinds: dict, rng: np.random.Generator,
               max_rows: int) -> tuple[EvalData, str]:
    frames, note = table_sides(data, table, list(kinds), rng, max_rows)
    evaluated = prepare(frames["real"], frames["synthetic"], frames["holdout"], Metadata(kinds))
    return evaluated, note
