"""A database in, a database out: SQL databases (SQLite, PostgreSQL) and folders of files.

``source`` and ``target`` are either a SQLAlchemy URL (``sqlite:///shop.db``,
``postgresql://user@127.0.0.1:5432/shop``; a plain path ending in ``.db``, ``.sqlite`` or
``.sqlite3`` is a SQLite file too) or a folder with one CSV or Parquet file per table.

>>> import pandas as pd, tempfile, pathlib
>>> from simulacra.metadata import DatabaseMetadata
>>> frames = {"users": pd.DataFrame({"id": [1, 2], "name": ["Ada", "Bo"]}),
...           "orders": pd.DataFrame({"id": [10, 11], "user_id": [2, 1]})}
>>> meta = DatabaseMetadata.detect(frames)
>>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'shop.db'}"
>>> write_database(frames, meta, url)
>>> back, back_meta = read_database(url)
>>> back["orders"].equals(frames["orders"]), back_meta.primary_keys
(True, {'orders': ('id',), 'users': ('id',)})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from simulacra.errors import ParameterError
from simulacra.metadata import DatabaseMetadata
from simulacra.multitable.checks import Orphans, check_tables, without_orphans
from simulacra.multitable.folders import FOLDER_FORMATS, FolderFormat, read_folder, write_folder
from simulacra.multitable.sql_engine import is_database_url
from simulacra.multitable.sql_read import read_sql_database, read_sql_types
from simulacra.multitable.sql_write import SourceTypes, write_sql_database


def read_database(
    source: str | Path, *, tables: Sequence[str] | None = None, chunksize: int = 100_000,
) -> tuple[dict[str, pd.DataFrame], DatabaseMetadata]:
    """Read every table of ``source`` (or only ``tables``) with the keys that link them.

    - A SQL ``source`` is opened read-only (SQLite through a ``mode=ro`` URI, PostgreSQL in a
      read-only transaction that sees one snapshot); tables are streamed ``chunksize`` rows at
      a time. Keys, UNIQUE and NOT NULL come from the catalogue (reason "declared in the
      database catalogue"); column kinds are detected from the data, key columns set to
      :class:`~simulacra.kinds.Id`. Integer columns with nulls are ``Int64``, booleans with
      nulls ``boolean``, dates and timestamps ``datetime64``.
    - A folder is read file by file; its ``metadata.yaml`` is used when present, else keys are
      detected (:meth:`DatabaseMetadata.detect`).

    A foreign key to a table left out by ``tables`` is dropped (and logged). Table and column
    names are checked before they are used in paths or SQL (see
    :mod:`simulacra.multitable.names`).

    >>> import sqlite3, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.db"
    >>> with sqlite3.connect(path) as db:
    ...     _ = db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x REAL)")
    >>> frames, meta = read_database(f"sqlite:///{path}")
    >>> list(frames["t"].columns), meta.primary_keys
    (['id', 'x'], {'t': ('id',)})
    """
    _check_location(source, "source")
    if not isinstance(chunksize, int) or isinstance(chunksize, bool) or chunksize < 1:
        raise ParameterError(f"The 'chunksize' parameter must be an int >= 1. Got {chunksize!r} "
                             "instead.")
    if is_database_url(source):
        return read_sql_database(source, tables=tables, chunksize=chunksize)
    return read_folder(source, tables=tables)


def read_column_types(source: str | Path, *, tables: Sequence[str] | None = None,
                      ) -> dict[str, dict[str, sa.types.TypeEngine]]:
    """The SQL type of each column of a database ``source``, for :func:`write_database`.

    Pass the result as ``source_types=`` to create the same column types in the target
    (``VARCHAR(20)``, ``NUMERIC(10, 2)``, ``DATE``...) rather than types chosen from the data.
    A type the target cannot declare is turned into its generic form.
    """
    _check_location(source, "source")
    if not is_database_url(source):
        raise ParameterError(f"The 'source' parameter must be a database URL to read column "
                             f"types from. Got {str(source)!r} instead (a folder has no SQL "
                             "types).")
    return read_sql_types(source, tables=tables)


def write_database(
    tables: Mapping[str, pd.DataFrame],
    metadata: DatabaseMetadata,
    target: str | Path,
    *,
    replace: bool = False,
    source_types: SourceTypes | None = None,
    format: FolderFormat | None = None,
    orphans: Orphans | None = None,
) -> None:
    """Write ``tables`` and their keys to ``target``: all of it, or nothing.

    - A SQL ``target`` gets the tables with their primary keys, foreign keys (declared
      ``DEFERRABLE INITIALLY DEFERRED``, so self-references and cycles load), UNIQUE and
      NOT NULL columns, filled parents-first in one transaction. Column types come from
      ``source_types`` (see :func:`read_column_types`), else from the data (see
      :mod:`simulacra.multitable.sql_types`; datetimes held as text in a format of their own
      stay text). A target where one of the tables has rows is refused unless ``replace``,
      which drops and recreates those tables; a table that exists empty is filled as declared.
    - A folder ``target`` gets one file per table (``format``: ``"csv"``, the default, or
      ``"parquet"``) and ``metadata.yaml``, written beside it and renamed into place. A
      non-empty folder is refused unless ``replace``.

    ``orphans`` (child rows whose key no parent row has): ``"refuse"`` (the default for a
    database, which would reject them), ``"null"`` (write those keys as nulls) or ``"keep"``
    (the default for a folder). The caller's DataFrames are never modified.
    """
    _check_location(target, "target")
    if not isinstance(replace, bool):
        raise ParameterError(f"The 'replace' parameter must be True or False. Got {replace!r} "
                             "instead.")
    if is_database_url(target):
        if format is not None:
            raise ParameterError(f"The 'format' parameter is for folder targets; "
                                 f"{str(target)!r} is a database. Got {format!r}.")
        if orphans == "keep":
            raise ParameterError("The 'orphans' parameter cannot be 'keep' for a database "
                                 "target: its foreign keys refuse orphans. Use 'refuse' or "
                                 "'null'.")
        write_sql_database(tables, metadata, target, replace=replace,
                           source_types=source_types, orphans=orphans or "refuse")
        return
    if format is not None and format not in FOLDER_FORMATS:
        raise ParameterError(f"The 'format' parameter must be one of "
                             f"{', '.join(FOLDER_FORMATS)}. Got {format!r} instead.")
    if orphans not in (None, "keep"):
        check_tables(tables, metadata)
        tables = without_orphans(tables, metadata, orphans)
    write_folder(tables, metadata, target, replace=replace, format=format or "csv")


def _check_location(value: object, name: str) -> None:
    if not isinstance(value, str | Path) or not str(value):
        raise ParameterError(f"The {name!r} parameter must be a database URL or a folder path. "
                             f"Got {value!r} instead.")
