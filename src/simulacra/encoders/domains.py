"""Domains of the binned codec: one column's values ↔ integer codes, with or without DP.

A column has a null code when it has nulls; under a privacy budget, when its noisy null count
(measured with the same histogram as its values) passes 3σ, so that noise alone does not put
nulls into a column that has none. Under a privacy budget:

* categories come from metadata when declared, else from a stable histogram: only values
  whose noisy count passes a threshold are kept; the rest share one ``other`` code, decoded as
  a kept category drawn by noisy frequency;
* numeric bounds come from metadata when declared, else from a noisy histogram over
  power-of-two buckets (never copied from the data); frequent exact values (e.g. 0 in a
  "capital gain" column) get codes of their own; interval bins are cut at quantiles of a
  noisy fine histogram, which also spreads decoded values within each bin (released twice at
  half its share: the second time over where the first found the values, when they fill a
  small part of the bounds — see ``_private_cells``).

Without a budget the same steps run with exact counts.

>>> rng = np.random.default_rng(0)
>>> col = NumericDomain.fit(pd.Series([0.0] * 50 + list(range(1, 51))), bins=8, integer=True,
...                         declared=(None, None), budget=None, rng=rng)
>>> col.atoms_, col.size  # 0 is an atom; 7 intervals share the other codes
([0.0], 8)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from simulacra.encoders.private_bounds import PowerBuckets, private_bounds, warn_fallback
from simulacra.encoders.private_tails import fit_lower_tail, fit_tail
from simulacra.privacy.mechanisms import frequent_values, gaussian_counts

#: Cells of the fine histogram that sets bin edges and spreads values within a bin.
FINE_CELLS = 1024
#: Under DP: fewer, fuller cells, so that counts stand above the noise.
FINE_CELLS_PRIVATE = 64
#: Under DP, a cell of the fine histogram stands above the noise when its noisy mass passes a
#: threshold that an empty cell crosses with this probability across the whole histogram.
TAIL_FALSE_ALARM = 0.1
#: Under DP, a fine histogram counts as empty (every value an atom) unless a cell or the sum of
#: its cells passes what noise alone reaches with this probability.
NO_VALUES_FALSE_ALARM = 1e-3
#: Under DP, the fine histogram is counted again over where its values are when that span is
#: at most this fraction of it (see ``_private_cells``).
ZOOM_FACTOR = 4


class Budget:
    """The ρ (and threshold δ) one column may spend, and a ledger to record it in."""

    def __init__(self, ledger: Any, rho: float, delta: float, column: str) -> None:
        self.ledger, self.rho, self.delta, self.column = ledger, rho, delta, column

    def spend(self, what: str, rho: float, delta: float = 0.0) -> float:
        self.ledger.spend("metadata", f"{self.column}: {what}", rho, delta)
        return rho


class CategoricalDomain:
    """Codes ``0..k-1`` for the kept values, then ``other`` (under DP) and ``null``."""

    def __init__(self, values: list[Any], weights: np.ndarray, has_other: bool,
                 nullable: bool = True) -> None:
        self.values_ = values
        self.weights_ = weights
        self.has_other_ = has_other
        self.nullable_ = nullable

    @classmethod
    def fit(cls, column: pd.Series, declared: tuple[Any, ...] | None, budget: Budget | None,
            rng: np.random.Generator) -> CategoricalDomain:
        if budget is None or declared is not None:
            nullable = bool(column.isna().any()) if budget is None else \
                not pd.api.types.is_bool_dtype(column.dtype)
            if declared is not None:
                return cls(list(declared), np.ones(len(declared)), False, nullable)
            counts = column.dropna().value_counts()
            values = sorted(counts.index.tolist(), key=lambda v: (-counts[v], str(v)))
            return cls(values, np.array([counts[v] for v in values], dtype=float), False,
                       nullable)
        rho = budget.spend("categories and nulls (stable histogram)", budget.rho, budget.delta)
        kept = frequent_values(column, rho, budget.delta, rng)
        values = sorted(kept, key=lambda v: (-kept[v], str(v)))
        weights = np.maximum([kept[v] for v in values], 1.0)
        return cls(values, np.asarray(weights, dtype=float), True,
                   _noisy_nulls(column, rho, rng))

    @property
    def size(self) -> int:
        return len(self.values_) + int(self.has_other_) + int(self.nullable_)

    @property
    def null_code(self) -> int:
        """The code of nulls (−1, matching no code, when the column has none)."""
        return self.size - 1 if self.nullable_ else -1

    def transform(self, column: pd.Series) -> np.ndarray:
        index = pd.Index(self.values_, dtype=object)
        codes = index.get_indexer(column.astype(object)).astype(np.int64)
        unknown = (codes < 0) & column.notna().to_numpy()
        if unknown.any() and not self.has_other_:
            bad = column[unknown].unique()[:5].tolist()
            raise ValueError(f"values {bad} are not among the declared categories")
        codes[unknown] = len(self.values_)
        codes[column.isna().to_numpy()] = self.null_code if self.nullable_ else 0
        return codes

    def inverse_transform(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.full(len(codes), None, dtype=object)
        known = codes < len(self.values_)
        if self.values_:
            table = np.empty(len(self.values_), dtype=object)
            table[:] = self.values_
            out[known] = table[codes[known]]
            other = (codes == len(self.values_)) & self.has_other_
            if other.any():
                p = self.weights_ / self.weights_.sum()
                out[other] = table[rng.choice(len(table), size=int(other.sum()), p=p)]
        return out

    def get_state(self) -> dict[str, Any]:
        return {"type": "categorical", "values": _jsonable(self.values_),
                "weights": self.weights_.tolist(), "has_other": self.has_other_,
                "nullable": self.nullable_}


class NumericDomain:
    """Codes: one per frequent exact value (atom), then interval bins, then ``null``."""

    def __init__(self, atoms: list[float], cuts: np.ndarray, fine_edges: np.ndarray,
                 fine_mass: np.ndarray, integer: bool, nullable: bool = True) -> None:
        self.nullable_ = nullable
        self.atoms_ = atoms
        self.cuts_ = cuts  # interval bin b covers fine cells cuts[b] .. cuts[b+1]-1
        self.edges_ = fine_edges[cuts]
        self.fine_edges_ = fine_edges
        self.fine_mass_ = fine_mass
        self.integer_ = integer

    # -- fit --------------------------------------------------------------------------------
    @classmethod
    def fit(cls, x: pd.Series, *, bins: int, integer: bool,
            declared: tuple[float | None, float | None], budget: Budget | None,
            rng: np.random.Generator) -> NumericDomain:
        values = x.dropna().to_numpy(dtype=float)
        rho_each = budget.rho / 3 if budget is not None else 0.0
        lo, hi, rows_past, buckets = _bounds(values, declared, budget, rho_each, rng)
        values = np.clip(values, lo, hi)
        # 1. frequent exact values
        if budget is None:
            uniq, counts = np.unique(values, return_counts=True)
            atoms = dict(zip(uniq.tolist(), counts.astype(float).tolist(), strict=True))
        else:
            rho = budget.spend("frequent values (stable histogram)", rho_each, budget.delta)
            atoms = frequent_values(pd.Series(values), rho, budget.delta, rng)
        # 2. fine histogram of the rest
        fine_edges = _fine_edges(lo, hi, integer,
                                 FINE_CELLS if budget is None else FINE_CELLS_PRIVATE)
        is_atom = np.isin(values, list(atoms)) if atoms else np.zeros(len(values), bool)
        rest = values[~is_atom]
        mass = np.bincount(_cell_of(rest, fine_edges),
                           minlength=len(fine_edges) - 1).astype(float)
        nullable = bool(x.isna().any())
        if budget is not None:
            fine_edges, mass, sigma, nullable, rows_past = _private_cells(
                rest, mass, int(x.isna().sum()), fine_edges, atoms, integer=integer,
                zoom=declared == (None, None), rows_past=rows_past, budget=budget,
                rho=rho_each, rng=rng)
        total = np.maximum(mass, 0.0).sum() + sum(max(c, 0.0) for c in atoms.values())
        # 3. keep atoms worth a bin of their own; the others go back into the fine histogram
        keep = sorted((v for v, c in atoms.items() if c >= total / bins),
                      key=lambda v: -atoms[v])[: bins // 2]
        for v, c in atoms.items():
            if v not in keep:
                mass[_cell_of(np.array([v]), fine_edges)[0]] += max(c, 0.0)
        if budget is not None:
            if keep and _only_noise(mass, sigma) and (
                    buckets is None or not buckets.holds_more_than(keep, atoms)):
                # every value is a kept atom
                fine_edges, mass = _between_atoms(keep, integer, declared, (lo, hi))
            else:
                fine_edges, mass = _private_ends(fine_edges, mass, sigma, (lo, hi), rows_past,
                                                 declared, integer)
        mass = np.maximum(mass, 0.0)
        cuts = _quantile_cuts(mass, bins - len(keep)) if mass.any() else \
            np.array([0, len(mass)])
        return cls(sorted(keep), cuts, fine_edges, mass, integer, nullable)

    # -- codes ------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.atoms_) + len(self.edges_) - 1 + int(self.nullable_)

    @property
    def null_code(self) -> int:
        """The code of nulls (−1, matching no code, when the column has none)."""
        return self.size - 1 if self.nullable_ else -1

    @property
    def _interval_ends(self) -> tuple[float, float]:
        """Lowest and highest value the interval bins decode to: for an integer column the
        whole numbers inside the outer edges (an edge between two whole numbers, as a private
        end may be, excludes the outer one)."""
        low, high = float(self.fine_edges_[0]), float(self.fine_edges_[-1])
        if self.integer_:
            return float(math.ceil(low - 1e-9)), float(math.floor(high + 1e-9))
        return low, high

    @property
    def minimum_(self) -> float:
        return float(min([self._interval_ends[0], *self.atoms_]))

    @property
    def maximum_(self) -> float:
        return float(max([self._interval_ends[1], *self.atoms_]))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Codes of float values (NaN → null code); values outside the bounds are clipped."""
        x = np.asarray(x, dtype=float)
        codes = np.full(len(x), self.null_code if self.nullable_ else 0, dtype=np.int64)
        ok = ~np.isnan(x)
        k = len(self.atoms_)
        inner = np.clip(np.searchsorted(self.edges_, x[ok], side="right") - 1, 0,
                        len(self.edges_) - 2)
        codes[ok] = k + inner
        if k:
            atom_index = pd.Index(self.atoms_).get_indexer(x[ok])
            codes[ok] = np.where(atom_index >= 0, atom_index, codes[ok])
        return codes

    def inverse_transform(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Floats for codes: atoms exactly, bins spread by the fine histogram, null → NaN."""
        out = np.full(len(codes), np.nan)
        k = len(self.atoms_)
        if k:
            is_atom = codes < k
            out[is_atom] = np.asarray(self.atoms_)[codes[is_atom]]
        inner = (codes >= k) & (codes < len(self.atoms_) + len(self.edges_) - 1)
        if inner.any():
            out[inner] = self._spread(codes[inner] - k, rng)
        return out

    def _spread(self, bins: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw a fine cell within each bin by its mass, then a value within the cell."""
        fe, cuts = self.fine_edges_, self.cuts_
        cum = np.concatenate([[0.0], np.cumsum(self.fine_mass_ + 1e-9)])
        low, high = cum[cuts[:-1]][bins], cum[cuts[1:]][bins]
        u = low + rng.random(len(bins)) * (high - low)
        cell = np.clip(np.searchsorted(cum, u, side="right") - 1, cuts[:-1][bins],
                       cuts[1:][bins] - 1)
        if self.integer_ and np.all(np.diff(fe) == 1):
            return fe[cell] + 0.5
        out = fe[cell] + rng.random(len(bins)) * (fe[cell + 1] - fe[cell])
        return np.clip(out, *self._interval_ends) if self.integer_ else out

    def get_state(self) -> dict[str, Any]:
        return {"type": "numeric", "atoms": self.atoms_, "cuts": self.cuts_.tolist(),
                "fine_edges": self.fine_edges_.tolist(), "fine_mass": self.fine_mass_.tolist(),
                "integer": self.integer_, "nullable": self.nullable_}


def domain_from_state(state: dict[str, Any]) -> CategoricalDomain | NumericDomain:
    if state["type"] == "categorical":
        return CategoricalDomain(list(state["values"]), np.asarray(state["weights"], float),
                                 bool(state["has_other"]), bool(state["nullable"]))
    return NumericDomain([float(a) for a in state["atoms"]], np.asarray(state["cuts"], np.int64),
                         np.asarray(state["fine_edges"], float),
                         np.asarray(state["fine_mass"], float), bool(state["integer"]),
                         bool(state["nullable"]))


# -- helpers ---------------------------------------------------------------------------------
def _noisy_nulls(column: pd.Series, rho: float, rng: np.random.Generator) -> bool:
    """Whether the null count, with the noise of a histogram released at ``rho``, passes 3σ.

    Nulls are one more bin of the histogram the caller releases (each row falls in one bin),
    so this adds no privacy cost.
    """
    sigma = (1 / (2 * rho)) ** 0.5
    return bool(gaussian_counts(np.array([column.isna().sum()]), rho, rng)[0] > 3 * sigma)


def _private_cells(rest: np.ndarray, counts: np.ndarray, nulls: int, edges: np.ndarray,
                   atoms: dict[float, float], *, integer: bool,
                   zoom: bool, rows_past: tuple[float, float], budget: Budget, rho: float,
                   rng: np.random.Generator,
                   ) -> tuple[np.ndarray, np.ndarray, float, bool, tuple[float, float]]:
    """The fine histogram (``counts`` over ``edges``) of the values that are not ``atoms``
    (``rest``), released twice at ``rho / 2``.

    The bounds are power-of-two buckets, so a column of values far from zero (longitudes
    −124…−114 in the bucket −128…−64, air pressure 991…1046 hPa in 1024…2048) fills a few of
    the 64 cells. When the first release's cells above the noise (the atoms' noisy counts
    added) span at most a ``ZOOM_FACTOR``-th of them (and no bound is declared), the second
    release counts 64 cells over that span (one cell of margin each side; rows outside are
    counted in its end cells, and the first release's count of them bounds how far a fitted
    tail may reach). Otherwise
    the second release counts the same cells again and the two are averaged, which is the
    single release at ``rho`` exactly. Nulls are one more bin of each release (each row falls
    in one bin), so they cost nothing more; their averaged count keeps a null code only past
    3σ. Returns the edges, noisy counts and their σ, whether nulls get a code, and the rows
    counted past each end.
    """
    half = budget.spend("fine histogram and nulls", rho / 2)
    first = gaussian_counts(counts, half, rng)
    noisy_nulls = gaussian_counts(np.array([float(nulls)]), half, rng)[0]
    span = None
    if zoom:  # where the values are: the atoms (their noisy counts) and the other values
        with_atoms = first.copy()
        np.add.at(with_atoms, _cell_of(np.array(list(atoms), dtype=float), edges),
                  np.maximum(np.array(list(atoms.values()), dtype=float), 0.0))
        span = _solid_span(edges, with_atoms, (1 / (2 * half)) ** 0.5, integer)
    if span is None:
        half = budget.spend("fine histogram and nulls, again", rho / 2)
        mass, sigma = (first + gaussian_counts(counts, half, rng)) / 2, (1 / (2 * rho)) ** 0.5
    else:
        half = budget.spend("fine histogram and nulls where the values are", rho / 2)
        a, b = span
        zoomed = _fine_edges(edges[a], edges[b], integer, len(first))
        mass = gaussian_counts(np.bincount(_cell_of(rest, zoomed), minlength=len(zoomed) - 1)
                               .astype(float), half, rng)
        rows_past = (float(first[:a].sum()), float(first[b:].sum()))
        edges, sigma = zoomed, (1 / (2 * half)) ** 0.5
    noisy_nulls = (noisy_nulls + gaussian_counts(np.array([float(nulls)]), half, rng)[0]) / 2
    return edges, mass, sigma, bool(noisy_nulls > 3 * (1 / (2 * rho)) ** 0.5), rows_past


def _solid_span(edges: np.ndarray, mass: np.ndarray, sigma: float,
                integer: bool) -> tuple[int, int] | None:
    """Cells ``a..b-1`` to count again, finer: the cells standing above the noise and one
    on each side, when they are at most a ``ZOOM_FACTOR``-th of the histogram and its cells
    are not already whole numbers; else None."""
    if integer and np.all(np.diff(edges) <= 1):
        return None
    floor = sigma * float(-ndtri(NO_VALUES_FALSE_ALARM / len(mass)))  # no stray noise cell
    solid = np.flatnonzero(mass >= floor)
    if solid.size == 0:
        return None
    a, b = int(solid[0]) - 1, int(solid[-1]) + 2
    if a < 0 or b > len(mass):  # the values reach an end: a tail to fit, not an offset
        return None
    return (a, b) if (b - a) * ZOOM_FACTOR <= len(mass) else None


def _bounds(values: np.ndarray, declared: tuple[float | None, float | None],
            budget: Budget | None, rho: float, rng: np.random.Generator,
            ) -> tuple[float, float, tuple[float, float], PowerBuckets | None]:
    """Lower and upper bound, the (noisy) rows counted just past each (0 when exact), and
    the private bounds histogram (None when no budget paid for one)."""
    lo, hi = declared
    if lo is not None and hi is not None:
        return float(lo), float(hi), (0.0, 0.0), None
    rows_past, buckets = (0.0, 0.0), None
    if budget is None:
        observed = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    else:
        buckets = private_bounds(values, budget.spend("bounds (log-bucket histogram)", rho),
                                  rng)
        if buckets.passed.size == 0:
            warn_fallback(budget.column, declared)
            observed = (0.0, 1.0)
        else:
            observed, rows_past = buckets.bounds(), buckets.rows_past()
    lo = observed[0] if lo is None else float(lo)
    hi = observed[1] if hi is None else float(hi)
    return (lo, hi, rows_past, buckets) if lo <= hi else (hi, lo, rows_past[::-1], buckets)


def _fine_edges(lo: float, hi: float, integer: bool, cells: int) -> np.ndarray:
    if integer:
        lo, hi = np.floor(lo), np.ceil(hi)
        if hi - lo + 1 <= cells:
            return np.arange(lo - 0.5, hi + 1.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return np.linspace(lo, hi, cells + 1)


def _cell_of(x: np.ndarray, fine_edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(fine_edges, x, side="right") - 1, 0, len(fine_edges) - 2)


def _private_ends(fine_edges: np.ndarray, mass: np.ndarray, sigma: float,
                  bounds: tuple[float, float], rows_past: tuple[float, float],
                  declared: tuple[float | None, float | None],
                  integer: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cut or extend a noisy fine histogram to where the column's values end (see
    :mod:`~simulacra.encoders.private_tails`); a declared bound is kept as it is.

    A cell stands above the noise when its count passes a threshold that an empty cell
    crosses with probability ``TAIL_FALSE_ALARM`` across the whole histogram; the ends may
    reach one power-of-two bucket past the private bounds (whose next bucket did not pass).
    """
    floor = sigma * float(-ndtri(TAIL_FALSE_ALARM / len(mass)))
    lo, hi = bounds
    if declared[1] is None:
        fine_edges, mass = fit_tail(fine_edges, mass, sigma=sigma, floor=floor,
                                    limit=2 * hi if hi > 0 else hi / 2,
                                    rows_past=rows_past[1], integer=integer)
    if declared[0] is None:
        fine_edges, mass = fit_lower_tail(fine_edges, mass, sigma=sigma, floor=floor,
                                          limit=2 * lo if lo < 0 else lo / 2,
                                          rows_past=rows_past[0], integer=integer)
    return fine_edges, mass


def _only_noise(mass: np.ndarray, sigma: float) -> bool:
    """Whether a noisy fine histogram shows no values at all: no cell and not the whole sum
    stands above the noise (each at the false-alarm rate of the private bounds)."""
    z = float(-ndtri(NO_VALUES_FALSE_ALARM))
    return bool(mass.max(initial=0.0) < sigma * float(-ndtri(NO_VALUES_FALSE_ALARM / len(mass)))
                and mass.sum() < z * sigma * len(mass) ** 0.5)


def _between_atoms(atoms: list[float], integer: bool,
                   declared: tuple[float | None, float | None],
                   bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """One empty cell spanning the kept atoms (a declared bound widens it): when nothing but
    the atoms stands above the noise, the interval code must not decode to values outside
    them — a year column whose five years are atoms would otherwise decode that code anywhere
    in its power-of-two bucket, 1024 to 2048."""
    low = bounds[0] if declared[0] is not None else min(atoms)
    high = bounds[1] if declared[1] is not None else max(atoms)
    if integer:
        low, high = math.floor(low) - 0.5, math.ceil(high) + 0.5
    elif high <= low:
        high = low + max(abs(low) * 1e-9, 1e-12)
    return np.array([low, high], dtype=float), np.zeros(1)


def _quantile_cuts(mass: np.ndarray, bins: int) -> np.ndarray:
    """Fine-cell indices cutting ``mass`` into at most ``bins`` intervals of equal mass."""
    bins = max(bins, 1)
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    if cum[-1] <= 0:
        cut = np.linspace(0, len(mass), bins + 1).round().astype(int)
    else:
        targets = cum[-1] * np.arange(1, bins) / bins
        cut = np.concatenate([[0], np.searchsorted(cum, targets, side="left"), [len(mass)]])
    return np.unique(np.clip(cut, 0, len(mass)))


def _jsonable(values: list[Any]) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values]
