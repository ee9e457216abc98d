"""An event table as sequences: each entity's events, in order, as flat arrays.

:class:`Sequences` holds one table: the events sorted by entity and, within an entity, by the
``sequence_index`` (or kept in row order without one), with ``starts`` marking where each
entity's events begin. :func:`prepare_sequences` builds the real, synthetic and holdout tables'
sequences once, with the same event columns, for every sequence metric to share.

>>> events = pd.DataFrame({"user": ["a", "b", "a", "b", "b"], "t": [2, 1, 1, 3, 2],
...                        "x": [0.2, 1.0, 0.1, 3.0, 2.0]})
>>> seqs = Sequences.from_frame(events, "user", "t", numeric=["x"])
>>> seqs.lengths.tolist(), seqs.values["x"].tolist()
([2, 3], [0.1, 0.2, 1.0, 2.0, 3.0])
>>> seqs.gaps().tolist()
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulacra.errors import DataError, ParameterError, check_param
from simulacra.evaluation.views import as_float, as_labels
from simulacra.kinds import Boolean, Categorical, Datetime, Numerical
from simulacra.metadata import Metadata

#: Entities per table the sequence metrics look at, at most (a random subset beyond).
MAX_ENTITIES = 2000


@dataclass(frozen=True)
class Sequences:
    """One table's events grouped by entity, each entity's events in order.

    ``keys`` holds each sequence's entity label; the events of sequence ``s`` are positions
    ``starts[s]:starts[s + 1]`` of ``time`` (the index: datetimes as seconds, ``None`` for
    row order), of each numeric column in ``values`` (booleans as 0/1) and of each categorical
    column in ``labels``.
    """

    keys: np.ndarray
    starts: np.ndarray
    time: np.ndarray | None
    values: dict[str, np.ndarray] = field(default_factory=dict)
    labels: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def lengths(self) -> np.ndarray:
        """Events per sequence."""
        return np.diff(self.starts)

    @property
    def entity(self) -> np.ndarray:
        """The sequence number of every event."""
        return np.repeat(np.arange(len(self.keys)), self.lengths)

    def __len__(self) -> int:
        return len(self.keys)

    def gaps(self) -> np.ndarray:
        """Index differences between consecutive events of one entity (NaN where unknown).

        Raises ``DataError`` when the events are ordered by row (no index).
        """
        if self.time is None:
            raise DataError("the sequences have no sequence_index, so no time between events")
        same = np.diff(self.entity) == 0
        return np.diff(self.time)[same]

    def lagged(self, lag: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions ``(i, i + lag)`` of every pair of events ``lag`` apart in one entity."""
        entity = self.entity
        first = np.flatnonzero(entity[:-lag] == entity[lag:]) if lag < len(entity) \
            else np.array([], dtype=np.int64)
        return first, first + lag

    def windows(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and stop positions of units of at most ``window`` events.

        A sequence of ``n <= window`` events is one unit; a longer one is cut into
        ``ceil(n / window)`` consecutive units of nearly equal length (as ``np.array_split``),
        so no unit is a stub of one or two events.

        >>> seqs = Sequences(np.array(["a", "b"]), np.array([0, 3, 13]), None)
        >>> seqs.windows(4)
        (array([ 0,  3,  7, 10]), array([ 3,  7, 10, 13]))
        """
        check_param("window", window, "an integer >= 2", isinstance(window, int | np.integer)
                    and window >= 2)
        lengths = self.lengths
        parts = np.maximum(-(-lengths // window), 1)
        starts, stops = [], []
        for begin, n, k in zip(self.starts[:-1], lengths, parts, strict=True):
            sizes = np.full(k, n // k)
            sizes[: n % k] += 1
            edges = begin + np.r_[0, np.cumsum(sizes)]
            starts.append(edges[:-1])
            stops.append(edges[1:])
        if not starts:
            return np.array([], np.int64), np.array([], np.int64)
        return np.concatenate(starts).astype(np.int64), np.concatenate(stops).astype(np.int64)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, key: str, index: str | None, *,
                   numeric: Sequence[str] = (), categorical: Sequence[str] = (),
                   entities: np.ndarray | None = None) -> Sequences:
        """Group ``frame``'s rows by ``key`` and order each group by ``index``.

        Rows with a null key belong to no entity and are left out. Events whose index is null
        come last in their entity. ``entities`` (positions in order of first appearance)
        keeps only those entities. Never modifies ``frame``.
        """
        codes, uniques = pd.factorize(frame[key], sort=False)
        keep = codes >= 0
        if entities is not None:
            wanted = np.zeros(len(uniques), dtype=bool)
            wanted[entities] = True
            keep &= wanted[np.maximum(codes, 0)]
        rows = np.flatnonzero(keep)
        codes = codes[rows]
        time = None
        if index is not None:
            time = _index_values(frame[index].iloc[rows])
            order = np.lexsort((time, codes))  # NaN sorts last within its entity
            time = time[order]
        else:
            order = np.argsort(codes, kind="stable")
        rows, codes = rows[order], codes[order]
        present, counts = np.unique(codes, return_counts=True)
        part = frame.iloc[rows]
        return cls(
            keys=np.asarray(uniques, dtype=object)[present],
            starts=np.r_[0, np.cumsum(counts)].astype(np.int64),
            time=time,
            values={c: as_float(part[c]) for c in numeric},
            labels={c: as_labels(part[c]) for c in categorical})


def _index_values(column: pd.Series) -> np.ndarray:
    """The index as floats: numbers as they are, datetimes (or date strings) as seconds."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    elif column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        numbers = pd.to_numeric(column, errors="coerce")
        column = numbers if numbers.notna().sum() == column.notna().sum() else \
            pd.to_datetime(column, errors="coerce")
    return as_float(column)


@dataclass
class SequenceData:
    """The real, synthetic and (optional) holdout tables as :class:`Sequences`.

    ``numeric`` names the numerical event columns (the sequence key and index excluded),
    ``flags`` the boolean ones (0/1 in ``values``), ``categorical`` the categorical ones;
    ``entities`` counts each table's entities before subsampling and ``note`` says when a
    subset was used; ``index_is_datetime`` whether the index values are seconds.
    """

    real: Sequences
    synth: Sequences
    holdout: Sequences | None
    key: str
    index: str | None
    numeric: list[str]
    flags: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    entities: dict[str, int] = field(default_factory=dict)
    note: str = ""
    index_is_datetime: bool = False

    def holdout_as_synthetic(self) -> SequenceData:
        """The holdout in the synthetic table's place: what real unseen sequences score."""
        if self.holdout is None:
            raise DataError("this evaluation has no holdout table")
        return SequenceData(self.real, self.holdout, None, self.key, self.index, self.numeric,
                            self.flags, self.categorical, self.entities, self.note,
                            self.index_is_datetime)


def prepare_sequences(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Metadata,
    *,
    holdout: pd.DataFrame | None = None,
    max_entities: int = MAX_ENTITIES,
    rng: np.random.Generator | None = None,
) -> SequenceData:
    """Check the tables and group each one's events by ``metadata.sequence_key``.

    The event columns compared are the metadata's numerical, boolean and categorical columns
    other than the key and the index. A table with more than ``max_entities`` entities is cut
    to a random ``max_entities`` of them (drawn with ``rng``), so the cost stays bounded.
    """
    if not isinstance(metadata, Metadata) or metadata.sequence_key is None:
        raise ParameterError("The 'metadata' parameter must be a Metadata naming a "
                             "sequence_key (the column of each event's entity), e.g. "
                             "Metadata.detect(events, sequence_key='user'). Got "
                             f"{_describe(metadata)} instead.")
    check_param("max_entities", max_entities, "an integer >= 2",
                isinstance(max_entities, int | np.integer) and max_entities >= 2)
    rng = rng if rng is not None else np.random.default_rng(0)
    key, index = metadata.sequence_key, metadata.sequence_index
    frames = {"real": real, "synthetic": synthetic, "holdout": holdout}
    for label, frame in frames.items():
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"the {label} data must be a pandas DataFrame, got "
                            f"{type(frame).__name__}")
        for role, column in (("sequence_key", key), ("sequence_index", index)):
            if column is not None and column not in frame.columns:
                raise DataError(f"the {label} table has no column {column!r} (the metadata's "
                                f"{role}); its columns are {list(frame.columns)}")
    numeric, flags, categorical = [], [], []
    for column in real.columns:
        if column in (key, index) or column not in metadata:
            continue
        kind = metadata[column]
        target = numeric if isinstance(kind, Numerical) else flags if isinstance(
            kind, Boolean) else categorical if isinstance(kind, Categorical) else None
        if target is not None and all(column in f.columns for f in frames.values()
                                      if f is not None):
            target.append(column)
    counts: dict[str, int] = {}
    notes: list[str] = []
    built: dict[str, Sequences] = {}
    for label, frame in frames.items():
        if frame is None:
            continue
        total = int(pd.Series(frame[key]).nunique(dropna=True))
        counts[label] = total
        if total == 0:
            raise DataError(f"the {label} table has no entity: its sequence_key {key!r} is "
                            "null in every row")
        chosen = None
        if total > max_entities:
            chosen = np.sort(rng.choice(total, size=max_entities, replace=False))
            notes.append(f"{max_entities:,} of {total:,} {label} entities")
        built[label] = Sequences.from_frame(frame, key, index, numeric=numeric + flags,
                                            categorical=categorical, entities=chosen)
    return SequenceData(built["real"], built["synthetic"], built.get("holdout"), key, index,
                        numeric, flags, categorical, counts,
                        note=("a random subset: " + ", ".join(notes)) if notes else "",
                        index_is_datetime=index is not None and isinstance(metadata[index],
                                                                           Datetime))


def _describe(value: object) -> str:
    if isinstance(value, Metadata):
        return "a Metadata without a sequence_key"
    return type(value).__name__
