"""Integrity: do the synthetic keys hold? Primary keys unique and present, foreign keys resolved.

* per table with a primary key — "primary key integrity": the share of rows whose key is
  non-null and held by no other row (ideal 1);
* per foreign key — "foreign key resolution": the share of non-null keys that a parent row
  has (1 − orphan rate), beside the real data's own share (:meth:`DatabaseMetadata.orphans`):
  a source whose keys were not enforced has orphans of its own;
* for the database — the lowest of each (one broken key is enough to break a join).

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> from simulacra.evaluation.database.data import DatabaseData
>>> users = pd.DataFrame({"user_id": [1, 2, 3], "age": [30, 41, 25]})
>>> orders = pd.DataFrame({"order_id": [1, 2, 3], "user_id": [1, 1, 3]})
>>> db = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> fake = {"users": users, "orders": pd.DataFrame({"order_id": [1, 2, 3], "user_id": [1, 9, 3]})}
>>> found = integrity(DatabaseData.check({"users": users, "orders": orders}, fake, db))
>>> [(f.where, f.metric.name, round(f.metric.value, 3)) for f in found if f.scope == "relation"]
[('orders.user_id', 'foreign key resolution', 0.667)]
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.evaluation.database.data import DatabaseData
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.metric import Metric
from simulacra.metadata.keys import NULL, unique_key_rows

PK_DEFINITION = ("share of rows whose primary key is non-null and held by no other row; "
                 "reference: the same share in the real table")
FK_DEFINITION = ("share of non-null foreign key values that a row of the parent table has "
                 "(1 − orphan rate); reference: the same share in the real database")


def integrity(data: DatabaseData) -> list[Scoped]:
    """Primary key integrity per table, foreign key resolution per key, and their minimum."""
    out: list[Scoped] = []
    for table in data.tables:
        key = data.metadata.primary_keys.get(table)
        if not key:
            continue
        synth = data.synthetic[table]
        value = float(unique_key_rows(synth, key).mean()) if len(synth) else math.nan
        reference = float(unique_key_rows(data.real[table], key).mean())
        out.append(Scoped("table", table, Metric(
            "primary key integrity", "integrity", value, definition=PK_DEFINITION,
            direction="higher", ideal=1.0, reference=reference, reference_label="real",
            details={"key": list(key), "rows": len(synth),
                     "null_keys": int(synth[list(key)].isna().any(axis=1).sum()),
                     "repeated_key_rows": int(synth[list(key)].dropna().duplicated(
                         keep=False).sum())})))
    for fk in data.metadata.foreign_keys:
        real_share, real_details = _resolution(data.positions("real", fk))
        share, details = _resolution(data.positions("synthetic", fk))
        out.append(Scoped("relation", fk.name, Metric(
            "foreign key resolution", "integrity", share, definition=FK_DEFINITION,
            direction="higher", ideal=1.0, reference=real_share, reference_label="real",
            details={"key": str(fk), **details,
                     "real": real_details})))
    for scope, name, what in (("table", "primary key integrity", "primary key"),
                              ("relation", "foreign key resolution", "foreign key")):
        found = [(f.where, f.metric.value) for f in out
                 if f.scope == scope and f.metric.name == name]
        values = [v for _, v in found if not math.isnan(v)]
        if not values:
            continue
        worst = min(found, key=lambda item: item[1] if not math.isnan(item[1]) else 2.0)
        out.append(Scoped("database", "", Metric(
            name, "integrity", min(values),
            definition=f"the lowest {name} over every {what} of the database",
            direction="higher", ideal=1.0, details={"worst": worst[0], "count": len(found)})))
    return out


def _resolution(positions: np.ndarray) -> tuple[float, dict[str, int]]:
    present = positions != NULL
    resolved = int((positions >= 0).sum())
    total = int(present.sum())
    share = resolved / total if total else 1.0
    return share, {"non_null_keys": total, "resolved": resolved,
                   "orphans": total - resolved, "null_keys": int((~present).sum())}
