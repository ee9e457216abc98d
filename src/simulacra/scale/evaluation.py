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
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.shapes import TV_REGULARIZATION, ks_values
from simulacra.evaluation.fidelity.statistics import cramers_v, nanmean
from simulacra.evaluation.fidelity.trends import SDMETRICS_DEFAULT_THRESHOLDS, thresholded_mean
from simulacra.evaluation.prepare import convert_table, prepare
from simulacra.evaluation.result import EvaluationResult
from simulacra.evaluation.views import FrameView
from simulacra.kinds import column_from_dict
from simulacra.metadata import Metadata
from simulacra.scale.cluster import runner
from simulacra.scale.dataset import dataset_files, read_chunks, read_dataset

#: Distinct values of a continuous column up to which its KS statistic is exact.
EXACT_VALUES = 200_000
#: Quantile edges of a continuous column's KS counts beyond that.
KS_BINS = 4_096
#: Contingency cells counted densely (more: as a sparse count of the cells seen).
DENSE_CELLS = 4_000_000
NULL = None  # the key of nulls in category counts


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
        plan = _Plan.build(data, real_rows, synth_rows)
        sides = _exact_sides({"real": real, "synthetic": synthetic}, plan, where)
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
    reference = metric.reference
    return dataclasses.replace(metric, value=value, details=details, note=note,
                               reference=reference)


@dataclass
class _Plan:
    """What every file's reduction needs: the columns, their kinds, and the edges of the
    numbers' KS counts; JSON so a worker receives text."""

    metadata: str
    kinds: dict[str, dict[str, Any]]
    parts: dict[str, list[str]]
    continuous: list[str]
    discrete: list[str]
    ks_edges: dict[str, list[float]]
    centre: dict[str, float]
    scale: dict[str, float]
    #: Second read: per side, each continuous column's 10-bin edges (exact range) and every
    #: discrete column's categories.
    bins: dict[str, list[float]] = field(default_factory=dict)
    categories: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def build(cls, data: Any, real: pd.DataFrame, synth: pd.DataFrame) -> _Plan:
        continuous = [c for c, k in data.kinds.items() if k.family == "continuous"]
        discrete = [c for c in data.kinds if c not in continuous]
        edges, centre, scale = {}, {}, {}
        for column in continuous:
            pooled = np.concatenate([ks_values(data.real[column]),
                                     ks_values(data.synth[column])]).astype(np.float64)
            quantiles = np.quantile(pooled, np.linspace(0, 1, KS_BINS + 1)) if pooled.size \
                else np.empty(0)
            edges[column] = np.unique(quantiles).tolist()
            both = np.concatenate([data.real_view.nanoseconds(column),
                                   data.synth_view.nanoseconds(column)])
            both = both[np.isfinite(both)]
            low, high = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
            centre[column] = (low + high) / 2
            scale[column] = (high - low) / 2 or 1.0
        return cls(data.metadata.to_json(), {c: k.to_dict() for c, k in data.kinds.items()},
                   data.parts, continuous, discrete, edges, centre, scale)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> _Plan:
        return cls(**json.loads(text))

    def convert(self, chunk: pd.DataFrame) -> pd.DataFrame:
        kinds = {c: column_from_dict(k, name=c) for c, k in self.kinds.items()}
        return convert_table(chunk, kinds, self.parts, Metadata.from_json(self.metadata))


