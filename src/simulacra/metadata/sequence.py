"""An event table's sequence columns: the entity key and the column that orders events.

>>> import pandas as pd
>>> from simulacra.metadata.detect import detect_column
>>> events = pd.DataFrame({"user": ["a", "a", "b", "b", "b"],
...                        "when": pd.to_datetime(["2024-01-02", "2024-01-09", "2024-01-01",
...                                                "2024-02-01", "2024-03-01"]),
...                        "amount": [9.5, 3.0, 4.2, 8.8, 1.0]})
>>> kinds = {c: detect_column(events[c]) for c in events}
>>> key, index, reason = sequence_columns(events, kinds, "user", None)
>>> key.kind, key.unique, index
('id', False, 'when')
>>> reason
"'when' is a datetime column; in row order it never goes back within 100% of entities"
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulacra.errors import MetadataError
from simulacra.kinds import ColumnKind, Datetime, Id, Numerical

ORDERED_SHARE = 0.9  # share of entities whose rows a counter must not go back in


def sequence_columns(data: pd.DataFrame, kinds: Mapping[str, ColumnKind], key: str,
                     index: str | None) -> tuple[Id, str | None, str]:
    """The key's kind (an id repeated within its entity), the index and why it was chosen.

    ``index`` ``None``: the datetime column — else the numerical one — that in row order goes
    back least often within an entity, if it never does for at least 90 % of them; no such
    column: ``None`` (the rows' order).
    """
    for label, column in (("sequence_key", key), ("sequence_index", index)):
        if column is not None and column not in data.columns:
            raise MetadataError(f"{label} {column!r} is not a column of the data; columns are "
                                f"{list(data.columns)}")
    entities = pd.factorize(data[key])[0]
    sizes = np.bincount(entities[entities >= 0]) if len(data) else np.array([], np.int64)
    median = float(np.median(sizes)) if sizes.size else 0.0
    key_kind = Id(unique=False).with_reason(
        f"sequence key: {sizes.size:,} entities, a median of {median:g} events each")
    if index is not None:
        return key_kind, index, "set by the user"
    best: tuple[float, int, str] | None = None
    for rank, wanted in enumerate((Datetime, Numerical)):
        for column, kind in kinds.items():
            if column == key or not isinstance(kind, wanted):
                continue
            share = _ordered_share(data[column], entities, isinstance(kind, Datetime))
            if share >= ORDERED_SHARE and (best is None or (rank, -share) < (best[1], -best[0])):
                best = (share, rank, column)
    if best is None:
        return key_kind, None, ("no datetime or numerical column keeps its order within "
                                "entities: events are ordered as the rows are")
    share, rank, column = best
    what = "a datetime" if rank == 0 else "a numerical"
    return key_kind, column, (f"{column!r} is {what} column; in row order it never goes back "
                              f"within {share:.0%} of entities")


def _ordered_share(values: pd.Series, entities: np.ndarray, dates: bool) -> float:
    """Share of entities with two events or more whose ``values`` never decrease in row
    order (0 when the column is constant within every entity: it orders nothing)."""
    numbers = pd.to_datetime(values, errors="coerce") if dates else \
        pd.to_numeric(values, errors="coerce")
    x = numbers.astype("int64").to_numpy(dtype=np.float64) if dates else \
        numbers.to_numpy(dtype=np.float64)
    if dates:
        x[numbers.isna().to_numpy()] = np.nan
    order = np.argsort(entities, kind="stable")
    e, x = entities[order], x[order]
    same = e[1:] == e[:-1]
    if not same.any():
        return 0.0
    step = x[1:] - x[:-1]
    back = same & ~(step >= 0)  # NaN counts as going back
    moves = same & (step > 0)
    multi = np.unique(e[1:][same])
    if not moves.any():
        return 0.0
    bad = np.unique(e[1:][back])
    return 1.0 - len(bad) / len(multi)
