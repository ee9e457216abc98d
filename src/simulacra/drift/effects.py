"""Effect sizes: how large a column's change is, beside whether it is significant.

* :func:`psi` — the population stability index, ``Σ (c − r) · ln(c / r)`` over bins, ``r`` and
  ``c`` the reference's and current's shares. Bins are the reference's deciles for numbers and
  datetimes (plus one bin for nulls), the labels for categories (nulls a label of their own);
  a share of 0 counts as :data:`EMPTY_SHARE`. Usual reading: < 0.1 stable, 0.1–0.25 a moderate
  shift, > 0.25 a major one.
* :func:`jensen_shannon` — the Jensen–Shannon *distance* (the square root of the divergence,
  base 2, so in [0, 1]) between the same binned shares.
* :func:`wasserstein` — the Wasserstein-1 (earth mover's) distance between the non-null values,
  divided by the reference's standard deviation, so 0.1 means "moved by a tenth of a standard
  deviation" whatever the unit. Numbers and datetimes only.

>>> ref = np.array([0.5, 0.5])
>>> round(psi(ref, np.array([0.6, 0.4])), 4), round(jensen_shannon(ref, np.array([0.6, 0.4])), 4)
(0.0405, 0.0854)
>>> round(wasserstein(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])), 4)
0.8944
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

from simulacra.evaluation.views import MISSING_LABEL

#: A bin's share of 0 is replaced by this in the PSI (whose logarithm would be infinite).
EMPTY_SHARE = 1e-4
#: Numbers are binned at the reference's quantiles into this many bins for PSI and JS.
QUANTILE_BINS = 10


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two vectors of shares over the same bins."""
    r = np.maximum(reference, EMPTY_SHARE)
    c = np.maximum(current, EMPTY_SHARE)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen–Shannon distance (base 2, in [0, 1]) of two vectors of shares."""
    return float(distance.jensenshannon(reference, current, base=2))


def wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """Wasserstein-1 distance of the non-null values over the reference's standard deviation.

    NaN when a side has no value; infinite when the reference is constant and the current is
    not (0 when both are the same constant).
    """
    r, c = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if r.size == 0 or c.size == 0:
        return math.nan
    moved = float(stats.wasserstein_distance(r, c))
    scale = float(np.std(r))
    if scale == 0:
        return 0.0 if moved == 0 else math.inf
    return moved / scale


def numeric_shares(reference: np.ndarray, current: np.ndarray, bins: int = QUANTILE_BINS
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' shares over the reference's quantile bins of numbers, nulls as a last bin.

    >>> r, c = numeric_shares(np.arange(10.0), np.array([0.0, 9.0, np.nan, np.nan]), bins=2)
    >>> r.tolist(), c.tolist()
    ([0.5, 0.5, 0.0], [0.25, 0.25, 0.5])
    """
    present = reference[~np.isnan(reference)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])) \
        if present.size else np.array([])

    def shares(values: np.ndarray) -> np.ndarray:
        null = np.isnan(values)
        codes = np.where(null, len(edges) + 1, np.searchsorted(edges, values, side="right"))
        return np.bincount(codes, minlength=len(edges) + 2) / max(values.size, 1)

    return shares(reference), shares(current)


def binned_shares(reference: np.ndarray, current: np.ndarray, *, continuous: bool,
                  temporal: bool = False) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The bins PSI and Jensen–Shannon read, named, with both sides' shares: the reference's
    quantile bins for numbers (``temporal``: seconds, named as dates), nulls last; the labels
    for categories.

    >>> names, r, c = binned_shares(np.arange(10.0), np.array([0.0, 9.0, np.nan]),
    ...                             continuous=True)
    >>> names[:2], names[-1], r.tolist()[-1], round(c.tolist()[-1], 3)
    (['< 0.9', '0.9 – 1.8'], 'null', 0.0, 0.333)
    """
    if not continuous:
        labels = pd.unique(pd.Series(np.concatenate([reference, current]), dtype=object))
        r, c = label_shares(reference, current)
        return [str(label) for label in labels], r, c
    r, c = numeric_shares(reference, current)
    present = reference[~np.isnan(reference)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, QUANTILE_BINS + 1)[1:-1])) \
        if present.size else np.array([])
    shown = [_edge_text(e, temporal) for e in edges]
    if not shown:
        return ["all values", "null"], r, c
    names = [f"< {shown[0]}"] + [f"{a} – {b}" for a, b in itertools.pairwise(shown)]
    return [*names, f"≥ {shown[-1]}", "null"], r, c


def _edge_text(value: float, temporal: bool) -> str:
    if temporal:
        return str(pd.Timestamp(value, unit="s").round("s")).removesuffix(" 00:00:00")
    return f"{value:.4g}"


def label_shares(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' shares over the union of their labels.

    >>> r, c = label_shares(np.array(["a", "a", "b"], dtype=object), np.array(["c"], dtype=object))
    >>> r.round(3).tolist(), c.tolist()
    ([0.667, 0.333, 0.0], [0.0, 0.0, 1.0])
    """
    codes, uniques = pd.factorize(pd.Series(np.concatenate([reference, current]), dtype=object))
    k = len(uniques)
    r = np.bincount(codes[: len(reference)], minlength=k) / max(len(reference), 1)
    c = np.bincount(codes[len(reference):], minlength=k) / max(len(current), 1)
    return r, c


def missing_share(labels_or_values: np.ndarray) -> float:
    """Share of nulls: NaN among floats, ``(missing)`` among labels."""
    if labels_or_values.size == 0:
        return math.nan
    if labels_or_values.dtype == object:
        return float(np.mean(labels_or_values == MISSING_LABEL))
    return float(np.mean(np.isnan(labels_or_values)))
