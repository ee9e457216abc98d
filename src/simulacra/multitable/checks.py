"""What every database writer checks before it touches its target.

Names usable as file names and identifiers, tables that match their metadata (every table and
column, primary keys neither null nor repeated), and what to do with orphans (child rows whose
foreign key the parent lacks), which a database enforcing its keys would refuse.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
>>> users = pd.DataFrame({"id": [1, 2]})
>>> orders = pd.DataFrame({"order_id": [1, 2], "user_id": [1, 9]})
>>> meta = DatabaseMetadata(
...     {"users": Metadata.detect(users), "orders": Metadata.detect(orders)},
...     primary_keys={"users": "id", "orders": "order_id"},
...     foreign_keys=[ForeignKey("orders", "user_id", "users", "id")])
>>> fixed = without_orphans({"users": users, "orders": orders}, meta, "null")
>>> fixed["orders"]["user_id"].tolist()
[1, <NA>]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pandas as pd

from simulacra.errors import DataError, MetadataError, ParameterError
from simulacra.metadata import DatabaseMetadata, ForeignKey
from simulacra.multitable.names import check_names

Orphans = Literal["refuse", "null", "keep"]
ORPHAN_CHOICES = ("refuse", "null", "keep")


def check_tables(tables: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata) -> None:
    """Raise when a name is unusable or ``tables`` disagree with ``metadata`` (every problem)."""
    if not isinstance(metadata, DatabaseMetadata):
        raise ParameterError(f"The 'metadata' parameter must be a DatabaseMetadata. Got "
                             f"{type(metadata).__name__} instead.")
    if not isinstance(tables, Mapping) or not tables:
        raise ParameterError("The 'tables' parameter must be a non-empty mapping of table name "
                             f"to DataFrame. Got {tables!r:.80} instead.")
    check_names(tables, "table")
    for name, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"table {name!r} is a {type(frame).__name__}, not a DataFrame")
        check_names(frame.columns, f"column of table {name!r}")
    problems = metadata.problems(tables)
    if problems:
        raise MetadataError(problems, header="The tables do not match the database metadata")


def orphan_rows(tables: Mapping[str, pd.DataFrame], fk: ForeignKey) -> pd.Series:
    """Boolean mask of ``fk.table``'s rows whose non-null key no ``fk.parent`` row has."""
    child = tables[fk.table][list(fk.columns)]
    present = child.notna().all(axis=1)
    parent = tables[fk.parent][list(fk.parent_columns)].dropna().drop_duplicates()
    keys = pd.MultiIndex.from_frame(comparable_keys(parent))
    found = pd.MultiIndex.from_frame(comparable_keys(child)).isin(keys)
    return pd.Series(present.to_numpy() & ~found, index=child.index)


def comparable_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns as objects compared by value: whole floats as integers, nulls as ``None``.

    A child's key read as floats (because of nulls) then matches its parent's integers.
    """
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values.dtype):
            whole = values.dropna()
            if (whole == whole.round()).all():
                values = values.astype("Int64")
        if pd.api.types.is_integer_dtype(values.dtype):
            values = values.astype("Int64")
        out[column] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out, index=frame.index)


def without_orphans(tables: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata,
                    orphans: Orphans) -> dict[str, pd.DataFrame]:
    """``tables`` ready for a database that enforces its foreign keys.

    ``orphans="refuse"`` raises a :class:`DataError` naming every foreign key with orphans;
    ``"null"`` sets those keys to null in a copy (refused for a NOT NULL key column);
    ``"keep"`` leaves them (a folder does not enforce keys). The caller's frames are never
    modified.
    """
    if orphans not in ORPHAN_CHOICES:
        raise ParameterError(f"The 'orphans' parameter must be one of {', '.join(ORPHAN_CHOICES)}"
                             f". Got {orphans!r} instead.")
    out = dict(tables)
    if orphans == "keep":
        return out
    problems = []
    for fk in metadata.foreign_keys:
        mask = orphan_rows(out, fk)
        count = int(mask.sum())
        if not count:
            continue
        required = [c for c in fk.columns if c in metadata.not_null.get(fk.table, ())
                    or c in metadata.primary_keys.get(fk.table, ())]
        if orphans == "refuse" or required:
            fixes = ("drop those rows or add the missing parents ("
                     f"{', '.join(required)} NOT NULL, so not nullable)") if required else \
                "pass orphans='null' to write those keys as nulls, drop the rows, or add the " \
                "missing parents"
            problems.append(f"foreign key {fk}: {count:,} rows of {fk.table!r} refer to no row "
                            f"of {fk.parent!r}; {fixes}")
            continue
        frame = out[fk.table].copy()
        for column in fk.columns:
            if pd.api.types.is_integer_dtype(frame[column].dtype):
                frame[column] = frame[column].astype("Int64")
            frame.loc[mask.to_numpy(), column] = None
        out[fk.table] = frame
    if problems:
        raise DataError("the tables have orphans, which the database's foreign keys would "
                        "refuse:\n" + "\n".join(f"  - {p}" for p in problems))
    return out
