"""``detect_drift``: does a new table still look like the reference one (or like a model's)?

Steps (each in its module):

1. the reference: a table, or rows sampled from a fitted synthesizer (:func:`reference_table`);
2. the columns compared and their kinds, as the evaluation picks them
   (:func:`simulacra.evaluation.prepare.prepare`): identifiers, PII and free text are skipped
   with a reason;
3. each column of the pooled rows as cells (:mod:`.cells`), counted per side under the
   observed labelling and under ``permutations`` random relabellings (:mod:`.calibration`),
   all columns in one sparse product per chunk of relabellings;
4. per column, its test's score for every labelling (:mod:`.statistics`): KS for numbers and
   datetimes (with a test of the share of nulls when there are nulls), Pearson's chi-square
   for categories and booleans (nulls a category); the pairwise-dependence score
   (:mod:`.dependence`);
5. permutation p-values and the Westfall–Young step-down adjustment over the family
   (:mod:`.calibration`); effect sizes of the observed change (:mod:`.effects`).

>>> import simulacra as sim
>>> demo = sim.datasets.load_demo()[["age", "sex", "hours-per-week"]]
>>> report = detect_drift(demo.iloc[:2000], demo.iloc[2000:4000], permutations=99)
>>> report.drifted, [c.column for c in report.columns]
(False, ['age', 'sex', 'hours-per-week'])
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from simulacra.drift import dependence as dep
from simulacra.drift.calibration import permutation_p_values, relabellings, step_down_min_p
from simulacra.drift.cells import Cells, continuous_cells, discrete_cells
from simulacra.drift.effects import (
    binned_shares,
    jensen_shannon,
    missing_share,
    psi,
    wasserstein,
)
from simulacra.drift.report import (
    CORRECTION,
    ColumnDrift,
    DependenceDrift,
    DriftReport,
    PairChange,
    ReferenceInfo,
    SkippedColumn,
)
from simulacra.drift.statistics import (
    chi_square_from_counts,
    ks_from_counts,
    missing_share_from_counts,
)
from simulacra.errors import DataError, MetadataError, ParameterError, check_param
from simulacra.evaluation.prepare import compared_kind, prepare
from simulacra.evaluation.views import MISSING_LABEL
from simulacra.metadata import Metadata
from simulacra.models.base import Synthesizer
from simulacra.randomness import RandomState, child_seed, make_rng

#: Relabellings drawn by default (p-values are multiples of 1 / (permutations + 1)).
DEFAULT_PERMUTATIONS = 499
#: A model used as the reference gives at least this many rows by default.
MIN_MODEL_ROWS = 1_000
#: Relabellings counted in one sparse product.
CHUNK = 64
#: Pairs listed in the report's dependence section.
PAIRS_SHOWN = 5
PRESENT_LABEL = "(present)"
#: Why a column of a kind that is not learned is not compared.
_NOT_COMPARED = {
    "id": "an identifier: its values name rows, they have no distribution to compare",
    "pii": "personal data (PII): not compared",
    "text": "free text: not compared (no distribution test for text)",
}


@dataclass
class _Column:
    """A tested column: its pooled cells, each side's values, its place in the counts."""

    name: str
    kind: str
    cells: Cells
    ref: np.ndarray  # floats (continuous) or labels
    cur: np.ndarray
    continuous: bool
    missing_only: bool = False
    offset: int = 0


@dataclass
class _Scores:
    """A column's score per labelling, its observed statistic, and its null-share scores."""

    score: np.ndarray
    statistic: float = math.nan
    missing: np.ndarray | None = None


