"""Where a column's values end under a privacy budget: a generalized Pareto tail fitted to the
noisy fine histogram (post-processing of counts already released, so no further privacy cost).

The noise of a private histogram (σ ≈ 100 rows per cell for a 15-column table at ε = 1) hides
the last few dozen rows at either end of a column. Cutting the histogram where its cells stop
standing above the noise therefore truncates every range: Adult's ages ended at 72 instead of
90, its hours per week at 66 instead of 99. Since the synthetic table is then binned over a
shorter range than the real one, every measure that bins each table over its own range
(SDMetrics' column pair trends among them) suffers, and users see no old people at all.

By the Pickands–Balkema–de Haan theorem the exceedances over a high threshold follow a
generalized Pareto distribution (GPD). Its three parameters (the rows above the threshold,
shape ξ and scale) are fitted to the noisy counts of the tail's cells, the cells past the solid
ones included, by least squares weighted with each count's variance (the noise's σ² plus the
expected count), with a half-normal prior against heavy tails (ξ > 0). The end is put where the
fitted tail expects half a row beyond it: never before the last cell that stands above the
noise, never farther past it than twice the solid tail's width, never past the next
power-of-two bucket of the private bounds, and past the histogram's last edge only as far as
the rows counted in that bucket allow. The noise-only cells past the solid ones get the fitted
tail's expected counts instead of noise.

>>> edges = np.arange(0.0, 65.0)  # 64 unit cells; a tail whose last rows drown in the noise
>>> true = 30_000 * np.diff(-np.exp(-edges / 6.0))
>>> noisy = true + np.random.default_rng(0).normal(0, 100, 64)
>>> solid_end = int(np.flatnonzero(noisy >= 300)[-1]) + 1  # where cutting at the noise stops
>>> new_edges, new_mass = fit_tail(edges, noisy, sigma=100.0, floor=300.0, limit=128.0)
>>> solid_end, float(new_edges[-1]), bool(np.all(new_mass >= 0))
(16, 26.0, True)
"""

from __future__ import annotations

import math

import numpy as np

#: The threshold of the tail sits where this share of the column's mass lies beyond it.
TAIL_SHARE = 0.1
#: At least this many solid cells are fitted (the threshold moves inward when needed).
MIN_TAIL_CELLS = 3
#: The end is where the fitted tail expects this many rows beyond it.
ROWS_BEYOND_END = 0.5
#: The end lies at most this many times the tail's solid width (threshold to the last solid
#: cell) past the last solid cell: beyond the cells that stand above the noise, a heavy tail's
#: extrapolation is a guess.
MAX_REACH = 2.0
#: Standard deviation of a half-normal prior on a positive shape ξ: heavy tails are believed
#: only on strong evidence (a bounded tail, ξ < 0, is never pulled towards a heavy one).
SHAPE_PRIOR = 0.25
#: Shapes fitted: ξ < −1 is a density rising to a sharp end (a top-coded or bounded scale),
#: ξ > 1 a tail too heavy for any end to be placed.
SHAPE_RANGE = (-3.0, 1.0)


