"""Mergeable reductions of a dataset's files, for :mod:`simulacra.scale.evaluation`.

Each file is read chunk by chunk (on this process or a Dask worker, which receives only
text: the :class:`ReadPlan` as JSON and the file's path) and reduced to a :class:`Reduction`;
reductions of different files add up (:meth:`Reduction.merge`). The first read gathers, per
column, exact ranges, category counts, value counts or quantile counts of numbers, and
per-pair sums for Pearson correlations; the second, given each table's exact ranges, counts
the cells of every contingency table.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.shapes import ks_values
from simulacra.evaluation.prepare import convert_table
from simulacra.evaluation.views import FrameView
from simulacra.kinds import column_from_dict
from simulacra.metadata import Metadata
from simulacra.scale.cluster import runner
from simulacra.scale.dataset import dataset_files, read_chunks

#: Distinct values of a continuous column up to which its KS statistic is exact.
EXACT_VALUES = 200_000
#: Quantile edges of a continuous column's KS counts beyond that.
KS_BINS = 4_096
#: Contingency cells counted densely (more: as a sparse count of the cells seen).
DENSE_CELLS = 4_000_000
NULL = None  # the key of nulls in category counts


@dataclass
class ReadPlan:
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
    def build(cls, data: Any, real: pd.DataFrame, synth: pd.DataFrame) -> ReadPlan:
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
    def from_json(cls, text: str) -> ReadPlan:
        return cls(**json.loads(text))

    @functools.cached_property
    def column_kinds(self) -> dict[str, Any]:
        """The compared columns' kinds, built once from their JSON."""
        return {c: column_from_dict(k, name=c) for c, k in self.kinds.items()}

    @functools.cached_property
    def table_metadata(self) -> Metadata:
        return Metadata.from_json(self.metadata)

    def convert(self, chunk: pd.DataFrame) -> pd.DataFrame:
        return convert_table(chunk, self.column_kinds, self.parts, self.table_metadata)


@dataclass
class Reduction:
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

    def merge(self, other: Reduction) -> None:
        self.rows += other.rows
        for column, low in other.minimum.items():
            self.minimum[column] = min(self.minimum.get(column, low), low)
        for column, high in other.maximum.items():
            self.maximum[column] = max(self.maximum.get(column, high), high)
        for column, counts in other.ks_counts.items():
            mine = self.ks_counts.get(column)
            self.ks_counts[column] = counts if mine is None else mine + counts
        for column, values in other.values.items():
            self.values[column] = merge_values(self.values.get(column, NO_VALUES), values)
        for column, counts in other.counts.items():
            self.counts[column] = merge_counts(self.counts.get(column, {}), counts, None)
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
                self.cells[pair] = merge_counts(mine, cells, None)


NO_VALUES = (np.empty(0), np.empty(0, dtype=np.int64))


def merge_values(mine: tuple[np.ndarray, np.ndarray] | None,
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


def merge_counts(mine: dict[Any, int] | None, theirs: dict[Any, int] | None,
                  cap: int | None) -> dict[Any, int] | None:
    if mine is None or theirs is None:
        return None
    out = dict(mine)
    for key, count in theirs.items():
        out[key] = out.get(key, 0) + count
    return None if cap is not None and len(out) > cap else out


def exact_reductions(sources: dict[str, str | Path], plan: ReadPlan, where: dict[str, Any]
                 ) -> dict[str, Reduction]:
    """Both reads of both datasets: statistics, then contingencies (numbers binned over each
    table's exact range, categories coded over the union of both tables')."""
    tasks = {label: [(str(p), fmt) for p in files]
             for label, (files, fmt) in ((label, dataset_files(source))
                                         for label, source in sources.items())}
    first = {label: reduce_files(first_read, {"plan": plan.to_json(), "files": files}, where)
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
        side.cells = reduce_files(second_read, {"plan": second.to_json(), "files": tasks[label]},
                          where).cells
        side.sizes = {**{c: 12 for c in plan.continuous},
                      **{c: len(v) for c, v in categories.items()}}
    return first


def reduce_files(function: Callable[[str, int], Reduction], shared: dict[str, Any],
         where: dict[str, Any]) -> Reduction:
    total = Reduction()
    files = len(shared["files"])
    with runner(pending=files, **where) as (run, _):
        for part in run(function, json.dumps(shared), range(files)):
            total.merge(part)
    return total


def first_read(shared: str, index: int) -> Reduction:
    given = json.loads(shared)
    plan = ReadPlan.from_json(given["plan"])
    path, fmt = given["files"][index]
    side = Reduction()
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
            if side.values.get(column, NO_VALUES) is not None:
                side.values[column] = merge_values(side.values.get(column, NO_VALUES),
                                                    np.unique(ks, return_counts=True))
            block.append((numbers - plan.centre[column]) / plan.scale[column])
        for column in plan.discrete:
            found = converted[column].value_counts(dropna=False, sort=False)
            side.counts[column] = merge_counts(side.counts.get(column, {}), {
                category_key(value): int(count) for value, count in found.items()}, None)
        if block:
            add_moments(side, np.column_stack(block))
    return side


def add_moments(side: Reduction, x: np.ndarray) -> None:
    present = np.isfinite(x)
    filled = np.where(present, x, 0.0)
    weights = present.astype(np.float64)
    for name, value in (("n", weights.T @ weights), ("sx", filled.T @ weights),
                        ("sxx", (filled * filled).T @ weights), ("sxy", filled.T @ filled)):
        side.moments[name] = side.moments.get(name, 0) + value


def second_read(shared: str, index: int) -> Reduction:
    given = json.loads(shared)
    plan = ReadPlan.from_json(given["plan"])
    path, fmt = given["files"][index]
    side = Reduction()
    codes_of = {c: {category_key(v): i for i, v in enumerate(values)}
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
                keys = converted[column].map(category_key).astype(object).where(
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
                side.cells[pair] = merge_counts(side.cells.get(pair, {}), dict(
                    zip(unique.tolist(), times.tolist(), strict=True)), None)
    return side


def category_key(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA \
            or value is pd.NaT:
        return NULL
    return value.item() if hasattr(value, "item") else value