def detect_drift(
    reference: pd.DataFrame | Synthesizer,
    current: pd.DataFrame,
    *,
    metadata: Metadata | None = None,
    alpha: float = 0.05,
    columns: Sequence[str] | None = None,
    dependence: bool = True,
    permutations: int = DEFAULT_PERMUTATIONS,
    random_state: RandomState = 0,
    reference_rows: int | None = None,
) -> DriftReport:
    """Test whether ``current`` comes from the same distribution as ``reference``.

    Parameters
    ----------
    reference
        The table the current one is compared with; or a fitted synthesizer, whose samples
        are the reference ("does the new data still look like what the model learned": a
        retraining signal). The model's metadata is used unless ``metadata`` is given.
    current
        The new table. Neither table is modified.
    metadata
        Column kinds; detected from the reference when absent.
    alpha
        The false-alarm rate: when nothing drifted, the report says "drift" with probability
        at most ``alpha`` (whatever the number of columns).
    columns
        Compare only these columns (each must be in both tables); by default every column,
        and then both tables must have the same columns.
    dependence
        Also test whether the associations between columns changed.
    permutations
        Random relabellings of the pooled rows that calibrate every p-value; at least
        ``1 / alpha − 1``. More give finer p-values and slightly more power, linearly slower.
    random_state
        Seed (or Generator) of every random draw: the same inputs give the same report.
    reference_rows
        Rows sampled when ``reference`` is a model: by default as many as ``current`` has, and
        at least :data:`MIN_MODEL_ROWS`.

    Returns
    -------
    DriftReport
        Per column: test, statistic, p-values (own and family-adjusted), effect sizes (PSI,
        normalised Wasserstein, Jensen–Shannon), decision; the dependence test; skipped
        columns with the reason; the dataset-level verdict ``drifted``.

    Raises
    ------
    ParameterError
        ``alpha``, ``permutations``, ``columns`` or ``reference_rows`` out of range.
    DataError
        An empty table, no common column, a column on one side only, nothing testable.
    MetadataError
        ``metadata`` lacks a compared column.
    """
    started = time.perf_counter()
    check_param("alpha", alpha, "a number strictly between 0 and 1",
                isinstance(alpha, int | float) and not isinstance(alpha, bool)
                and 0 < alpha < 1)
    check_param("permutations", permutations, "an integer >= 1",
                isinstance(permutations, int | np.integer) and not isinstance(permutations, bool)
                and permutations >= 1)
    if (permutations + 1) * alpha < 1:
        need = math.ceil(1 / alpha) - 1
        raise ParameterError(
            f"The 'permutations' parameter must be at least {need} for alpha={alpha:g} (no "
            f"p-value is below 1 / (permutations + 1)). Got {permutations} instead.")
    if metadata is not None and not isinstance(metadata, Metadata):
        raise ParameterError("The 'metadata' parameter must be a simulacra Metadata (e.g. "
                             f"Metadata.load(path)) or None. Got {type(metadata).__name__} "
                             "instead.")
    rng = make_rng(random_state)
    _check_table("current", current)
    ref_table, info, model_metadata = reference_table(reference, current, reference_rows, rng)
    names = _compared_columns(ref_table, current, columns)
    md = metadata if metadata is not None else model_metadata
    if md is not None:
        absent = [c for c in names if c not in md]
        if absent:
            raise MetadataError([f"column {c!r} is not in the metadata; add it "
                                 "(Metadata.update_column) or leave metadata=None to detect "
                                 "kinds" for c in absent])
    tested, skipped = _columns(ref_table[names], current[names], md)
    if not tested:
        reasons = "; ".join(f"{s.column}: {s.reason}" for s in skipped)
        raise DataError(f"no column can be tested for drift ({reasons})")

    dep_columns = {c.name: ("continuous" if c.continuous else "discrete",
                            np.concatenate([c.ref, c.cur])) for c in tested}
    design = None
    if dependence and len(tested) >= 2:
        pooled = len(ref_table) + len(current)
        design = dep.design(dep_columns, dep.rows_to_read(pooled, len(tested), rng), pooled)
        if len(design.pairs) == 0:
            design = None

    scores, changes, assoc_ref, assoc_cur = _run(tested, design, len(ref_table), len(current),
                                                 permutations, rng)
    family = [s.score for s in scores]
    z = dep_score = None
    if design is not None:
        z, dep_score = dep.pair_scores(np.vstack(changes))
        family.append(dep_score)
    matrix = np.column_stack(family)
    own, adjusted = permutation_p_values(matrix), step_down_min_p(matrix)

    results = tuple(_column_result(c, s, own[j], adjusted[j], alpha)
                    for j, (c, s) in enumerate(zip(tested, scores, strict=True)))
    dependence_result = None
    if design is not None and z is not None and dep_score is not None:
        dependence_result = _dependence_result(design, z[0], assoc_ref, assoc_cur,
                                               own[-1], adjusted[-1], alpha)
    return DriftReport(
        columns=results, dependence=dependence_result, skipped=tuple(skipped), alpha=alpha,
        permutations=int(permutations),
        random_state=random_state if isinstance(random_state, int | None) else None,
        correction=CORRECTION, reference=info, current_rows=len(current),
        seconds=round(time.perf_counter() - started, 3))


def reference_table(reference: pd.DataFrame | Synthesizer, current: pd.DataFrame,
                    rows: int | None, rng: np.random.Generator
                    ) -> tuple[pd.DataFrame, ReferenceInfo, Metadata | None]:
    """The reference rows, where they came from, and a model's metadata (None for a table)."""
    if isinstance(reference, Synthesizer):
        n = rows if rows is not None else max(len(current), MIN_MODEL_ROWS)
        check_param("reference_rows", rows, "None or an integer >= 1",
                    isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1)
        sampled = reference.sample(int(n), rng=child_seed(rng))
        name = type(reference).__name__
        return sampled, ReferenceInfo("model", len(sampled), name), \
            getattr(reference, "metadata_", None)
    if not isinstance(reference, pd.DataFrame):
        raise ParameterError(
            "The 'reference' parameter must be a pandas DataFrame or a fitted synthesizer "
            f"(e.g. simulacra.load('model.simz')). Got {type(reference).__name__} instead; "
            "read a file with simulacra.read_table(path).")
    if rows is not None:
        raise ParameterError("The 'reference_rows' parameter applies only when the reference "
                             f"is a model; got {rows!r} with a reference table.")
    _check_table("reference", reference)
    return reference, ReferenceInfo("table", len(reference)), None


