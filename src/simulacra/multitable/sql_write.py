"""Writing tables into a database with their keys, all or nothing.

1. Check everything that can be checked before the target is touched: names, tables against
   their metadata, orphans (see :mod:`simulacra.multitable.checks`).
2. In one transaction: refuse when one of the tables already has rows (unless ``replace``,
   which drops and recreates those tables); create the missing tables with their primary keys,
   foreign keys (``DEFERRABLE INITIALLY DEFERRED``, so self-references and cycles load in any
   order), UNIQUE and NOT NULL columns; fill a table that exists empty as it is declared.
3. Insert every table parents-first in batches (SQLAlchemy Core ``insert()`` with a list of
   rows: the driver's ``executemany``), then commit. Any failure rolls everything back.

>>> import pandas as pd, tempfile, pathlib
>>> from simulacra.metadata import DatabaseMetadata
>>> users = pd.DataFrame({"id": [1, 2], "name": ["Ada", "Bo"]})
>>> orders = pd.DataFrame({"order_id": [7], "user_id": [2]})
>>> meta = DatabaseMetadata.detect({"users": users, "orders": orders})
>>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'out.db'}"
>>> write_sql_database({"users": users, "orders": orders}, meta, url)
>>> import sqlalchemy as sa
>>> sa.inspect(sa.create_engine(url)).get_foreign_keys("orders")[0]["referred_table"]
'users'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from simulacra.errors import DataError, ParameterError
from simulacra.metadata import DatabaseMetadata
from simulacra.multitable.checks import Orphans, check_tables, without_orphans
from simulacra.multitable.sql_engine import redact, write_transaction
from simulacra.multitable.sql_types import (
    column_type,
    driver_values,
    processed_values,
    type_for_dialect,
)

logger = logging.getLogger(__name__)

#: Rows sent to the driver per ``executemany``.
BATCH_ROWS = 10_000

SourceTypes = Mapping[str, Mapping[str, sa.types.TypeEngine]]


def write_sql_database(
    tables: Mapping[str, pd.DataFrame],
    metadata: DatabaseMetadata,
    target: str | Path,
    *,
    replace: bool = False,
    source_types: SourceTypes | None = None,
    orphans: Orphans = "refuse",
    batch_rows: int = BATCH_ROWS,
) -> None:
    """Create ``tables`` with their keys in the database ``target`` and fill them, atomically."""
    check_tables(tables, metadata)
    if not isinstance(batch_rows, int) or batch_rows < 1:
        raise ParameterError(f"The 'batch_rows' parameter must be an int >= 1. Got "
                             f"{batch_rows!r} instead.")
    frames = without_orphans(tables, metadata, orphans)
    order = [t for t in metadata.table_order() if t in frames]
    failing = "the database refused the rows"
    try:
        with write_transaction(target) as conn:
            existing = _existing(conn, order, replace)
            schema = sa.MetaData()
            for name in existing:  # kept as declared, filled
                sa.Table(name, schema, autoload_with=conn, resolve_fks=False)
                _check_columns(schema.tables[name], frames[name])
            created = _declare(schema, frames, metadata, conn.dialect, source_types or {},
                               skip=existing)
            schema.create_all(conn, tables=created, checkfirst=False)
            for name in order:
                failing = f"the database refused the rows of table {name!r}"
                _insert(conn, schema.tables[name], frames[name], batch_rows)
            failing = "the database refused the rows at commit (keys checked at the end)"
    except sa.exc.IntegrityError as err:
        raise DataError(f"{failing}: {_message(err)}; nothing was written to "
                        f"{redact(target)!r}") from None
    except sa.exc.DBAPIError as err:
        raise DataError(f"writing to {redact(target)!r} failed: {_message(err)}; nothing was "
                        "written") from None


def _existing(conn: Connection, names: list[str], replace: bool) -> list[str]:
    """The tables among ``names`` that the target has and that are kept (empty, no replace).

    Refuses when one of them has rows and ``replace`` is false; with ``replace``, drops them.
    """
    inspector = sa.inspect(conn)
    present = [n for n in names if inspector.has_table(n)]
    if not present:
        return []
    counts = {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name)))
              .scalar_one() for name in present}
    if replace:
        drop = sa.MetaData()
        drop.reflect(conn, only=present)
        drop.drop_all(conn, tables=[drop.tables[n] for n in present], checkfirst=False)
        logger.info("replaced tables %s", ", ".join(present))
        return []
    full = {n: c for n, c in counts.items() if c}
    if full:
        listed = ", ".join(f"{n} ({c:,} rows)" for n, c in full.items())
        raise DataError(f"the target already has rows in {listed}; pass replace=True "
                        "(--replace) to drop and recreate those tables, or choose another target")
    return present


def _check_columns(table: sa.Table, frame: pd.DataFrame) -> None:
    have, want = set(table.columns.keys()), set(frame.columns)
    if have != want:
        raise DataError(f"table {table.name!r} exists, empty, with other columns than the data "
                        f"(only in the database: {sorted(have - want)}; only in the data: "
                        f"{sorted(want - have)}); drop it or pass replace=True (--replace)")


def _declare(schema: sa.MetaData, frames: Mapping[str, pd.DataFrame],
             metadata: DatabaseMetadata, dialect: sa.engine.Dialect, source_types: SourceTypes,
             skip: list[str]) -> list[sa.Table]:
    """Declare the tables to create in ``schema``; the parents' tables are declared first."""
    types = _column_types(frames, metadata, dialect, source_types)
    deferred = set(metadata.deferred_keys())
    created = []
    for name in metadata.table_order():
        if name not in frames or name in skip:
            continue
        pk = metadata.primary_keys.get(name, ())
        required = set(metadata.not_null.get(name, ())) | set(pk)
        columns = [sa.Column(c, types[name][c], nullable=c not in required)
                   for c in frames[name].columns]
        constraints: list[sa.Constraint] = []
        if pk:
            constraints.append(sa.PrimaryKeyConstraint(*pk))
        constraints += [sa.UniqueConstraint(*group) for group in metadata.unique.get(name, ())]
        for number, fk in enumerate(metadata.parents(name)):
            alter = fk in deferred and dialect.name != "sqlite"
            constraints.append(sa.ForeignKeyConstraint(
                list(fk.columns), [f"{fk.parent}.{c}" for c in fk.parent_columns],
                deferrable=True, initially="DEFERRED", use_alter=alter,
                name=f"fk_{name}_{number}"[:63] if alter else None))
        created.append(sa.Table(name, schema, *columns, *constraints))
    return created