def gpd_survival(x: np.ndarray, shape: float, scale: float) -> np.ndarray:
    """P(X > x) of a generalized Pareto distribution at ``x >= 0``.

    >>> gpd_survival(np.array([0.0, 1.0]), 0.0, 1.0).round(4).tolist()
    [1.0, 0.3679]
    >>> gpd_survival(np.array([2.0, 3.0]), -0.5, 1.0).tolist()  # ends at scale / 0.5 = 2
    [0.0, 0.0]
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    if abs(shape) < 1e-9:
        return np.exp(-x / scale)
    z = 1.0 + shape * x / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(z > 0, np.exp(-np.log(np.maximum(z, 1e-300)) / shape), 0.0)
    return np.clip(out, 0.0, 1.0)


def gpd_quantile_beyond(rows: float, count: float, shape: float, scale: float) -> float:
    """Distance past the threshold beyond which ``count`` of ``rows`` exceedances are expected.

    >>> round(gpd_quantile_beyond(100.0, 1.0, 0.0, 2.0), 3)  # 2 · ln 100
    9.21
    """
    if rows <= count:
        return 0.0
    p = count / rows
    if abs(shape) < 1e-9:
        return scale * math.log(1.0 / p)
    return scale / shape * (p ** (-shape) - 1.0)


def fit_tail(edges: np.ndarray, mass: np.ndarray, *, sigma: float, floor: float,
             limit: float, rows_past: float = math.inf,
             integer: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a noisy histogram up to where its upper tail ends, and their masses.

    ``edges`` (K + 1, increasing) and ``mass`` (K noisy counts, not clipped; values above the
    last edge were counted in the last cell) describe the histogram; ``floor`` is the count a
    cell needs to stand above the noise of standard deviation ``sigma``; ``limit`` is the
    farthest the end may go (past the last edge the cells are extended at the last width) and
    ``rows_past`` the rows counted there (a noisy count: the fitted tail places no more rows
    past the last edge than that). The end may cut into the last solid cell, never further,
    and with ``integer`` it falls halfway between two whole numbers. Returns the edges up to
    the end and masses that are never negative: the solid cells keep their noisy counts, the
    cells past them get the fitted tail's expected counts. Without a usable fit the histogram
    is cut after its last solid cell.
    """
    edges = np.asarray(edges, dtype=float)
    mass = np.asarray(mass, dtype=float)
    solid = np.flatnonzero(mass >= floor)
    if solid.size == 0:
        return edges, np.maximum(mass, 0.0)
    last = int(solid[-1])
    fitted = _fit(edges, mass, sigma, int(solid[0]), last)
    if fitted is None:
        return edges[: last + 2], np.maximum(mass[: last + 1], 0.0)
    u, rows, shape, scale = fitted
    # past the last edge, the fitted tail may place no more rows than were counted there
    past_edge = rows * float(gpd_survival(np.array([edges[-1] - u]), shape, scale)[0])
    end = u + gpd_quantile_beyond(rows, max(past_edge - max(rows_past, 0.0), ROWS_BEYOND_END),
                                  shape, scale)
    reach = edges[last + 1] + MAX_REACH * (edges[last + 1] - u)
    end = float(np.clip(end, edges[last], max(min(limit, reach), edges[last + 1])))
    if integer:  # the end falls between two whole numbers
        end = math.floor(end + 0.5) + 0.5
    width = edges[-1] - edges[-2]
    if end > edges[-1]:
        extra = edges[-1] + width * np.arange(1, math.ceil((end - edges[-1]) / width - 1e-9) + 1)
        edges = np.concatenate([edges, extra])
    cells = max(int(np.searchsorted(edges, end, side="left")), last + 1)
    edges = edges[: cells + 1].copy()
    if edges[-2] < end < edges[-1]:  # the end cuts its cell
        edges[-1] = end
    survival = gpd_survival(edges - u, shape, scale)
    expected = rows * (survival[:-1] - survival[1:])
    out = np.zeros(len(edges) - 1)
    kept = min(len(out), len(mass))
    out[:kept] = mass[:kept]
    out[last + 1:] = expected[last + 1:]
    return edges, np.maximum(out, 0.0)


def fit_lower_tail(edges: np.ndarray, mass: np.ndarray, *, sigma: float, floor: float,
                   limit: float, rows_past: float = math.inf,
                   integer: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit_tail` for the lower end (``limit`` is the lowest the start may go)."""
    flipped, flipped_mass = fit_tail(-np.asarray(edges, float)[::-1],
                                     np.asarray(mass, float)[::-1], sigma=sigma, floor=floor,
                                     limit=-limit, rows_past=rows_past, integer=integer)
    return -flipped[::-1], flipped_mass[::-1]


def _fit(edges: np.ndarray, mass: np.ndarray, sigma: float, first: int,
         last: int) -> tuple[float, float, float, float] | None:
    """Threshold, exceedances, shape and scale of the upper tail; None if it cannot be fitted."""
    from scipy.optimize import minimize

    clipped = np.maximum(mass[first: last + 1], 0.0)
    above = np.cumsum(clipped[::-1])[::-1]  # mass in cell k and beyond (within the solid span)
    if above[0] <= 0:
        return None
    start = int(np.argmax(above <= TAIL_SHARE * above[0]))
    start = first + min(start, last - first + 1 - MIN_TAIL_CELLS)
    if start <= first:  # fewer solid cells than a tail needs
        return None
    u = float(edges[start])
    observed = mass[start:]
    offsets = edges[start:] - u
    tail_rows = float(np.maximum(observed, 0.0)[: last + 1 - start].sum())
    centres = (offsets[:-1] + offsets[1:]) / 2
    mean_excess = float(np.sum(np.maximum(observed[: last + 1 - start], 0.0)
                               * centres[: last + 1 - start]) / max(tail_rows, 1.0))

    def expected(theta: np.ndarray) -> np.ndarray:
        rows, shape, scale = math.exp(theta[0]), theta[1], math.exp(theta[2])
        s = gpd_survival(offsets, shape, scale)
        cells = s[:-1] - s[1:]
        cells[-1] = s[-2]  # the last cell also holds everything past the last edge
        return rows * cells

    def loss(theta: np.ndarray) -> float:
        if not SHAPE_RANGE[0] <= theta[1] <= SHAPE_RANGE[1]:
            return 1e30
        mu = expected(theta)
        return float(np.sum((observed - mu) ** 2 / (sigma ** 2 + np.maximum(mu, 0.0)))
                     + (max(theta[1], 0.0) / SHAPE_PRIOR) ** 2)

    best = None
    for shape0 in (-1.5, -0.4, 0.0, 0.3):
        theta0 = np.array([math.log(max(tail_rows, 1.0)), shape0,
                           math.log(max(mean_excess * (1 - max(shape0, -0.9)), 1e-9))])
        result = minimize(loss, theta0, method="Nelder-Mead",
                          options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 2000})
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    if best is None or best.fun >= 1e30:
        return None
    return u, math.exp(best.x[0]), float(best.x[1]), math.exp(best.x[2])
