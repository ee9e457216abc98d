"""Matching key values between tables: which parent row each child row points at.

Keys are compared by value whatever their dtype on each side (an ``int`` key in the real
table and a ``float`` or string key read back from a synthetic CSV still match: ``3``, ``3.0``
and ``"3"`` are one key), and a key of several columns matches only when every column does.
Every function here is vectorized; none loops over rows.

>>> import pandas as pd
>>> parent = pd.DataFrame({"id": [10, 11, 12]})
>>> child = pd.DataFrame({"pid": [12.0, 10.0, None, 99.0]})
>>> parent_positions(child, ("pid",), parent, ("id",)).tolist()
[2, 0, -1, -2]
>>> unique_key_rows(pd.DataFrame({"id": [1, 2, 2, None]}), ("id",)).tolist()
[True, False, False, False]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Position given to a child row whose key is null (it points at no parent, by design).
NULL = -1
#: Position given to a child row whose non-null key no parent row has (an orphan).
ORPHAN = -2


def parent_positions(child: pd.DataFrame, columns: Sequence[str], parent: pd.DataFrame,
                     parent_columns: Sequence[str]) -> np.ndarray:
    """For each ``child`` row, the position of the ``parent`` row its key refers to.

    :data:`NULL` (−1) where a key column is null, :data:`ORPHAN` (−2) where no parent row
    has the key. When the parent repeats a key (a broken primary key), its first row wins.
    """
    child_codes, parent_codes = _joint_codes(
        [child[c] for c in columns], [parent[c] for c in parent_columns])
    out = np.full(len(child), ORPHAN, dtype=np.int64)
    out[child_codes < 0] = NULL
    valid_parent = parent_codes >= 0
    if not valid_parent.any():
        return out
    keys, first = np.unique(parent_codes[valid_parent], return_index=True)
    first = np.flatnonzero(valid_parent)[first]
    wanted = child_codes >= 0
    at = np.searchsorted(keys, child_codes[wanted])
    at_clipped = np.minimum(at, len(keys) - 1)
    found = keys[at_clipped] == child_codes[wanted]
    positions = np.where(found, first[at_clipped], ORPHAN)
    out[wanted] = positions
    return out


def unique_key_rows(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Whether each row's key is non-null and held by no other row."""
    codes, _ = _joint_codes([frame[c] for c in columns], [])
    counts = np.bincount(codes[codes >= 0], minlength=1)
    ok = codes >= 0
    ok[ok] = counts[codes[ok]] == 1
    return ok


def _joint_codes(left: list[pd.Series], right: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the key tuples of two tables on one shared scale (−1: a null part)."""
    n = len(left[0]) if left else 0
    combined: np.ndarray | None = None
    for i, a in enumerate(left):
        b = right[i] if right else a.iloc[:0]
        values = pd.concat([_comparable(a, b), _comparable(b, a)], ignore_index=True)
        codes, uniques = pd.factorize(values)
        codes = codes.astype(np.int64)
        if combined is None:
            combined = codes
            continue
        null = (combined < 0) | (codes < 0)
        merged = combined * (len(uniques) + 1) + codes
        combined, _ = pd.factorize(np.where(null, -1, merged))
        combined = np.where(null, -1, combined).astype(np.int64)
    assert combined is not None
    return combined[:n], combined[n:]


def _comparable(values: pd.Series, other: pd.Series) -> pd.Series:
    """``values`` as floats when both sides are numbers (or strings of numbers), else strings."""
    if _numeric(values) and _numeric(other):
        return pd.to_numeric(values, errors="coerce").astype("float64").reset_index(drop=True)
    text = values.astype(object).where(values.notna(), None)
    return text.map(_key_text, na_action="ignore").reset_index(drop=True)


def _numeric(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values.dtype):
        return False
    if pd.api.types.is_numeric_dtype(values.dtype):
        return True
    present = values.dropna()
    if present.empty:
        return True
    return bool(pd.to_numeric(present.astype(str), errors="coerce").notna().all())


def _key_text(value: object) -> str:
    """A key as text, integral floats without their ``.0`` (``3.0`` and ``3`` are one key)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
