"""Aligning real, synthetic and holdout tables for evaluation, and turning them into features.

``prepare`` checks the tables share columns, picks the columns that can be compared (ids and
PII are generated fresh, so they are skipped and listed; free text is compared by figures of
its own, :mod:`simulacra.evaluation.text`, never as a category), converts datetime strings
to timestamps, compares a column of several parts (its kind's encoder says which, e.g. the
latitude and longitude of a point) as one number column per part (``<column><part>``), and
returns :class:`EvalData`: the tables, their column kinds, and one
:class:`~simulacra.evaluation.views.FrameView` per table that every metric shares.
:class:`Featurizer` (fitted on the real table) gives the two numeric views the metrics need: an
ordinal matrix for gradient-boosted trees and a scaled matrix for nearest-neighbour distances.

>>> import pandas as pd
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "a"]})
>>> data = prepare(real, real.copy())
>>> {column: kind.kind for column, kind in data.kinds.items()}
{'x': 'numerical', 'c': 'categorical'}
>>> Featurizer(data).distance(data.real_view).shape
(4, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from simulacra.encoders import encoder_class
from simulacra.errors import DataError
from simulacra.evaluation.views import FrameView
from simulacra.kinds import Categorical, ColumnKind, Numerical, Text
from simulacra.metadata import Metadata

OTHER_LABEL = "(other)"
#: Why a free-text column is not among the compared columns.
TEXT_SKIPPED = ("free text: compared by the text figures (lengths, vocabulary, detection, "
                "coherence, copies, n-gram leakage), not as a category")
T = TypeVar("T")


def is_free_text(kind: ColumnKind) -> bool:
    """Whether ``kind`` is free text, which no shape, trend, detection or privacy figure
    compares as a category: a column of distinct sentences would be one-hot encoded into
    thousands of one-row categories. (Asked of the kind, not of ``learned``: a text model
    that learns the column does not make its values categories.)

    >>> is_free_text(Text()), is_free_text(Categorical())
    (True, False)
    """
    return isinstance(kind, Text)


def compared_kind(kind: ColumnKind) -> bool:
    """Whether the table-wide figures compare a column of this kind: learned numbers, dates,
    points, categories and booleans; not ids, PII or free text."""
    return kind.learned and kind.family in ("continuous", "discrete") and not is_free_text(kind)


@dataclass
class EvalData:
    """Tables restricted to the comparable columns, datetimes as timestamps.

    ``kinds`` maps each compared column to its kind (a
    :class:`~simulacra.kinds.ColumnKind`, asked for its traits);
    ``real_view``, ``synth_view`` and ``holdout_view`` hold each table's per-column views,
    computed once for every metric.
    """

    real: pd.DataFrame
    synth: pd.DataFrame
    holdout: pd.DataFrame | None
    kinds: dict[str, ColumnKind]
    metadata: Metadata
    skipped: dict[str, str] = field(default_factory=dict)
    #: A column compared as several number columns (a point's latitude and longitude): its
    #: parts' names.
    parts: dict[str, list[str]] = field(default_factory=dict)
    views: dict[str, FrameView] = field(init=False, repr=False, compare=False)
    _shared: dict[Hashable, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.views = {name: FrameView(frame) for name, frame in
                      (("real", self.real), ("synthetic", self.synth), ("holdout", self.holdout))
                      if frame is not None}
        self._shared = {}

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What ``compute()`` returns, computed once for these tables and then shared
        (e.g. the binned codes that several fidelity figures read)."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    @property
    def real_view(self) -> FrameView:
        return self.views["real"]

    @property
    def synth_view(self) -> FrameView:
        return self.views["synthetic"]

    @property
    def holdout_view(self) -> FrameView:
        if self.holdout is None:
            raise DataError("this evaluation has no holdout table")
        return self.views["holdout"]

    @property
    def continuous(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k.family == "continuous"]

    @property
    def discrete(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k.family == "discrete"]

    def holdout_as_synthetic(self) -> EvalData:
        """The real table against the holdout in the synthetic's place (views shared)."""
        if self.holdout is None:
            raise DataError("this evaluation has no holdout table")
        out = EvalData(self.real, self.holdout, None, self.kinds, self.metadata, self.skipped)
        out.views = {"real": self.real_view, "synthetic": self.holdout_view}
        return out

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {"real": self.real, "synthetic": self.synth}
        if self.holdout is not None:
            out["holdout"] = self.holdout
        return out


