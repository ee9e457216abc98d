"""One part of a partitioned database draw: its share of the rows, and ids apart from the
other parts'.

:meth:`RelationalSynthesizer.sample(scale, partition=(p, P)) <simulacra.RelationalSynthesizer
.sample>` draws part ``p`` of ``P`` without seeing the others. Its tables without parents get
:func:`share_of` their rows, and each row of a kept table its share of children, so the ``P``
parts add up to the whole draw exactly. Its generated ids may repeat another part's, so every
generated id of part ``p`` is mapped by a function that is one to one and whose images for
different parts never meet, and every foreign key that points at such an id goes through the
same function, so each key still resolves inside its part:

* integer ids: ``k → k·P + p``;
* prefixed ids (``"CUST-0042"``): the number likewise, zero-padded to its width;
* other ids (a per-position template): the part's index appended, zero-padded to the
  width of ``P − 1``.

With one part every function is the identity. Keys of kept tables, and key columns a
model draws (part of a composite key), are left as they are.

>>> shift_ids(pd.Series([1, 5, 7]), "integer", partition=1, partitions=3).tolist()
[4, 16, 22]
>>> ids = pd.Series(["C-07", None], dtype=object)
>>> shift_ids(ids, "prefixed", partition=2, partitions=4).tolist()
['C-30', None]
>>> shift_ids(pd.Series(["ab"]), "template", partition=3, partitions=12).tolist()
['ab03']
>>> [share_of(np.array([10, 1, 1]), p, 3).tolist() for p in range(3)]
[[3, 0, 1], [3, 1, 0], [4, 0, 0]]
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

_PREFIXED = re.compile(r"^(.*?)(\d+)$")


def share_of(totals: np.ndarray, partition: int, partitions: int) -> np.ndarray:
    """Part ``partition`` of ``partitions`` of each whole number in ``totals``: the parts of a
    total differ by at most one and add up to it, and the larger parts of different totals
    fall to different parts (row ``i`` starts its turn at part ``i mod partitions``)."""
    totals = np.asarray(totals, dtype=np.int64)
    offset = np.arange(len(totals)) % partitions
    return ((totals * (partition + 1) + offset) // partitions
            - (totals * partition + offset) // partitions)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to ``weights`` that add up to ``total`` (the largest
    remainders get the leftover ones; ties to the earlier row): the same in every part.

    >>> apportion(7, np.array([1, 1, 2])).tolist()
    [2, 2, 3]
    """
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.size == 0:
        return np.zeros(weights.size, dtype=np.int64)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    exact = weights * total / weights.sum()
    out = np.floor(exact).astype(np.int64)
    left = total - int(out.sum())
    if left > 0:
        order = np.lexsort((np.arange(len(exact)), -(exact - out)))
        out[order[:left]] += 1
    return out


def partition_keys(owner: Any, frames: dict[str, pd.DataFrame],
                   partition: int, partitions: int) -> dict[str, pd.DataFrame]:
    """``frames`` (one partition's draw of ``owner``, a fitted
    :class:`~simulacra.RelationalSynthesizer`) with its generated ids and the foreign
    keys pointing at them shifted by :func:`shift_ids` (new frames; ``frames`` is kept)."""
    if partitions == 1:
        return frames
    out = {}
    for table, frame in frames.items():
        changed = frame.copy()
        for column in frame.columns:
            source = id_format(owner, table, column)
            if source is not None:
                changed[column] = shift_ids(frame[column], source, partition, partitions)
        out[table] = changed
    return out


def id_format(owner: Any, table: str, column: str,
              seen: frozenset[tuple[str, str]] = frozenset()) -> str | None:
    """The format of the generated ids ``table.column`` holds or points at (following
    foreign keys), or ``None`` when its values are not generated ids (a kept table's keys, a
    modelled column)."""
    if table in owner.kept_ or (table, column) in seen:
        return None
    encoder = owner.key_encoders_.get(table, {}).get(column)
    if encoder is not None:
        return str(encoder.format_)
    for fk in owner.metadata_.parents(table):
        if column in fk.columns:
            parent_column = fk.parent_columns[list(fk.columns).index(column)]
            return id_format(owner, fk.parent, parent_column, seen | {(table, column)})
    return None


def shift_ids(values: pd.Series, source: str, partition: int, partitions: int) -> pd.Series:
    """``values`` (ids of the format ``source``) mapped for ``partition`` of ``partitions``;
    nulls stay null, and values not of the format (orphan keys) stay as they are."""
    if partitions == 1:
        return values
    if source == "integer" and pd.api.types.is_numeric_dtype(values.dtype) \
            and not pd.api.types.is_bool_dtype(values.dtype):
        return values * partitions + partition
    width = len(str(partitions - 1))

    def one(value: Any) -> Any:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return value
        if source == "integer" and isinstance(value, int | np.integer):
            return int(value) * partitions + partition
        text = str(value)
        if source == "template":
            return f"{text}{partition:0{width}d}"
        match = _PREFIXED.match(text)
        if match is None:
            return value
        digits = match.group(2)
        return f"{match.group(1)}{int(digits) * partitions + partition:0{len(digits)}d}"

    return pd.Series([one(v) for v in values], index=values.index, dtype=values.dtype)
