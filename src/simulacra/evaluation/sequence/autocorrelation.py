"""Autocorrelation gap: do synthetic sequences keep the real ones' memory from event to event?

For each numerical event column, the autocorrelation at lags ``1..K`` is computed over all
entities at once:

1. centre the column on its mean over every event of the table: ``x̃ = x − mean(x)``;
2. the lag-``k`` autocovariance is the mean of ``x̃_t · x̃_{t+k}`` over every pair of events
   ``k`` apart *within one entity* (pairs never span two entities; nulls left out);
3. divide by the variance, the mean of ``x̃²`` over every event.

Averaging over pairs (not dividing by the number of events, as the textbook single-series
estimator does) keeps short sequences from pulling every lag towards 0, so a table of short
sequences and one of long sequences with the same dynamics get the same curve. The gap is
``|ACF_real(k) − ACF_synthetic(k)|`` per column and lag; the figures are its mean and its
maximum over columns and lags (a lag with fewer than 10 pairs on a side is left out).

>>> import numpy as np, pandas as pd
>>> from simulacra.metadata import Metadata
>>> from simulacra.evaluation.sequence.data import prepare_sequences
>>> x = np.repeat([2.5, 7.5], 50)            # two entities, each constant: ACF 1 at every lag
>>> real = pd.DataFrame({"user": np.repeat([1, 2], 50), "x": x})
>>> synth = real.assign(x=np.tile([2.5, 7.5], 50))   # alternating: ACF −1, +1, −1, …
>>> md = Metadata.detect(real, sequence_key="user")
>>> mean, worst = autocorrelation(prepare_sequences(real, synth, md), max_lag=2)
>>> round(mean.value, 3), round(worst.value, 3)
(1.0, 2.0)
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData, Sequences

#: The largest lag compared (or the median real sequence length − 1, when that is smaller).
MAX_LAG = 24
#: A lag needs at least this many event pairs on each side to be compared.
MIN_PAIRS = 10

DEFINITION = ("|ACF_real(k) − ACF_synthetic(k)| of each numerical event column at lags "
              "k = 1..K, the autocorrelation computed over all entities (centred on the "
              "column's mean over all events, products of events k apart within one entity, "
              "divided by the variance); {what} over columns and lags.")


def default_max_lag(data: SequenceData) -> int:
    """``min(24, median real sequence length − 1)``, at least 1."""
    lengths = data.real.lengths
    median = int(np.median(lengths)) if lengths.size else 1
    return max(1, min(MAX_LAG, median - 1))


def autocorrelation_function(seqs: Sequences, column: str, max_lag: int
                             ) -> tuple[np.ndarray, np.ndarray]:
    """ACF of ``column`` at lags ``1..max_lag`` over all entities pooled, and the pair counts.

    NaN where a lag has fewer than :data:`MIN_PAIRS` pairs or the column is constant.
    """
    x = seqs.values[column]
    with np.errstate(invalid="ignore"):
        centred = x - np.nanmean(x) if np.isfinite(x).any() else x
        variance = float(np.nanmean(centred * centred)) if np.isfinite(x).any() else math.nan
    acf = np.full(max_lag, np.nan)
    pairs = np.zeros(max_lag, dtype=np.int64)
    for k in range(1, max_lag + 1):
        first, second = seqs.lagged(k)
        products = centred[first] * centred[second]
        products = products[np.isfinite(products)]
        pairs[k - 1] = products.size
        if products.size >= MIN_PAIRS and variance > 0:
            acf[k - 1] = products.mean() / variance
    return acf, pairs


def autocorrelation(data: SequenceData, max_lag: int | None = None) -> list[Metric]:
    """The mean and the largest autocorrelation gap over numerical columns and lags.

    ``max_lag`` defaults to :func:`default_max_lag`. ``details`` hold, per column, both
    curves, the gap per lag and the column's mean gap. No numerical event column: ``[]``.
    """
    if not data.numeric:
        return []
    lags = default_max_lag(data) if max_lag is None else max_lag
    check_param("max_lag", max_lag, "None or an integer >= 1",
                isinstance(lags, int | np.integer) and lags >= 1)
    columns, gaps = [], []
    for column in data.numeric:
        real, real_pairs = autocorrelation_function(data.real, column, lags)
        synth, synth_pairs = autocorrelation_function(data.synth, column, lags)
        gap = np.abs(real - synth)
        gaps.append(gap)
        finite = gap[np.isfinite(gap)]
        columns.append({
            "column": column, "mean_gap": float(finite.mean()) if finite.size else None,
            "lags": [{"lag": k + 1, "real": real[k], "synthetic": synth[k], "gap": gap[k],
                      "real_pairs": int(real_pairs[k]), "synthetic_pairs": int(synth_pairs[k])}
                     for k in range(lags)]})
    every = np.concatenate(gaps)
    every = every[np.isfinite(every)]
    mean = float(every.mean()) if every.size else math.nan
    worst = float(every.max()) if every.size else math.nan
    note = data.note if every.size else (
        f"not computed: no lag up to {lags} has {MIN_PAIRS} pairs of events in both tables, "
        "or every numerical column is constant")
    details = {"max_lag": lags, "columns": columns}
    return [
        Metric("autocorrelation gap", "sequence", mean, definition=DEFINITION.format(
            what="mean"), direction="lower", ideal=0.0, note=note, details=details),
        Metric("autocorrelation gap (max)", "sequence", worst, definition=DEFINITION.format(
            what="largest"), direction="lower", ideal=0.0, note=note,
            details={"max_lag": lags}),
    ]
