"""C2ST-Agg: can a classifier tell real parent rows from synthetic ones, children included?

SyntheRela's aggregation detection (Hudovernik, Jurkovič & Štrumbelj 2024, "Benchmarking the
Fidelity and Utility of Synthetic Relational Data"): for each table that has children, every
parent row becomes one row of its own columns and its children's aggregates
(:func:`~simulacra.evaluation.database.aggregates.parent_features`), and the single-table
classifier two-sample test (:func:`simulacra.evaluation.detection.detection_auc`: gradient-
boosted trees, stratified cross-validation, out-of-fold ROC-AUC) separates real parent rows
from synthetic ones. 0.5: indistinguishable; 1: every synthetic parent is recognisable — e.g.
by how many children it has or what they look like, which per-table detection cannot see.

With a holdout holding the parent table, real parent rows are the holdout's (with the
holdout's children) — unless the holdout shares the parent's rows with the training data (a
table above the split, like a lookup table copied into both parts): its rows then have only
the held-out share of their children, and the training rows are the real side instead.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from simulacra.errors import DataError
from simulacra.evaluation.database.aggregates import parent_features
from simulacra.evaluation.database.data import DatabaseData, subsample
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.detection import detection_auc
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import Featurizer, prepare
from simulacra.metadata import Metadata

DEFINITION = ("out-of-fold ROC-AUC of a gradient-boosted classifier telling real from "
              "synthetic {table} rows, each row with its own columns and per child table the "
              "number of children and aggregates of their columns (mean, std, min, max of "
              "numbers; share of the most frequent category and number of distinct values); "
              "SyntheRela's C2ST-Agg")


def aggregate_detection(data: DatabaseData, rng: np.random.Generator, *, max_rows: int
                        ) -> list[Scoped]:
    """"C2ST-Agg AUC" per parent table, and their mean (and worst) for the database."""
    out: list[Scoped] = []
    for table in data.tables:
        if not data.metadata.children(table):
            continue
        frames = {}
        kinds = {}
        for side in data.sides():
            if side == "holdout" and (table not in data.holdout or _shared(data, table)):
                continue
            rows = subsample(len(data.frame(side, table)), max_rows, rng)
            frames[side], kinds = parent_features(data, side, table, rows)
        definition = DEFINITION.format(table=table)
        try:
            evaluated = prepare(frames["real"], frames["synthetic"], frames.get("holdout"),
                                Metadata(kinds))
        except DataError as err:
            out.append(Scoped("table", table, Metric(
                "C2ST-Agg AUC", "fidelity", math.nan, definition=definition,
                direction="closer", ideal=0.5, note=f"not computed: {err}")))
            continue
        found = detection_auc(evaluated, Featurizer(evaluated), rng, max_rows=max_rows)
        out.append(Scoped("table", table, dataclasses.replace(
            found, name="C2ST-Agg AUC", definition=definition,
            details={**found.details, "features": list(kinds)})))
    values = [(f.where, f.metric.value) for f in out if not math.isnan(f.metric.value)]
    if values:
        worst = max(values, key=lambda item: abs(item[1] - 0.5))
        out.append(Scoped("database", "", Metric(
            "C2ST-Agg AUC", "fidelity", float(np.mean([v for _, v in values])),
            definition="mean over parent tables of the C2ST-Agg AUC (SyntheRela)",
            direction="closer", ideal=0.5,
            details={"worst_table": worst[0], "worst_auc": worst[1]})))
    return out


def _shared(data: DatabaseData, table: str) -> bool:
    """Whether the holdout's ``table`` holds rows of the training data's (by primary key, or
    by whole rows without one): a table the split did not divide."""
    real, holdout = data.frame("real", table), data.frame("holdout", table)
    key = list(data.metadata.primary_keys.get(table, ())) or list(real.columns)
    if len(holdout) == 0 or not key:
        return False
    seen = pd.MultiIndex.from_frame(real[key].astype(str))
    mine = pd.MultiIndex.from_frame(holdout[key].astype(str))
    return bool(mine.isin(seen).mean() > 0.5)
