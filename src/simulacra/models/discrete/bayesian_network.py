"""``BayesianNetwork`` and ``PrivBayes``: a table as a product of small conditionals.

The joint distribution of the discretized columns is factorized along a directed acyclic
graph in which every column has at most ``degree`` parents::

    P(x₁, …, x_d) = P(x_{o₁}) · Π_i P(x_{o_i} | Π_i),   Π_i ⊆ {x_{o₁}, …, x_{o_{i−1}}}

**Structure** (greedy, as in PrivBayes; with ``degree=1`` it is Prim's algorithm for the
Chow-Liu tree). The first column is drawn uniformly at random; then, while columns are left,
every pair (child not yet in the network, parent set of ``min(degree, |network|)`` columns
already in it) is scored by the mutual information ``I(child; parents)`` of the data, and the
best pair is added: by argmax without privacy, by the exponential mechanism under a budget.

To keep this fast, a candidate's table (parents × child) may hold at most ``max_cells``
cells: a parent set above it is replaced by its largest subsets below it (down to no parent).
When a step has more than ``max_candidates`` (child, parent set) pairs, that many are drawn
at random (a data-independent choice). Mutual informations are cached across steps.

**Conditionals**: the histogram of (parents, child) of every column, plus ``smoothing``
pseudo-counts per parent configuration spread like the child's marginal (so a configuration
never seen falls back to the marginal), normalized per configuration.

**Sampling** is ancestral in network order and vectorized: each column's rows of the
conditional are picked by the parents' codes and drawn with one uniform per row.

>>> import simulacra as sim
>>> df = sim.datasets.load_demo().head(2000)
>>> model = BayesianNetwork(random_state=0).fit(df)
>>> model.sample(5).shape, max(len(parents) for _, parents in model.network_)
((5, 15), 2)
>>> private = PrivBayes(privacy=sim.PrivacyBudget(epsilon=1.0), random_state=0).fit(df)
>>> round(private.privacy_report_.epsilon, 3), sorted(private.privacy_report_.stages)
(1.0, ['metadata', 'model'])
"""

from __future__ import annotations

import logging
import math
from itertools import combinations
from typing import Any, ClassVar

import numpy as np

from simulacra.metadata import Metadata
from simulacra.models.discrete.base import DiscreteSynthesizer
from simulacra.models.discrete.marginals import histogram
from simulacra.models.discrete.pgm.model import draw_rows
from simulacra.params import Flag, Integer, Number
from simulacra.privacy import PrivacyBudget, PrivacyLedger
from simulacra.privacy.accounting import gaussian_sigma
from simulacra.privacy.mechanisms import exponential_mechanism, gaussian_counts
from simulacra.randomness import RandomState

logger = logging.getLogger(__name__)

Parents = tuple[str, ...]


