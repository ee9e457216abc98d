"""One row per parent: its own columns plus aggregates of its children (SyntheRela's C2ST-Agg).

For a parent table and each foreign key pointing at it, every parent row gets

* ``<child>:count`` — its number of child rows;
* per number or date column of the child: ``<child>.<column>:mean|std|min|max`` over its
  children (dates as seconds; std with ``ddof=0``; null without children);
* per category column of the child: ``<child>.<column>:top_share`` — the share of its
  children holding the real child table's most frequent value — and
  ``<child>.<column>:distinct`` — how many values its children hold.

Hudovernik, Jurkovič & Štrumbelj 2024, "Benchmarking the Fidelity and Utility of Synthetic
Relational Data" (SyntheRela). The features are the same for every side: the "most frequent
value" is always the real child table's.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> from simulacra.evaluation.database.data import DatabaseData
>>> users = pd.DataFrame({"user_id": [1, 2, 3], "age": [30, 41, 25]})
>>> orders = pd.DataFrame({"order_id": [1, 2, 3], "user_id": [1, 1, 3],
...                        "amount": [5.0, 7.0, 2.0], "shop": ["x", "y", "x"]})
>>> db = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> tables = {"users": users, "orders": orders}
>>> frame, kinds = parent_features(DatabaseData.check(tables, tables, db), "real", "users")
>>> frame[["age", "orders:count", "orders.amount:mean", "orders.shop:top_share"]]
   age  orders:count  orders.amount:mean  orders.shop:top_share
0   30             2                 6.0                    0.5
1   41             0                 NaN                    NaN
2   25             1                 2.0                    1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulacra.evaluation.database.data import DatabaseData
from simulacra.evaluation.views import as_float, as_labels
from simulacra.kinds import ColumnKind, Numerical


def parent_features(data: DatabaseData, side: str, table: str,
                    rows: Sequence[int] | np.ndarray | None = None, *, own: bool = True
                    ) -> tuple[pd.DataFrame, dict[str, ColumnKind]]:
    """The parent rows ``rows`` (all when ``None``) of ``table`` on ``side`` with their own
    non-key columns (unless ``own`` is false) and their children's aggregates, and the kind of
    every column (aggregates are numbers)."""
    frame = data.frame(side, table)
    rows = np.arange(len(frame)) if rows is None else np.asarray(rows, dtype=np.int64)
    columns: dict[str, pd.Series] = {}
    kinds: dict[str, ColumnKind] = {}
    if own:
        for column, kind in data.value_kinds(table).items():
            columns[column] = frame[column].iloc[rows].reset_index(drop=True)
            kinds[column] = kind
    for fk in data.metadata.children(table):
        label = data.label(fk)
        positions = data.positions(side, fk)
        child = data.frame(side, fk.table)
        has_parent = positions >= 0
        group = positions[has_parent]
        counts = np.bincount(group, minlength=len(frame))
        columns[f"{label}:count"] = pd.Series(counts[rows])
        for column, kind in data.value_kinds(fk.table).items():
            name = f"{label}.{column}"
            if kind.family == "continuous" and kind.linear:
                values = pd.DataFrame({"v": as_float(child[column])[has_parent], "g": group})
                stats = values.groupby("g")["v"].agg(["mean", "min", "max"])
                stats["std"] = values.groupby("g")["v"].std(ddof=0)
                stats = stats.reindex(rows)
                for stat in ("mean", "std", "min", "max"):
                    columns[f"{name}:{stat}"] = pd.Series(stats[stat].to_numpy())
            elif kind.family == "discrete":
                top = _top_label(data.real[fk.table][column])
                labels = as_labels(child[column])[has_parent]
                values = pd.DataFrame({"top": labels == top, "v": labels, "g": group})
                by = values.groupby("g")
                share = by["top"].mean().reindex(rows)
                distinct = by["v"].nunique().reindex(rows)
                columns[f"{name}:top_share"] = pd.Series(share.to_numpy(dtype=float))
                columns[f"{name}:distinct"] = pd.Series(
                    distinct.fillna(0).to_numpy(dtype=float))
    names = [c for c in columns if c not in kinds]
    kinds.update({c: Numerical() for c in names})
    out = pd.DataFrame(columns) if columns else pd.DataFrame(index=range(len(rows)))
    return out, kinds


def _top_label(column: pd.Series) -> str:
    labels = pd.Series(as_labels(column))
    return str(labels.value_counts().index[0]) if len(labels) else ""
