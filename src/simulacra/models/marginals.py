"""Univariate marginals: each value's probability interval, and the quantile function.

Both the independent baseline and the Gaussian copula are built from these: ``interval``
gives the probability interval a value owns (wide for tied values), :func:`normal_scores` turns
it into a normal score, and ``from_uniform`` is the quantile function used for sampling.

* :class:`DiscreteMarginal` — codes of a discrete column, or a numeric column with few distinct
  values: the exact empirical distribution.
* :class:`ContinuousMarginal` — a numeric column with many distinct values: a quantile grid,
  linearly interpolated.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> m = DiscreteMarginal.fit(np.array([0, 0, 0, 1]))
>>> np.bincount(m.from_uniform(rng.random(10_000))) / 10_000
array([0.7495, 0.2505])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_EPS = 1e-9


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal density."""
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def normal_scores(marginal: Marginal, x: np.ndarray) -> np.ndarray:
    """E[Z | Z in the value's interval], Z standard normal: tied values share one score.

    For a value owning the probability interval [a, b) that is
    (φ(Φ⁻¹(a)) − φ(Φ⁻¹(b))) / (b − a); zero-width intervals give Φ⁻¹(a). Unlike spreading ties
    at random, this adds no noise, so two columns that determine each other get correlation
    one.

    >>> m = DiscreteMarginal.fit(np.array([0, 1]))
    >>> np.round(normal_scores(m, np.array([0, 1])), 4).tolist()
    [-0.7979, 0.7979]
    """
    from scipy.special import ndtri

    left, right = marginal.interval(x)
    left = np.clip(left, _EPS, 1 - _EPS)
    right = np.clip(right, _EPS, 1 - _EPS)
    width = right - left
    a, b = ndtri(left), ndtri(right)
    wide = width > 1e-12
    out = ndtri((left + right) / 2)
    out[wide] = (_phi(a[wide]) - _phi(b[wide])) / width[wide]
    return out


@dataclass
class DiscreteMarginal:
    """Exact distribution over sorted support values with cumulative probabilities."""

    values: np.ndarray  # (K,) sorted support
    cumulative: np.ndarray  # (K,) cumulative probability, last == 1

    @classmethod
    def fit(cls, x: np.ndarray) -> DiscreteMarginal:
        values, counts = np.unique(x, return_counts=True)
        return cls(values, np.cumsum(counts) / counts.sum())

    def interval(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each value's probability interval [left, right) under the distribution."""
        idx = np.clip(np.searchsorted(self.values, x), 0, len(self.values) - 1)
        right = self.cumulative[idx]
        left = np.where(idx > 0, self.cumulative[idx - 1], 0.0)
        return left, right

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.cumulative, u, side="right")
        return self.values[np.minimum(idx, len(self.values) - 1)]

    def get_state(self) -> dict[str, Any]:
        return {"type": "discrete", "values": self.values, "cumulative": self.cumulative}


