"""What each table's model learns beside its own columns: its parents' rows and its children.

For a table ``T`` the relational synthesizer fits one single-table model on

* ``T``'s own columns (every column but its keys);
* per foreign key of ``T``, the parent row it refers to: the parent's own columns, its numbers
  of children in its other child tables (``account.#order.account_id``: how many standing
  orders the loan's account has) and, up to ``depth`` levels, the parent's own parents' columns
  (``account.frequency``, ``account.district.A3``) — the *context*, so a child row is learned
  together with the row it belongs to, its siblings' number is known to it, and grandparent
  information reaches grandchildren;
* per foreign key of ``T``, where the source has null or orphan keys, the key's state
  (``account~link``: ``linked``, ``null`` or ``orphan``);
* per foreign key that refers to ``T``, the number of child rows each row has
  (``#order.account_id``), so that how many children a row gets follows its own values.

Columns that are generated rather than learned (ids, personal data, free text) are no context.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> users = pd.DataFrame({"id": [1, 2], "country": ["NO", "IT"]})
>>> orders = pd.DataFrame({"order_id": [1, 2, 3], "user_id": [1, 1, 2], "total": [3., 4., 5.]})
>>> db = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> layout = Layout(db, depth=2, max_columns=10)
>>> layout.training_frame({"users": users, "orders": orders}, "orders").columns.tolist()
['users.country', 'total']
>>> layout.training_frame({"users": users, "orders": orders}, "users")["#orders.user_id"].tolist()
[2, 1]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulacra.kinds import Categorical, ColumnKind, Numerical
from simulacra.metadata import DatabaseMetadata, ForeignKey
from simulacra.metadata.keys import parent_positions

#: Suffix of a key's state column; its values are these.
LINK = "~link"
LINKED, NULL, ORPHAN = "linked", "null", "orphan"
#: Prefix of a child-count column.
COUNT = "#"
#: Most parent columns a foreign key is considered for (before the relevant ones are chosen).
CANDIDATES = 64


@dataclass(frozen=True)
class ContextSpec:
    """One foreign key of a table: its label (column prefix) and the parent columns it brings."""

    fk: ForeignKey
    label: str
    columns: tuple[str, ...]

    def names(self) -> list[str]:
        return [f"{self.label}.{c}" for c in self.columns]


class Layout:
    """The columns of every table's model, and how to compute them from tables."""

    def __init__(self, metadata: DatabaseMetadata, *, depth: int, max_columns: int,
                 link_states: Mapping[str, bool] | None = None,
                 selected: Mapping[str, list[str]] | None = None):
        self.metadata = metadata
        self.depth = depth
        self.max_columns = max_columns
        #: foreign keys (by name) whose source has null or orphan values
        self.link_states = dict(link_states or {})
        #: per foreign key (by name), the parent columns chosen as its context
        self.selected = {k: list(v) for k, v in (selected or {}).items()}

    # -- names -----------------------------------------------------------------------------
    def own_columns(self, table: str) -> list[str]:
        keys = self.metadata.key_columns(table)
        return [c for c in self.metadata[table] if c not in keys]

    def profile_own(self, table: str) -> list[str]:
        meta = self.metadata[table]
        return [c for c in self.own_columns(table) if meta[c].family != "generated"]

    def label(self, fk: ForeignKey) -> str:
        same = [f for f in self.metadata.parents(fk.table) if f.parent == fk.parent]
        return fk.parent if len(same) == 1 else f"{fk.parent}({'+'.join(fk.columns)})"

    def context_keys(self, table: str) -> list[ForeignKey]:
        """The foreign keys of ``table`` that bring context (every one but self-references)."""
        return [fk for fk in self.metadata.parents(table) if not fk.self_reference]

    def profile_counts(self, table: str) -> list[str]:
        """A row's numbers of children, one per foreign key of another table pointing at
        ``table`` (a self-reference's count describes the row within its own table)."""
        return [self.count_name(fk) for fk in self.metadata.children(table)
                if not fk.self_reference]

    def profile_columns(self, table: str, depth: int) -> list[str]:
        """A row's description for its children, ``depth`` levels of parents deep: its own
        columns, its numbers of children, then its parents' descriptions."""
        if depth <= 0:
            return []
        names = [*self.profile_own(table), *self.profile_counts(table)]
        if depth > 1:
            for fk in self.context_keys(table):
                names += [f"{self.label(fk)}.{c}"
                          for c in self.profile_columns(fk.parent, depth - 1)]
        return names[:CANDIDATES]

    def contexts(self, table: str) -> list[ContextSpec]:
        """Each context key of ``table`` with its parent columns: those chosen at fit time
        (:mod:`simulacra.multitable.relevance`), else the first ``max_columns``."""
        out = []
        for fk in self.context_keys(table):
            columns = self.selected.get(fk.name)
            if columns is None:
                columns = self.parent_columns(fk)[: self.max_columns]
            out.append(ContextSpec(fk, self.label(fk), tuple(columns)))
        return out

    def parent_columns(self, fk: ForeignKey) -> list[str]:
        """What the parent of ``fk`` can tell its children: its profile, less its number of
        children by ``fk`` itself (the row's own siblings in its table: a sequence knows it
        as its length, and a row drawn alone is given a parent with room for it)."""
        return [c for c in self.profile_columns(fk.parent, self.depth)
                if c != self.count_name(fk)]

    def candidates(self, table: str) -> list[ContextSpec]:
        """Each context key of ``table`` with every parent column it could bring."""
        return [ContextSpec(fk, self.label(fk), tuple(self.parent_columns(fk)))
                for fk in self.context_keys(table)]

    def count_name(self, fk: ForeignKey) -> str:
        return f"{COUNT}{fk.name}"

    def link_name(self, spec: ContextSpec) -> str:
        return f"{spec.label}{LINK}"

    def model_kinds(self, table: str) -> dict[str, ColumnKind]:
        """Column kinds of ``table``'s model, in its column order: the context first (a model
        that generates columns in order, like the autoregressive network, then draws a row's
        own values given its parents'), its own columns, then its rows' child counts."""
        meta = self.metadata[table]
        kinds: dict[str, ColumnKind] = {}
        for spec in self.contexts(table):
            for column, name in zip(spec.columns, spec.names(), strict=True):
                kinds[name] = self.column_kind(spec.fk.parent, column)
            if self.link_states.get(spec.fk.name):
                kinds[self.link_name(spec)] = Categorical(reason="state of the key")
        kinds.update({c: meta[c] for c in self.own_columns(table)})
        for fk in self.metadata.children(table):
            kinds[self.count_name(fk)] = Numerical(integer=True, minimum=0,
                                                   reason="number of child rows")
        return kinds

    def column_kind(self, table: str, column: str) -> ColumnKind:
        """The kind of a profile column of ``table`` (own, or a parent's, by its prefix)."""
        if column in self.metadata[table]:
            return self.metadata[table][column]
        if column in self.profile_counts(table):
            return Numerical(integer=True, minimum=0, reason="number of child rows")
        for fk in self.context_keys(table):
            prefix = f"{self.label(fk)}."
            if column.startswith(prefix):
                return self.column_kind(fk.parent, column[len(prefix):])
        raise KeyError(column)

    # -- values ----------------------------------------------------------------------------
    def profile(self, tables: Mapping[str, pd.DataFrame], table: str, depth: int,
                memo: dict | None = None, *,
                counts: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """``profile_columns(table, depth)`` for every row of ``tables[table]`` (by position).

        ``counts`` holds the numbers of children per table (the generated ones while
        sampling, before the children exist); counted from ``tables`` where not given."""
        memo = {} if memo is None else memo
        if (table, depth) in memo:
            return memo[(table, depth)]
        frame = tables[table]
        wanted = self.profile_columns(table, depth)
        parts = [frame[[c for c in self.profile_own(table) if c in wanted]].reset_index(drop=True)]
        if self.profile_counts(table):
            numbers = counts[table] if counts is not None and table in counts else \
                self.counts(tables, table)
            mine = [c for c in self.profile_counts(table) if c in wanted]
            parts.append(numbers[mine].reset_index(drop=True))
        if depth > 1:
            for fk in self.context_keys(table):
                label = self.label(fk)
                mine = [c for c in wanted if c.startswith(f"{label}.")]
                if not mine or fk.parent not in tables:
                    continue
                parent = self.profile(tables, fk.parent, depth - 1, memo, counts=counts)
                rows = parent_positions(frame, fk.columns, tables[fk.parent],
                                        fk.parent_columns)
                looked = take(parent, rows)
                looked.columns = [f"{label}.{c}" for c in looked.columns]
                parts.append(looked[[c for c in mine if c in looked.columns]])
        out = pd.concat(parts, axis=1)
        out = out.reindex(columns=wanted)
        memo[(table, depth)] = out
        return out

    def context(self, tables: Mapping[str, pd.DataFrame], table: str,
                memo: dict | None = None, *, candidates: bool = False) -> pd.DataFrame:
        """Every context column of ``table``'s rows, from the parent rows their keys name
        (``candidates``: every column a key could bring, not only the chosen ones)."""
        memo = {} if memo is None else memo
        frame = tables[table]
        parts = []
        for spec in (self.candidates(table) if candidates else self.contexts(table)):
            rows = parent_positions(frame, spec.fk.columns, tables[spec.fk.parent],
                             spec.fk.parent_columns)
            parent = self.profile(tables, spec.fk.parent, self.depth, memo)
            looked = take(parent[list(spec.columns)], rows)
            looked.columns = spec.names()
            parts.append(looked)
            if self.link_states.get(spec.fk.name):
                state = np.where(rows >= 0, LINKED, ORPHAN).astype(object)
                state[frame[list(spec.fk.columns)].isna().any(axis=1).to_numpy()] = NULL
                parts.append(pd.DataFrame({self.link_name(spec): state}))
        if not parts:
            return pd.DataFrame(index=range(len(frame)))
        return pd.concat(parts, axis=1)

    def counts(self, tables: Mapping[str, pd.DataFrame], table: str) -> pd.DataFrame:
        """Per row of ``table``, how many rows of each child table refer to it."""
        frame = tables[table]
        out = {}
        for fk in self.metadata.children(table):
            rows = parent_positions(tables[fk.table], fk.columns, frame, fk.parent_columns)
            out[self.count_name(fk)] = np.bincount(rows[rows >= 0], minlength=len(frame))
        return pd.DataFrame(out, index=range(len(frame)))

    def training_frame(self, tables: Mapping[str, pd.DataFrame], table: str,
                       memo: dict | None = None) -> pd.DataFrame:
        """What ``table``'s model is fitted on: own columns, context, key states, counts."""
        own = tables[table][self.own_columns(table)].reset_index(drop=True)
        return pd.concat([self.context(tables, table, memo), own, self.counts(tables, table)],
                         axis=1)


def take(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame``'s rows at ``rows`` (by position; -1 gives a row of nulls)."""
    if not (rows < 0).any():
        return frame.iloc[rows].reset_index(drop=True)
    out = frame.reset_index(drop=True).reindex(rows)
    return out.reset_index(drop=True)