@dataclass
class _Side:
    """One table's exact reductions (mergeable across files)."""

    rows: int = 0
    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)
    ks_counts: dict[str, np.ndarray] = field(default_factory=dict)
    #: Per continuous column, its distinct values and their counts (None: too many).
    values: dict[str, tuple[np.ndarray, np.ndarray] | None] = field(default_factory=dict)
    counts: dict[str, dict[Any, int]] = field(default_factory=dict)
    moments: dict[str, np.ndarray] = field(default_factory=dict)
    cells: dict[str, Any] = field(default_factory=dict)
    #: Codes per column in the contingency cells (12 bins for numbers, else categories).
    sizes: dict[str, int] = field(default_factory=dict)

    def merge(self, other: _Side) -> None:
        self.rows += other.rows
        for column, low in other.minimum.items():
            self.minimum[column] = min(self.minimum.get(column, low), low)
        for column, high in other.maximum.items():
            self.maximum[column] = max(self.maximum.get(column, high), high)
        for column, counts in other.ks_counts.items():
            mine = self.ks_counts.get(column)
            self.ks_counts[column] = counts if mine is None else mine + counts
        for column, values in other.values.items():
            self.values[column] = _merge_values(self.values.get(column, _NO_VALUES), values)
        for column, counts in other.counts.items():
            self.counts[column] = _merge_counts(self.counts.get(column, {}), counts, None)
        for name, array in other.moments.items():
            mine = self.moments.get(name)
            self.moments[name] = array if mine is None else mine + array
        for pair, cells in other.cells.items():
            mine = self.cells.get(pair)
            if mine is None:
                self.cells[pair] = cells
            elif isinstance(cells, np.ndarray):
                self.cells[pair] = mine + cells
            else:
                self.cells[pair] = _merge_counts(mine, cells, None)


_NO_VALUES = (np.empty(0), np.empty(0, dtype=np.int64))