class BayesianNetwork(DiscreteSynthesizer):
    """Bayesian-network synthesizer; differentially private (PrivBayes) with ``privacy``.

    Without a budget the structure is the greedy maximum-mutual-information network and the
    conditionals are the data's own (smoothed). With ``privacy=PrivacyBudget(...)`` the fit is
    exactly :class:`PrivBayes`'s.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None`` (then the kinds are taken as public
        schema: declare metadata to keep them private too).
    random_state:
        Seed for every random draw (first column, candidate subsampling, DP noise, sampling).
    privacy:
        An optional (ε, δ) budget, e.g. ``sim.PrivacyBudget(epsilon=1.0)``.
    bins:
        Codes per numeric column (frequent exact values plus intervals).
    metadata_share:
        Under a budget, share spent on categories, bounds and bins (``None``: 0.1 when a
        public schema declares every domain, up to 0.5 when none is declared).
    degree:
        Maximum number of parents per column (0: independent columns; at most 4).
    structure_share:
        Under a budget, share of the model's budget spent on choosing the structure (the rest
        measures the conditionals).
    max_cells:
        Largest table (parent configurations × child values) a conditional may have.
    max_candidates:
        Most (child, parent set) pairs scored at one step; more are subsampled at random.
    smoothing:
        Pseudo-counts added per parent configuration, spread like the child's marginal.
    usefulness:
        Under a budget, PrivBayes's θ: a conditional's table is kept below
        ``n / (usefulness · σ)`` cells, σ being the noise of its counts, so that the average
        count per cell is at least ``usefulness`` noise scales.
    """

    name: ClassVar[str] = "bayesian_network"
    params = {"degree": Integer(0, 4), "max_cells": Integer(4, 10**8),
              "max_candidates": Integer(1, 10**6),
              "structure_share": Number(0, 1, low_open=True, high_open=True),
              "smoothing": Number(0), "usefulness": Number(0, low_open=True),
              "value_protection": Flag()}

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 privacy: PrivacyBudget | None = None, bins: int = 16,
                 metadata_share: float | None = None, degree: int = 2, structure_share: float = 0.3,
                 max_cells: int = 50_000, max_candidates: int = 2_000, smoothing: float = 1.0,
                 usefulness: float = 4.0, value_protection: bool = True) -> None:
        super().__init__(metadata, random_state=random_state, privacy=privacy, bins=bins,
                         metadata_share=metadata_share)
        self.degree = degree
        self.structure_share = structure_share
        self.max_cells = max_cells
        self.max_candidates = max_candidates
        self.smoothing = smoothing
        self.usefulness = usefulness
        self.value_protection = value_protection

    # -- fit ----------------------------------------------------------------------------------
    def _fit_codes(self, codes: dict[str, np.ndarray], sizes: dict[str, int],
                   ledger: PrivacyLedger | None, rng: np.random.Generator) -> None:
        attrs = list(codes)
        d = len(attrs)
        n = len(codes[attrs[0]]) if attrs else 0
        self.attrs_ = attrs
        self.sizes_ = {a: int(sizes[a]) for a in attrs}
        structure_rho, cap = 0.0, float(self.max_cells)
        if ledger is not None and d:
            rho = ledger.remaining_rho
            steps = d - 1 if self.degree > 0 else 0
            structure_rho = self.structure_share * rho / steps if steps else 0.0
            # θ-usefulness: average count per cell ≥ θ noise scales of the planned conditionals
            sigma = gaussian_sigma((rho - structure_rho * steps) / d)
            cap = min(cap, max(n / (self.usefulness * sigma), 1.0))
        self.network_ = self._structure(codes, attrs, n, cap, structure_rho, ledger, rng)
        self.conditionals_ = self._conditionals(codes, ledger, rng)
        self._prepare()
        logger.info("%s: network %s", self.name,
                    "; ".join(f"{c} <- {', '.join(p) or '∅'}" for c, p in self.network_))

    def _structure(self, codes: dict[str, np.ndarray], attrs: list[str], n: int, cap: float,
                   rho: float, ledger: PrivacyLedger | None, rng: np.random.Generator
                   ) -> list[tuple[str, Parents]]:
        """The greedy network, in topological order (see the module docstring)."""
        if not attrs:
            return []
        sizes = self.sizes_
        if self.degree == 0:  # nothing to choose: independent columns
            return [(a, ()) for a in attrs]
        first = attrs[int(rng.integers(len(attrs)))]
        network: list[tuple[str, Parents]] = [(first, ())]
        placed = [first]
        cache: dict[tuple[str, Parents], float] = {}

        def score(child: str, parents: Parents) -> float:
            key = (child, parents)
            if key not in cache:
                mi = _mutual_information(histogram(codes, sizes, (*parents, child)))
                if ledger is not None:  # in units of its own sensitivity, which is then 1
                    mi /= _mi_sensitivity(n, child, parents, sizes)
                cache[key] = mi
            return cache[key]

        while len(placed) < len(attrs):
            left = [a for a in attrs if a not in set(placed)]
            candidates = self._candidates(left, placed, cap, rng)
            scores = np.array([score(c, p) for c, p in candidates])
            if ledger is None:
                pick = int(np.argmax(scores))
            elif all(not p for _, p in candidates):  # all scores 0, whatever the data
                pick = int(rng.integers(len(candidates)))
            else:
                pick = exponential_mechanism(scores, 1.0, rho, rng)
                ledger.spend("model", f"structure step {len(placed)}", rho)
            child, parents = candidates[pick]
            network.append((child, parents))
            placed.append(child)
        return network

    def _candidates(self, left: list[str], placed: list[str], cap: float,
                    rng: np.random.Generator) -> list[tuple[str, Parents]]:
        """(child, parent set) pairs of one step, each table within ``cap`` cells."""
        sizes = self.sizes_
        k = min(self.degree, len(placed))
        total = len(left) * math.comb(len(placed), k)
        if total <= self.max_candidates:
            raw = [(c, p) for c in left for p in combinations(placed, k)]
        else:  # a random subset, drawn without looking at the data
            seen: dict[tuple[str, Parents], None] = {}
            for _ in range(4 * self.max_candidates):
                child = left[int(rng.integers(len(left)))]
                chosen = np.sort(rng.choice(len(placed), size=k, replace=False))
                seen[(child, tuple(placed[i] for i in chosen))] = None
                if len(seen) >= self.max_candidates:
                    break
            raw = list(seen)
        out: dict[tuple[str, Parents], None] = {}
        for child, parents in raw:
            for fitted in _within(parents, cap / sizes[child], sizes):
                out[(child, fitted)] = None
        return list(out)

    def _conditionals(self, codes: dict[str, np.ndarray], ledger: PrivacyLedger | None,
                      rng: np.random.Generator) -> dict[str, np.ndarray]:
        """P(child | parents) per column, shaped (*parent sizes, child size)."""
        sizes = self.sizes_
        out: dict[str, np.ndarray] = {}
        for i, (child, parents) in enumerate(self.network_):
            counts = histogram(codes, sizes, (*parents, child)).reshape(-1, sizes[child])
            if ledger is not None:
                rho = ledger.remaining_rho / (len(self.network_) - i)
                ledger.spend("model", f"conditional {child} | {', '.join(parents) or '∅'}", rho)
                counts = gaussian_counts(counts, rho, rng)
            marginal = np.maximum(counts.sum(axis=0), 0.0)
            marginal = marginal / marginal.sum() if marginal.sum() > 0 else \
                np.full(sizes[child], 1.0 / sizes[child])
            table = np.maximum(counts, 0.0) + self.smoothing * marginal
            mass = table.sum(axis=1, keepdims=True)
            table = np.where(mass > 0, table / np.where(mass > 0, mass, 1.0), marginal)
            out[child] = table.reshape([*(sizes[p] for p in parents), sizes[child]])
        return out

    # -- sample -------------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Cumulative conditionals, one row per parent configuration, for :meth:`_sample`."""
        self._cdfs = {c: np.cumsum(t.reshape(-1, t.shape[-1]), axis=1)
                      for c, t in self.conditionals_.items()}

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        sizes = self.sizes_
        out: dict[str, np.ndarray] = {}
        for child, parents in self.network_:
            config = np.ravel_multi_index([out[p] for p in parents],
                                          [sizes[p] for p in parents]) if parents else \
                np.zeros(n, np.int64)
            out[child] = draw_rows(self._cdfs[child], config, rng).astype(np.int64)
        return {a: out[a] for a in self.attrs_}

    # -- state --------------------------------------------------------------------------------
    def _get_model_state(self) -> dict[str, Any]:
        return {"attrs": self.attrs_, "sizes": self.sizes_,
                "network": [[c, list(p)] for c, p in self.network_],
                "conditionals": [self.conditionals_[c] for c, _ in self.network_]}

    def _set_model_state(self, state: dict[str, Any]) -> None:
        self.attrs_ = list(state["attrs"])
        self.sizes_ = {a: int(s) for a, s in state["sizes"].items()}
        self.network_ = [(str(c), tuple(p)) for c, p in state["network"]]
        self.conditionals_ = {}
        for (child, parents), table in zip(self.network_, state["conditionals"], strict=True):
            shape = [*(self.sizes_[p] for p in parents), self.sizes_[child]]
            self.conditionals_[child] = np.asarray(table, dtype=float).reshape(shape)
        self._prepare()


