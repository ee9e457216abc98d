"""``Scoped``: one figure of a database evaluation and where it applies.

>>> from simulacra.evaluation.metric import Metric
>>> Scoped("relation", "orders.user_id", Metric("cardinality shape", "fidelity", 0.9,
...        definition="…", direction="higher", ideal=1.0)).where
'orders.user_id'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulacra.evaluation.metric import Metric

Scope = Literal["database", "table", "relation", "path"]
SCOPES: tuple[Scope, ...] = ("database", "table", "relation", "path")


@dataclass(frozen=True)
class Scoped:
    """One figure and where it applies: ``scope`` (the whole database, a table, a relation —
    a foreign key named ``child.column`` — or a key path) and ``where`` (the table, key or
    path name; empty for the database)."""

    scope: Scope
    where: str
    metric: Metric
