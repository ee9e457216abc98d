"""Reading tables and their keys from a live database, read-only.

Rows are streamed in chunks and typed from the catalogue (integers stay integers, nullable
ones ``Int64``; booleans, dates and timestamps keep their type), so a table is the same
DataFrame whatever the chunk size. Keys come from the catalogue through SQLAlchemy's
inspector: primary keys (composite too), foreign keys (several per table, self-references,
composite), unique constraints and unique indexes, NOT NULL columns.

>>> import sqlite3, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.db"
>>> with sqlite3.connect(path) as db:
...     _ = db.executescript(
...         "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
...         "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));"
...         "INSERT INTO users VALUES (1, 'Ada'), (2, 'Bo'); INSERT INTO orders VALUES (7, 2);")
>>> frames, meta = read_sql_database(f"sqlite:///{path}")
>>> [str(fk) for fk in meta.foreign_keys], frames["orders"]["user_id"].tolist()
(['orders.user_id -> users.id'], [2])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from simulacra.errors import DataError
from simulacra.kinds import ColumnKind, Id
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
from simulacra.multitable.names import check_name, check_names
from simulacra.multitable.sql_engine import read_only_connection

logger = logging.getLogger(__name__)

CATALOGUE_REASON = "declared in the database catalogue"


@dataclass(frozen=True)
class Catalogue:
    """What the database says about the tables read: keys, constraints and column types."""

    columns: dict[str, list[str]]
    types: dict[str, dict[str, sa.types.TypeEngine]]
    primary_keys: dict[str, tuple[str, ...]]
    foreign_keys: list[ForeignKey]
    unique: dict[str, list[tuple[str, ...]]]
    not_null: dict[str, list[str]]
    key_reasons: dict[str, str]


def read_sql_database(
    source: str | Path, *, tables: Sequence[str] | None = None, chunksize: int = 100_000,
) -> tuple[dict[str, pd.DataFrame], DatabaseMetadata]:
    """Every table of ``source`` (or ``tables``) and its :class:`DatabaseMetadata`."""
    with read_only_connection(source) as conn:
        catalogue = read_catalogue(conn, tables)
        frames = {name: _read_table(conn, name, catalogue, chunksize)
                  for name in catalogue.columns}
    return frames, catalogue_metadata(frames, catalogue)


def read_sql_types(source: str | Path, *, tables: Sequence[str] | None = None,
                   ) -> dict[str, dict[str, sa.types.TypeEngine]]:
    """The SQL type of every column of ``source``'s tables, as the catalogue declares it."""
    with read_only_connection(source) as conn:
        return read_catalogue(conn, tables).types


def read_catalogue(conn: Connection, tables: Sequence[str] | None) -> Catalogue:
    """Names, types, keys and constraints of ``tables`` (every table when ``None``)."""
    inspector = sa.inspect(conn)
    available = inspector.get_table_names()
    check_names(available, "table")
    selected = _select(available, tables)
    columns, types, primary_keys, unique, not_null = {}, {}, {}, {}, {}
    raw_fks: list[tuple[str, dict]] = []
    for table in selected:
        described = inspector.get_columns(table)
        names = [c["name"] for c in described]
        check_names(names, f"column of table {table!r}")
        columns[table] = names
        types[table] = {c["name"]: c["type"] for c in described}
        pk = tuple(inspector.get_pk_constraint(table).get("constrained_columns") or ())
        if pk:
            primary_keys[table] = pk
        not_null[table] = [c["name"] for c in described
                           if not c.get("nullable", True) or c["name"] in pk]
        groups = [tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        groups += [tuple(i["column_names"]) for i in inspector.get_indexes(table)
                   if i.get("unique") and all(isinstance(c, str) for c in i["column_names"])]
        unique[table] = list(dict.fromkeys(g for g in groups if g and g != pk))
        raw_fks += [(table, fk) for fk in inspector.get_foreign_keys(table)]
    reasons = {t: CATALOGUE_REASON for t in primary_keys}
    foreign_keys = _foreign_keys(raw_fks, selected, primary_keys, unique, not_null,
                                 inspector.default_schema_name, reasons)
    return Catalogue(columns, types, primary_keys, foreign_keys, unique, not_null, reasons)


def _select(available: list[str], tables: Sequence[str] | None) -> list[str]:
    if tables is None:
        return list(available)
    if isinstance(tables, str):
        tables = [tables]
    unknown = [t for t in tables if t not in available]
    if unknown:
        raise DataError(f"no table {', '.join(map(repr, unknown))} in the database; its tables "
                        f"are: {', '.join(available) or '(none)'}")
    return list(dict.fromkeys(tables))


def _foreign_keys(raw: list[tuple[str, dict]], selected: list[str],
                  primary_keys: dict[str, tuple[str, ...]],
                  unique: dict[str, list[tuple[str, ...]]], not_null: dict[str, list[str]],
                  default_schema: str | None, reasons: dict[str, str]) -> list[ForeignKey]:
    """The catalogue's foreign keys that :class:`DatabaseMetadata` can hold, others logged.

    A key to a table left out (``tables=``) or in another schema is dropped with a warning.
    A key to a parent's UNIQUE NOT NULL columns makes them the parent's primary key when it
    has none; a key to other columns than the parent's primary key is dropped.
    """
    out: list[ForeignKey] = []
    for table, spec in raw:
        columns = tuple(spec["constrained_columns"])
        parent, parent_columns = spec["referred_table"], tuple(spec["referred_columns"])
        described = f"{table}.{'+'.join(columns)} -> {parent}.{'+'.join(parent_columns)}"
        schema = spec.get("referred_schema")
        if schema not in (None, default_schema):
            logger.warning("foreign key %s left out: it refers to schema %r, which is not read",
                           described, schema)
            continue
        if parent not in selected:
            logger.warning("foreign key %s left out: table %r is not among the tables read",
                           described, parent)
            continue
        if not parent_columns:  # SQLite: REFERENCES parent, meaning its primary key
            parent_columns = primary_keys.get(parent, ())
        key = primary_keys.get(parent)
        if key is None and parent_columns in unique.get(parent, []) \
                and set(parent_columns) <= set(not_null.get(parent, [])):
            primary_keys[parent] = key = parent_columns
            unique[parent].remove(parent_columns)
            reasons[parent] = (f"no primary key declared; the unique, not-null columns a "
                               f"foreign key of {table!r} refers to ({CATALOGUE_REASON})")
            logger.info("table %r has no primary key; its unique columns (%s) that %s refers to "
                        "are used as one", parent, ", ".join(parent_columns), table)
        if key != parent_columns or len(columns) != len(parent_columns):
            logger.warning("foreign key %s left out: it does not refer to the primary key of %r",
                           described, parent)
            continue
        if any((fk.table, fk.columns) == (table, columns) for fk in out):
            logger.warning("foreign key %s left out: %s.%s already refers to a table",
                           described, table, "+".join(columns))
            continue
        out.append(ForeignKey(table, columns, parent, parent_columns, reason=CATALOGUE_REASON))
    return out


# -- rows -------------------------------------------------------------------------------------
def _read_table(conn: Connection, name: str, catalogue: Catalogue,
                chunksize: int) -> pd.DataFrame:
    table = sa.Table(name, sa.MetaData(), autoload_with=conn, resolve_fks=False)
    casts = {c: _cast_of(t) for c, t in catalogue.types[name].items()}
    streaming = conn.execution_options(stream_results=True)  # PostgreSQL: a server cursor
    chunks = [_typed(chunk, casts) for chunk in
              pd.read_sql(sa.select(table), streaming, chunksize=chunksize, coerce_float=True)]
    if not chunks:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in catalogue.columns[name]})
        chunks = [_typed(empty, casts)]
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    del chunks
    for column, cast in casts.items():  # nullable types only where nulls are
        if cast in ("int", "bool") and not frame[column].hasnans:
            frame[column] = frame[column].astype("int64" if cast == "int" else "bool")
    return frame