class PrivBayes(BayesianNetwork):
    """Differentially private Bayesian network, PrivBayes (needs ``privacy``).

    Zhang, Cormode, Procopiuc, Srivastava & Xiao, "PrivBayes: Private Data Release via
    Bayesian Networks" (SIGMOD 2014; ACM TODS 42(4), 2017), in ρ-zCDP. After the
    ``metadata_share`` of the budget is spent on the discretization, the model's ρ is split:

    * ``structure_share`` (30 %) chooses the network: each of the d − 1 greedy steps that has
      a choice to make runs an exponential mechanism with an equal part of it, over
      the scores ``I(child; parents) / S(I)``. ``S(I)`` is the paper's sensitivity bound
      (Lemma 4.1, in nats) for ``n`` rows: ``(1/n) ln n + ((n−1)/n) ln(n/(n−1))`` when the
      child or the parent set has at most two values, else
      ``(2/n) ln((n+1)/2) + ((n−1)/n) ln((n+1)/(n−1))``. Scaling each score by its own bound
      gives scores of sensitivity 1. As in PrivBayes, the row count ``n`` is treated as
      public (simulacra also stores it in the model file); the bound is taken at ``n − 1``
      rows, the smaller of two neighbouring tables.
    * the rest (70 %, plus what steps without a choice did not use) measures the d
      histograms (parents, child) with the Gaussian mechanism, in equal parts. Negative noisy
      counts are clipped to 0; a parent configuration is normalized with ``smoothing``
      pseudo-counts spread like the child's noisy marginal, its fallback when empty.

    PrivBayes's θ-usefulness bounds the tables: under a budget a conditional has at most
    ``n / (usefulness · σ)`` cells (σ: the noise of its counts), parent sets above it being
    replaced by their largest subsets below it. Every spend is recorded in
    ``privacy_report_`` under the ``model`` stage.
    """

    name: ClassVar[str] = "privbayes"
    requires_privacy: ClassVar[bool] = True


