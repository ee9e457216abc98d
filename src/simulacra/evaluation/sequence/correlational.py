"""Correlational score: are the columns correlated in synthetic sequences as in real ones?

Diffusion-TS's cross-correlation loss (Yuan & Qiao, "Diffusion-TS", ICLR 2024,
``Utils/cross_correlation.py`` and ``Experiments/metric_pytorch.ipynb``):

1. draw ``n = len(real units) // 5`` units of each side at random, with replacement;
2. standardize each feature over all drawn events of that side (mean, sample standard
   deviation);
3. for every pair of features ``i >= j`` (the lower triangle with the diagonal), average
   ``z_i · z_j`` over each unit's steps, then over units: the lag-0 cross-correlation;
4. the loss is ``Σ |C_synthetic − C_real| / 10`` over the pairs;

repeated 5 times; the score is the mean (and a 95 % Student-t interval, as Diffusion-TS's
``display_scores``). Lower is better, 0 ideal. The features are the numerical event columns
(standardized, so no scaling matters); a pair with a constant feature on a side is left out.
With one column the only pair is its variance (≈ 1 on both sides), so two are needed.

>>> rng = np.random.default_rng(0)
>>> a = rng.normal(size=(200, 12))
>>> together = [np.c_[x, x + rng.normal(0, 0.1, 12)] for x in a]
>>> apart = [np.c_[x, rng.normal(size=12)] for x in a]
>>> correlational_score(together, together, random_state=0)[0] < 0.01
True
>>> round(correlational_score(together, apart, random_state=0)[0], 1)    # |1 − 0| / 10
0.1
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.stats

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData, Sequences
from simulacra.evaluation.sequence.features import MAX_UNITS, WINDOW, as_units
from simulacra.randomness import RandomState, make_rng

#: Diffusion-TS's number of repeats (each on a fifth of the real units).
REPEATS = 5

DEFINITION = ("Σ over column pairs of |lag-0 cross-correlation (synthetic) − (real)| / 10, "
              "columns standardized, mean over 5 draws of a fifth of the units "
              "(Diffusion-TS's correlational score).")


def cross_correlation(units: list[np.ndarray]) -> np.ndarray:
    """Diffusion-TS's ``cacf_torch(x, max_lag=1).mean(0)[0]`` for units of any lengths: the
    mean over units of each unit's mean over steps of ``z_i · z_j``, for ``i >= j``."""
    events = np.concatenate(units)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-null column: NaN, said so
        mean = np.nanmean(events, axis=0)
        std = np.nanstd(events, axis=0, ddof=1)
        std = np.where(std > 0, std, np.nan)
        rows, cols = np.tril_indices(events.shape[1])
        per_unit = [np.nanmean(((u - mean) / std)[:, rows] * ((u - mean) / std)[:, cols], axis=0)
                    for u in units]
        return np.nanmean(np.vstack(per_unit), axis=0)


def correlational_score(real: Sequence[np.ndarray] | np.ndarray,
                        synthetic: Sequence[np.ndarray] | np.ndarray, *,
                        repeats: int = REPEATS, random_state: RandomState = 0
                        ) -> tuple[float, list[float]]:
    """The mean over ``repeats`` of the cross-correlation loss, and each repeat's loss."""
    check_param("repeats", repeats, "an integer >= 1", isinstance(repeats, int) and repeats >= 1)
    real_units, synth_units = as_units(real, "real"), as_units(synthetic, "synthetic")
    rng = make_rng(random_state)
    size = max(len(real_units) // repeats, 1)
    losses = []
    for _ in range(repeats):
        r = [real_units[i] for i in rng.integers(0, len(real_units), size)]
        s = [synth_units[i] for i in rng.integers(0, len(synth_units), size)]
        with np.errstate(invalid="ignore"):
            losses.append(float(np.nansum(np.abs(cross_correlation(s) - cross_correlation(r)))
                                / 10.0))
    return float(np.mean(losses)), losses


def correlational_metric(data: SequenceData, rng: np.random.Generator, *,
                         window: int = WINDOW, max_units: int = MAX_UNITS) -> Metric | None:
    """:func:`correlational_score` of the numerical event columns, units as the neural scores
    cut them (None with fewer than two numerical event columns)."""
    if len(data.numeric) < 2:
        return None
    real, synth = _units(data.real, data.numeric, window), _units(data.synth, data.numeric,
                                                                   window)
    notes = [data.note] if data.note else []
    for label, units in (("real", real), ("synthetic", synth)):
        if len(units) > max_units:
            notes.append(f"{label}: {max_units:,} of {len(units):,} units")
    real = [real[i] for i in np.sort(rng.permutation(len(real))[:max_units])]
    synth = [synth[i] for i in np.sort(rng.permutation(len(synth))[:max_units])]
    value, losses = correlational_score(real, synth, random_state=rng)
    ci = None
    if len(losses) > 1:
        half = scipy.stats.sem(losses) * scipy.stats.t.ppf(0.975, len(losses) - 1)
        ci = (value - half, value + half) if np.isfinite(half) else None
    rows, cols = np.tril_indices(len(data.numeric))
    real_c, synth_c = cross_correlation(real), cross_correlation(synth)
    pairs = [{"column_1": data.numeric[i], "column_2": data.numeric[j], "real": real_c[k],
              "synthetic": synth_c[k]} for k, (i, j) in enumerate(zip(rows, cols, strict=True))
             if i != j]
    return Metric("correlational score", "sequence", value, definition=DEFINITION,
                  direction="lower", ideal=0.0, ci=ci, note="; ".join(notes),
                  details={"repeats": losses, "window": window, "pairs": pairs})


def _units(seqs: Sequences, columns: list[str], window: int) -> list[np.ndarray]:
    matrix = np.column_stack([seqs.values[c] for c in columns])
    starts, stops = seqs.windows(window)
    return [matrix[a:b] for a, b in zip(starts, stops, strict=True)]
