"""Event features for the neural sequence scores: min-max scaled, cut into units.

TimeGAN's post-hoc discriminator and predictor read each sequence as a ``(T, F)`` matrix of
features scaled to [0, 1] by a min-max scaler learned from the real data. For an event table
the features of one event are, in this order:

1. the time since the entity's previous event, ``log(1 + gap)`` (0 for the first event) —
   only with a ``sequence_index``;
2. the numerical event columns, then the boolean ones (0/1);
3. each categorical column one-hot over its most frequent real categories (others all 0);
4. the predictive score's target (by default the last numerical column) comes last, since
   TimeGAN predicts the last feature.

Every feature is scaled as ``(x - min) / (max - min + 1e-7)`` with the real events' min and
max (TimeGAN's ``MinMaxScaler``); synthetic values outside the real range stay outside [0, 1].
Nulls stay NaN here; the networks read them as 0 and the predictor does not score them.

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> from simulacra.evaluation.sequence.data import prepare_sequences
>>> events = pd.DataFrame({"user": [1, 1, 1, 2, 2], "t": [0, 1, 3, 0, 5],
...                        "x": [1.0, 2.0, 3.0, 5.0, 4.0]})
>>> md = Metadata.detect(events, sequence_key="user", sequence_index="t")
>>> data = prepare_sequences(events, events, md)
>>> features = SequenceFeatures(data)
>>> features.names
['gap', 'x']
>>> [unit.shape for unit in features.units(data.real, window=24)]
[(3, 2), (2, 2)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.sequence.data import SequenceData, Sequences

#: One-hot features per categorical column, at most (the most frequent real categories).
MAX_CATEGORIES = 8
#: Units (sequences or windows) per table the neural scores read, at most.
MAX_UNITS = 10_000
#: TimeGAN's sequence length: longer sequences are cut into windows of about this many events.
WINDOW = 24
#: TimeGAN's MinMaxScaler adds this to the range so a constant column does not divide by 0.
SCALE_EPSILON = 1e-7


class SequenceFeatures:
    """The feature matrix of each unit of a table's sequences, scaled as the real data's."""

    def __init__(self, data: SequenceData, *, target: str | None = None,
                 max_categories: int = MAX_CATEGORIES) -> None:
        if target is not None and target not in data.numeric:
            raise ParameterError(f"The 'target' parameter must be a numerical event column "
                                 f"{data.numeric}. Got {target!r} instead.")
        self.target = target if target is not None else (data.numeric[-1] if data.numeric
                                                         else None)
        self.with_gap = data.index is not None
        self.columns = [c for c in data.numeric if c != self.target] + data.flags
        self.categories: dict[str, np.ndarray] = {}
        for column in data.categorical:
            labels, counts = np.unique(data.real.labels[column], return_counts=True)
            keep = labels[np.argsort(-counts, kind="stable")[:max_categories]]
            self.categories[column] = np.sort(keep)
        self.names = (["gap"] if self.with_gap else []) + self.columns + [
            f"{c}={v}" for c, values in self.categories.items() for v in values] + (
            [self.target] if self.target is not None else [])
        raw = self._raw(data.real)
        finite = np.where(np.isfinite(raw), raw, np.nan)
        low = np.fmin.reduce(finite, axis=0) if len(raw) else np.zeros(raw.shape[1])
        high = np.fmax.reduce(finite, axis=0) if len(raw) else np.ones(raw.shape[1])
        self.min_ = np.nan_to_num(low, nan=0.0)     # a column null in every real event: 0
        self.range_ = np.nan_to_num(high - low, nan=0.0) + SCALE_EPSILON

    @property
    def size(self) -> int:
        return len(self.names)

    def matrix(self, seqs: Sequences) -> np.ndarray:
        """Events × features of ``seqs``, scaled (NaN where a value is null)."""
        return ((self._raw(seqs) - self.min_) / self.range_).astype(np.float32)

    def units(self, seqs: Sequences, window: int) -> list[np.ndarray]:
        """One scaled ``(T, F)`` matrix per unit (see :meth:`Sequences.windows`)."""
        matrix = self.matrix(seqs)
        starts, stops = seqs.windows(window)
        return [matrix[a:b] for a, b in zip(starts, stops, strict=True)]

    def sample_units(self, seqs: Sequences, window: int, max_units: int,
                     rng: np.random.Generator) -> tuple[list[np.ndarray], str]:
        """:meth:`units`, a random ``max_units`` of them when there are more, and a note."""
        units = self.units(seqs, window)
        if len(units) <= max_units:
            return units, ""
        keep = np.sort(rng.choice(len(units), size=max_units, replace=False))
        return [units[i] for i in keep], f"{max_units:,} of {len(units):,} units"

    def _raw(self, seqs: Sequences) -> np.ndarray:
        n = len(seqs.entity)
        blocks: list[np.ndarray] = []
        if self.with_gap:
            assert seqs.time is not None
            gap = np.zeros(n)
            if n > 1:
                step = np.diff(seqs.time)
                same = np.diff(seqs.entity) == 0
                gap[1:] = np.where(same, step, 0.0)
            blocks.append(np.log1p(np.maximum(gap, 0.0))[:, None])
        blocks += [seqs.values[c][:, None] for c in self.columns]
        for column, values in self.categories.items():
            blocks.append((seqs.labels[column][:, None] == values[None, :]).astype(np.float64))
        if self.target is not None:
            blocks.append(seqs.values[self.target][:, None])
        return np.hstack(blocks) if blocks else np.empty((n, 0))


def as_units(units: Sequence[np.ndarray] | np.ndarray, label: str) -> list[np.ndarray]:
    """Units as a list of float32 ``(T, F)`` arrays (a 3-D array is a stack of windows)."""
    out = [np.asarray(u, dtype=np.float32) for u in units]
    if not out or any(u.ndim != 2 or len(u) == 0 for u in out):
        raise ParameterError(f"The {label!r} units must be a non-empty list of (T, F) arrays "
                             "with T >= 1, or an (N, T, F) array of windows.")
    if len({u.shape[1] for u in out}) > 1:
        raise ParameterError(f"The {label!r} units must all have the same number of features.")
    return out


def check_training(**values: int) -> None:
    """Each of ``values`` (iterations, batch size, layers, …) must be an integer >= 1."""
    for name, value in values.items():
        check_param(name, value, "an integer >= 1", isinstance(value, int | np.integer)
                    and not isinstance(value, bool) and value >= 1)
