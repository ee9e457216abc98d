"""Keys of one partition of a partitioned database draw, made unique across the partitions.

Each partition of :func:`simulacra.scale.sample_database_partitioned` is a database of its
own, drawn without seeing the others, so its generated ids may repeat another partition's.
Every generated id of partition ``p`` of ``P`` is therefore mapped by a function that is one
to one and whose images for different partitions never meet, and every foreign key that
points at such an id goes through the same function, so each key still resolves inside its
partition:

* integer ids: ``k → k·P + p``;
* prefixed ids (``"CUST-0042"``): the number likewise, zero-padded to its width;
* other ids (a per-position template): the partition index appended, zero-padded to the
  width of ``P − 1``.

With one partition every function is the identity. Keys of kept tables, and key columns a
model draws (part of a composite key), are left as they are.

>>> shift_ids(pd.Series([1, 5, 7]), "integer", partition=1, partitions=3).tolist()
[4, 16, 22]
>>> ids = pd.Series(["C-07", None], dtype=object)
>>> shift_ids(ids, "prefixed", partition=2, partitions=4).tolist()
['C-30', None]
>>> shift_ids(pd.Series(["ab"]), "template", partition=3, partitions=12).tolist()
['ab03']
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from simulacra.multitable.synthesizer import RelationalSynthesizer

_PREFIXED = re.compile(r"^(.*?)(\d+)$")


def partition_keys(owner: RelationalSynthesizer, frames: dict[str, pd.DataFrame],
                   partition: int, partitions: int) -> dict[str, pd.DataFrame]:
    """``frames`` (one partition's draw of ``owner``) with its generated ids and the foreign
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


def id_format(owner: RelationalSynthesizer, table: str, column: str,
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
