"""``GraphicalModel``: a Markov random field over discrete attributes, on a junction tree.

Log-potentials live on measured cliques; belief propagation (sum-product, log space) on the
junction tree gives every clique's marginal; sampling is ancestral over the tree, vectorized
over rows.

>>> sizes = {"a": 2, "b": 2}
>>> theta = {("a", "b"): Factor(("a", "b"), np.log([[4.0, 1.0], [1.0, 4.0]]))}
>>> model = GraphicalModel.build(theta, sizes, total=100.0)
>>> model.marginal(("a", "b")).round(1).tolist()
[[40.0, 10.0], [10.0, 40.0]]
>>> rows = model.sample(10_000, np.random.default_rng(0))
>>> round(float(np.mean(rows["a"] == rows["b"])), 2)
0.8
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simulacra.models.discrete.pgm.factor import Factor, contract
from simulacra.models.discrete.pgm.junction_tree import JunctionTree

Clique = tuple[str, ...]


class GraphicalModel:
    """``theta`` maps measured cliques to log-potential factors; ``total`` scales marginals."""

    def __init__(self, tree: JunctionTree, theta: dict[Clique, Factor], attrs: list[str],
                 total: float) -> None:
        self.tree = tree
        self.theta = theta
        self.attrs = attrs
        self.total = total
        self._home = {c: tree.home(c) for c in theta}
        self._beliefs: list[Factor] | None = None
        self._probs: list[Factor] | None = None

    @classmethod
    def build(cls, theta: Mapping[Clique, Factor], sizes: Mapping[str, int],
              total: float, attrs: list[str] | None = None) -> GraphicalModel:
        attrs = list(attrs) if attrs is not None else list(sizes)
        tree = JunctionTree.build(list(theta), sizes, attrs)
        return cls(tree, dict(theta), attrs, total)

    def with_theta(self, theta: dict[Clique, Factor]) -> GraphicalModel:
        """The same structure with other potentials (the cliques must be the same)."""
        model = GraphicalModel.__new__(GraphicalModel)
        model.tree, model.theta, model.attrs, model.total = self.tree, theta, self.attrs, \
            self.total
        model._home, model._beliefs, model._probs = self._home, None, None
        return model

    # -- inference ----------------------------------------------------------------------------
    def _potentials(self) -> list[Factor]:
        pots = [Factor.zeros(c, self.tree.sizes) for c in self.tree.cliques]
        for clique, factor in self.theta.items():
            i = self._home[clique]
            pots[i] = Factor(pots[i].attrs, pots[i].values + factor.expand(pots[i].attrs))
        return pots

    def beliefs(self) -> list[Factor]:
        """Normalized log-marginals of the junction-tree cliques (two-pass propagation)."""
        if self._beliefs is not None:
            return self._beliefs
        tree, pots = self.tree, self._potentials()
        incoming: list[list[Factor]] = [[] for _ in tree.cliques]
        up: dict[tuple[int, int], Factor] = {}
        for parent, child in reversed(tree.edges):  # leaves to roots
            sep = tree.separator(parent, child)
            message = _absorb(pots[child], incoming[child]).logsumexp(sep)
            up[(parent, child)] = message
            incoming[parent].append(message)
        for parent, child in tree.edges:  # roots to leaves
            sep = tree.separator(parent, child)
            others = [m for m in incoming[parent] if m is not up[(parent, child)]]
            incoming[child].append(_absorb(pots[parent], others).logsumexp(sep))
        beliefs = [_absorb(p, m) for p, m in zip(pots, incoming, strict=True)]
        out = []
        for b in beliefs:
            log_z = b.logsumexp(()).values
            out.append(Factor(b.attrs, b.values - log_z))
        self._beliefs = out
        return out

    def marginal(self, clique: Clique) -> np.ndarray:
        """Expected counts (summing to ``total``) over ``clique``, axes in its order."""
        i = self._home.get(clique)
        if i is None:
            i = self.tree.home(clique)
        return self._probabilities()[i].sum(clique).values * self.total

    def marginal_any(self, clique: Clique) -> np.ndarray:
        """Expected counts over any ``clique``, even one no junction-tree clique contains.

        Variable elimination over the smallest subtree that covers the clique's attributes:
        the calibrated tree's joint is the product of clique beliefs over separator beliefs,
        and each message keeps only its separator and the attributes asked for.
        """
        tree = self.tree
        try:
            return self.marginal(clique)
        except KeyError:
            pass
        holder = {a: next(i for i, c in enumerate(tree.cliques) if a in c) for a in clique}
        parent_of = {child: parent for parent, child in tree.edges}
        keep: set[int] = set()
        for start in set(holder.values()):
            node: int | None = start
            while node is not None and node not in keep:  # path to its root
                keep.add(node)
                node = parent_of.get(node)
        # trim the top of each root path down to where the branches meet (or a target)
        targets = set(holder.values())
        children = {i: [c for p, c in tree.edges if p == i and c in keep] for i in keep}
        roots = [i for i in keep if parent_of.get(i) not in keep]
        tops = []
        for root in roots:
            while root not in targets and len(children[root]) == 1:
                keep.discard(root)
                root = children[root][0]
            tops.append(root)
        wanted = set(clique)
        probs = self._probabilities()
        incoming: dict[int, list[Factor]] = {i: [] for i in keep}
        for parent, child in reversed(tree.edges):
            if child not in keep or parent not in keep:
                continue
            sep = tree.separator(parent, child)
            factors = [probs[child], *incoming[child]]
            present = {a for f in factors for a in f.attrs}
            scope = tuple(a for a in present if a in sep or a in wanted)
            sep_marginal = probs[child].sum(sep).values
            inverse = np.divide(1.0, sep_marginal, out=np.zeros_like(sep_marginal),
                                where=sep_marginal > 0)
            incoming[parent].append(contract([*factors, Factor(sep, inverse)], scope))
        result: Factor | None = None
        for top in tops:
            factors = [probs[top], *incoming[top]]
            present = {a for f in factors for a in f.attrs}
            part = contract(factors, tuple(a for a in present if a in wanted))
            result = part if result is None else result * part
        assert result is not None
        return result.sum(clique).values * self.total

    def _probabilities(self) -> list[Factor]:
        if self._probs is None:
            self._probs = [Factor(b.attrs, np.exp(b.values)) for b in self.beliefs()]
        return self._probs

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` rows drawn from the model: each root clique jointly, then down the tree."""
        tree, beliefs, sizes = self.tree, self.beliefs(), self.tree.sizes
        out: dict[str, np.ndarray] = {}
        for root in tree.roots():
            b = beliefs[root]
            p = np.exp(b.values).ravel()
            flat = draw_rows(np.cumsum(p / p.sum())[None, :], np.zeros(n, np.int64), rng)
            for a, codes in zip(b.attrs, np.unravel_index(flat, b.values.shape), strict=True):
                out[a] = codes.astype(np.int64)
        for parent, child in tree.edges:
            b = beliefs[child]
            sep = tree.separator(parent, child)
            new = tuple(a for a in b.attrs if a not in sep)
            if not new:
                continue
            table = np.exp(Factor(b.attrs, b.values).expand(sep + new)).reshape(
                int(np.prod([sizes[a] for a in sep])), -1)
            table = table / np.maximum(table.sum(axis=1, keepdims=True), 1e-300)
            config = np.ravel_multi_index([out[a] for a in sep], [sizes[a] for a in sep]) \
                if sep else np.zeros(n, np.int64)
            flat = draw_rows(np.cumsum(table, axis=1), config, rng)
            shape = [sizes[a] for a in new]
            for a, codes in zip(new, np.unravel_index(flat, shape), strict=True):
                out[a] = codes.astype(np.int64)
        return {a: out[a] for a in self.attrs}

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"attrs": self.attrs, "total": self.total, "sizes": dict(self.tree.sizes),
                "theta": [{"clique": list(c), "values": f.values.ravel().tolist()}
                          for c, f in self.theta.items()]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> GraphicalModel:
        sizes = {k: int(v) for k, v in state["sizes"].items()}
        theta = {}
        for item in state["theta"]:
            clique = tuple(item["clique"])
            theta[clique] = Factor(clique, np.asarray(item["values"], float).reshape(
                [sizes[a] for a in clique]))
        return cls.build(theta, sizes, float(state["total"]), list(state["attrs"]))


def _absorb(potential: Factor, messages: list[Factor]) -> Factor:
    values = potential.values
    for m in messages:
        values = values + m.expand(potential.attrs)
    return Factor(potential.attrs, values)


def draw_rows(cdf: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row ``r``, an index drawn from the distribution with CDF ``cdf[rows[r]]``.

    Row ``k``'s CDF is shifted by ``k`` so that one ``searchsorted`` over the flattened,
    monotone table serves every row at once.
    """
    k = cdf.shape[1]
    last = cdf[:, -1:]
    cdf = np.where(last > 0, cdf / np.where(last > 0, last, 1.0), np.arange(1, k + 1) / k)
    shifted = (cdf + np.arange(cdf.shape[0])[:, None]).ravel()
    u = rows + rng.random(len(rows)) * (1 - 1e-12)
    index = np.searchsorted(shifted, u, side="right") - rows * k
    return np.clip(index, 0, k - 1)
