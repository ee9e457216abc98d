"""Cross-table utility: predict a column from its own row, its ancestors and its children.

For ``target="table.column"``, each row of ``table`` becomes one feature row of

1. the table's own non-key columns (the target among them);
2. the non-key columns of every ancestor reached along up to ``hops`` foreign keys
   (``account.frequency``, ``account.district.A3``…; null where a key does not resolve);
3. its children's aggregates as in C2ST-Agg (number of children, mean/std/min/max of numbers,
   share of the top category and number of distinct values);
4. its parents' other children's aggregates, the same way (``account.order:count``,
   ``account.order.amount:mean``: a loan's account's standing orders), leaving out the
   table's own rows (they hold the target).

Then the single-table utility (:func:`simulacra.evaluation.utility.utility`) trains the same
gradient-boosted model on the synthetic rows (TSTR) and on the real rows (TRTR) and scores both
on real rows neither saw: the holdout database's ``table`` when given, else a seeded
30 % of the real rows (the real model then trains on the other 70 %; the synthesizer saw
every real row, so TSTR is optimistic there — the figure's note says so).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.evaluation.database.aggregates import parent_features
from simulacra.evaluation.database.data import DatabaseData, subsample
from simulacra.evaluation.database.paths import KeyPath, joined_columns, key_paths
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.prepare import Featurizer, prepare
from simulacra.evaluation.utility import utility
from simulacra.kinds import ColumnKind
from simulacra.metadata import Metadata

#: Share of the real rows scored when no holdout is given.
TEST_SHARE = 0.3


def parse_target(data: DatabaseData, target: str) -> tuple[str, str]:
    """``"table.column"`` → ``(table, column)``, checked against the databases."""
    if not isinstance(target, str) or "." not in target:
        raise ParameterError(f"The 'target' parameter must be 'table.column'. Got {target!r} "
                             "instead.")
    for cut in [i for i, ch in enumerate(target) if ch == "."]:
        table, column = target[:cut], target[cut + 1:]
        if table in data.metadata:
            break
    else:
        raise ParameterError(f"The 'target' parameter must name a table of the database "
                             f"({list(data.metadata)}) as 'table.column'. Got {target!r} "
                             "instead.")
    kinds = data.value_kinds(table)
    if column not in kinds:
        raise ParameterError(
            f"The 'target' parameter must name a non-key column of {table!r} that can be "
            f"learned: one of {list(kinds)}. Got {column!r} instead.")
    return table, column


def cross_table_utility(data: DatabaseData, target: str, rng: np.random.Generator, *,
                        max_rows: int, hops: int = 2) -> list[Scoped]:
    """TSTR figures (ROC-AUC / F1 / accuracy, or R² / RMSE) for ``target`` with cross-table
    features, each beside its TRTR reference."""
    table, column = parse_target(data, target)
    paths = [p for p in key_paths(data.metadata, hops) if p.bottom == table]
    frames: dict[str, pd.DataFrame] = {}
    kinds: dict[str, ColumnKind] = {}
    for side in data.sides():
        if side == "holdout" and table not in data.holdout:
            continue
        frames[side], kinds = _features(data, side, table, paths,
                                        subsample(len(data.frame(side, table)), max_rows, rng))
    note = ""
    if "holdout" not in frames:
        n = len(frames["real"])
        order = rng.permutation(n)
        test = np.sort(order[: max(1, round(TEST_SHARE * n))])
        train = np.sort(order[len(test):])
        frames["holdout"] = frames["real"].iloc[test].reset_index(drop=True)
        frames["real"] = frames["real"].iloc[train].reset_index(drop=True)
        note = (f"no holdout of {table!r}: scored on a seeded {TEST_SHARE:.0%} of the real "
                "rows, which the synthesizer saw (TSTR is optimistic)")
    evaluated = prepare(frames["real"], frames["synthetic"], frames["holdout"], Metadata(kinds))
    found = utility(evaluated, Featurizer(evaluated), column, rng, max_rows=max_rows)
    features = [c for c in kinds if c != column]
    return [Scoped("database", "", dataclasses.replace(
        metric, note="; ".join(filter(None, [metric.note, note])),
        details={**metric.details, "target": target, "features": features}))
        for metric in found]


def _features(data: DatabaseData, side: str, table: str, paths: list[KeyPath],
              rows: np.ndarray) -> tuple[pd.DataFrame, dict[str, ColumnKind]]:
    own, kinds = parent_features(data, side, table, rows)
    parts = [own]
    for path in paths:
        joined, path_kinds, _ = joined_columns(data, side, path, rows, [path.hops], inner=False)
        prefix = ".".join(_hop_names(path)) + "."
        top = path.prefixes()[-1]
        renamed = {c: prefix + c[len(top):] for c in joined.columns}
        parts.append(joined.rename(columns=renamed))
        kinds.update({renamed[c]: k for c, k in path_kinds.items()})
        if path.hops == 1:
            siblings, sibling_kinds = _sibling_features(data, side, table, path, rows, prefix)
            parts.append(siblings)
            kinds.update(sibling_kinds)
    return pd.concat(parts, axis=1), kinds


def _sibling_features(data: DatabaseData, side: str, table: str, path: KeyPath,
                      rows: np.ndarray, prefix: str
                      ) -> tuple[pd.DataFrame, dict[str, ColumnKind]]:
    """Aggregates of the other child tables of the parent ``path`` leads to, per row."""
    fk = path.keys[0]
    own = [data.label(child) for child in data.metadata.children(fk.parent)
           if child.table == table]
    aggregates, kinds = parent_features(data, side, fk.parent, own=False)
    keep = [c for c in aggregates.columns
            if not any(c.startswith((f"{label}:", f"{label}.")) for label in own)]
    positions = data.positions(side, fk)[rows]
    picked = aggregates[keep].reindex(positions).reset_index(drop=True)  # -1: no parent
    picked.columns = [prefix + c for c in keep]
    return picked, {prefix + c: kinds[c] for c in keep}


def _hop_names(path: KeyPath) -> list[str]:
    """``account``, ``account.district``…: each hop by its parent, or by its key columns
    where the table has several keys to that parent."""
    return [f"{fk.parent}({'+'.join(fk.columns)})" if fk.name in path.ambiguous else fk.parent
            for fk in path.keys]
