"""Copy tokens: a number that often equals an earlier column's value, exactly.

Tables repeat values across columns by their meaning: a card holder pays last month's bill in
full (``PAY_AMT1 == BILL_AMT2`` in 13 % of the credit-card clients' rows, zeros aside), pays
the same instalment every month, a session's exit rate equals its bounce rate. Binned, the two
values are drawn in their bins independently and the equality is lost (4.5 % of synthetic rows
instead of 8.8 % for two consecutive bills); a classifier telling real from synthetic rows finds
it at once. So a binned column that equals an earlier numeric column in clearly more rows than
chance gets one extra token per such *source*: "the same value as column i". The network learns
when a row copies (a choice like any other token), and decoding writes the source's decoded
value.

A pair is kept when the rows where both are present and equal exceed, by at least
:data:`MIN_EXCESS` of the rows, the share that two independent columns with these marginals
would give (``Σ_v p_i(v)·p_j(v)``): ages equal to weekly hours (2.5 % of Adult's rows, 2 % by
chance) or a day of the month equal to the hour are not copies. At most :data:`MAX_SOURCES`
sources per column, the largest excess first; a row equal to several takes the first.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> bill = rng.gamma(2.0, 500.0, 4000).round()
>>> paid = np.where(rng.random(4000) < 0.3, bill, rng.gamma(2.0, 100.0, 4000).round())
>>> other = rng.gamma(2.0, 500.0, 4000).round()
>>> find_copies({"bill": bill, "other": other, "paid": paid}, ["bill", "other", "paid"],
...             targets=["paid"])
{'paid': ['bill']}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: least share of rows by which equality must exceed chance for a pair to be a copy
MIN_EXCESS = 0.01
#: most sources one column may copy
MAX_SOURCES = 3
#: rows looked at when choosing the pairs (all rows are tokenized)
MAX_ROWS = 20_000


def find_copies(values: Mapping[str, np.ndarray], order: Sequence[str], *, targets: Sequence[str],
                present: Mapping[str, np.ndarray] | None = None,
                rng: np.random.Generator | None = None) -> dict[str, list[str]]:
    """``{target: [sources]}``: for each of ``targets``, the columns before it in ``order``
    whose values it equals clearly more often than chance (``present``: per column, the rows
    where it is not null; all when missing)."""
    n = len(next(iter(values.values()))) if values else 0
    rows = np.arange(n)
    if n > MAX_ROWS:
        rows = np.sort((rng or np.random.default_rng(0)).choice(n, MAX_ROWS, replace=False))
    present = present or {}
    out: dict[str, list[str]] = {}
    for target in targets:
        earlier = list(order[:list(order).index(target)])
        excess = {source: _excess(values, present, source, target, rows) for source in earlier}
        kept = sorted((s for s, e in excess.items() if e >= MIN_EXCESS), key=lambda s: -excess[s])
        if kept:
            out[target] = kept[:MAX_SOURCES]
    return out


def copy_tokens(values: Mapping[str, np.ndarray], target: str, sources: Sequence[str],
                present: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Per row, ``k`` when ``target`` equals ``sources[k]`` (the first that does; both
    present), else ``-1``."""
    present = present or {}
    x = np.asarray(values[target], dtype=np.float64)
    out = np.full(len(x), -1, dtype=np.int64)
    mine = _present(present, target, len(x))
    for k, source in enumerate(sources):
        same = (np.asarray(values[source], dtype=np.float64) == x) & mine \
            & _present(present, source, len(x)) & (out < 0)
        out[same] = k
    return out


def _present(present: Mapping[str, np.ndarray], name: str, n: int) -> np.ndarray:
    mask = present.get(name)
    return np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def _excess(values: Mapping[str, np.ndarray], present: Mapping[str, np.ndarray], source: str,
            target: str, rows: np.ndarray) -> float:
    """Share of ``rows`` where both are present and equal, minus what chance would give."""
    a = np.asarray(values[source], dtype=np.float64)[rows]
    b = np.asarray(values[target], dtype=np.float64)[rows]
    both = _present(present, source, len(values[source]))[rows] & \
        _present(present, target, len(values[target]))[rows] & np.isfinite(a) & np.isfinite(b)
    if not both.any():
        return 0.0
    a, b = a[both], b[both]
    observed = float(np.mean(a == b))
    va, ca = np.unique(a, return_counts=True)
    vb, cb = np.unique(b, return_counts=True)
    common, ia, ib = np.intersect1d(va, vb, assume_unique=True, return_indices=True)
    chance = float(np.sum(ca[ia] / len(a) * cb[ib] / len(b))) if len(common) else 0.0
    return (observed - chance) * len(a) / len(rows)
