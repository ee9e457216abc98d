"""Rebalancing: target shares for one column's categories, the rest of each row as modelled.

``model.sample(n, rebalance={"income": {">50K": 0.5}})`` returns ``n`` rows of which half
have ``income == ">50K"``; categories not named share what is left in proportion to the
model's own frequencies (read from a pilot sample of the model, so nothing is looked up in the
training data: under differential privacy this is post-processing). Each category's rows are
drawn with exact conditional sampling, so the other columns keep the model's conditional
distribution given that category.

>>> allocate(10, {"a": 0.5}, {"a": 0.1, "b": 0.6, "c": 0.3})
{'a': 5, 'b': 3, 'c': 2}
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

from simulacra.errors import ParameterError


def check_rebalance(rebalance: Any, conditions: Mapping[str, Any]) -> tuple[str, dict]:
    """The one column and its ``{category: share}`` targets, or a clear error."""
    if not isinstance(rebalance, Mapping) or len(rebalance) != 1:
        raise ParameterError("The 'rebalance' parameter must map one column to its target "
                             "shares, e.g. {'income': {'>50K': 0.5}}. Got "
                             f"{rebalance!r} instead.")
    ((column, targets),) = rebalance.items()
    if column in conditions:
        raise ParameterError(f"column {column!r} is both rebalanced and conditioned on; use "
                             "one or the other")
    ok = isinstance(targets, Mapping) and len(targets) > 0 and all(
        isinstance(s, int | float) and not isinstance(s, bool) and 0 <= s <= 1
        for s in targets.values())
    if not ok or sum(targets.values()) > 1 + 1e-9:
        raise ParameterError(f"The 'rebalance' shares of {column!r} must be numbers in [0, 1] "
                             f"summing to at most 1, e.g. {{'>50K': 0.5}}. Got {targets!r}.")
    return str(column), dict(targets)


def allocate(n: int, targets: Mapping[Hashable, float],
             frequencies: Mapping[Hashable, float]) -> dict[Hashable, int]:
    """Rows per category: ``targets`` as given, the rest split by ``frequencies``.

    Counts sum to ``n`` (largest remainders). When the named shares sum to 1, the other
    categories get none; when they sum to less and no other category has any frequency, the
    named ones are scaled up to fill ``n``.
    """
    others = {v: f for v, f in frequencies.items() if v not in targets and f > 0}
    rest = max(1.0 - sum(targets.values()), 0.0)
    total_other = sum(others.values())
    shares: dict[Hashable, float] = dict(targets)
    if rest > 0 and total_other > 0:
        shares.update({v: rest * f / total_other for v, f in others.items()})
    scale = sum(shares.values())
    exact = {v: n * s / scale for v, s in shares.items()} if scale > 0 else {}
    counts = {v: math.floor(x) for v, x in exact.items()}
    short = n - sum(counts.values())
    for v in sorted(exact, key=lambda v: counts[v] - exact[v])[:short]:
        counts[v] += 1
    return {v: c for v, c in counts.items() if c > 0}
