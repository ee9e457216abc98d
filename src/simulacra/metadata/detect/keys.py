"""Detect the keys of several tables: primary keys, foreign keys, link tables, self-references.

Keys are found by *name* and confirmed by *values*, and every key carries the evidence:

1. a table's primary key is its column named ``id``, ``<table>_id`` or ``<table>id`` (the
   table name also singular: ``users`` → ``user_id``), else another ``*_id``/``*id`` column,
   when that column has no null and no repeated value;
2. a column is a foreign key to another table when its name is that table's key name
   (``account_id`` → ``account.account_id``), ``<table>_id`` or ``<singular>_id``, and at
   least :data:`CONTAINMENT` of its non-null values are values of that key; a table whose key was
   not found by name gets the unique column those values fall in (Berka's ``district.A1``);
3. a column named for a parent row (``parent_id``, ``manager_id``, ``reports_to`` ...) whose
   values are the table's own key values is a self-reference;
4. a table without a primary key whose foreign-key columns are unique together (a link table
   of a many-to-many relation) gets them as a composite primary key.

>>> import pandas as pd
>>> people = pd.DataFrame({"id": [1, 2, 3], "manager_id": [None, 1, 1]})
>>> found = detect_keys({"people": people})
>>> found.foreign_keys[0].reason
"named for a parent row ('manager_id'); 2 of 2 values are people.id values"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

#: Share of a column's non-null values that must be parent key values for it to be a key.
CONTAINMENT = 0.9
#: Names (before ``_id``) of a column that refers to another row of its own table.
SELF_NAMES = frozenset({"parent", "manager", "boss", "supervisor", "reports_to", "referrer",
                        "referred_by", "mentor", "predecessor", "successor", "previous", "next"})


@dataclass(frozen=True)
class FoundKey:
    """A detected foreign key, before it becomes a :class:`~simulacra.metadata.ForeignKey`."""

    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    reason: str


@dataclass
class FoundKeys:
    """Primary keys, foreign keys and a reason for each primary key."""

    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: list[FoundKey] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


def detect_keys(tables: Mapping[str, pd.DataFrame]) -> FoundKeys:
    """Primary and foreign keys of ``tables`` (name → DataFrame), each with its evidence."""
    found = FoundKeys()
    for name, frame in tables.items():
        key = _primary_key_by_name(name, frame)
        if key is not None:
            found.primary_keys[name] = (key[0],)
            found.reasons[name] = key[1]
    for name, frame in tables.items():
        for column in frame.columns:
            if (column,) == found.primary_keys.get(name):
                continue
            fk = _foreign_key(name, column, frame[column], tables, found)
            if fk is not None:
                found.foreign_keys.append(fk)
    for name, frame in tables.items():
        if name in found.primary_keys:
            continue
        columns = [c for fk in found.foreign_keys if fk.table == name for c in fk.columns]
        if len(columns) >= 2 and _is_unique(frame[columns]):
            found.primary_keys[name] = tuple(columns)
            found.reasons[name] = (f"link table: its foreign keys ({', '.join(columns)}) are "
                                   f"unique together over {len(frame):,} rows")
    return found


def singular(table: str) -> str:
    """``users`` → ``user``, ``categories`` → ``category``, ``address`` stays."""
    lower = table.lower()
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return lower[:-2]
    if lower.endswith("s") and not lower.endswith("ss") and len(lower) > 3:
        return lower[:-1]
    return lower


def _id_names(table: str) -> set[str]:
    out = set()
    for stem in {table.lower(), singular(table)}:
        out |= {f"{stem}_id", f"{stem}id", f"{stem}_key", f"{stem}_no"}
    return out


def _is_idlike(column: str) -> bool:
    lower = column.lower()
    return lower in ("id", "key", "uuid") or bool(re.search(r"(_id|id|_key|_uuid)$", lower))


def _is_unique(values: pd.DataFrame | pd.Series) -> bool:
    if len(values) == 0:
        return False
    if isinstance(values, pd.Series):
        return bool(values.notna().all() and values.is_unique)
    return bool(values.notna().all(axis=None) and not values.duplicated().any())


def _keyable(series: pd.Series) -> bool:
    """Integers or strings (a float key with fractions is no key)."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_float_dtype(series.dtype):
        return bool(len(values)) and bool((values == values.round()).all())
    return pd.api.types.is_integer_dtype(series.dtype) or series.dtype == object \
        or isinstance(series.dtype, pd.StringDtype)


