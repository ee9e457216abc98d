"""A database as a folder: one CSV or Parquet file per table and an optional ``metadata.yaml``.

A table's name is its file's name without the format suffix (``orders.csv.gz`` holds table
``orders``). When the folder has a ``metadata.yaml`` (a :class:`DatabaseMetadata` document)
it describes the tables, else keys are detected. A folder is written whole or not at all: the
files go into a hidden sibling folder first, which then takes the target's place.

>>> import pandas as pd, tempfile, pathlib
>>> from simulacra.metadata import DatabaseMetadata
>>> frames = {"users": pd.DataFrame({"id": [1, 2]}),
...           "orders": pd.DataFrame({"order_id": [5, 6], "user_id": [2, 2]})}
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "shop"
>>> write_folder(frames, DatabaseMetadata.detect(frames), folder)
>>> sorted(p.name for p in folder.iterdir())
['metadata.yaml', 'orders.csv', 'users.csv']
>>> back, meta = read_folder(folder)
>>> [str(fk) for fk in meta.foreign_keys]
['orders.user_id -> users.id']
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from simulacra.errors import DataError, MetadataError, ParameterError
from simulacra.io import read_table, write_table
from simulacra.kinds import Boolean, Datetime, Id
from simulacra.metadata import DatabaseMetadata
from simulacra.multitable.checks import check_tables
from simulacra.multitable.names import check_name, check_names

logger = logging.getLogger(__name__)

METADATA_FILE = "metadata.yaml"
#: File suffixes read as tables, longest first so that ``.csv.gz`` wins over ``.gz``.
TABLE_SUFFIXES = (".csv.gz", ".csv", ".tsv", ".parquet", ".pq")
FolderFormat = Literal["csv", "parquet"]
FOLDER_FORMATS = {"csv": ".csv", "parquet": ".parquet"}


def table_files(folder: Path) -> dict[str, Path]:
    """The tables of ``folder``: name → file, or → a folder of Parquet parts (a partitioned
    draw's table, :func:`simulacra.sample_database_partitioned`); hidden files and other files
    are skipped."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "_")) or not path.is_dir():
            suffix = next((s for s in TABLE_SUFFIXES if path.name.lower().endswith(s)), None)
            if suffix is None or path.name.startswith(".") or not path.is_file():
                continue
            name = check_name(path.name[: -len(suffix)], "table")
        elif _parquet_parts(path):
            name = check_name(path.name, "table")
        else:
            continue
        if name in found:
            raise DataError(f"table {name!r} has two files in {str(folder)!r}: "
                            f"{found[name].name} and {path.name}; keep one")
        found[name] = path
    return found


def read_folder(folder: str | Path, *, tables: Sequence[str] | None = None,
                ) -> tuple[dict[str, pd.DataFrame], DatabaseMetadata]:
    """The tables of ``folder`` (or ``tables`` among them) and their database metadata."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"no folder {str(folder)!r}; give a folder with one CSV or Parquet "
                        "file per table, or a database URL such as sqlite:///shop.db")
    files = table_files(folder)
    if not files:
        raise DataError(f"folder {str(folder)!r} has no table files (.csv, .csv.gz, .tsv, "
                        ".parquet)")
    selected = _select(list(files), tables, str(folder))
    meta_path = folder / METADATA_FILE
    meta = DatabaseMetadata.load(meta_path) if meta_path.is_file() else None
    if meta is not None:
        missing = [t for t in selected if t not in meta]
        absent = [t for t in meta if t not in files and (tables is None or t in tables)]
        if missing or absent:
            problems = [f"files with no table in {METADATA_FILE}: {missing}; describe them "
                        "there or remove the files"] if missing else []
            problems += [f"tables in {METADATA_FILE} with no file: {absent}"] if absent else []
            raise MetadataError(problems, header=f"{str(meta_path)!r} does not match the folder")
    frames = {}
    for name in selected:
        frame = read_table(files[name]) if files[name].is_file() else _read_parts(files[name])
        check_names(frame.columns, f"column of table {name!r}")
        frames[name] = frame if meta is None else restore_types(frame, meta, name)
    if meta is None:
        return frames, DatabaseMetadata.detect(frames)
    meta = restrict(meta, selected)
    check_tables(frames, meta)
    return frames, meta


def _parquet_parts(folder: Path) -> list[Path]:
    """The Parquet files of a table's folder (hidden and ``_`` files skipped)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".parquet"
                  and not p.name.startswith((".", "_")))


