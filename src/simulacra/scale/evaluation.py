"""Evaluation of datasets larger than memory: shape and trend exact over every row.

``evaluate_dataset(real, synthetic)`` takes two datasets (Parquet/CSV files, folders or globs,
see :mod:`simulacra.scale.dataset`) and reads them file by file, on this process or on Dask
workers:

1. a uniform sample of ``sample_rows`` rows of each (and of the holdout) runs through
   :func:`simulacra.evaluate` for every figure that is defined on rows drawn from the tables
   (detection, utility, privacy, and the fidelity figures other than shape and trend);
2. **column shapes** and **column pair trends** — SDMetrics' two headline properties — are
   then recomputed over every row from mergeable per-file reductions:

   - categories: exact counts (total variation distance, contingency tables);
   - Pearson correlations: exact, from per-pair sums of the values, their squares and
     products over the rows where both are present (on values centred and scaled first);
   - numbers binned for contingency: SDMetrics' 10 equal-width bins over each table's exact
     range (a second read);
   - the KS statistic: exact from value counts where a column has at most
     ``EXACT_VALUES`` distinct values in each table; otherwise from counts between
     ``KS_BINS`` quantiles of the pooled samples, which can miss the exact statistic by at most
     the largest share of rows between two neighbouring edges (reported per column as
     ``ks_bound``).

``info["exact"]`` lists the figures computed over every row and ``info["sampled"]`` the others.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.evaluation.fidelity.shapes import TV_REGULARIZATION
from simulacra.evaluation.fidelity.statistics import cramers_v, nanmean
from simulacra.evaluation.fidelity.trends import SDMETRICS_DEFAULT_THRESHOLDS, thresholded_mean
from simulacra.evaluation.prepare import prepare
from simulacra.evaluation.result import EvaluationResult
from simulacra.metadata import Metadata
from simulacra.scale.dataset import read_dataset
from simulacra.scale.reductions import NULL, ReadPlan, Reduction, exact_reductions


def evaluate_dataset(real: str | Path, synthetic: str | Path, holdout: str | Path | None = None,
                     *, metadata: Metadata | None = None, target: str | None = None,
                     metrics: Sequence[str] | str = "all", sample_rows: int = 200_000,
                     random_state: int = 0, client: Any = None, scheduler: str | None = None,
                     workers: int | None = None,
                     progress: Callable[[str], None] | None = None) -> EvaluationResult:
    """Compare two datasets larger than memory (see the module's docstring).

    >>> import tempfile, pathlib, simulacra as sim
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> adult = sim.datasets.load_demo()
    >>> adult.iloc[:20_000].to_parquet(folder / "real.parquet")
    >>> adult.iloc[20_000:].to_parquet(folder / "synthetic.parquet")
    >>> result = evaluate_dataset(folder / "real.parquet", folder / "synthetic.parquet",
    ...                           metrics=["fidelity"], sample_rows=5_000, workers=1)
    >>> exact = sim.evaluate(adult.iloc[:20_000], adult.iloc[20_000:], metrics=["fidelity"])
    >>> abs(result.value("shape") - exact.value("shape")) < 1e-9
    True
    >>> abs(result.value("trend") - exact.value("trend")) < 1e-9
    True
    """
    from simulacra.evaluation import evaluate

    started = time.perf_counter()
    where = {"client": client, "scheduler": scheduler, "workers": workers}

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    step("sampling the datasets")
    real_rows, _ = read_dataset(real, sample_rows=sample_rows, seed=random_state, **where)
    synth_rows, _ = read_dataset(synthetic, sample_rows=sample_rows, seed=random_state + 1,
                                 **where)
    holdout_rows = None if holdout is None else read_dataset(
        holdout, sample_rows=sample_rows, seed=random_state + 2, **where)[0]
    result = evaluate(real_rows, synth_rows, holdout_rows, metadata=metadata, target=target,
                      metrics=metrics, random_state=random_state, progress=progress)
    exact: list[str] = []
    rows = {"real": None, "synthetic": None}
    if "shape" in result and "trend" in result:
        step("shape and trend over every row")
        data = prepare(real_rows, synth_rows, None, metadata)
        plan = ReadPlan.build(data, real_rows, synth_rows)
        sides = exact_reductions({"real": real, "synthetic": synthetic}, plan, where)
        shape, trend = _exact_figures(plan, sides["real"], sides["synthetic"])
        result.metrics = [_replaced(m, shape if m.name == "shape" else trend)
                          if m.name in ("shape", "trend") else m for m in result.metrics]
        exact = ["shape", "trend"]
        rows = {label: side.rows for label, side in sides.items()}
    info = dict(result.info)
    info["rows_sampled"] = info.pop("rows", {})
    info["rows"] = rows
    info["exact"] = exact
    info["sampled"] = [m.name for m in result.metrics if m.name not in exact]
    info["seconds"] = round(time.perf_counter() - started, 2)
    return EvaluationResult(result.metrics, info=info, figures=result.figures)


def _replaced(metric: Any, exact: tuple[float, dict[str, Any]]) -> Any:
    value, details = exact
    note = "; ".join(filter(None, ["computed over every row", metric.note]))
    return dataclasses.replace(metric, value=value, details=details, note=note)


def _exact_figures(plan: ReadPlan, real: Reduction, synth: Reduction
                   ) -> tuple[tuple[float, dict[str, Any]], tuple[float, dict[str, Any]]]:
    kinds = plan.column_kinds
    shape_rows = []
    for column, kind in kinds.items():
        if column in plan.continuous:
            score, bound = _ks_complement(column, plan, real, synth)
            row = {"column": column, "kind": kind.kind, "metric": "KSComplement",
                   "score": score}
            if bound:
                row["ks_bound"] = bound
        else:
            score = _tv_complement(real.counts[column], synth.counts[column])
            row = {"column": column, "kind": kind.kind, "metric": "TVComplement",
                   "score": score}
        shape_rows.append(row)
    shape = (nanmean([r["score"] for r in shape_rows]), {"columns": shape_rows})
    correlations = {side: _correlations(plan, s) for side, s in (("real", real),
                                                                   ("synth", synth))}
    pairs = []
    for a, b in itertools.combinations(list(kinds), 2):
        row: dict[str, Any] = {"column_1": a, "column_2": b}
        if a in plan.continuous and b in plan.continuous:
            rho_r, rho_s = correlations["real"][a, b], correlations["synth"][a, b]
            row.update(metric="CorrelationSimilarity", score=1.0 - abs(rho_r - rho_s) / 2,
                       real=rho_r, synthetic=rho_s, real_association=math.nan)
        else:
            score, association = _contingency(f"{a}\x00{b}", a, b, plan, real, synth)
            row.update(metric="ContingencySimilarity", score=score, real=math.nan,
                       synthetic=math.nan, real_association=association)
        pairs.append(row)
    defaults = dict(SDMETRICS_DEFAULT_THRESHOLDS)
    defaults["value"] = thresholded_mean(pairs, **SDMETRICS_DEFAULT_THRESHOLDS)
    trend = (thresholded_mean(pairs, 0.0, 0.0), {"pairs": pairs, "sdmetrics_defaults": defaults})
    return shape, trend


def _ks_complement(column: str, plan: ReadPlan, real: Reduction, synth: Reduction
                   ) -> tuple[float, float | None]:
    """1 − KS, exact from value counts when both sides kept them, else from the quantile
    counts (with the largest share between two edges: how far it can be from exact)."""
    counts_r, counts_s = real.values.get(column), synth.values.get(column)
    if counts_r is not None and counts_s is not None:
        if not counts_r[1].sum() or not counts_s[1].sum():
            return math.nan, None
        values = np.union1d(counts_r[0], counts_s[0])
        r = np.zeros(len(values))
        s = np.zeros(len(values))
        r[np.searchsorted(values, counts_r[0])] = counts_r[1]
        s[np.searchsorted(values, counts_s[0])] = counts_s[1]
        return 1.0 - float(np.max(np.abs(np.cumsum(r) / r.sum() - np.cumsum(s) / s.sum()))), None
    r = np.asarray(real.ks_counts[column], dtype=np.float64)
    s = np.asarray(synth.ks_counts[column], dtype=np.float64)
    if r.sum() == 0 or s.sum() == 0:
        return math.nan, None
    gap = np.abs(np.cumsum(r) / r.sum() - np.cumsum(s) / s.sum())
    bound = float(max(r.max() / r.sum(), s.max() / s.sum()))
    return 1.0 - float(gap.max()), bound


def _tv_complement(real: dict[Any, int], synth: dict[Any, int]) -> float:
    r = {k: v for k, v in real.items() if k is not NULL}
    s = {k: v for k, v in synth.items() if k is not NULL}
    if not r or not s:
        return math.nan
    keys = list(dict.fromkeys([*r, *s]))
    count_r = np.array([r.get(k, 0) for k in keys], dtype=np.float64)
    count_s = np.array([s.get(k, 0) for k in keys], dtype=np.float64)
    count_r[count_r == 0] += TV_REGULARIZATION
    return float(1.0 - 0.5 * np.abs(count_s / count_s.sum() - count_r / count_r.sum()).sum())


def _correlations(plan: ReadPlan, side: Reduction) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    if not plan.continuous:
        return out
    m = side.moments
    for (i, a), (j, b) in itertools.combinations(enumerate(plan.continuous), 2):
        constant = any(side.minimum.get(c) == side.maximum.get(c) for c in (a, b))
        n = m["n"][i, j]
        if constant or n < 2:
            out[a, b] = math.nan
            continue
        sx, sy = m["sx"][i, j], m["sx"][j, i]
        cov = m["sxy"][i, j] - sx * sy / n
        var = (m["sxx"][i, j] - sx * sx / n) * (m["sxx"][j, i] - sy * sy / n)
        out[a, b] = float(np.clip(cov / math.sqrt(var), -1, 1)) if var > 0 else math.nan
    return out


def _contingency(pair: str, a: str, b: str, plan: ReadPlan, real: Reduction, synth: Reduction
                 ) -> tuple[float, float]:
    cells_r, cells_s = real.cells.get(pair), synth.cells.get(pair)
    if cells_r is None or cells_s is None:
        return math.nan, math.nan
    if isinstance(cells_r, dict) or isinstance(cells_s, dict):  # sparse: align the cells
        cells_r, cells_s = (c if isinstance(c, dict) else
                            {i: int(v) for i, v in enumerate(c) if v} for c in (cells_r, cells_s))
        keys = sorted(set(cells_r) | set(cells_s))
        r = np.array([cells_r.get(k, 0) for k in keys], dtype=np.float64)
        s = np.array([cells_s.get(k, 0) for k in keys], dtype=np.float64)
        return float(1.0 - 0.5 * np.abs(r / real.rows - s / synth.rows).sum()), math.nan
    r, s = np.asarray(cells_r, dtype=np.float64), np.asarray(cells_s, dtype=np.float64)
    score = float(1.0 - 0.5 * np.abs(r / real.rows - s / synth.rows).sum())
    association = cramers_v(r.reshape(real.sizes[a], real.sizes[b])) \
        if r.size <= 1_000_000 else math.nan
    return score, association