def _primary_key_by_name(table: str, frame: pd.DataFrame) -> tuple[str, str] | None:
    names = _id_names(table)
    ranked = sorted(
        (c for c in frame.columns if isinstance(c, str) and _is_idlike(c)),
        key=lambda c: (c.lower() != "id" and c.lower() not in names, list(frame.columns).index(c)))
    for column in ranked:
        series = frame[column]
        if _keyable(series) and _is_unique(series):
            how = "named 'id'" if column.lower() == "id" else (
                f"named for the table ({column!r})" if column.lower() in names
                else f"a key-like name ({column!r})")
            return column, f"{how}; {len(series):,} values, no null, none repeated"
    return None


def _comparable(values: pd.Series, keys: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both sides as the same type: numbers as floats, anything else as text."""
    if pd.api.types.is_numeric_dtype(values.dtype) and pd.api.types.is_numeric_dtype(keys.dtype):
        return values.astype("float64"), keys.astype("float64")
    return values.astype(str), keys.astype(str)


def _containment(values: pd.Series, keys: pd.Series) -> tuple[int, int]:
    """(how many of ``values``' non-null entries are in ``keys``, how many there are)."""
    values = values.dropna()
    if values.empty:
        return 0, 0
    left, right = _comparable(values, keys.dropna())
    return int(left.isin(set(right)).sum()), len(left)


def _foreign_key(table: str, column: str, series: pd.Series,
                 tables: Mapping[str, pd.DataFrame], found: FoundKeys) -> FoundKey | None:
    if not isinstance(column, str) or not _keyable(series) or series.notna().sum() == 0:
        return None
    lower = column.lower()
    for parent, frame in tables.items():
        if parent == table:
            continue
        key = found.primary_keys.get(parent)
        by_key_name = key is not None and len(key) == 1 and key[0].lower() == lower \
            and lower != "id"
        if not (by_key_name or lower in _id_names(parent)):
            continue
        if key is None:
            adopted = _adopt_key(parent, frame, series, table, column)
            if adopted is None:
                continue
            found.primary_keys[parent] = (adopted[0],)
            found.reasons[parent] = adopted[1]
            key = (adopted[0],)
        hit, total = _containment(series, frame[key[0]])
        if total and hit / total >= CONTAINMENT:
            why = f"the key name of {parent!r}" if by_key_name else f"named for {parent!r}"
            return FoundKey(table, (column,), parent, key,
                            f"{why} ({column!r}); {hit:,} of {total:,} values are "
                            f"{parent}.{key[0]} values")
    stem = re.sub(r"(_id|id)$", "", lower)
    own = found.primary_keys.get(table)
    if stem in SELF_NAMES and own is not None and len(own) == 1:
        hit, total = _containment(series, tables[table][own[0]])
        if total and hit / total >= CONTAINMENT:
            return FoundKey(table, (column,), table, own,
                            f"named for a parent row ({column!r}); {hit:,} of {total:,} values "
                            f"are {table}.{own[0]} values")
    return None


def _adopt_key(parent: str, frame: pd.DataFrame, values: pd.Series, table: str,
               column: str) -> tuple[str, str] | None:
    """The unique column of ``parent`` that ``values`` fall in, if there is exactly one."""
    candidates = []
    for name in frame.columns:
        series = frame[name]
        if not _keyable(series) or not _is_unique(series):
            continue
        hit, total = _containment(values, series)
        if total and hit / total >= CONTAINMENT:
            candidates.append(name)
    if len(candidates) != 1:
        return None
    return candidates[0], (f"unique, and {table}.{column} (named for {parent!r}) refers to its "
                           f"values")