def prepare(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    metadata: Metadata | None = None,
) -> EvalData:
    """Check and align the tables; never modifies them."""
    for label, frame in (("real", real), ("synthetic", synth), ("holdout", holdout)):
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"the {label} data must be a pandas DataFrame, got "
                            f"{type(frame).__name__}")
        if len(frame) == 0:
            raise DataError(f"the {label} table is empty; evaluation needs rows")
    metadata = metadata if metadata is not None else Metadata.detect(real)
    for label, frame in (("synthetic", synth), ("holdout", holdout)):
        if frame is None:
            continue
        missing = [c for c in real.columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in real.columns]
        if missing or extra:
            raise DataError(f"the {label} table's columns differ from the real table's: "
                            f"missing {missing}, extra {extra}")
    kinds: dict[str, ColumnKind] = {}
    skipped: dict[str, str] = {}
    parts: dict[str, list[str]] = {}  # a multi-part column → its parts' evaluated columns
    for column in real.columns:
        kind = metadata[column] if column in metadata else Categorical()
        if column == metadata.sequence_key:  # an entity id, whatever kind it was given
            skipped[column] = ("the sequence key: it names each event's entity, compared in "
                               "the sequence figures")
            continue
        if is_free_text(kind):
            skipped[column] = TEXT_SKIPPED
            continue
        if not compared_kind(kind) or real[column].isna().all():
            skipped[column] = ("all values are null" if compared_kind(kind)
                               else f"{kind.kind} columns are generated fresh, not learned")
            continue
        split = encoder_class(kind).components(real[column], kind)
        if split is None:
            kinds[column] = kind
            continue
        parts[column] = [column + part for part in split]
        kinds.update({name: Numerical() for name in parts[column]})

    def convert(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else convert_table(frame, kinds, parts, metadata)

    return EvalData(convert(real), convert(synth), convert(holdout), kinds, metadata,
                    skipped, parts)


def convert_table(frame: pd.DataFrame, kinds: dict[str, ColumnKind],
                  parts: dict[str, list[str]], metadata: Metadata) -> pd.DataFrame:
    """``frame`` as the metrics compare it: the compared columns only (``kinds``), a
    multi-part column as its parts (``parts``), dates as timestamps — the conversion
    :func:`prepare` applies, for a chunk of a larger table."""
    out = {}
    for column in frame.columns:
        if column in parts:  # each part as a number column of its own
            kind = metadata[column]
            split = encoder_class(kind).components(frame[column], kind) or {}
            out.update({column + part: values.reset_index(drop=True)
                        for part, values in split.items()})
        elif column in kinds:
            values = frame[column].reset_index(drop=True)
            kind = kinds[column]
            out[column] = _to_datetime(values, getattr(kind, "format", None)) \
                if kind.temporal else values
    return pd.DataFrame(out, columns=pd.Index(list(kinds), dtype=object))


def _to_datetime(column: pd.Series, fmt: str | None) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column
    values = column.astype("string") if fmt else column
    return pd.to_datetime(values, format=fmt, errors="coerce")


class Featurizer:
    """Numeric views of a table, learned from the real (training) table.

    * :meth:`ordinal` — floats with NaN for nulls, categories as codes (the ``max_categories`` − 1
      most frequent, the rest pooled): input for gradient-boosted trees; ``categorical_mask``
      marks the coded columns.
    * :meth:`distance` — each numeric column through the real data's empirical CDF (so it lies
      in [0, 1] whatever its scale or skew) plus a null flag if it has nulls; each categorical
      column one-hot over its most frequent values scaled by 1/√2, so two rows that differ in
      one category are at distance 1, as are rows at opposite ends of one numeric range.

    Both take a :class:`~simulacra.evaluation.views.FrameView` and optionally the positions of
    the rows wanted; the matrix of a whole table is computed once and then shared (read-only).
    """

    def __init__(self, data: EvalData, *, max_categories: int = 32) -> None:
        self._learn(data.kinds, data.real_view, max_categories)

    @classmethod
    def learned_from(cls, kinds: dict[str, ColumnKind], view: FrameView, *,
                     max_categories: int = 32) -> Featurizer:
        """A featurizer of the columns ``kinds`` learned from the table ``view``."""
        out = cls.__new__(cls)
        out._learn(kinds, view, max_categories)
        return out

    def _learn(self, kinds: dict[str, ColumnKind], view: FrameView, max_categories: int
               ) -> None:
        self.kinds = kinds
        self.sorted_: dict[str, np.ndarray] = {}
        self.has_null_: dict[str, bool] = {}
        self.categories_: dict[str, list[str]] = {}
        self._lookups: dict[str, pd.Index] = {}
        self._whole: dict[tuple[str, int], tuple[FrameView, np.ndarray]] = {}
        for column, kind in kinds.items():
            if kind.family == "continuous":
                values = view.floats(column)
                self.sorted_[column] = np.sort(values[~np.isnan(values)])
                self.has_null_[column] = bool(np.isnan(values).any())
            else:
                counts = pd.Series(view.labels(column)).value_counts(sort=True)
                self.categories_[column] = [str(c) for c in counts.index[: max_categories - 1]]
                self._lookups[column] = pd.Index(self.categories_[column])
        self.categorical_mask = np.array([k.family == "discrete" for k in kinds.values()])

    def ordinal(self, view: FrameView, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows × columns floats: numbers as they are (NaN for null), categories as codes."""
        return self._whole_or_rows(self._ordinal, view, rows)

    def distance(self, view: FrameView, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows × features float32 for Euclidean distances (see the class docstring)."""
        return self._whole_or_rows(self._distance, view, rows)

    def _whole_or_rows(self, build: Callable[[FrameView, np.ndarray | None], np.ndarray],
                       view: FrameView, rows: np.ndarray | None) -> np.ndarray:
        """``build(view, rows)``; the whole table's matrix is built once and then shared."""
        if rows is not None and not np.array_equal(rows, np.arange(len(view))):
            return build(view, rows)
        key = (build.__name__, id(view))
        kept = self._whole.get(key)
        if kept is None or kept[0] is not view:  # the view is kept, so its id stays its own
            kept = (view, build(view, None))
            kept[1].flags.writeable = False
            self._whole[key] = kept
        return kept[1]

    def _ordinal(self, view: FrameView, rows: np.ndarray | None) -> np.ndarray:
        cols = []
        for column, kind in self.kinds.items():
            if kind.family == "continuous":
                cols.append(_take(view.floats(column), rows))
            else:
                labels = _take(view.labels(column), rows)
                cols.append(self._codes(column, labels).astype(np.float64))
        return np.column_stack(cols) if cols else np.empty((_rows(view, rows), 0))

    def _distance(self, view: FrameView, rows: np.ndarray | None) -> np.ndarray:
        n = _rows(view, rows)
        blocks: list[np.ndarray] = []
        for column, kind in self.kinds.items():
            if kind.family == "continuous":
                values = _take(view.floats(column), rows)
                ref = self.sorted_[column]
                null = np.isnan(values)
                cdf = np.searchsorted(ref, np.where(null, 0, values), side="right") / max(
                    len(ref), 1)
                blocks.append(np.where(null, 0.0, cdf)[:, None])
                if self.has_null_[column]:
                    blocks.append(null.astype(np.float64)[:, None])
            else:
                codes = self._codes(column, _take(view.labels(column), rows))
                k = len(self.categories_[column]) + 1
                onehot = np.zeros((n, k))
                onehot[np.arange(n), codes] = 1 / np.sqrt(2)
                blocks.append(onehot)
        if not blocks:
            return np.empty((n, 0), dtype=np.float32)
        return np.hstack(blocks).astype(np.float32)

    def _codes(self, column: str, labels: np.ndarray) -> np.ndarray:
        """Codes 0..K-1 of the kept categories; K for anything else (rare or unseen)."""
        codes = self._lookups[column].get_indexer(labels)
        return np.where(codes < 0, len(self.categories_[column]), codes)


def _take(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def _rows(view: FrameView, rows: np.ndarray | None) -> int:
    return len(view) if rows is None else len(rows)