def _cast_of(sql_type: sa.types.TypeEngine) -> str:
    """How values of a SQL type are held: int, float, bool, datetime, datetime_tz, str, as is."""
    if isinstance(sql_type, sa.Boolean):
        return "bool"
    if isinstance(sql_type, sa.Integer):
        return "int"
    if isinstance(sql_type, sa.Numeric):
        return "float"
    if isinstance(sql_type, sa.DateTime):
        return "datetime_tz" if getattr(sql_type, "timezone", False) else "datetime"
    if isinstance(sql_type, sa.Date):
        return "datetime"
    if isinstance(sql_type, sa.String | sa.Uuid):
        return "str"
    return "object"


def _typed(chunk: pd.DataFrame, casts: dict[str, str]) -> pd.DataFrame:
    out = {}
    for column in chunk.columns:
        values, cast = chunk[column], casts.get(column, "object")
        if cast == "int":
            values = values.astype("Int64")
        elif cast == "bool":
            values = values.astype("boolean")
        elif cast == "float":
            values = values.astype("float64")
        elif cast == "datetime":
            values = pd.to_datetime(values).astype("datetime64[us]")
        elif cast == "datetime_tz":
            values = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
        elif cast == "str":
            if values.dtype == object:  # e.g. UUIDs, or None in an all-null chunk
                values = values.map(str, na_action="ignore")
            values = values.astype("str")
        out[column] = values
    return pd.DataFrame(out, index=chunk.index)


# -- metadata ---------------------------------------------------------------------------------
def catalogue_metadata(frames: dict[str, pd.DataFrame], catalogue: Catalogue) -> DatabaseMetadata:
    """Column kinds detected from ``frames``; keys and constraints as the catalogue declares."""
    metas = {}
    for name, frame in frames.items():
        pk = catalogue.primary_keys.get(name, ())
        keys: dict[str, ColumnKind] = {}
        for fk in catalogue.foreign_keys:
            if fk.table == name:
                keys.update({c: Id(unique=False, reason=f"foreign key to {fk.parent}, "
                                   f"{CATALOGUE_REASON}") for c in fk.columns})
        keys.update({c: Id(unique=len(pk) == 1, reason=f"primary key, {CATALOGUE_REASON}")
                     for c in pk})
        detected = Metadata.detect(frame)
        columns = {check_name(c, f"column of table {name!r}"): keys.get(c, kind)
                   for c, kind in detected.items()}
        metas[name] = Metadata(columns, primary_key=pk[0] if len(pk) == 1 else None)
    return DatabaseMetadata(
        metas, primary_keys=catalogue.primary_keys, foreign_keys=catalogue.foreign_keys,
        unique=catalogue.unique, not_null=catalogue.not_null,
        key_reasons=catalogue.key_reasons)