def _column_types(frames: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata,
                  dialect: sa.engine.Dialect, source_types: SourceTypes,
                  ) -> dict[str, dict[str, sa.types.TypeEngine]]:
    """Each column's SQL type: from ``source_types``, else from the data; keys as their parent."""
    types: dict[str, dict[str, sa.types.TypeEngine]] = {}
    given: set[tuple[str, str]] = set()
    for name, frame in frames.items():
        types[name] = {}
        for column in frame.columns:
            wanted = source_types.get(name, {}).get(column)
            usable = type_for_dialect(wanted, dialect) if wanted is not None else None
            if wanted is not None and usable is None:
                logger.warning("column %r of table %r: type %r cannot be declared in %s; its "
                               "type is chosen from the data", column, name, wanted, dialect.name)
            if usable is not None:
                given.add((name, column))
            chosen = usable if usable is not None else \
                column_type(frame[column], metadata.tables[name][column])
            if dialect.name == "sqlite" and isinstance(chosen, sa.DateTime) and chosen.timezone:
                chosen = sa.DateTime()  # no zones in SQLite: timestamps stored in UTC
            types[name][column] = chosen
    for _ in metadata.foreign_keys:  # a chain of keys takes its root's type
        for fk in metadata.foreign_keys:
            for column, parent_column in zip(fk.columns, fk.parent_columns, strict=True):
                if (fk.table, column) not in given:
                    types[fk.table][column] = types[fk.parent][parent_column]
    return types


def _insert(conn: Connection, table: sa.Table, frame: pd.DataFrame, batch_rows: int) -> None:
    """Insert ``frame`` in batches of ``batch_rows``, the fastest way the driver offers.

    - SQLite: rows as tuples straight to the driver's ``executemany``, with the statement
      compiled by SQLAlchemy and values processed column by column (several times faster
      than SQLAlchemy's per-row parameter handling);
    - PostgreSQL through psycopg 3: ``COPY ... FROM STDIN`` (identifiers quoted by
      SQLAlchemy's preparer) on the transaction's own connection;
    - otherwise: Core ``insert()`` with a list of rows.
    """
    columns = list(frame.columns)
    where = f"table {table.name!r}"
    if conn.dialect.name == "sqlite":
        send = _executemany(conn, table, columns)
    elif conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        send = _copy(conn, table, columns)
    else:
        def send(batch: pd.DataFrame) -> None:
            values = [driver_values(batch[c], table.c[c].type, f"column {c!r} of {where}")
                      for c in columns]
            conn.execute(table.insert(), [dict(zip(columns, row, strict=True))
                                          for row in zip(*values, strict=True)])
    for start in range(0, len(frame), batch_rows):
        send(frame.iloc[start:start + batch_rows])


def _processed(conn: Connection, table: sa.Table, batch: pd.DataFrame,
               columns: list[str]) -> list[list]:
    return [processed_values(batch[c], table.c[c].type, conn.dialect,
                             f"column {c!r} of table {table.name!r}") for c in columns]


def _executemany(conn: Connection, table: sa.Table, columns: list[str]):  # type: ignore[no-untyped-def]
    statement = table.insert().values(
        {c: sa.bindparam(f"p{i}", type_=table.c[c].type) for i, c in enumerate(columns)})
    compiled = statement.compile(dialect=conn.dialect)
    positions = [int(name[1:]) for name in compiled.positiontup or []]
    sql = str(compiled)

    def send(batch: pd.DataFrame) -> None:
        values = _processed(conn, table, batch, columns)
        conn.exec_driver_sql(sql, list(zip(*(values[i] for i in positions), strict=True)))
    return send


def _copy(conn: Connection, table: sa.Table, columns: list[str]):  # type: ignore[no-untyped-def]
    quote = conn.dialect.identifier_preparer
    sql = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
           "FROM STDIN")
    raw = conn.connection.dbapi_connection
    dbapi = conn.dialect.dbapi

    def send(batch: pd.DataFrame) -> None:
        values = _processed(conn, table, batch, columns)
        try:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
        except dbapi.IntegrityError as err:  # as SQLAlchemy would have wrapped it
            raise sa.exc.IntegrityError(sql, None, err) from err
        except dbapi.Error as err:
            raise sa.exc.DBAPIError(sql, None, err) from err
    return send


def _message(err: sa.exc.DBAPIError) -> str:
    text = str(err.orig) if err.orig is not None else str(err)
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__
