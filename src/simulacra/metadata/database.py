"""``DatabaseMetadata``: the reviewable description of several related tables.

Tables, their primary keys (one column or several), foreign keys (several per table, several to
one parent, self-references, the two keys of a link table), and the columns declared unique or
not null. Detected from DataFrames with a reason per key, edited, validated with every problem
listed at once, and saved as YAML like the one-table :class:`~simulacra.metadata.Metadata`.

>>> import pandas as pd
>>> users = pd.DataFrame({"id": [1, 2, 3], "country": ["NO", "IT", "NO"]})
>>> orders = pd.DataFrame({"order_id": [10, 11, 12, 13], "user_id": [1, 1, 3, 2],
...                        "amount": [9.5, 3.0, 12.25, 7.0]})
>>> db = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> db.primary_keys
{'users': ('id',), 'orders': ('order_id',)}
>>> [str(fk) for fk in db.foreign_keys]
['orders.user_id -> users.id']
>>> db.table_order()
['users', 'orders']
>>> DatabaseMetadata.from_yaml(db.to_yaml()) == db
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simulacra.errors import MetadataError
from simulacra.io import load_json, load_yaml
from simulacra.kinds import Id
from simulacra.metadata.detect.keys import detect_keys
from simulacra.metadata.keys import NULL as NULL_KEY
from simulacra.metadata.keys import ORPHAN as ORPHAN_KEY
from simulacra.metadata.keys import parent_positions
from simulacra.metadata.table import Metadata, check_column_names

DATABASE_METADATA_VERSION = 1


@dataclass(frozen=True)
class ForeignKey:
    """``table.columns`` refer to ``parent.parent_columns`` (one column each, or several).

    >>> str(ForeignKey("orders", ("user_id",), "users", ("id",)))
    'orders.user_id -> users.id'
    """

    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    reason: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("columns", "parent_columns"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value))

    @property
    def name(self) -> str:
        """``table.col`` (``table.a+b`` for a key of several columns): unique in a database."""
        return f"{self.table}.{'+'.join(self.columns)}"

    @property
    def self_reference(self) -> bool:
        return self.table == self.parent

    def __str__(self) -> str:
        return f"{self.name} -> {self.parent}.{'+'.join(self.parent_columns)}"

    def to_dict(self, *, reason: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"table": self.table, "columns": list(self.columns),
                               "parent": self.parent, "parent_columns": list(self.parent_columns)}
        if reason and self.reason:
            out["reason"] = self.reason
        return out


class DatabaseMetadata:
    """Several tables (each a :class:`Metadata`), their keys and the links between them.

    ``primary_keys`` maps a table to its key columns (a table may have none: it is then never a
    parent). ``unique`` and ``not_null`` list further columns per table that a database writer
    declares (``UNIQUE``, ``NOT NULL``). ``key_reasons`` says why each primary key was chosen.
    """

    def __init__(
        self,
        tables: Mapping[str, Metadata],
        *,
        primary_keys: Mapping[str, Iterable[str] | str] | None = None,
        foreign_keys: Iterable[ForeignKey] = (),
        unique: Mapping[str, Iterable[Iterable[str] | str]] | None = None,
        not_null: Mapping[str, Iterable[str]] | None = None,
        key_reasons: Mapping[str, str] | None = None,
    ):
        self.tables: dict[str, Metadata] = dict(tables)
        self.primary_keys: dict[str, tuple[str, ...]] = {
            t: _as_columns(cols) for t, cols in (primary_keys or {}).items() if cols}
        self.foreign_keys: tuple[ForeignKey, ...] = tuple(foreign_keys)
        self.unique: dict[str, tuple[tuple[str, ...], ...]] = {
            t: tuple(_as_columns(c) for c in groups) for t, groups in (unique or {}).items()
            if groups}
        self.not_null: dict[str, tuple[str, ...]] = {
            t: tuple(cols) for t, cols in (not_null or {}).items() if cols}
        self.key_reasons: dict[str, str] = dict(key_reasons or {})
        self.validate()

    # -- reading ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __contains__(self, table: object) -> bool:
        return table in self.tables

    def __getitem__(self, table: str) -> Metadata:
        try:
            return self.tables[table]
        except KeyError:
            raise MetadataError(f"no table {table!r} in the database metadata; tables are: "
                                f"{', '.join(self.tables) or '(none)'}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatabaseMetadata):
            return NotImplemented
        return (self.tables == other.tables and self.primary_keys == other.primary_keys
                and self.foreign_keys == other.foreign_keys and self.unique == other.unique
                and self.not_null == other.not_null)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return (f"DatabaseMetadata({len(self.tables)} tables, "
                f"{len(self.foreign_keys)} foreign keys)")

    def _repr_html_(self) -> str:
        """Tables, their keys and their links to parents, as a table (notebooks)."""
        from simulacra.htmlrepr import html_table

        rows = [[name, len(meta), ", ".join(self.primary_keys.get(name, ())),
                 "; ".join(f"{', '.join(fk.columns)} → {fk.parent}" for fk in self.parents(name))]
                for name, meta in self.tables.items()]
        return html_table(f"Database: {len(self.tables)} tables, {len(self.foreign_keys)} "
                          "foreign keys", ["table", "columns", "primary key", "foreign keys"],
                          rows)

    def parents(self, table: str) -> list[ForeignKey]:
        """The foreign keys of ``table`` (its links to parents), in declaration order."""
        return [fk for fk in self.foreign_keys if fk.table == table]

    def children(self, table: str) -> list[ForeignKey]:
        """The foreign keys that point at ``table``."""
        return [fk for fk in self.foreign_keys if fk.parent == table]

    def key_columns(self, table: str) -> set[str]:
        """Columns of ``table`` that are keys (its primary key and its foreign keys)."""
        out = set(self.primary_keys.get(table, ()))
        for fk in self.parents(table):
            out.update(fk.columns)
        return out

    def deferred_keys(self) -> list[ForeignKey]:
        """Foreign keys left out of the generation order to break a cycle between tables.

        Self-references are not listed here (a table's rows refer to rows of the same table,
        and are linked once the table exists); a cycle over several tables gives up the last
        declared key that closes it.
        """
        deferred: list[ForeignKey] = []
        kept = [fk for fk in self.foreign_keys if not fk.self_reference]
        while _find_cycle(self.tables, kept):
            cycle = _find_cycle(self.tables, kept)
            last = max(cycle, key=lambda fk: self.foreign_keys.index(fk))
            kept.remove(last)
            deferred.append(last)
        return deferred

    def table_order(self) -> list[str]:
        """Tables parents-first (each after every table its non-deferred keys point at)."""
        deferred = set(self.deferred_keys())
        edges = [fk for fk in self.foreign_keys if not fk.self_reference and fk not in deferred]
        order: list[str] = []
        remaining = list(self.tables)
        while remaining:
            ready = [t for t in remaining
                     if all(fk.parent in order for fk in edges if fk.table == t)]
            order += ready
            remaining = [t for t in remaining if t not in ready]
        return order

    def explain(self) -> str:
        """One line per key: what it is and why it was chosen."""
        lines = []
        for table in self.tables:
            key = self.primary_keys.get(table)
            what = f"primary key ({', '.join(key)})" if key else "no primary key"
            why = self.key_reasons.get(table, "")
            lines.append(f"{table}: {what}" + (f"  - {why}" if why else ""))
        for fk in self.foreign_keys:
            lines.append(f"{fk}" + (f"  - {fk.reason}" if fk.reason else ""))
        return "\n".join(lines)

    # -- detection -------------------------------------------------------------------------
    @classmethod
    def detect(cls, tables: Mapping[str, pd.DataFrame], *,
               categorical_threshold: int | None = None) -> DatabaseMetadata:
        """Detect every table's column kinds, primary keys and foreign keys, with reasons.

        Keys are found by name and confirmed by values (see
        :func:`simulacra.metadata.detect.keys.detect_keys`); review them with :meth:`explain`
        and fix what is wrong with :meth:`set_primary_key`, :meth:`add_foreign_key` and
        :meth:`remove_foreign_key`.
        """
        frames = _check_frames(tables)
        found = detect_keys(frames)
        metas = {}
        for name, frame in frames.items():
            keys = set(found.primary_keys.get(name, ()))
            keys.update(c for fk in found.foreign_keys if fk.table == name for c in fk.columns)
            overrides = {c: Id(unique=(found.primary_keys.get(name) == (c,)),
                               reason=_key_reason(name, c, found))
                         for c in keys}
            meta = Metadata.detect(frame, categorical_threshold=categorical_threshold)
            columns = {c: overrides.get(c, kind) for c, kind in meta.items()}
            # an id-looking column that is no key of ours is still detected as the data says
            pk = found.primary_keys.get(name)
            metas[name] = Metadata(columns, primary_key=pk[0] if pk and len(pk) == 1 else None)
        not_null = {name: tuple(c for c in frame.columns if len(frame) and frame[c].notna().all())
                    for name, frame in frames.items()}
        return cls(metas, primary_keys=found.primary_keys,
                   foreign_keys=[ForeignKey(fk.table, fk.columns, fk.parent, fk.parent_columns,
                                            reason=fk.reason) for fk in found.foreign_keys],
                   not_null=not_null, key_reasons=found.reasons)

    # -- editing ---------------------------------------------------------------------------
    def _replace(self, **changes: Any) -> DatabaseMetadata:
        fields_ = {"tables": self.tables, "primary_keys": self.primary_keys,
                   "foreign_keys": self.foreign_keys, "unique": self.unique,
                   "not_null": self.not_null, "key_reasons": self.key_reasons}
        fields_.update(changes)
        tables = fields_.pop("tables")
        return DatabaseMetadata(tables, **fields_)

    def set_table(self, table: str, metadata: Metadata) -> DatabaseMetadata:
        """A copy with ``table``'s column metadata replaced (or added)."""
        return self._replace(tables={**self.tables, table: metadata})

    def set_primary_key(self, table: str, columns: Iterable[str] | str | None) -> DatabaseMetadata:
        """A copy where ``table``'s primary key is ``columns`` (``None``: no key)."""
        self[table]
        keys = dict(self.primary_keys)
        if columns is None:
            keys.pop(table, None)
        else:
            keys[table] = _as_columns(columns)
        reasons = {**self.key_reasons, table: "set by the user"}
        return self._replace(tables=self._with_key_kinds(table, keys.get(table)),
                             primary_keys=keys, key_reasons=reasons)

    def add_foreign_key(self, table: str, columns: Iterable[str] | str, parent: str,
                        parent_columns: Iterable[str] | str | None = None) -> DatabaseMetadata:
        """A copy with one more foreign key; ``parent_columns`` default to the parent's key."""
        parent_cols = _as_columns(parent_columns) if parent_columns is not None \
            else self.primary_keys.get(parent, ())
        fk = ForeignKey(table, _as_columns(columns), parent, parent_cols,
                        reason="set by the user")
        if fk in self.foreign_keys:
            raise MetadataError(f"foreign key {fk} is already declared")
        tables = dict(self.tables)
        if table in tables:
            columns_ = dict(tables[table])
            for c in fk.columns:
                if c in columns_ and not isinstance(columns_[c], Id):
                    columns_[c] = Id(unique=False, reason="foreign key, set by the user")
            tables[table] = tables[table].with_columns(columns_)
        return self._replace(tables=tables, foreign_keys=(*self.foreign_keys, fk))

    def remove_foreign_key(self, table: str, columns: Iterable[str] | str) -> DatabaseMetadata:
        """A copy without the foreign key ``table.columns``."""
        cols = _as_columns(columns)
        kept = tuple(fk for fk in self.foreign_keys if (fk.table, fk.columns) != (table, cols))
        if len(kept) == len(self.foreign_keys):
            raise MetadataError(f"no foreign key {table}.{'+'.join(cols)}; declared keys are: "
                                f"{', '.join(fk.name for fk in self.foreign_keys) or '(none)'}")
        return self._replace(foreign_keys=kept)

    def _with_key_kinds(self, table: str, key: tuple[str, ...] | None) -> dict[str, Metadata]:
        tables = dict(self.tables)
        meta = self[table]
        columns = dict(meta)
        for c in key or ():
            if c in columns:
                columns[c] = Id(unique=len(key or ()) == 1, reason="primary key, set by the user")
        single = key[0] if key and len(key) == 1 else None
        tables[table] = Metadata(columns, primary_key=single, constraints=meta.constraints)
        return tables

    # -- validation ------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`MetadataError` listing every inconsistency among tables and keys."""
        problems: list[str] = []
        for table, meta in self.tables.items():
            if not isinstance(table, str) or not table:
                problems.append(f"table name {table!r} must be a non-empty string")
            if not isinstance(meta, Metadata):
                problems.append(f"table {table!r}: {meta!r} is not a Metadata")
        metas = {t: m for t, m in self.tables.items() if isinstance(m, Metadata)}
        for table, key in self.primary_keys.items():
            if table not in metas:
                problems.append(f"primary key for {table!r}, which is not a table")
                continue
            problems += [f"primary key of {table!r}: {c!r} is not a column of the table"
                         for c in key if c not in metas[table]]
            if len(set(key)) != len(key):
                problems.append(f"primary key of {table!r} names a column twice: {list(key)}")
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for fk in self.foreign_keys:
            if not isinstance(fk, ForeignKey):
                problems.append(f"{fk!r} is not a ForeignKey")
                continue
            problems += _foreign_key_problems(fk, metas, self.primary_keys)
            if (fk.table, fk.columns) in seen:
                problems.append(f"foreign key {fk.name} is declared twice; keep one")
            seen.add((fk.table, fk.columns))
        for what, groups in (("unique", self.unique), ("not_null", self.not_null)):
            for table, cols in groups.items():
                if table not in metas:
                    problems.append(f"{what} lists table {table!r}, which is not a table")
                    continue
                flat = [c for g in cols for c in (g if isinstance(g, tuple) else (g,))]
                problems += [f"{what} of {table!r}: {c!r} is not a column of the table"
                             for c in flat if c not in metas[table]]
        if problems:
            raise MetadataError(problems, header="Invalid database metadata")

    def problems(self, tables: Mapping[str, pd.DataFrame]) -> list[str]:
        """Every way ``tables`` disagree with the metadata, each with what to do.

        Missing or extra tables and columns, primary keys with nulls or duplicates, foreign
        keys with orphans (values the parent does not have). Orphans are reported, not refused:
        a source with unenforced keys is synthesized with its own orphan rate.
        """
        problems: list[str] = []
        missing = [t for t in self.tables if t not in tables]
        extra = [t for t in tables if t not in self.tables]
        if missing:
            problems.append(f"tables in the metadata but not in the data: {missing}")
        if extra:
            problems.append(f"tables in the data but not in the metadata: {extra}; detect the "
                            "metadata again or drop them")
        for table, frame in tables.items():
            if table not in self.tables:
                continue
            try:
                self.tables[table].validate_data(frame)
            except MetadataError as err:
                problems += [f"table {table!r}: {p}" for p in err.problems]
                continue
            key = list(self.primary_keys.get(table, ()))
            if key:
                nulls = int(frame[key].isna().any(axis=1).sum())
                if nulls:
                    problems.append(f"table {table!r}: {nulls:,} rows have a null primary key "
                                    f"({', '.join(key)}); fill or drop them")
                dupes = int(frame[key].duplicated().sum())
                if dupes:
                    problems.append(f"table {table!r}: the primary key ({', '.join(key)}) repeats "
                                    f"in {dupes:,} rows; a key must be unique: fix the rows or "
                                    "choose another key")
        return problems

    def notes(self, tables: Mapping[str, pd.DataFrame] | None = None) -> list[str]:
        """What a person should know before synthesizing, each with what to do: tables without
        a primary key, keys that close a cycle of tables, orphan keys in the source.

        >>> import pandas as pd
        >>> db = DatabaseMetadata({"log": Metadata.detect(pd.DataFrame({"x": [1]}))})
        >>> db.notes()[0][:35]
        "table 'log' has no primary key: no "
        """
        out = [f"table {t!r} has no primary key: no table can refer to its rows, and the "
               "synthetic rows get none; set one with set_primary_key if it has a key"
               for t in self.tables if t not in self.primary_keys]
        out += [f"{fk} closes a cycle of tables: it is linked once every table exists; keep "
                "it nullable or deferrable in a target database" for fk in self.deferred_keys()]
        if tables is not None:
            out += [f"{name}: {rate:.1%} of its keys name no parent row (orphans); they are "
                    "reproduced at that rate (written as nulls into a database that enforces "
                    "its keys) - fix the source if they are errors"
                    for name, rate in self.orphans(tables).items() if rate]
            for fk in self.foreign_keys:
                if fk.table in tables:
                    nulls = float(tables[fk.table][list(fk.columns)].isna().any(axis=1).mean())
                    if nulls:
                        out.append(f"{fk.name}: {nulls:.1%} of its keys are null; synthetic "
                                   "rows keep that share")
        return out

    def orphans(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, float]:
        """Each foreign key's orphan rate: the share of non-null keys the parent lacks."""
        return {fk.name: orphan_rate(tables[fk.table], fk, tables[fk.parent])
                for fk in self.foreign_keys if fk.table in tables and fk.parent in tables}

    def validate_data(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Raise :class:`MetadataError` listing every problem of :meth:`problems`."""
        problems = self.problems(tables)
        if problems:
            raise MetadataError(problems, header="The tables do not match the database metadata")

    # -- serialization ---------------------------------------------------------------------
    def to_dict(self, *, reasons: bool = True) -> dict[str, Any]:
        tables = {}
        for name, meta in self.tables.items():
            spec = meta.to_dict(reasons=reasons)
            spec.pop("metadata_version", None)
            spec["primary_key"] = list(self.primary_keys.get(name, ())) or None
            if name in self.unique:
                spec["unique"] = [list(g) for g in self.unique[name]]
            if name in self.not_null:
                spec["not_null"] = list(self.not_null[name])
            if reasons and name in self.key_reasons:
                spec["key_reason"] = self.key_reasons[name]
            tables[name] = spec
        return {"database_metadata_version": DATABASE_METADATA_VERSION, "tables": tables,
                "foreign_keys": [fk.to_dict(reason=reasons) for fk in self.foreign_keys]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatabaseMetadata:
        if not isinstance(data, Mapping) or not isinstance(data.get("tables"), Mapping):
            raise MetadataError("database metadata must be a mapping with a 'tables' mapping")
        version = data.get("database_metadata_version")
        if version != DATABASE_METADATA_VERSION:
            raise MetadataError(f"database_metadata_version {version!r} is not supported; this "
                                f"simulacra reads version {DATABASE_METADATA_VERSION}")
        problems: list[str] = []
        tables, keys, unique, not_null, reasons = {}, {}, {}, {}, {}
        for name, spec in data["tables"].items():
            if not isinstance(spec, Mapping):
                problems.append(f"table {name!r} must be a mapping with 'columns'")
                continue
            spec = dict(spec)
            key = spec.pop("primary_key", None)
            unique_spec = spec.pop("unique", None)
            not_null_spec = spec.pop("not_null", None)
            reason = spec.pop("key_reason", None)
            spec["metadata_version"] = 1
            if isinstance(key, list) and len(key) == 1:
                spec["primary_key"] = key[0]
            elif isinstance(key, str):
                spec["primary_key"] = key
            try:
                tables[str(name)] = Metadata.from_dict(spec)
            except MetadataError as err:
                problems += [f"table {name!r}: {p}" for p in err.problems]
                continue
            if key is not None:
                if not (isinstance(key, str) or _is_names(key)):
                    problems.append(f"table {name!r}: primary_key must be a column name or a "
                                    f"list of column names, got {key!r}")
                else:
                    keys[str(name)] = _as_columns(key)
            if unique_spec is not None:
                if not isinstance(unique_spec, list) or not all(
                        isinstance(g, str) or _is_names(g) for g in unique_spec):
                    problems.append(f"table {name!r}: unique must be a list of column names or "
                                    "lists of column names")
                else:
                    unique[str(name)] = [_as_columns(g) for g in unique_spec]
            if not_null_spec is not None:
                if not _is_names(not_null_spec):
                    problems.append(f"table {name!r}: not_null must be a list of column names")
                else:
                    not_null[str(name)] = list(not_null_spec)
            if isinstance(reason, str):
                reasons[str(name)] = reason
        fks = []
        specs = data.get("foreign_keys") or []
        if not isinstance(specs, list):
            problems.append("'foreign_keys' must be a list of mappings {table, columns, parent, "
                            "parent_columns}")
            specs = []
        for position, spec in enumerate(specs):
            fk = _foreign_key_from_dict(spec, position, problems)
            if fk is not None:
                fks.append(fk)
        if problems:
            raise MetadataError(problems, header="Invalid database metadata")
        return cls(tables, primary_keys=keys, foreign_keys=fks, unique=unique,
                   not_null=not_null, key_reasons=reasons)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @classmethod
    def from_yaml(cls, text: str) -> DatabaseMetadata:
        try:
            return cls.from_dict(load_yaml(text))
        except yaml.YAMLError as err:
            raise MetadataError(f"database metadata is not valid YAML: {err}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DatabaseMetadata:
        try:
            return cls.from_dict(load_json(text))
        except json.JSONDecodeError as err:
            raise MetadataError(f"database metadata is not valid JSON: {err}") from None

    def save(self, path: str | Path) -> None:
        """Write YAML (``.yaml``/``.yml``) or JSON (``.json``) atomically."""
        from simulacra.io import write_text_atomic

        path = Path(path)
        write_text_atomic(path, self.to_json() if path.suffix.lower() == ".json"
                          else self.to_yaml())

    @classmethod
    def load(cls, path: str | Path) -> DatabaseMetadata:
        from simulacra.io import read_text_bounded

        path = Path(path)
        text = read_text_bounded(path, what="database metadata file")
        return cls.from_json(text) if path.suffix.lower() == ".json" else cls.from_yaml(text)

    @staticmethod
    def is_database_document(data: object) -> bool:
        """Whether a parsed YAML/JSON document is database metadata (not one table's)."""
        return isinstance(data, Mapping) and "database_metadata_version" in data


def orphan_rate(child: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame) -> float:
    """Share of ``child``'s non-null ``fk`` values that no ``parent`` row has (0 when none)."""
    rows = parent_positions(child, fk.columns, parent, fk.parent_columns)
    keyed = int((rows != NULL_KEY).sum())
    return float((rows == ORPHAN_KEY).sum() / keyed) if keyed else 0.0


def _as_columns(value: Iterable[str] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _is_names(value: object) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(
        isinstance(v, str) for v in value)


def _check_frames(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if not isinstance(tables, Mapping) or not tables:
        raise MetadataError("expected a mapping of table name to DataFrame, e.g. "
                            "{'users': users_df, 'orders': orders_df}")
    problems = []
    for name, frame in tables.items():
        if not isinstance(name, str) or not name:
            problems.append(f"table name {name!r} must be a non-empty string")
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"table {name!r} is a {type(frame).__name__}, not a DataFrame")
            continue
        try:
            check_column_names(frame.columns)
        except MetadataError as err:
            problems += [f"table {name!r}: {p}" for p in err.problems]
    if problems:
        raise MetadataError(problems, header="Unusable tables")
    return dict(tables)


def _key_reason(table: str, column: str, found: Any) -> str:
    if found.primary_keys.get(table) and column in found.primary_keys[table]:
        return f"key: {found.reasons.get(table, 'primary key')}"
    for fk in found.foreign_keys:
        if fk.table == table and column in fk.columns:
            return f"key: foreign key to {fk.parent} ({fk.reason})"
    return "key"


def _foreign_key_problems(fk: ForeignKey, metas: Mapping[str, Metadata],
                          keys: Mapping[str, tuple[str, ...]]) -> list[str]:
    out = []
    if fk.table not in metas:
        out.append(f"foreign key {fk}: table {fk.table!r} is not a table")
    else:
        out += [f"foreign key {fk}: {c!r} is not a column of {fk.table!r}"
                for c in fk.columns if c not in metas[fk.table]]
    if fk.parent not in metas:
        out.append(f"foreign key {fk}: parent {fk.parent!r} is not a table")
        return out
    out += [f"foreign key {fk}: {c!r} is not a column of {fk.parent!r}"
            for c in fk.parent_columns if c not in metas[fk.parent]]
    if len(fk.columns) != len(fk.parent_columns):
        out.append(f"foreign key {fk}: {len(fk.columns)} columns refer to "
                   f"{len(fk.parent_columns)}; give as many on each side")
    parent_key = keys.get(fk.parent)
    if parent_key is None:
        out.append(f"foreign key {fk}: {fk.parent!r} has no primary key; set one "
                   f"(set_primary_key) so that its rows can be referred to")
    elif tuple(fk.parent_columns) != parent_key:
        out.append(f"foreign key {fk}: it must refer to {fk.parent!r}'s primary key "
                   f"({', '.join(parent_key)})")
    if not fk.columns:
        out.append(f"foreign key of {fk.table!r} to {fk.parent!r} names no column")
    return out


def _foreign_key_from_dict(spec: object, position: int, problems: list[str]) -> ForeignKey | None:
    where = f"foreign key #{position + 1}"
    if not isinstance(spec, Mapping):
        problems.append(f"{where} must be a mapping {{table, columns, parent, parent_columns}}")
        return None
    unknown = sorted(set(spec) - {"table", "columns", "parent", "parent_columns", "reason"})
    if unknown:
        problems.append(f"{where}: unknown fields {unknown}; use table, columns, parent, "
                        "parent_columns")
    table, parent = spec.get("table"), spec.get("parent")
    columns, parent_columns = spec.get("columns"), spec.get("parent_columns")
    ok = True
    for label, value in (("table", table), ("parent", parent)):
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: {label} must be a table name, got {value!r}")
            ok = False
    for label, value in (("columns", columns), ("parent_columns", parent_columns)):
        if not (isinstance(value, str) or _is_names(value)):
            problems.append(f"{where}: {label} must be a column name or a list of them, "
                            f"got {value!r}")
            ok = False
    if not ok:
        return None
    reason = spec.get("reason") if isinstance(spec.get("reason"), str) else ""
    return ForeignKey(table, _as_columns(columns), parent, _as_columns(parent_columns),
                      reason=reason)


def _find_cycle(tables: Iterable[str], fks: list[ForeignKey]) -> list[ForeignKey]:
    """One cycle of foreign keys among tables (empty when there is none)."""
    out_edges: dict[str, list[ForeignKey]] = {t: [] for t in tables}
    for fk in fks:
        out_edges.setdefault(fk.table, []).append(fk)
    state: dict[str, int] = {}
    stack: list[ForeignKey] = []

    def visit(table: str) -> list[ForeignKey]:
        state[table] = 1
        for fk in out_edges.get(table, []):
            stack.append(fk)
            if state.get(fk.parent) == 1:
                start = next(i for i, e in enumerate(stack) if e.table == fk.parent)
                return stack[start:]
            if fk.parent not in state:
                found = visit(fk.parent)
                if found:
                    return found
            stack.pop()
        state[table] = 2
        return []

    for table in list(out_edges):
        if table not in state:
            found = visit(table)
            if found:
                return found
    return []