def _read_parts(folder: Path) -> pd.DataFrame:
    """A table written as a folder of Parquet parts, in the parts' order."""
    parts = [read_table(p) for p in _parquet_parts(folder)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _select(available: list[str], tables: Sequence[str] | None, where: str) -> list[str]:
    if tables is None:
        return available
    if isinstance(tables, str):
        tables = [tables]
    unknown = [t for t in tables if t not in available]
    if unknown:
        raise DataError(f"no table {', '.join(map(repr, unknown))} in {where!r}; its tables "
                        f"are: {', '.join(available)}")
    return list(dict.fromkeys(tables))


def restore_types(frame: pd.DataFrame, metadata: DatabaseMetadata, table: str) -> pd.DataFrame:
    """Types a CSV file loses, given back from the metadata (a copy; ``frame`` is untouched).

    Datetimes without a ``format`` of their own become ``datetime64`` again, booleans with
    nulls ``boolean``, and key columns read as floats because of nulls nullable integers
    (``Int64``).
    """
    changes = {}
    for column, kind in metadata[table].items():
        if column not in frame.columns:
            continue
        values = frame[column]
        if isinstance(kind, Datetime) and kind.format is None \
                and not pd.api.types.is_datetime64_any_dtype(values.dtype):
            try:
                changes[column] = pd.to_datetime(values, format="ISO8601")
            except (ValueError, TypeError):
                logger.info("column %r of %r is kept as text: not ISO dates", column, table)
        elif isinstance(kind, Boolean) and values.dtype == object:
            try:
                changes[column] = values.astype("boolean")
            except (ValueError, TypeError):
                logger.info("column %r of %r is kept as it reads: not booleans", column, table)
        elif isinstance(kind, Id) and pd.api.types.is_float_dtype(values.dtype):
            present = values.dropna()
            if (present == present.round()).all():
                changes[column] = values.astype("Int64")
    return frame.assign(**changes) if changes else frame


def restrict(metadata: DatabaseMetadata, keep: Sequence[str]) -> DatabaseMetadata:
    """``metadata`` for the tables ``keep`` only; keys to other tables dropped with a warning."""
    kept = set(keep)
    fks = []
    for fk in metadata.foreign_keys:
        if fk.table in kept and fk.parent not in kept:
            logger.warning("foreign key %s left out: table %r is not among the tables read",
                           fk, fk.parent)
        elif fk.table in kept:
            fks.append(fk)
    return DatabaseMetadata(
        {t: metadata.tables[t] for t in keep},
        primary_keys={t: k for t, k in metadata.primary_keys.items() if t in kept},
        foreign_keys=fks,
        unique={t: u for t, u in metadata.unique.items() if t in kept},
        not_null={t: n for t, n in metadata.not_null.items() if t in kept},
        key_reasons={t: r for t, r in metadata.key_reasons.items() if t in kept})


def write_folder(tables: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata,
                 target: str | Path, *, replace: bool = False,
                 format: FolderFormat = "csv") -> None:
    """Write one file per table and ``metadata.yaml`` into the folder ``target``, whole.

    An existing non-empty folder is refused unless ``replace``, and even then only when it
    holds nothing but table files and ``metadata.yaml`` (so a wrong path cannot wipe out an
    unrelated folder).
    """
    if format not in FOLDER_FORMATS:
        raise ParameterError(f"The 'format' parameter must be one of "
                             f"{', '.join(FOLDER_FORMATS)}. Got {format!r} instead.")
    check_tables(tables, metadata)
    target = Path(target)
    _check_target(target, replace)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
    try:
        for name, frame in tables.items():
            path = staging / f"{name}{FOLDER_FORMATS[format]}"
            try:
                write_table(frame, path)
            except (ValueError, TypeError, OSError) as err:
                raise DataError(f"cannot write table {name!r} as {format}: {err}") from None
        metadata.save(staging / METADATA_FILE)
        staging.chmod(0o777 & ~_umask())
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_target(target: Path, replace: bool) -> None:
    if target.exists() and not target.is_dir():
        raise DataError(f"{str(target)!r} is a file, not a folder; choose a folder for the "
                        "tables")
    if not target.is_dir() or not any(target.iterdir()):
        return
    if not replace:
        raise DataError(f"folder {str(target)!r} is not empty; pass replace=True (--replace) "
                        "to replace it, or choose another folder")
    foreign = [p.name for p in target.iterdir()
               if not (p.is_file() and (p.name == METADATA_FILE or any(
                   p.name.lower().endswith(s) for s in TABLE_SUFFIXES)))]
    if foreign:
        raise DataError(f"folder {str(target)!r} holds more than tables ({', '.join(foreign[:5])}"
                        f"{', ...' if len(foreign) > 5 else ''}); it is not replaced: empty it "
                        "or choose another folder")


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` in the place of ``target`` (renames only; the old folder is removed)."""
    if not target.exists():
        staging.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
