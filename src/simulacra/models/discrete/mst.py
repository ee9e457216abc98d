"""``MST``: maximum-spanning-tree marginals under differential privacy.

McKenna, Miklau & Sheldon, "Winning the NIST Contest: A scalable and general approach to
differentially private synthetic data" (JPC 2021). With the model's share ρ of the budget:

1. measure every 1-way marginal with the Gaussian mechanism (ρ/3 in all);
2. pick d − 1 attribute pairs forming a spanning tree, Kruskal-style: each pick is an
   exponential mechanism (ρ/3 in all) over the pairs that join two components, scored by the
   L1 distance between the pair's true histogram and the one the 1-way estimate implies
   (sensitivity 1) — the pairs independence explains worst;
3. measure the chosen pairs (ρ/3 in all);
4. estimate a graphical model from all measurements with Private-PGM and sample from it.

Numeric values are decoded within their bin (see :mod:`~simulacra.encoders.domains`).

>>> import pandas as pd, simulacra as sim
>>> df = sim.datasets.load_demo().head(3000)
>>> model = MST(privacy=sim.PrivacyBudget(epsilon=1.0), random_state=0).fit(df)
>>> model.sample(5).shape, round(model.privacy_report_.epsilon, 3)
((5, 15), 1.0)
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, ClassVar

import numpy as np

from simulacra.metadata import Metadata
from simulacra.models.discrete.base import DiscreteSynthesizer
from simulacra.models.discrete.marginals import histogram, measure
from simulacra.models.discrete.pgm.estimation import estimate, estimate_total
from simulacra.models.discrete.pgm.model import GraphicalModel
from simulacra.params import Integer
from simulacra.privacy import PrivacyBudget, PrivacyLedger
from simulacra.privacy.mechanisms import exponential_mechanism
from simulacra.randomness import RandomState


class MST(DiscreteSynthesizer):
    """Differentially private MST synthesizer (needs ``privacy``).

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
    iterations:
        Mirror-descent iterations of the Private-PGM estimate.
    """

    name: ClassVar[str] = "mst"
    requires_privacy: ClassVar[bool] = True
    params = {"iterations": Integer(1, 100_000)}

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 privacy: PrivacyBudget | None = None, bins: int = 32,
                 metadata_share: float | None = None, iterations: int = 1000) -> None:
        super().__init__(metadata, random_state=random_state, privacy=privacy, bins=bins,
                         metadata_share=metadata_share)
        self.iterations = iterations

    def _fit_codes(self, codes: dict[str, np.ndarray], sizes: dict[str, int],
                   ledger: PrivacyLedger | None, rng: np.random.Generator) -> None:
        assert ledger is not None
        attrs = list(codes)
        rho = ledger.remaining_rho / 3
        d = len(attrs)
        # 1. one-way marginals
        measurements = [measure(codes, sizes, (a,), rho / d, ledger, rng, "1-way")
                        for a in attrs]
        total = estimate_total(measurements)
        independent = {a: np.maximum(m.y, 0) / max(np.maximum(m.y, 0).sum(), 1e-12) * total
                       for a, m in zip(attrs, measurements, strict=True)}
        # 2. spanning tree by repeated exponential mechanism
        tree = self._select(codes, sizes, attrs, independent, rho, ledger, rng) if d > 1 else []
        # 3. measure the chosen pairs
        measurements += [measure(codes, sizes, pair, rho / len(tree), ledger, rng, "2-way")
                         for pair in tree]
        # 4. Private-PGM
        self.tree_ = tree
        self.graphical_model_ = estimate(measurements, sizes, total, self.iterations,
                                         attrs=attrs)

    @staticmethod
    def _select(codes: dict[str, np.ndarray], sizes: dict[str, int], attrs: list[str],
                independent: dict[str, np.ndarray], rho: float, ledger: PrivacyLedger,
                rng: np.random.Generator) -> list[tuple[str, str]]:
        pairs = list(combinations(attrs, 2))
        total = sum(independent[attrs[0]])
        scores = np.array([
            np.abs(histogram(codes, sizes, (a, b))
                   - np.outer(independent[a], independent[b]) / max(total, 1e-12)).sum()
            for a, b in pairs])
        component = {a: i for i, a in enumerate(attrs)}
        chosen: list[tuple[str, str]] = []
        rho_each = rho / (len(attrs) - 1)
        for _ in range(len(attrs) - 1):
            open_ = [i for i, (a, b) in enumerate(pairs) if component[a] != component[b]]
            pick = open_[exponential_mechanism(scores[open_], 1.0, rho_each, rng)]
            a, b = pairs[pick]
            ledger.spend("model", f"tree edge selection {len(chosen) + 1}", rho_each)
            old, new = component[b], component[a]
            component = {k: new if v == old else v for k, v in component.items()}
            chosen.append((a, b))
        return chosen

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return self.graphical_model_.sample(n, rng)

    def _get_model_state(self) -> dict[str, Any]:
        return {"tree": [list(p) for p in self.tree_],
                "graphical_model": self.graphical_model_.get_state()}

    def _set_model_state(self, state: dict[str, Any]) -> None:
        self.tree_ = [tuple(p) for p in state["tree"]]
        self.graphical_model_ = GraphicalModel.from_state(state["graphical_model"])
