"""``AIM``: adaptive and iterative marginal measurement under differential privacy.

McKenna, Mullins, Sheldon & Miklau, "AIM: An Adaptive and Iterative Mechanism for
Differentially Private Synthetic Data" (VLDB 2022). The workload is every marginal of
``workload_degree`` columns; the candidates are the workload and its subsets. With the model's
share ρ of the budget and ``T`` rounds:

1. measure every 1-way marginal with σ = √(T / (2 · 0.9 ρ)) and estimate a model from them;
2. each round, among candidates that keep the model within ``max_model_cells`` (scaled by the
   budget spent so far), select by exponential mechanism (ε = √(8 · 0.1 ρ / T)) the one the
   model gets most wrong, in the workload's weight ``w_r = Σ_s |r ∩ s|``:
   ``w_r (‖M_r − M̂_r‖₁ − √(2/π) σ n_r)`` (sensitivity max ``w_r``); measure it with σ;
   re-estimate with Private-PGM (warm start);
3. when a measurement changed the estimate less than its own expected noise, halve σ and double
   ε (budget annealing); the last round spends exactly what is left.

>>> import simulacra as sim
>>> df = sim.datasets.load_demo().head(2000)[["age", "education", "sex", "income"]]
>>> model = AIM(privacy=sim.PrivacyBudget(epsilon=1.0), random_state=0, bins=8).fit(df)
>>> model.sample(3).shape, round(model.privacy_report_.epsilon, 3)
((3, 4), 1.0)
"""

from __future__ import annotations

import logging
import math
import time
from itertools import combinations
from typing import Any, ClassVar

import numpy as np

from simulacra.metadata import Metadata
from simulacra.models.discrete.base import DiscreteSynthesizer
from simulacra.models.discrete.marginals import histogram, measure
from simulacra.models.discrete.pgm.estimation import estimate, estimate_total
from simulacra.models.discrete.pgm.junction_tree import JunctionTree
from simulacra.models.discrete.pgm.model import Clique, GraphicalModel
from simulacra.params import Integer, Number, Optional
from simulacra.privacy import PrivacyBudget, PrivacyLedger
from simulacra.privacy.mechanisms import exponential_mechanism
from simulacra.randomness import RandomState

logger = logging.getLogger(__name__)


