"""Junction trees for a set of cliques: triangulation, maximal cliques, message order.

The interaction graph joins attributes that share a measured clique; greedy elimination
(fewest fill-in edges, then smallest table) triangulates it; the elimination cliques that are
maximal become the junction tree's nodes, joined by a maximum spanning tree on the size of
their intersections (Koller & Friedman, ch. 10).

>>> sizes = {"a": 2, "b": 3, "c": 4, "d": 2}
>>> tree = JunctionTree.build([("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")], sizes)
>>> sorted(len(c) for c in tree.cliques)
[3, 3]
>>> tree.cells
36
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass
class JunctionTree:
    """Maximal cliques, tree edges (with separators) and a root-first traversal order."""

    cliques: list[tuple[str, ...]]
    edges: list[tuple[int, int]]  # (parent, child) pairs in breadth-first order from roots
    sizes: Mapping[str, int]

    @classmethod
    def build(cls, cliques: Iterable[tuple[str, ...]], sizes: Mapping[str, int],
              attrs: Iterable[str] | None = None) -> JunctionTree:
        """Junction tree of ``cliques``; ``attrs`` adds attributes that no clique mentions."""
        nodes = list(dict.fromkeys([*(attrs or []), *(a for c in cliques for a in c)]))
        maximal = _triangulated_cliques(nodes, list(cliques), sizes)
        return cls(maximal, _spanning_edges(maximal), sizes)

    @property
    def cells(self) -> int:
        """Total table size of the cliques (the model's memory, in numbers)."""
        return sum(math.prod(self.sizes[a] for a in c) for c in self.cliques)

    def separator(self, parent: int, child: int) -> tuple[str, ...]:
        return tuple(a for a in self.cliques[child] if a in self.cliques[parent])

    def roots(self) -> list[int]:
        children = {c for _, c in self.edges}
        return [i for i in range(len(self.cliques)) if i not in children]

    def home(self, clique: tuple[str, ...]) -> int:
        """Index of the smallest junction-tree clique that contains ``clique``."""
        best, best_size = -1, math.inf
        for i, c in enumerate(self.cliques):
            if set(clique) <= set(c):
                size = math.prod(self.sizes[a] for a in c)
                if size < best_size:
                    best, best_size = i, size
        if best < 0:
            raise KeyError(f"no junction-tree clique contains {clique}")
        return best


def _triangulated_cliques(nodes: list[str], cliques: list[tuple[str, ...]],
                          sizes: Mapping[str, int]) -> list[tuple[str, ...]]:
    neighbours: dict[str, set[str]] = {v: set() for v in nodes}
    for clique in cliques:
        for a in clique:
            neighbours[a].update(b for b in clique if b != a)
    remaining = set(nodes)
    found: list[frozenset[str]] = []
    while remaining:
        def cost(v: str) -> tuple[int, float, int]:
            nb = neighbours[v] & remaining
            fill = sum(1 for a in nb for b in nb if a < b and b not in neighbours[a])
            return fill, math.prod(sizes[a] for a in nb | {v}), nodes.index(v)

        v = min(remaining, key=cost)
        nb = neighbours[v] & remaining
        for a in nb:
            neighbours[a].update(nb - {a})
        found.append(frozenset(nb | {v}))
        remaining.remove(v)
    maximal = [c for c in found if not any(c < other for other in found)]
    unique = list(dict.fromkeys(maximal))
    return [tuple(a for a in nodes if a in c) for c in unique]


def _spanning_edges(cliques: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Maximum spanning forest on intersection size (Kruskal), as BFS (parent, child) edges."""
    pairs = sorted(((len(set(a) & set(b)), i, j) for i, a in enumerate(cliques)
                    for j, b in enumerate(cliques) if i < j), reverse=True)
    parent = list(range(len(cliques)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    adjacent: dict[int, list[int]] = {i: [] for i in range(len(cliques))}
    for weight, i, j in pairs:
        if weight == 0:
            break  # disconnected components stay separate trees
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
            adjacent[i].append(j)
            adjacent[j].append(i)
    edges, seen = [], set()
    for root in range(len(cliques)):
        if root in seen:
            continue
        seen.add(root)
        queue = [root]
        while queue:
            node = queue.pop(0)
            for nxt in sorted(adjacent[node]):
                if nxt not in seen:
                    seen.add(nxt)
                    edges.append((node, nxt))
                    queue.append(nxt)
    return edges
