"""A smaller database whose every foreign key still resolves (Tonic / condenser style).

1. **Targets.** Draw the requested share of the rows of each named table (a seeded
   ``numpy.random.default_rng(random_state)``; at least one row of a non-empty table).
2. **Downward.** Add the children of those rows through every foreign key, then their
   children, and so on (orders of the chosen customers, the lines of those orders, ...).
   Self-references are not followed downward, so one chosen manager does not pull in the
   whole organisation below them.
3. **Upward.** Add every row an added row refers to, through every foreign key (self-references
   included), until nothing changes: parents, grandparents, the other parents of the children
   added in step 2.

Every foreign key of the result resolves, except in rows that were orphans in the source.
Tables neither named nor reached are returned empty.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> users = pd.DataFrame({"id": range(100)})
>>> orders = pd.DataFrame({"order_id": range(300), "user_id": [i % 100 for i in range(300)]})
>>> meta = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> small = subset({"users": users, "orders": orders}, meta, "users: 5%", random_state=0)
>>> len(small["users"]), len(small["orders"])
(5, 15)
>>> parse_subset_spec("customers: 1%, orders: 0.5")
{'customers': 0.01, 'orders': 0.5}
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.metadata import DatabaseMetadata, ForeignKey
from simulacra.multitable.checks import check_tables, comparable_keys
from simulacra.multitable.names import name_problem
from simulacra.randomness import RandomState, make_rng


def parse_subset_spec(spec: str) -> dict[str, float]:
    """``"customers: 1%, orders: 0.5"`` → ``{"customers": 0.01, "orders": 0.5}``.

    Each share is a fraction in (0, 1] or a percentage in (0%, 100%].
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"The subset spec must be text like 'customers: 1%, orders: 0.5'. "
                             f"Got {spec!r} instead.")
    out: dict[str, float] = {}
    problems = []
    for part in spec.split(","):
        name, colon, value = part.strip().rpartition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:
            problems.append(f"{part.strip()!r} is not 'table: share'")
            continue
        if (problem := name_problem(name)) is not None:
            problems.append(f"table name {name!r} cannot be used: {problem}")
            continue
        if name in out:
            problems.append(f"table {name!r} is given twice")
            continue
        share = _share(value)
        if share is None:
            problems.append(f"{name}: {value!r} is not a share; write a fraction in (0, 1] such "
                            "as 0.5, or a percentage in (0%, 100%] such as 1%")
            continue
        out[name] = share
    if problems:
        raise ParameterError(f"Invalid subset spec {spec!r}: " + "; ".join(problems))
    return out


def _share(text: str) -> float | None:
    percent = text.endswith("%")
    try:
        value = float(text[:-1] if percent else text)
    except ValueError:
        return None
    if percent:
        value /= 100
    return value if math.isfinite(value) and 0 < value <= 1 else None


def subset(
    tables: Mapping[str, pd.DataFrame],
    metadata: DatabaseMetadata,
    fractions: Mapping[str, float] | str,
    *,
    random_state: RandomState = None,
) -> dict[str, pd.DataFrame]:
    """Keep ``fractions`` of the named tables' rows and every row they need (module docs).

    ``fractions`` maps a table to the share of its rows to draw (``{"customers": 0.01}``), or
    is a spec string (see :func:`parse_subset_spec`). The caller's frames are not modified;
    the result's frames have a fresh index and keep the source's row order.
    """
    check_tables(tables, metadata)
    shares = parse_subset_spec(fractions) if isinstance(fractions, str) else dict(fractions)
    _check_shares(shares, tables)
    rng = make_rng(random_state)
    chosen = {t: np.zeros(len(frame), dtype=bool) for t, frame in tables.items()}
    for table, share in shares.items():  # 1. targets
        n = len(tables[table])
        picked = rng.choice(n, size=min(n, math.ceil(share * n)), replace=False)
        chosen[table][picked] = True
    links = _Links(tables, metadata.foreign_keys)
    downward = [fk for fk in metadata.foreign_keys if not fk.self_reference]
    _close(chosen, downward, links.children_of)  # 2. downward
    _close(chosen, list(metadata.foreign_keys), links.parents_of)  # 3. upward
    return {t: frame[chosen[t]].reset_index(drop=True) for t, frame in tables.items()}


def _check_shares(shares: dict[str, object], tables: Mapping[str, pd.DataFrame]) -> None:
    unknown = [t for t in shares if t not in tables]
    if unknown:
        raise ParameterError(f"The 'fractions' parameter names no table {unknown}; tables are: "
                             f"{', '.join(tables)}")
    bad = {t: v for t, v in shares.items()
           if isinstance(v, bool) or not isinstance(v, int | float)
           or not (math.isfinite(v) and 0 < v <= 1)}
    if bad:
        raise ParameterError(f"The 'fractions' parameter must give each table a share in "
                             f"(0, 1]. Got {bad} instead.")
    if not shares:
        raise ParameterError("The 'fractions' parameter names no table; give at least one, "
                             "e.g. {'customers': 0.01}")


class _Links:
    """Each foreign key's child keys and parent keys, built once, as comparable indexes."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], fks: tuple[ForeignKey, ...]):
        self.child: dict[ForeignKey, pd.MultiIndex] = {}
        self.parent: dict[ForeignKey, pd.MultiIndex] = {}
        self.present: dict[ForeignKey, np.ndarray] = {}
        for fk in fks:
            child = tables[fk.table][list(fk.columns)]
            parent = tables[fk.parent][list(fk.parent_columns)]
            self.child[fk] = pd.MultiIndex.from_frame(comparable_keys(child))
            self.parent[fk] = pd.MultiIndex.from_frame(comparable_keys(parent))
            self.present[fk] = child.notna().all(axis=1).to_numpy()

    def children_of(self, fk: ForeignKey, chosen: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
        """``fk``'s child rows whose key is that of a chosen parent row."""
        keys = self.parent[fk][chosen[fk.parent]]
        return fk.table, self.present[fk] & self.child[fk].isin(keys)

    def parents_of(self, fk: ForeignKey, chosen: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
        """``fk``'s parent rows that a chosen child row refers to."""
        keys = self.child[fk][chosen[fk.table] & self.present[fk]]
        return fk.parent, self.parent[fk].isin(keys)


def _close(chosen: dict[str, np.ndarray], fks: list[ForeignKey], follow) -> None:  # type: ignore[no-untyped-def]
    """Add the rows ``follow`` reaches through ``fks`` until nothing changes (in place)."""
    changed = True
    while changed:
        changed = False
        for fk in fks:
            table, reached = follow(fk, chosen)
            grown = chosen[table] | reached
            if grown.sum() > chosen[table].sum():
                chosen[table] = grown
                changed = True