class AIM(DiscreteSynthesizer):
    """Differentially private AIM synthesizer (needs ``privacy``).

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None`` (then the kinds are taken as public
        schema: declare metadata to keep them private too).
    random_state:
        Seed for every random draw, DP noise included.
    privacy:
        The (ε, δ) budget, e.g. ``sim.PrivacyBudget(epsilon=1.0)``.
    bins:
        Codes per numeric column (frequent exact values plus intervals).
    metadata_share:
        Share of the budget spent on categories, bounds and bins (``None``: 0.1 when a
        public schema declares every domain, up to 0.5 when none is declared).
    workload_degree:
        Size of the workload's marginals (2: all pairs, 3: all triples).
    rounds:
        ``T``, the planned number of rounds (``None``: 16 × columns, as in the paper).
    max_model_cells:
        Cap on the junction tree's total table size (numbers held by the model).
    iterations:
        Mirror-descent iterations of each intermediate estimate (the final one runs 10×).
    max_training_time:
        Stop selecting new marginals after this many seconds (the budget left is spent on
        one last measurement); ``None``: no limit.
    """

    name: ClassVar[str] = "aim"
    requires_privacy: ClassVar[bool] = True
    params = {"workload_degree": Integer(1, 4), "rounds": Optional(Integer(1, 100_000)),
              "max_model_cells": Integer(1_000, 10**9), "iterations": Integer(1, 100_000),
              "max_training_time": Optional(Number(0, low_open=True, unit="seconds"))}

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 privacy: PrivacyBudget | None = None, bins: int = 32,
                 metadata_share: float | None = None, workload_degree: int = 3,
                 rounds: int | None = None, max_model_cells: int = 2_000_000,
                 iterations: int = 100, max_training_time: float | None = None) -> None:
        super().__init__(metadata, random_state=random_state, privacy=privacy, bins=bins,
                         metadata_share=metadata_share)
        self.workload_degree = workload_degree
        self.rounds = rounds
        self.max_model_cells = max_model_cells
        self.iterations = iterations
        self.max_training_time = max_training_time

    # -- fit ----------------------------------------------------------------------------------
    def _fit_codes(self, codes: dict[str, np.ndarray], sizes: dict[str, int],
                   ledger: PrivacyLedger | None, rng: np.random.Generator) -> None:
        assert ledger is not None
        started = time.perf_counter()
        attrs = list(codes)
        d = len(attrs)
        rho = ledger.remaining_rho
        rounds = self.rounds or 16 * d
        sigma = math.sqrt(rounds / (2 * 0.9 * rho))
        epsilon = math.sqrt(8 * 0.1 * rho / rounds)
        workload = list(combinations(attrs, min(self.workload_degree, d)))
        candidates = _downward_closure(workload)
        weights = {r: sum(len(set(r) & set(s)) for s in workload) for r in candidates}
        answers: dict[Clique, np.ndarray] = {}

        def truth(r: Clique) -> np.ndarray:
            if r not in answers:
                answers[r] = histogram(codes, sizes, r)
            return answers[r]

        rho_1 = min(d / (2 * sigma ** 2), rho)
        measurements = [measure(codes, sizes, (a,), rho_1 / d, ledger, rng, "1-way")
                        for a in attrs]
        total = estimate_total(measurements)
        model = estimate(measurements, sizes, total, self.iterations, attrs=attrs)
        self.selected_: list[Clique] = []
        final = ledger.remaining_rho <= 1e-12
        while not final:
            remaining = ledger.remaining_rho
            out_of_time = self.max_training_time is not None and \
                time.perf_counter() - started > self.max_training_time
            if out_of_time or remaining < 2 * (0.5 / sigma ** 2 + epsilon ** 2 / 8):
                sigma = math.sqrt(1 / (2 * 0.9 * remaining))
                epsilon = math.sqrt(8 * 0.1 * remaining)
                final = True
            # progress through the budget (RDP curves of earlier stages count in it)
            spent = ledger.spent_rho_equivalent + epsilon ** 2 / 8 + 0.5 / sigma ** 2
            limit = self.max_model_cells * spent / ledger.total_rho
            allowed = _fits(candidates, model, sizes, limit)
            scores = np.array([
                weights[r] * (np.abs(truth(r) - model.marginal_any(r)).sum()
                              - math.sqrt(2 / math.pi) * sigma * truth(r).size)
                for r in allowed])
            sensitivity = max(weights[r] for r in allowed)
            rho_select = epsilon ** 2 / 8
            pick = allowed[exponential_mechanism(scores, sensitivity, rho_select, rng)]
            ledger.spend("model", f"selection round {len(self.selected_) + 1}", rho_select)
            rho_measure = min(0.5 / sigma ** 2, ledger.remaining_rho)
            measurements.append(measure(codes, sizes, pick, rho_measure, ledger, rng,
                                        "marginal"))
            before = model.marginal_any(pick)
            model = estimate(measurements, sizes, total, self.iterations, warm=model,
                             attrs=attrs)
            self.selected_.append(pick)
            change = np.abs(model.marginal(pick) - before).sum()
            if change <= math.sqrt(2 / math.pi) * sigma * before.size:
                sigma /= 2
                epsilon *= 2
            final = final or ledger.remaining_rho <= 1e-12 * ledger.total_rho
        self.graphical_model_ = estimate(measurements, sizes, total, 10 * self.iterations,
                                         warm=model, attrs=attrs)
        logger.info("aim: %d rounds, %d cliques in the model, %.1f s", len(self.selected_),
                    len(self.graphical_model_.tree.cliques), time.perf_counter() - started)

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return self.graphical_model_.sample(n, rng)

    def _get_model_state(self) -> dict[str, Any]:
        return {"selected": [list(c) for c in self.selected_],
                "graphical_model": self.graphical_model_.get_state()}

    def _set_model_state(self, state: dict[str, Any]) -> None:
        self.selected_ = [tuple(c) for c in state["selected"]]
        self.graphical_model_ = GraphicalModel.from_state(state["graphical_model"])


def _downward_closure(workload: list[Clique]) -> list[Clique]:
    out: dict[Clique, None] = {}
    for clique in workload:
        for k in range(1, len(clique) + 1):
            for sub in combinations(clique, k):
                out[sub] = None
    return sorted(out, key=lambda c: (len(c), c))


def _fits(candidates: list[Clique], model: GraphicalModel, sizes: dict[str, int],
          limit: float) -> list[Clique]:
    """Candidates that keep the junction tree within ``limit`` cells (always the 1-ways)."""
    tree = model.tree
    current = list(model.theta)

    def fits(r: Clique) -> bool:
        if len(r) == 1 or any(set(r) <= set(c) for c in tree.cliques):
            return True
        return math.prod(sizes[a] for a in r) <= limit and \
            JunctionTree.build([*current, r], sizes, model.attrs).cells <= limit

    return [r for r in candidates if fits(r)]

