"""Opening a database through SQLAlchemy: read-only for a source, one transaction for a target.

Two dialects are supported, each with the guarantees the readers and writers rely on:

- SQLite: a source is opened through a ``file:...?mode=ro`` URI, so nothing can be written
  to it; a target runs every statement (DDL included) in one explicit ``BEGIN IMMEDIATE``
  transaction with foreign keys enforced (``PRAGMA foreign_keys=ON``).
- PostgreSQL: a source is read in one ``REPEATABLE READ, READ ONLY`` transaction (one
  consistent snapshot of every table); DDL is transactional, so a target needs nothing more.

>>> is_database_url("sqlite:///shop.db"), is_database_url("data/shop")
(True, False)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from simulacra.errors import DataError

#: File suffixes taken as a SQLite database when a plain path is given.
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def is_database_url(source: str | Path) -> bool:
    """Whether ``source`` names a database (a URL, or a ``.db``/``.sqlite`` file path)."""
    text = str(source)
    return "://" in text or Path(text).suffix.lower() in SQLITE_SUFFIXES


def parse_url(source: str | Path) -> URL:
    """The SQLAlchemy URL of ``source``; a plain ``.db`` path becomes ``sqlite:///path``."""
    text = str(source)
    if "://" not in text:
        return URL.create("sqlite", database=text)
    try:
        url = make_url(text)
    except sa.exc.ArgumentError as err:
        raise DataError(f"{redact(text)!r} is not a database URL ({err}); write e.g. "
                        "sqlite:///shop.db or postgresql://user@host:5432/shop") from None
    if url.get_backend_name() not in SUPPORTED_DIALECTS:
        raise DataError(f"database {url.get_backend_name()!r} is not supported; use one of "
                        f"{', '.join(SUPPORTED_DIALECTS)} (e.g. sqlite:///shop.db), or export "
                        "the tables to a folder of CSV or Parquet files")
    return url


def redact(url: str | URL) -> str:
    """The URL as text with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True) if "://" in str(url) \
            else str(url)
    except sa.exc.ArgumentError:
        return "<unparsable URL>"


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    return None if database in (None, "", ":memory:") else Path(database)


@contextmanager
def read_only_connection(source: str | Path) -> Iterator[Connection]:
    """A connection to ``source`` inside a read-only transaction, closed afterwards."""
    url = parse_url(source)
    engine = _read_only_engine(url)
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                              postgresql_readonly=True)
            with conn.begin():
                yield conn
    except sa.exc.OperationalError as err:
        raise DataError(f"cannot read the database {redact(url)!r}: "
                        f"{_first_line(err)}") from None
    finally:
        engine.dispose()


def _read_only_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url)
    path = _sqlite_path(url)
    if path is None:
        raise DataError("an in-memory SQLite database has nothing to read; give a file, "
                        "e.g. sqlite:///shop.db")
    if not path.is_file():
        raise DataError(f"no SQLite database file {str(path)!r}")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return sa.create_engine("sqlite://",
                            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))


@contextmanager
def write_transaction(target: str | Path) -> Iterator[Connection]:
    """A connection inside one transaction on ``target``: committed on success, else undone.

    For SQLite, the transaction covers the DDL too (the driver's own transaction handling is
    turned off and ``BEGIN IMMEDIATE`` sent instead), foreign keys are enforced and checked
    at commit (``PRAGMA defer_foreign_keys``), so rows may come in any order.
    """
    url = parse_url(target)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and (path := _sqlite_path(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    if sqlite:
        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # statements run as we send them
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        with engine.begin() as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            yield conn
    except sa.exc.OperationalError as err:
        raise DataError(f"cannot write to the database {redact(url)!r}: "
                        f"{_first_line(err)}") from None
    finally:
        engine.dispose()


def dialect_name(conn: Connection) -> str:
    return conn.dialect.name


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "orig", None) or err)
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__