def _merge_values(mine: tuple[np.ndarray, np.ndarray] | None,
                  theirs: tuple[np.ndarray, np.ndarray] | None
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Two sets of (distinct values, counts) as one; None past ``EXACT_VALUES`` values."""
    if mine is None or theirs is None:
        return None
    values, inverse = np.unique(np.concatenate([mine[0], theirs[0]]), return_inverse=True)
    if len(values) > EXACT_VALUES:
        return None
    counts = np.bincount(inverse, weights=np.concatenate([mine[1], theirs[1]]),
                         minlength=len(values)).astype(np.int64)
    return values, counts


def _merge_counts(mine: dict[Any, int] | None, theirs: dict[Any, int] | None,
                  cap: int | None) -> dict[Any, int] | None:
    if mine is None or theirs is None:
        return None
    out = dict(mine)
    for key, count in theirs.items():
        out[key] = out.get(key, 0) + count
    return None if cap is not None and len(out) > cap else out


def _exact_sides(sources: dict[str, str | Path], plan: _Plan, where: dict[str, Any]
                 ) -> dict[str, _Side]:
    """Both reads of both datasets: statistics, then contingencies (numbers binned over each
    table's exact range, categories coded over the union of both tables')."""
    tasks = {label: [(str(p), fmt) for p in files]
             for label, (files, fmt) in ((label, dataset_files(source))
                                         for label, source in sources.items())}
    first = {label: _map(_first_read, {"plan": plan.to_json(), "files": files}, where)
             for label, files in tasks.items()}
    categories: dict[str, list[Any]] = {c: [] for c in plan.discrete}
    for side in first.values():
        for column in plan.discrete:
            categories[column] = list(dict.fromkeys([*categories[column],
                                                     *side.counts.get(column, {})]))
    for label, side in first.items():
        bins = {c: np.histogram_bin_edges(np.array([side.minimum[c], side.maximum[c]])).tolist()
                for c in plan.continuous if c in side.minimum}
        second = dataclasses.replace(plan, bins=bins, categories=categories)
        side.cells = _map(_second_read, {"plan": second.to_json(), "files": tasks[label]},
                          where).cells
        side.sizes = {**{c: 12 for c in plan.continuous},
                      **{c: len(v) for c, v in categories.items()}}
    return first


def _map(function: Callable[[str, int], _Side], shared: dict[str, Any],
         where: dict[str, Any]) -> _Side:
    total = _Side()
    files = len(shared["files"])
    with runner(pending=files, **where) as (run, _):
        for part in run(function, json.dumps(shared), range(files)):
            total.merge(part)
    return total


def _first_read(shared: str, index: int) -> _Side:
    given = json.loads(shared)
    plan = _Plan.from_json(given["plan"])
    path, fmt = given["files"][index]
    side = _Side()
    edges = {c: np.asarray(e) for c, e in plan.ks_edges.items()}
    for chunk in read_chunks(Path(path), fmt):
        converted = plan.convert(chunk)
        view = FrameView(converted)
        side.rows += len(converted)
        block = []
        for column in plan.continuous:
            numbers = view.nanoseconds(column)
            finite = numbers[np.isfinite(numbers)]
            if finite.size:
                side.minimum[column] = min(side.minimum.get(column, math.inf),
                                           float(finite.min()))
                side.maximum[column] = max(side.maximum.get(column, -math.inf),
                                           float(finite.max()))
            ks = ks_values(converted[column]).astype(np.float64)
            counts = np.bincount(np.searchsorted(edges[column], ks, side="left"),
                                 minlength=len(edges[column]) + 1)
            side.ks_counts[column] = side.ks_counts.get(column, 0) + counts
            if side.values.get(column, _NO_VALUES) is not None:
                side.values[column] = _merge_values(side.values.get(column, _NO_VALUES),
                                                    np.unique(ks, return_counts=True))
            block.append((numbers - plan.centre[column]) / plan.scale[column])
        for column in plan.discrete:
            found = converted[column].value_counts(dropna=False, sort=False)
            side.counts[column] = _merge_counts(side.counts.get(column, {}), {
                _key(value): int(count) for value, count in found.items()}, None)
        if block:
            _add_moments(side, np.column_stack(block))
    return side


def _add_moments(side: _Side, x: np.ndarray) -> None:
    present = np.isfinite(x)
    filled = np.where(present, x, 0.0)
    weights = present.astype(np.float64)
    for name, value in (("n", weights.T @ weights), ("sx", filled.T @ weights),
                        ("sxx", (filled * filled).T @ weights), ("sxy", filled.T @ filled)):
        side.moments[name] = side.moments.get(name, 0) + value


def _second_read(shared: str, index: int) -> _Side:
    given = json.loads(shared)
    plan = _Plan.from_json(given["plan"])
    path, fmt = given["files"][index]
    side = _Side()
    codes_of = {c: {_key(v): i for i, v in enumerate(values)}
                for c, values in plan.categories.items()}
    sizes = {**{c: 12 for c in plan.bins}, **{c: len(v) for c, v in codes_of.items()}}
    columns = [c for c in plan.kinds if c in sizes]
    for chunk in read_chunks(Path(path), fmt):
        converted = plan.convert(chunk)
        view = FrameView(converted)
        codes = {}
        for column in columns:
            if column in plan.bins:
                codes[column] = np.digitize(view.nanoseconds(column), plan.bins[column])
            else:
                keys = converted[column].map(_key).astype(object).where(
                    converted[column].notna(), NULL)
                codes[column] = np.array([codes_of[column][k] for k in keys], dtype=np.int64)
        for a, b in itertools.combinations(columns, 2):
            if a in plan.bins and b in plan.bins:
                continue
            cells = codes[a] * sizes[b] + codes[b]
            pair = f"{a}\x00{b}"
            if sizes[a] * sizes[b] <= DENSE_CELLS:
                counts = np.bincount(cells, minlength=sizes[a] * sizes[b])
                side.cells[pair] = side.cells.get(pair, 0) + counts
            else:
                unique, times = np.unique(cells, return_counts=True)
                side.cells[pair] = _merge_counts(side.cells.get(pair, {}), dict(
                    zip(unique.tolist(), times.tolist(), strict=True)), None)
    return side


def _key(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA \
            or value is pd.NaT:
        return NULL
    return value.item() if hasattr(value, "item") else value


def _exact_figures(plan: _Plan, real: _Side, synth: _Side
                   ) -> tuple[tuple[float, dict[str, Any]], tuple[float, dict[str, Any]]]:
    kinds = {c: column_from_dict(k, name=c) for c, k in plan.kinds.items()}
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


def _ks_complement(column: str, plan: _Plan, real: _Side, synth: _Side
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


def _correlations(plan: _Plan, side: _Side) -> dict[tuple[str, str], float]:
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


def _contingency(pair: str, a: str, b: str, plan: _Plan, real: _Side, synth: _Side
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