def _check_table(label: str, frame: object) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"The {label!r} parameter must be a pandas DataFrame. Got "
                             f"{type(frame).__name__} instead; read a file with "
                             "simulacra.read_table(path).")
    if len(frame) == 0 or frame.shape[1] == 0:
        raise DataError(f"the {label} table is empty ({frame.shape[0]} rows, {frame.shape[1]} "
                        "columns); drift detection needs rows and columns on both sides")


def _compared_columns(reference: pd.DataFrame, current: pd.DataFrame,
                      columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise ParameterError("The 'columns' parameter must be a list of column names. Got "
                                 f"{columns!r} instead.")
        if len(columns) == 0:
            raise ParameterError("The 'columns' parameter must name at least one column. Got "
                                 "an empty list instead.")
        for label, frame in (("reference", reference), ("current", current)):
            absent = [c for c in columns if c not in frame.columns]
            if absent:
                raise DataError(f"column(s) {absent} not in the {label} table; its columns "
                                f"are {list(frame.columns)}")
        return list(dict.fromkeys(columns))
    common = [c for c in reference.columns if c in current.columns]
    if not common:
        raise DataError("the reference and current tables have no column in common "
                        f"(reference: {list(reference.columns)}, current: "
                        f"{list(current.columns)})")
    only_ref = [c for c in reference.columns if c not in current.columns]
    only_cur = [c for c in current.columns if c not in reference.columns]
    if only_ref or only_cur:
        raise DataError(f"the tables' columns differ: only in the reference {only_ref}, only in "
                        f"the current {only_cur}; pass columns=[...] to compare the common "
                        "ones")
    return common


def _columns(reference: pd.DataFrame, current: pd.DataFrame, metadata: Metadata | None
             ) -> tuple[list[_Column], list[SkippedColumn]]:
    """The tested columns (as the evaluation picks and converts them) and the skipped ones."""
    data = prepare(reference, current, metadata=metadata)
    tested: list[_Column] = []
    skipped: list[SkippedColumn] = []
    for name, kind in data.kinds.items():
        if kind.family == "continuous":
            ref, cur = data.real_view.floats(name), data.synth_view.floats(name)
            cells = continuous_cells(np.concatenate([ref, cur]))
        else:
            ref, cur = data.real_view.labels(name), data.synth_view.labels(name)
            cells = discrete_cells(np.concatenate([ref, cur]))
        tested.append(_Column(name, kind.kind, cells, ref, cur, kind.family == "continuous"))
    described = set(data.metadata)  # (Metadata[...] raises MetadataError for others)
    for name in data.skipped:
        kind = data.metadata[name] if name in described else None
        kind_name = kind.kind if kind is not None else "unknown"
        if name == data.metadata.sequence_key:
            reason = "the sequence key: it names each event's entity"
        elif kind is not None and not compared_kind(kind):
            reason = _NOT_COMPARED.get(kind.kind, f"a {kind.kind} column: not compared")
        elif current[name].isna().all():
            reason = "all values are null on both sides"
        else:  # null in the whole reference, not in the current: the null share moved
            ref = np.full(len(reference), MISSING_LABEL, dtype=object)
            cur = np.where(current[name].isna(), MISSING_LABEL, PRESENT_LABEL).astype(object)
            cells = discrete_cells(np.concatenate([ref, cur]), min_count=1)
            tested.append(_Column(name, kind_name, cells, ref, cur, False, missing_only=True))
            continue
        skipped.append(SkippedColumn(name, kind_name, reason))
    order = {name: i for i, name in enumerate(reference.columns)}
    tested.sort(key=lambda c: order.get(c.name, len(order)))
    skipped.sort(key=lambda s: order.get(s.column, len(order)))
    return tested, skipped


def _run(tested: list[_Column], design: dep.Design | None, n_ref: int, n_cur: int,
         permutations: int, rng: np.random.Generator
         ) -> tuple[list[_Scores], list[np.ndarray], np.ndarray, np.ndarray]:
    """Every column's scores and the dependence changes under every labelling."""
    offset = 0
    for column in tested:
        column.offset = offset
        offset += column.cells.n_cells
    pooled = n_ref + n_cur
    cell_of_row = np.concatenate([c.offset + c.cells.codes for c in tested])
    row = np.tile(np.arange(pooled), len(tested))
    indicator = sparse.csr_matrix((np.ones(len(row), dtype=np.float32), (cell_of_row, row)),
                                  shape=(offset, pooled))
    total = np.asarray(indicator.sum(axis=1)).ravel()
    if design is not None:  # the dependence test's sums, in the same product
        indicator = sparse.vstack([indicator, design.sums], format="csr", dtype=np.float32)
    parts: list[list[_Scores]] = []
    changes: list[np.ndarray] = []
    assoc_ref = assoc_cur = np.empty(0)
    for chunk in relabellings(n_ref, n_cur, permutations, rng, chunk=CHUNK):
        # float32: counts are exact below 2**24, the dependence sums need no more
        counts = (indicator @ np.ascontiguousarray(chunk.T, dtype=np.float32)).T
        counts = counts.astype(np.float64)
        parts.append([_score(c, counts[:, c.offset:c.offset + c.cells.n_cells],
                             total[c.offset:c.offset + c.cells.n_cells]) for c in tested])
        if design is not None:
            ref_assoc, cur_assoc = dep.associations(design, counts[:, offset:])
            if not changes:
                assoc_ref, assoc_cur = ref_assoc[0], cur_assoc[0]
            changes.append(ref_assoc - cur_assoc)
    scores = []
    for j in range(len(tested)):
        pieces = [p[j] for p in parts]
        missing = None if pieces[0].missing is None else \
            np.concatenate([p.missing for p in pieces if p.missing is not None])
        scores.append(_Scores(np.concatenate([p.score for p in pieces]), pieces[0].statistic,
                              missing))
    return scores, changes, assoc_ref, assoc_cur


def _score(column: _Column, ref: np.ndarray, total: np.ndarray) -> _Scores:
    """A column's scores (asymptotic p-values, small = extreme) for a chunk of labellings."""
    cells = column.cells
    if not cells.ordered:
        stat, p = chi_square_from_counts(ref, total)
        return _Scores(p, float(stat[0]))
    values = slice(0, cells.n_values)
    d, p = ks_from_counts(ref[:, values], total[values])
    if not cells.has_nulls:
        return _Scores(p, float(d[0]))
    _, p_missing = missing_share_from_counts(ref, total, cells.n_values)
    return _Scores(np.minimum(1.0, 2 * np.minimum(p, p_missing)), float(d[0]), p_missing)


def _test_name(column: _Column) -> str:
    if column.missing_only:
        return "chi-square (missing share)"
    if not column.cells.ordered:
        return "chi-square"
    return "KS + missing share" if column.cells.has_nulls else "KS"


def _column_result(column: _Column, scores: _Scores, own: float, adjusted: float,
                   alpha: float) -> ColumnDrift:
    bins, ref_share, cur_share = binned_shares(column.ref, column.cur,
                                               continuous=column.continuous,
                                               temporal=column.kind == "datetime")
    moved = wasserstein(column.ref, column.cur) if column.continuous else None
    missing_p = None if scores.missing is None else \
        float(permutation_p_values(scores.missing[:, None])[0])
    return ColumnDrift(
        column=column.name, kind=column.kind, test=_test_name(column),
        statistic=scores.statistic, p_value=float(own), p_adjusted=float(adjusted),
        asymptotic_p=float(scores.score[0]), drifted=bool(adjusted <= alpha),
        psi=psi(ref_share, cur_share), wasserstein=moved,
        jensen_shannon=jensen_shannon(ref_share, cur_share),
        missing_reference=missing_share(column.ref), missing_current=missing_share(column.cur),
        missing_p=missing_p, bins=tuple(bins),
        reference_shares=tuple(float(x) for x in ref_share),
        current_shares=tuple(float(x) for x in cur_share))


def _dependence_result(design: dep.Design, z: np.ndarray, assoc_ref: np.ndarray,
                       assoc_cur: np.ndarray, own: float, adjusted: float, alpha: float
                       ) -> DependenceDrift:
    order = np.argsort(-np.abs(z), kind="stable")[:PAIRS_SHOWN]
    pairs = tuple(PairChange(
        columns=(design.names[design.pairs[k][0]], design.names[design.pairs[k][1]]),
        measure=design.measures[k], reference=float(assoc_ref[k]),
        current=float(assoc_cur[k]), z=float(z[k])) for k in order)
    return DependenceDrift(
        statistic=float(np.abs(z).max(initial=0.0)), p_value=float(own),
        p_adjusted=float(adjusted), drifted=bool(adjusted <= alpha), pairs=pairs,
        n_pairs=len(design.pairs), rows=len(design.rows))
