"""Key paths: chains of foreign keys from a child table up through its ancestors.

A path of ``k`` hops starts at a table and follows ``k`` foreign keys upward, child → parent
→ grandparent …, never the same key twice (so self-references and cycles end). Joining along a
path puts each bottom row beside its parent's, grandparent's … columns: the denormalized
table on which cross-table trends are measured (the k-hop protocol of ClavaDDPM, Pang et al.
2024) and from which cross-table utility features are built.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
>>> from simulacra.kinds import Id
>>> md = DatabaseMetadata({"a": Metadata({"a_id": Id()}),
...                        "b": Metadata({"b_id": Id(), "a_id": Id()}),
...                        "c": Metadata({"c_id": Id(), "b_id": Id()})},
...                       primary_keys={"a": "a_id", "b": "b_id", "c": "c_id"},
...                       foreign_keys=[ForeignKey("b", "a_id", "a", "a_id"),
...                                     ForeignKey("c", "b_id", "b", "b_id")])
>>> [(p.name, p.hops) for p in key_paths(md)]
[('b > a', 1), ('c > b', 1), ('c > b > a', 2)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulacra.evaluation.database.data import DatabaseData
from simulacra.kinds import ColumnKind
from simulacra.metadata import DatabaseMetadata, ForeignKey


@dataclass(frozen=True)
class KeyPath:
    """``keys[0].table`` → ``keys[0].parent`` = ``keys[1].table`` → … → ``keys[-1].parent``."""

    keys: tuple[ForeignKey, ...]
    #: names of the keys whose table has several keys to the same parent (named in full)
    ambiguous: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def hops(self) -> int:
        return len(self.keys)

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables along the path, bottom first (a table may repeat through a
        self-reference)."""
        return (self.keys[0].table, *(fk.parent for fk in self.keys))

    @property
    def bottom(self) -> str:
        return self.keys[0].table

    @property
    def top(self) -> str:
        return self.keys[-1].parent

    @property
    def name(self) -> str:
        """``order > account > district``; a hop names its key columns where a table has
        several keys to the same parent (``disp.account_id > account``)."""
        parts = []
        for fk in self.keys:
            parts.append(fk.name if fk.name in self.ambiguous else fk.table)
        return " > ".join([*parts, self.top])

    def prefixes(self) -> list[str]:
        """Column-name prefix of each table along the path (``table.``; ``table#2.`` for the
        second visit of a table)."""
        seen: dict[str, int] = {}
        out = []
        for table in self.tables:
            seen[table] = seen.get(table, 0) + 1
            out.append(f"{table}." if seen[table] == 1 else f"{table}#{seen[table]}.")
        return out


def key_paths(metadata: DatabaseMetadata, max_hops: int | None = None) -> list[KeyPath]:
    """Every upward path of 1 to ``max_hops`` foreign keys (all lengths when ``None``), by
    length then declaration order."""
    twins = frozenset(fk.name for fk in metadata.foreign_keys
                      if sum(k.parent == fk.parent for k in metadata.parents(fk.table)) > 1)
    frontier = [(fk,) for fk in metadata.foreign_keys]
    found: list[tuple[ForeignKey, ...]] = []
    while frontier and (max_hops is None or len(frontier[0]) <= max_hops):
        found += frontier
        frontier = [(*keys, nxt) for keys in frontier
                    for nxt in metadata.parents(keys[-1].parent) if nxt not in keys]
    return [KeyPath(keys, ambiguous=twins) for keys in found]


def path_positions(data: DatabaseData, side: str, path: KeyPath,
                   rows: np.ndarray) -> list[np.ndarray]:
    """Row positions of every table along ``path`` for the bottom rows ``rows`` of ``side``:
    one array per table, −1 from the first hop that does not resolve (null key or orphan)."""
    out = [np.asarray(rows, dtype=np.int64)]
    current = out[0]
    for fk in path.keys:
        parents = data.positions(side, fk)
        ok = current >= 0
        nxt = np.full(len(current), -1, dtype=np.int64)
        nxt[ok] = parents[current[ok]]
        nxt[nxt < 0] = -1
        out.append(nxt)
        current = nxt
    return out


def joined_columns(data: DatabaseData, side: str, path: KeyPath, rows: np.ndarray,
                   levels: list[int] | None = None, *, inner: bool = True
                   ) -> tuple[pd.DataFrame, dict[str, ColumnKind], dict[str, int]]:
    """The non-key columns of the tables at ``levels`` of ``path`` (all when ``None``; 0 is
    the bottom), joined for the bottom rows ``rows``.

    Returns the joined frame (columns named ``table.column``, see :meth:`KeyPath.prefixes`),
    each column's kind, and each column's level. ``inner`` drops bottom rows whose path
    breaks (an orphan or null key on the way); otherwise their ancestors' columns are null.
    """
    positions = path_positions(data, side, path, rows)
    keep = positions[-1] >= 0 if inner else np.ones(len(rows), dtype=bool)
    levels = list(range(path.hops + 1)) if levels is None else levels
    prefixes = path.prefixes()
    columns: dict[str, pd.Series] = {}
    kinds: dict[str, ColumnKind] = {}
    level_of: dict[str, int] = {}
    for level in levels:
        table = path.tables[level]
        at = positions[level][keep]
        frame = data.frame(side, table)
        for column, kind in data.value_kinds(table).items():
            name = prefixes[level] + column
            values = frame[column]
            if len(values) == 0:
                taken = pd.Series([None] * len(at), dtype=object)
            else:
                taken = values.iloc[np.maximum(at, 0)].reset_index(drop=True)
            if (at < 0).any():
                taken = taken.where(pd.Series(at >= 0), None)
            columns[name] = taken
            kinds[name] = kind
            level_of[name] = level
    joined = pd.DataFrame(columns) if columns else pd.DataFrame(index=range(int(keep.sum())))
    return joined, kinds, level_of
