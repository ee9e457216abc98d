"""Event tables as the sequence models read them: which columns are the key and the order
(:func:`sequence_columns`), the rows grouped by entity (:func:`by_entity`), a name for a
derived column that no column has (:func:`fresh_name`), and the saved state of the key, the
order and its times (:func:`sequence_state`, :func:`load_sequence_state`). Shared by
:class:`~simulacra.SequentialNetwork` and :class:`~simulacra.WindowDiffusion`.

>>> events = pd.DataFrame({"user": ["b", "a", "b"], "t": [2, 1, 1], "x": [0.3, 0.1, 0.2]})
>>> frame, entity, keys = by_entity(events, "user", "t")
>>> frame["x"].tolist(), entity.tolist(), keys.tolist()
([0.2, 0.3, 0.1], [0, 0, 1], ['b', 'a'])
>>> fresh_name("t.start", ["t", "t.start"])
't.start~2'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.identifier import IdEncoder
from simulacra.errors import DataError, ParameterError
from simulacra.metadata import Metadata
from simulacra.models.sequential.timing import EventTimes


def sequence_columns(data: pd.DataFrame, given: Metadata | None, key: str | None,
                     index: str | None) -> tuple[Metadata, str, str | None]:
    """``(metadata, sequence key, sequence index)`` of an event table: the key and index as
    given, else the metadata's; the metadata as given, else detected (with its index when none
    is given). Clear errors for a table that is not a DataFrame, is empty, lacks the columns or
    has events without an entity."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"fit() expects a pandas DataFrame, got {type(data).__name__}")
    key = key or (given.sequence_key if given is not None else None)
    if not key:
        raise ParameterError("sequence_key is required: the column naming each event's "
                             "entity; pass sequence_key=... or set it in the metadata")
    if index is None and given is not None:
        index = given.sequence_index
    for label, column in (("sequence_key", key), ("sequence_index", index)):
        if column is not None and column not in data.columns:
            raise DataError(f"{label} {column!r} is not a column of the data; columns are "
                            f"{list(data.columns)}")
    if len(data) == 0:
        raise DataError("cannot fit on an empty table; give at least one event")
    if data[key].isna().any():
        raise DataError(f"sequence_key column {key!r} has {int(data[key].isna().sum())} "
                        "null values; every event needs its entity")
    if given is not None:
        return given, key, index
    metadata = Metadata.detect(data, sequence_key=key, sequence_index=index)
    return metadata, key, metadata.sequence_index


def by_entity(data: pd.DataFrame, key: str,
               index: str | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``(rows without the key, grouped by entity in order of first appearance and ordered
    by index within each, entity number of each row, the entities' keys)``."""
    codes, uniques = pd.factorize(data[key], sort=False)
    within = np.arange(len(data))
    if index is not None:
        within = data[index].rank(method="first", na_option="bottom").to_numpy(dtype=np.int64)
    order = np.lexsort((within, codes))
    frame = data.iloc[order].drop(columns=[key]).reset_index(drop=True)
    return frame, codes[order].astype(np.int64), np.asarray(uniques)


def fresh_name(name: str, taken: Any) -> str:
    """``name``, or ``name~2``, ``name~3`` ... when a column already has it."""
    taken = set(map(str, taken))
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}~{k}"
    return out


def sequence_state(model: Any) -> dict[str, Any]:
    """The fitted ``model``'s key encoder, key and order columns, first-time column and times,
    as a model file keeps them."""
    return {"key_encoder": model.key_encoder_.get_state(),
            "sequence_key": model.sequence_key_, "sequence_index": model.sequence_index_,
            "start_column": model.start_column_,
            "times": None if model.times_ is None else model.times_.get_state()}


def load_sequence_state(model: Any, state: dict[str, Any]) -> None:
    """Set what :func:`sequence_state` saved on ``model``."""
    model.key_encoder_ = IdEncoder.from_state(state["key_encoder"])
    model.sequence_key_ = str(state["sequence_key"])
    index, start = state["sequence_index"], state["start_column"]
    model.sequence_index_ = None if index is None else str(index)
    model.start_column_ = None if start is None else str(start)
    model.times_ = None if state["times"] is None else EventTimes.from_state(state["times"])
