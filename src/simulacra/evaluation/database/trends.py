"""Trends across tables: parent–child trends, k-hop trends along key paths, and AVG 2-way.

For every key path of ``k`` foreign keys (:mod:`.paths`), the bottom table's rows are joined
with their ancestors' along the path, in the real and in the synthetic database, and the
single-table Column Pair Trends score (:func:`~simulacra.evaluation.fidelity.column_pair_trends`:
1 − |ρ_real − ρ_syn|/2 for number pairs, 1 − TVD of the contingency table otherwise) is taken
over the column pairs that *cross* the path's two end tables — one column from the bottom
table, one from the top. This is the k-hop protocol of ClavaDDPM (Pang et al. 2024,
"ClavaDDPM: Multi-relational Data Synthesis with Cluster-guided Diffusion Models", NeurIPS):

* ``k = 1`` — "parent-child trend" per foreign key: does a child row go with the right kind
  of parent row? (per relation);
* ``k ≥ 2`` — "k-hop trend" per path (e.g. a card's type against its account's district),
  and per ``k`` the mean over the crossing pairs of every path of that length (database);
* "AVG 2-way" — the mean over every column pair the database has: the pairs within each
  table (its own trend) and the crossing pairs of every path, each pair counted once.

Bottom rows whose path breaks (a null key or an orphan on the way) are left out of the join;
more than ``max_rows`` bottom rows are subsampled with ``rng``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulacra.errors import DataError
from simulacra.evaluation.database.data import DatabaseData, subsample
from simulacra.evaluation.database.paths import KeyPath, joined_columns, key_paths
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.fidelity import column_pair_trends
from simulacra.evaluation.fidelity.statistics import nanmean
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import prepare
from simulacra.metadata import Metadata

PAIR_DEFINITION = ("1 − |ρ_real − ρ_syn|/2 (numbers) or 1 − TVD of the contingency table "
                   "(other pairs), as the single-table trend")


def path_trends(data: DatabaseData, rng: np.random.Generator, *, max_rows: int,
                max_hops: int | None = None) -> list[Scoped]:
    """Parent–child trend per foreign key, k-hop trend per longer path, and per-k means."""
    out: list[Scoped] = []
    pooled: dict[int, list[float]] = {}
    for path in key_paths(data.metadata, max_hops):
        metric = _path_trend(data, path, rng, max_rows)
        if metric is None:
            continue
        pooled.setdefault(path.hops, []).extend(p["score"] for p in metric.details["pairs"])
        if path.hops == 1:
            out.append(Scoped("relation", path.keys[0].name, metric))
        else:
            out.append(Scoped("path", path.name, metric))
    for hops, scores in sorted(pooled.items()):
        paths = [f.where for f in out if f.metric.details.get("hops") == hops]
        out.append(Scoped("database", "", Metric(
            _name(hops), "fidelity", nanmean(scores),
            definition=(f"mean over the column pairs crossing the end tables of every path of "
                        f"{hops} foreign key{'s' if hops > 1 else ''} (joined child → parent"
                        f"{' → …' if hops > 1 else ''}) of {PAIR_DEFINITION}; "
                        "ClavaDDPM's k-hop trend"),
            direction="higher", ideal=1.0,
            details={"hops": hops, "pairs": len(scores), "paths": paths})))
    return out


def avg_two_way(found: list[Scoped]) -> Metric | None:
    """"AVG 2-way": the mean over every within-table pair (each table's trend details) and
    every crossing pair of every path (each counted once). ``None`` when there is no pair."""
    within = [p["score"] for f in found if f.scope == "table" and f.metric.name == "trend"
              for p in f.metric.details.get("pairs", [])]
    crossing = [p["score"] for f in found if f.metric.details.get("hops")
                and f.scope in ("relation", "path") for p in f.metric.details.get("pairs", [])]
    scores = within + crossing
    if not scores:
        return None
    return Metric(
        "AVG 2-way", "fidelity", nanmean(scores),
        definition=(f"mean over every column pair within a table and every pair crossing the "
                    f"end tables of a key path of {PAIR_DEFINITION}, as ClavaDDPM's AVG 2-way"),
        direction="higher", ideal=1.0,
        details={"within_table_pairs": len(within), "crossing_pairs": len(crossing)})


def _name(hops: int) -> str:
    return "parent-child trend" if hops == 1 else f"{hops}-hop trend"


def _path_trend(data: DatabaseData, path: KeyPath, rng: np.random.Generator,
                max_rows: int) -> Metric | None:
    """The trend over the pairs crossing the path's end tables; ``None`` when an end table
    has no column to compare."""
    levels = [0, path.hops]
    frames: dict[str, Any] = {}
    level_of: dict[str, int] = {}
    kinds: dict = {}
    used: dict[str, tuple[int, int]] = {}
    for side in ("real", "synthetic"):
        total = len(data.frame(side, path.bottom))
        rows = subsample(total, max_rows, rng)
        frames[side], kinds, level_of = joined_columns(data, side, path, rows, levels)
        used[side] = (len(frames[side]), total)
    if not any(lv == 0 for lv in level_of.values()) or \
            not any(lv == path.hops for lv in level_of.values()):
        return None
    details: dict[str, Any] = {"hops": path.hops, "path": path.name,
                               "tables": list(path.tables),
                               "joined_rows": {s: n for s, (n, _) in used.items()}}
    note = _note(used, max_rows)
    definition = (f"mean over the column pairs crossing {path.bottom} and {path.top} "
                  f"(joined along {path.name}) of {PAIR_DEFINITION}")
    try:
        evaluated = prepare(frames["real"], frames["synthetic"], metadata=Metadata(kinds))
    except DataError as err:  # e.g. no synthetic row resolves the path
        return Metric(_name(path.hops), "fidelity", math.nan, definition=definition,
                      direction="higher", ideal=1.0, note=f"not computed: {err}",
                      details={**details, "pairs": []})
    pairs = [p for p in column_pair_trends(evaluated).details["pairs"]
             if level_of[p["column_1"]] != level_of[p["column_2"]]]
    return Metric(_name(path.hops), "fidelity", nanmean([p["score"] for p in pairs]),
                  definition=definition, direction="higher", ideal=1.0, note=note,
                  details={**details, "pairs": pairs})


def _note(used: dict[str, tuple[int, int]], max_rows: int) -> str:
    parts = []
    for side, (joined, total) in used.items():
        if total > max_rows:
            parts.append(f"{max_rows:,} of {total:,} {side} rows drawn")
        dropped = min(total, max_rows) - joined
        if dropped:
            parts.append(f"{dropped:,} {side} rows left out (a null or unresolved key on "
                         "the path)")
    return "; ".join(parts)
