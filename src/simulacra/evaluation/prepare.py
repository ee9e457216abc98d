"""Aligning real, synthetic and holdout tables for evaluation, and turning them into features.

``prepare`` checks the tables share columns, picks the columns that can be compared (ids,
PII and free text are generated fresh, so they are skipped and listed), converts datetime strings
to timestamps, and returns :class:`EvalData`. :class:`Featurizer` (fitted on the real table)
gives the two numeric views the metrics need: an ordinal matrix for gradient-boosted trees and
a scaled matrix for nearest-neighbour distances.

>>> import pandas as pd
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "a"]})
>>> data = prepare(real, real.copy())
>>> data.kinds
{'x': 'numerical', 'c': 'categorical'}
>>> Featurizer(data).distance(real).shape
(4, 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulacra.errors import DataError
from simulacra.metadata import Metadata

EVALUATED_KINDS = ("numerical", "datetime", "categorical", "boolean")
MISSING_LABEL = "(missing)"
OTHER_LABEL = "(other)"


@dataclass
class EvalData:
    """Tables restricted to the comparable columns, datetimes as timestamps."""

    real: pd.DataFrame
    synth: pd.DataFrame
    holdout: pd.DataFrame | None
    kinds: dict[str, str]
    metadata: Metadata
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def continuous(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k in ("numerical", "datetime")]

    @property
    def discrete(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k in ("categorical", "boolean")]

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
    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for column in real.columns:
        kind = metadata[column].kind if column in metadata else "categorical"
        if kind in EVALUATED_KINDS and not real[column].isna().all():
            kinds[column] = kind
        else:
            skipped[column] = ("all values are null" if kind in EVALUATED_KINDS
                               else f"{kind} columns are generated fresh, not learned")
    columns = list(kinds)

    def convert(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None:
            return None
        out = frame[columns].reset_index(drop=True)
        for column, kind in kinds.items():
            if kind == "datetime":
                out[column] = _to_datetime(out[column], getattr(metadata[column], "format", None))
        return out

    return EvalData(convert(real), convert(synth), convert(holdout), kinds, metadata,
                    skipped)


def _to_datetime(column: pd.Series, fmt: str | None) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column
    values = column.astype("string") if fmt else column
    return pd.to_datetime(values, format=fmt, errors="coerce")


def as_float(column: pd.Series) -> np.ndarray:
    """Numbers as float64; datetimes as seconds since the epoch; nulls as NaN."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.to_numpy(dtype="datetime64[ns]")
        out = values.astype("int64").astype(np.float64) / 1e9
        out[np.isnat(values)] = np.nan
        return out
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def as_labels(column: pd.Series) -> np.ndarray:
    """Category labels as strings, nulls as ``(missing)`` (so nulls are a category of their own)."""
    out = column.astype(object).where(column.notna(), MISSING_LABEL)
    return out.map(str).to_numpy(dtype=object)


class Featurizer:
    """Numeric views of a table, learned from the real (training) table.

    * :meth:`ordinal` — floats with NaN for nulls, categories as codes (the ``max_categories`` − 1
      most frequent, the rest pooled): input for gradient-boosted trees; ``categorical_mask``
      marks the coded columns.
    * :meth:`distance` — each numeric column through the real data's empirical CDF (so it lies
      in [0, 1] whatever its scale or skew) plus a null flag if it has nulls; each categorical
      column one-hot over its most frequent values scaled by 1/√2, so two rows that differ in
      one category are at distance 1, as are rows at opposite ends of one numeric range.
    """

    def __init__(self, data: EvalData, *, max_categories: int = 32) -> None:
        self.kinds = data.kinds
        real = data.real
        self.sorted_: dict[str, np.ndarray] = {}
        self.has_null_: dict[str, bool] = {}
        self.categories_: dict[str, list[str]] = {}
        for column in data.continuous:
            values = as_float(real[column])
            self.sorted_[column] = np.sort(values[~np.isnan(values)])
            self.has_null_[column] = bool(np.isnan(values).any())
        for column in data.discrete:
            counts = pd.Series(as_labels(real[column])).value_counts(sort=True)
            self.categories_[column] = [str(c) for c in counts.index[: max_categories - 1]]
        self.categorical_mask = np.array([k in ("categorical", "boolean")
                                          for k in self.kinds.values()])

    def ordinal(self, frame: pd.DataFrame) -> np.ndarray:
        cols = []
        for column, kind in self.kinds.items():
            if kind in ("numerical", "datetime"):
                cols.append(as_float(frame[column]))
            else:
                cols.append(self._codes(frame[column]).astype(np.float64))
        return np.column_stack(cols) if cols else np.empty((len(frame), 0))

    def distance(self, frame: pd.DataFrame) -> np.ndarray:
        blocks: list[np.ndarray] = []
        for column, kind in self.kinds.items():
            if kind in ("numerical", "datetime"):
                values = as_float(frame[column])
                ref = self.sorted_[column]
                null = np.isnan(values)
                cdf = np.searchsorted(ref, np.where(null, 0, values), side="right") / max(
                    len(ref), 1)
                blocks.append(np.where(null, 0.0, cdf)[:, None])
                if self.has_null_[column]:
                    blocks.append(null.astype(np.float64)[:, None])
            else:
                codes = self._codes(frame[column])
                k = len(self.categories_[column]) + 1
                onehot = np.zeros((len(frame), k))
                onehot[np.arange(len(frame)), codes] = 1 / np.sqrt(2)
                blocks.append(onehot)
        if not blocks:
            return np.empty((len(frame), 0), dtype=np.float32)
        return np.hstack(blocks).astype(np.float32)

    def _codes(self, column: pd.Series) -> np.ndarray:
        """Codes 0..K-1 of the kept categories; K for anything else (rare or unseen)."""
        cats = self.categories_[column.name]
        lookup = pd.Index(cats)
        codes = lookup.get_indexer(as_labels(column))
        return np.where(codes < 0, len(cats), codes)