def _within(parents: Parents, cap: float, sizes: dict[str, int]) -> list[Parents]:
    """The largest subsets of ``parents`` (order kept) with at most ``cap`` configurations."""
    if not parents or math.prod(sizes[p] for p in parents) <= cap:
        return [parents]
    found: dict[Parents, None] = {}
    for i in range(len(parents)):
        for sub in _within(parents[:i] + parents[i + 1:], cap, sizes):
            found[sub] = None
    best = max(len(s) for s in found)
    return [s for s in found if len(s) == best]


def _mutual_information(joint: np.ndarray) -> float:
    """I(parents; child) in nats of a count table whose last axis is the child."""
    table = joint.reshape(-1, joint.shape[-1])
    total = table.sum()
    if total <= 0:
        return 0.0
    p = table / total
    expected = p.sum(axis=1, keepdims=True) * p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / expected[nz])))


def _mi_sensitivity(n: int, child: str, parents: Parents, sizes: dict[str, int]) -> float:
    """PrivBayes's bound (Lemma 4.1, nats) on how much one row moves I(child; parents)."""
    n = max(n - 1, 2)
    if sizes[child] <= 2 or math.prod(sizes[p] for p in parents) <= 2:
        return math.log(n) / n + (n - 1) / n * math.log(n / (n - 1))
    return 2 / n * math.log((n + 1) / 2) + (n - 1) / n * math.log((n + 1) / (n - 1))
