"""``DatabaseData``: the real, synthetic and holdout databases of one evaluation, checked once.

Every figure reads its tables through this object, so the checks (every table and column is
there, keys exist) run once, each foreign key is resolved once per side and then shared, and
every random draw comes from one generator seeded by ``random_state``.

A *side* is ``"real"``, ``"synthetic"`` or ``"holdout"``. A holdout may hold only some tables
(e.g. the accounts held out and their transactions, but not a shared lookup table of
districts): a table it lacks is read from the real database wherever a join needs it.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> users = pd.DataFrame({"id": [1, 2, 3], "age": [30, 41, 25]})
>>> orders = pd.DataFrame({"order_id": [1, 2, 3], "user_id": [1, 1, 3], "amount": [5.0, 7.5, 2.0]})
>>> db = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> data = DatabaseData.check({"users": users, "orders": orders},
...                           {"users": users, "orders": orders}, db)
>>> list(data.value_kinds("orders")), data.positions("real", db.foreign_keys[0]).tolist()
(['amount'], [0, 0, 2])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import DataError, ParameterError
from simulacra.evaluation.prepare import compared_kind
from simulacra.kinds import Categorical, ColumnKind
from simulacra.metadata import DatabaseMetadata, ForeignKey
from simulacra.metadata.keys import parent_positions

SIDES = ("real", "synthetic", "holdout")


@dataclass
class DatabaseData:
    """The three databases (``holdout`` may be empty), their metadata and shared lookups."""

    real: dict[str, pd.DataFrame]
    synthetic: dict[str, pd.DataFrame]
    holdout: dict[str, pd.DataFrame]
    metadata: DatabaseMetadata
    notes: list[str] = field(default_factory=list)
    _positions: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def check(cls, real: Mapping[str, pd.DataFrame], synthetic: Mapping[str, pd.DataFrame],
              metadata: DatabaseMetadata,
              holdout: Mapping[str, pd.DataFrame] | None = None) -> DatabaseData:
        """Check the databases against ``metadata`` and each other; list every problem at once.

        Raises :class:`~simulacra.errors.DataError` naming each missing table and column.
        Tables of ``synthetic`` or ``holdout`` that the metadata does not know are ignored
        (and listed in ``notes``). The frames are never modified.
        """
        if not isinstance(metadata, DatabaseMetadata):
            raise ParameterError(f"The 'metadata' parameter must be a DatabaseMetadata. Got "
                                 f"{type(metadata).__name__} instead.")
        problems: list[str] = []
        notes: list[str] = []
        sides: dict[str, dict[str, pd.DataFrame]] = {}
        for side, tables in (("real", real), ("synthetic", synthetic),
                             ("holdout", holdout or {})):
            if not isinstance(tables, Mapping):
                raise ParameterError(f"The {side!r} database must be a mapping of table name "
                                     f"to DataFrame. Got {type(tables).__name__} instead.")
            sides[side] = {}
            for name, frame in tables.items():
                if name not in metadata:
                    notes.append(f"{side} table {name!r} is not in the metadata: not evaluated")
                    continue
                if not isinstance(frame, pd.DataFrame):
                    problems.append(f"{side} table {name!r} must be a pandas DataFrame, got "
                                    f"{type(frame).__name__}")
                    continue
                sides[side][name] = frame
        for side in ("real", "synthetic"):
            missing = [t for t in metadata if t not in sides[side]]
            if missing:
                problems.append(f"the {side} database lacks the tables {missing}; pass every "
                                f"table of the metadata ({list(metadata)})")
        for name in metadata.tables:
            if name not in sides["real"]:
                continue
            real_columns = list(sides["real"][name].columns)
            keys = _key_columns(metadata, name)
            absent_keys = [c for c in keys if c not in real_columns]
            if absent_keys:
                problems.append(f"real table {name!r} lacks its key columns {absent_keys}")
            for side in ("synthetic", "holdout"):
                frame = sides[side].get(name)
                if frame is None:
                    continue
                missing = [c for c in real_columns if c not in frame.columns]
                if missing:
                    problems.append(f"{side} table {name!r} lacks the columns {missing} of the "
                                    "real table; generate or keep every column")
            if name in sides["synthetic"] and len(sides["synthetic"][name]) == 0:
                notes.append(f"synthetic table {name!r} is empty")
            if len(sides["real"][name]) == 0:
                problems.append(f"real table {name!r} is empty; evaluation needs rows")
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise DataError(f"The databases cannot be evaluated ({len(problems)} "
                            f"problem{'s' if len(problems) > 1 else ''}):\n{lines}")
        return cls(sides["real"], sides["synthetic"], sides["holdout"], metadata, notes)

    # -- reading --------------------------------------------------------------------------
    @property
    def tables(self) -> list[str]:
        """Table names, parents first."""
        return self.metadata.table_order()

    def sides(self) -> list[str]:
        """``["real", "synthetic"]``, plus ``"holdout"`` when a holdout table was given."""
        return ["real", "synthetic"] + (["holdout"] if self.holdout else [])

    def frame(self, side: str, table: str) -> pd.DataFrame:
        """``table`` of ``side``; a holdout lacking the table falls back to the real one."""
        tables: dict[str, pd.DataFrame] = getattr(self, side)
        if table in tables:
            return tables[table]
        if side == "holdout":
            return self.real[table]
        raise DataError(f"the {side} database has no table {table!r}")

    def key_columns(self, table: str) -> set[str]:
        """Columns of ``table`` that are keys: its primary key, its foreign keys, and the
        columns other tables' foreign keys refer to."""
        return _key_columns(self.metadata, table)

    def value_kinds(self, table: str) -> dict[str, ColumnKind]:
        """The non-key columns of ``table`` that can be compared, with their kinds.

        Key columns and generated kinds (ids, PII, free text) are left out, as the
        single-table evaluation leaves them out.
        """
        meta = self.metadata[table]
        keys = self.key_columns(table)
        out = {}
        for column in self.real[table].columns:
            if column in keys:
                continue
            kind = meta[column] if column in meta else Categorical()
            if compared_kind(kind):
                out[column] = kind
        return out

    def positions(self, side: str, fk: ForeignKey) -> np.ndarray:
        """For each row of ``fk.table`` on ``side``, its parent row's position (−1 null key,
        −2 orphan); computed once per side and key."""
        key = (side, fk.name)
        if key not in self._positions:
            found = parent_positions(self.frame(side, fk.table), fk.columns,
                                     self.frame(side, fk.parent), fk.parent_columns)
            found.flags.writeable = False
            self._positions[key] = found
        return self._positions[key]

    def label(self, fk: ForeignKey) -> str:
        """How ``fk``'s child table is named beside its parent: the table, or
        ``table(columns)`` when the table has several keys to that parent."""
        twins = [k for k in self.metadata.parents(fk.table) if k.parent == fk.parent]
        return fk.table if len(twins) == 1 else f"{fk.table}({'+'.join(fk.columns)})"

    def info(self) -> dict[str, Any]:
        return {side: {t: len(f) for t, f in getattr(self, side).items()}
                for side in self.sides()}


def subsample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of ``min(n, size)`` rows drawn without replacement (all if n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def table_sides(data: DatabaseData, table: str, columns: list[str], rng: np.random.Generator,
                max_rows: int) -> tuple[dict[str, pd.DataFrame | None], str]:
    """The ``columns`` of the table's real, synthetic and holdout rows (``None`` for a side
    that lacks the table: never the real table in the holdout's stead), each subsampled to
    ``max_rows`` with ``rng``; and a note on the subsampling ("" if none)."""
    frames: dict[str, pd.DataFrame | None] = {}
    parts = []
    for side in ("real", "synthetic", "holdout"):
        source = getattr(data, side).get(table)
        if source is None:
            frames[side] = None
            continue
        rows = subsample(len(source), max_rows, rng)
        if len(rows) < len(source):
            parts.append(f"{len(rows):,} of {len(source):,} {side} rows")
        frames[side] = source.iloc[rows][columns]
    return frames, "random subsample: " + ", ".join(parts) if parts else ""


def _key_columns(metadata: DatabaseMetadata, table: str) -> set[str]:
    out = set(metadata.key_columns(table))
    for fk in metadata.children(table):
        out.update(fk.parent_columns)
    return out