@dataclass
class ContinuousMarginal:
    """A piecewise-linear quantile function: ``quantiles`` at ``probs`` (a regular grid of
    ``len(quantiles)`` probabilities when not given). Two knots of one value make it an atom."""

    quantiles: np.ndarray  # (G,) values at probabilities self._probs
    probs: np.ndarray | None = None  # (G,) from 0 to 1, None: linspace(0, 1, G)

    def __post_init__(self) -> None:
        self._probs = np.linspace(0.0, 1.0, len(self.quantiles)) if self.probs is None \
            else np.asarray(self.probs, dtype=np.float64)

    @classmethod
    def fit(cls, x: np.ndarray, grid: int) -> ContinuousMarginal:
        probs = np.linspace(0.0, 1.0, grid)
        return cls(np.quantile(x.astype(np.float64), probs))

    @classmethod
    def smoothed(cls, values: np.ndarray, counts: np.ndarray, min_count: int
                 ) -> ContinuousMarginal:
        """Values seen ``min_count`` times or more kept exactly, the rarer ones' mass spread
        between their neighbours (value protection without losing a column's round values).

        Each frequent value owns its probability interval (two knots, an atom); a rare one is
        a single knot at the middle of its interval, so draws pass through the region it
        held but never land on it (the first and last, if rare, hold the ends of [0, 1]).

        >>> m = ContinuousMarginal.smoothed(np.array([1.0, 2.0, 2.5, 3.0]),
        ...                                 np.array([5, 5, 1, 5]), min_count=5)
        >>> m.from_uniform(np.array([0.1, 0.5, 0.9])).tolist()  # the atoms 1, 2 and 3
        [1.0, 2.0, 3.0]
        >>> m.from_uniform(np.array([0.64, 0.67])).round(2).tolist()  # the rare 2.5's mass
        [2.24, 2.72]
        """
        cumulative = np.cumsum(counts) / counts.sum()
        left = cumulative - counts / counts.sum()
        probs: list[float] = []
        knots: list[float] = []
        for value, count, low, high in zip(values, counts, left, cumulative, strict=True):
            if count >= min_count:
                probs += [low, high]
                knots += [value, value]
            else:
                probs.append((low + high) / 2)
                knots.append(value)
        probs[0], probs[-1] = 0.0, 1.0
        grid = np.asarray(probs, dtype=np.float64)
        # one atom ending where the next begins: the step between them, a ramp of width 1e-12
        for i in range(1, len(grid)):
            grid[i] = max(grid[i], grid[i - 1] + 1e-12)
        grid[-1] = 1.0
        return cls(np.asarray(knots, dtype=np.float64), grid)

    def interval(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each value's probability interval (zero width unless it fills a run of quantiles)."""
        probs = self._probs
        left = np.interp(x, self.quantiles, probs, left=0.0, right=1.0)
        # a value that fills a run of equal quantiles owns that whole probability run
        hi = np.searchsorted(self.quantiles, x, side="right")
        lo = np.searchsorted(self.quantiles, x, side="left")
        tied = hi - lo > 1
        last = len(probs) - 1
        left = np.where(tied, probs[np.minimum(lo, last)], left)
        right = np.where(tied, probs[np.minimum(hi - 1, last)], left)
        return left, right

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return np.interp(u, self._probs, self.quantiles)

    def get_state(self) -> dict[str, Any]:
        state = {"type": "continuous", "quantiles": self.quantiles}
        if self.probs is not None:
            state["probs"] = self._probs
        return state


Marginal = DiscreteMarginal | ContinuousMarginal


def fit_marginal(x: np.ndarray, *, discrete: bool, resolution: int,
                 min_count: int = 1) -> Marginal:
    """Exact distribution for discrete columns or ≤ ``resolution`` distinct values, else a grid.

    With ``min_count`` > 1 (value protection), a numeric column keeps its exact distribution
    only if every value is seen at least ``min_count`` times; with rarer values among at most
    ``resolution`` distinct ones, the frequent values stay exact and the rare ones' mass is
    spread between their neighbours (:meth:`ContinuousMarginal.smoothed`: credit limits keep
    their round amounts, a limit seen twice is not re-emitted); with more distinct values the
    quantile grid smooths the column, so nearly unique values are not re-emitted one by one.

    >>> x = np.arange(200.0)
    >>> type(fit_marginal(x, discrete=False, resolution=1000)).__name__
    'DiscreteMarginal'
    >>> type(fit_marginal(x, discrete=False, resolution=1000, min_count=5)).__name__
    'ContinuousMarginal'
    >>> type(fit_marginal(np.repeat(x, 5), discrete=False, resolution=1000, min_count=5)).__name__
    'DiscreteMarginal'
    """
    if discrete:
        return DiscreteMarginal.fit(x)
    values, counts = np.unique(x, return_counts=True)
    if len(values) <= resolution and (min_count <= 1 or counts.min() >= min_count):
        return DiscreteMarginal.fit(x)
    if len(values) <= resolution and (counts >= min_count).any():
        return ContinuousMarginal.smoothed(values, counts, min_count)
    return ContinuousMarginal.fit(x, resolution + 1)


def marginal_from_state(state: dict[str, Any], column: str = "?") -> Marginal:
    """The marginal :meth:`get_state` saved for ``column``; a ``ValueError`` naming the column
    unless its arrays have the layout a fit gives (a model file is untrusted: arrays swapped
    in it must not sample silently).

    >>> marginal_from_state({"type": "discrete", "values": np.array([3.0, 1.0]),
    ...                      "cumulative": np.array([0.5, 1.0])}, "age")
    Traceback (most recent call last):
    ...
    ValueError: the model file's marginal of 'age' has values that are not increasing
    """
    if state["type"] == "discrete":
        values, cumulative = _vector(state["values"], column), _vector(state["cumulative"], column)
        if len(values) != len(cumulative) or len(values) == 0:
            raise ValueError(f"the model file's marginal of {column!r} has {len(values)} values "
                             f"and {len(cumulative)} cumulative probabilities")
        _check_increasing(values, column, "values", strict=True)
        _check_increasing(cumulative, column, "cumulative probabilities", strict=False)
        if cumulative[0] < 0 or abs(cumulative[-1] - 1) > 1e-6:
            raise ValueError(f"the model file's marginal of {column!r} has cumulative "
                             "probabilities that do not run from 0 to 1")
        return DiscreteMarginal(values, cumulative)
    if state["type"] != "continuous":
        raise ValueError(f"the model file's marginal of {column!r} has an unknown type")
    quantiles = _vector(state["quantiles"], column)
    if len(quantiles) < 2:
        raise ValueError(f"the model file's marginal of {column!r} has fewer than 2 quantiles")
    _check_increasing(quantiles, column, "quantiles", strict=False)
    if "probs" not in state:
        return ContinuousMarginal(quantiles)
    probs = _vector(state["probs"], column)
    if len(probs) != len(quantiles) or probs[0] != 0 or probs[-1] != 1:
        raise ValueError(f"the model file's marginal of {column!r} has {len(probs)} "
                         f"probabilities for {len(quantiles)} quantiles, or they do not run "
                         "from 0 to 1")
    _check_increasing(probs, column, "probabilities", strict=True)
    return ContinuousMarginal(quantiles, probs)


def _vector(value: Any, column: str) -> np.ndarray:
    """``value`` as a 1-D array of finite numbers (else a ``ValueError`` naming the column)."""
    array = np.asarray(value)
    if array.ndim != 1 or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
        raise ValueError(f"the model file's marginal of {column!r} holds an array of shape "
                         f"{array.shape} and dtype {array.dtype}, not finite numbers in a row")
    return array


def _check_increasing(array: np.ndarray, column: str, what: str, *, strict: bool) -> None:
    steps = np.diff(array)
    if (steps <= 0).any() if strict else (steps < 0).any():
        raise ValueError(f"the model file's marginal of {column!r} has {what} that are not "
                         "increasing")


def fit_marginals(
    encoded: dict[str, np.ndarray], columns: list, resolution: int, min_count: int = 1
) -> dict[str, Marginal]:
    """One marginal per encoded column (``columns``: the table encoder's EncodedColumn list)."""
    return {c.name: fit_marginal(encoded[c.name], discrete=c.output == "discrete",
                                 resolution=resolution, min_count=min_count) for c in columns}
