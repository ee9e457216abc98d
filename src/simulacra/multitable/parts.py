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
model draws (part of a composite key), are left as they are
(:func:`~simulacra.encoders.identifier.shift_ids`).

>>> [share_of(np.array([10, 1, 1]), p, 3).tolist() for p in range(3)]
[[3, 0, 1], [3, 1, 0], [4, 0, 0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.identifier import shift_ids


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
