"""``evaluate_database``: a synthetic database against the real one, in one call.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> users = pd.DataFrame({"user_id": range(40), "age": [20 + i % 30 for i in range(40)]})
>>> orders = pd.DataFrame({"order_id": range(80), "user_id": [i % 40 for i in range(80)],
...                        "amount": [float(i % 13) for i in range(80)]})
>>> real = {"users": users, "orders": orders}
>>> result = evaluate_database(real, real, DatabaseMetadata.detect(real),
...                            metrics=["integrity", "cardinality", "trends"])
>>> result.value("foreign key resolution"), result.value("cardinality shape")
(1.0, 1.0)
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import pandas as pd

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.database.cardinality import cardinality_shapes
from simulacra.evaluation.database.data import DatabaseData
from simulacra.evaluation.database.detection import aggregate_detection
from simulacra.evaluation.database.integrity import integrity
from simulacra.evaluation.database.result import DatabaseEvaluation
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.database.sequences import relation_sequences
from simulacra.evaluation.database.tables import table_figures, table_means
from simulacra.evaluation.database.texts import text_figures, text_tables
from simulacra.evaluation.database.trends import avg_two_way, path_trends
from simulacra.evaluation.database.utility import cross_table_utility, parse_target
from simulacra.evaluation.text import TextSettings
from simulacra.metadata import DatabaseMetadata
from simulacra.randomness import make_rng

logger = logging.getLogger(__name__)

#: The groups of figures ``metrics=`` may choose from.
DATABASE_GROUPS = ("integrity", "fidelity", "cardinality", "trends", "detection", "utility",
                   "privacy", "sequences", "text")
#: Rows read per table, join or classifier side at most (drawn with the seed beyond that).
MAX_ROWS = 50_000


def evaluate_database(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    metadata: DatabaseMetadata | None = None,
    *,
    holdout: Mapping[str, pd.DataFrame] | None = None,
    target: str | None = None,
    metrics: Sequence[str] | str = "all",
    max_hops: int | None = None,
    random_state: int = 0,
    max_rows: int = MAX_ROWS,
    n_threads: int | None = 1,
    progress: Callable[[str], None] | None = None,
    text_options: TextSettings | Mapping[str, Any] | None = None,
) -> DatabaseEvaluation:
    """Compare a ``synthetic`` database with the ``real`` one it was learned from.

    Parameters
    ----------
    real, synthetic:
        Mappings of table name to DataFrame: every table of ``metadata`` must be in both,
        with the real table's columns.
    metadata:
        Tables, primary and foreign keys; detected from ``real`` when omitted.
    holdout:
        Real tables the synthesizer never saw (some or all): they are the real side of the
        detection figures, the test set of the utility figure, and make the per-table privacy
        figures (DCR share) possible. A table a join needs but the holdout lacks (a shared
        lookup table) is read from ``real``.
    target:
        ``"table.column"`` to predict for the cross-table utility (TSTR vs TRTR).
    metrics:
        "all" or a subset of :data:`DATABASE_GROUPS`: ``integrity`` (keys), ``fidelity``
        (per-table shape and trend), ``cardinality`` (children per parent), ``trends``
        (parent–child, k-hop, AVG 2-way), ``detection`` (per-table detection AUC, C2ST-Agg),
        ``utility`` (needs ``target``), ``privacy`` (exact copies; DCR with a holdout),
        ``sequences`` (a child table's rows per parent as sequences, where they have an
        order: :mod:`~simulacra.evaluation.database.sequences`), ``text`` (each table's
        columns of kind ``text``: :mod:`~simulacra.evaluation.database.texts`).
    max_hops:
        Longest key path for the k-hop trends (all paths when ``None``).
    random_state:
        Seed of every subsample, split and classifier: same inputs, same figures.
    max_rows:
        Rows read per table, join and classifier side at most; beyond it a seeded subsample
        is used and the figure's note says so.
    n_threads:
        Threads the classifiers and numeric libraries may use (``None``: their default, every
        core). One is fastest for tables of this size and on a shared machine, where
        OpenMP threads that wait on each other can make a classifier ten times slower.
    progress:
        Called with the name of each stage as it starts.
    text_options:
        Settings of the text figures, applied to every text column of every table, as
        :class:`~simulacra.evaluation.text.TextSettings` fields (e.g. ``{"folds": 3}``);
        ``columns`` and ``coherence`` name columns as ``column`` or ``table.column``.

    Returns a :class:`DatabaseEvaluation` (``summary()``, ``to_json()``, ``save_html()``).
    A text column's figures are table figures whose ``Metric.column`` names it
    (``result.get(name, table=..., column=...)``); its statistics per side and coherence
    targets are in ``info["text"][table][column]``, and the texts the report shows side by
    side in ``figures["text"]`` (never in the JSON).
    """
    check_param("n_threads", n_threads, "None or an integer >= 1",
                n_threads is None or (isinstance(n_threads, int) and n_threads >= 1))
    with _thread_limit(n_threads):
        return _evaluate_database(real, synthetic, metadata, holdout=holdout, target=target,
                                  metrics=metrics, max_hops=max_hops, random_state=random_state,
                                  max_rows=max_rows, progress=progress,
                                  text_settings=TextSettings.from_options(text_options))


def _evaluate_database(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    metadata: DatabaseMetadata | None,
    *,
    holdout: Mapping[str, pd.DataFrame] | None,
    target: str | None,
    metrics: Sequence[str] | str,
    max_hops: int | None,
    random_state: int,
    max_rows: int,
    progress: Callable[[str], None] | None,
    text_settings: TextSettings,
) -> DatabaseEvaluation:
    groups = _groups(metrics)
    check_param("max_rows", max_rows, "an integer >= 10",
                isinstance(max_rows, int) and max_rows >= 10)
    check_param("max_hops", max_hops, "None or an integer >= 1",
                max_hops is None or (isinstance(max_hops, int) and max_hops >= 1))
    rng = make_rng(random_state)
    started = time.perf_counter()
    if metadata is None:
        metadata = DatabaseMetadata.detect(real)
    data = DatabaseData.check(real, synthetic, metadata, holdout)
    if target is not None:
        parse_target(data, target)  # fail before any work
    found: list[Scoped] = []
    notes = list(data.notes)
    timings: dict[str, float] = {}

    def stage(name: str, run: Callable[[], list[Scoped]]) -> None:
        if progress is not None:
            progress(name)
        t0 = time.perf_counter()
        found.extend(run())
        timings[name] = round(time.perf_counter() - t0, 3)

    if "integrity" in groups:
        stage("integrity", lambda: integrity(data))
    table_groups = {"fidelity", "detection", "privacy"} & groups
    if table_groups:
        def per_table() -> list[Scoped]:
            out, table_notes = table_figures(data, rng, table_groups, max_rows=max_rows)
            notes.extend(table_notes)
            return out
        stage("tables", per_table)
        stage("table means", lambda: table_means(found))
    if "cardinality" in groups:
        stage("cardinality", lambda: cardinality_shapes(data))
    if "trends" in groups:
        stage("trends along key paths",
              lambda: path_trends(data, rng, max_rows=max_rows, max_hops=max_hops))
        two_way = avg_two_way(found) if "fidelity" in groups else None
        if two_way is not None:
            found.append(Scoped("database", "", two_way))
    if "detection" in groups:
        stage("C2ST-Agg", lambda: aggregate_detection(data, rng, max_rows=max_rows))
    if "utility" in groups and target is not None:
        stage("cross-table utility",
              lambda: cross_table_utility(data, target, rng, max_rows=max_rows))
    if "sequences" in groups:  # last: its draws leave the other stages' figures as they were
        def per_relation() -> list[Scoped]:
            out, relation_notes = relation_sequences(data, rng)
            notes.extend(relation_notes)
            return out
        stage("sequences per parent", per_relation)
    text_info: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    not_computed = []
    if "text" in groups and text_tables(data):
        # draws from generators of its own: the figures above are the same without it
        def texts() -> list[Scoped]:
            out = text_figures(
                data, text_settings, random_state=random_state, max_rows=max_rows,
                progress=(lambda step: progress(f"text: {step}")) if progress else None)
            not_computed.extend(out.not_computed)
            text_info.update({"text": out.info, "text_seconds": out.seconds})
            figures["text"] = {table: {column: {"samples": samples}
                                       for column, samples in columns.items()}
                               for table, columns in out.samples.items()}
            return out.figures
        stage("text", texts)
    elif "text" in groups and groups != set(DATABASE_GROUPS):
        not_computed.append("text figures: no table has a column of kind 'text' (set one with "
                            "metadata.set_table(name, metadata[name].update_column(column, "
                            "kind='text')))")
    if "utility" in groups and target is None:
        not_computed.append("cross-table utility: needs target='table.column'")
    if "trends" in groups and "fidelity" not in groups:
        not_computed.append("AVG 2-way: needs the 'fidelity' group (the within-table pairs)")
    if "privacy" in groups and not data.holdout:
        not_computed.append("distance to closest record per table: needs a holdout database")
    found = _ordered(found)
    info = {
        "tables": data.tables,
        "foreign_keys": [str(fk) for fk in metadata.foreign_keys],
        "rows": data.info(),
        "target": target,
        "metrics": sorted(groups),
        "random_state": random_state,
        "max_rows": max_rows,
        "seconds": round(time.perf_counter() - started, 2),
        "stage_seconds": timings,
        "notes": notes,
        "not_computed": not_computed,
        **text_info,
    }
    logger.info("database evaluation finished in %.1f s", info["seconds"])
    return DatabaseEvaluation(found, info=info, figures=figures)


def _thread_limit(n_threads: int | None) -> AbstractContextManager[object]:
    """Cap the OpenMP/BLAS thread pools for the duration of the evaluation."""
    if n_threads is None:
        return contextlib.nullcontext()
    try:  # installed with scikit-learn, which depends on it
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=n_threads)


def _ordered(found: list[Scoped]) -> list[Scoped]:
    """Database figures first, then tables, relations and paths (stable within each)."""
    rank = {"database": 0, "table": 1, "relation": 2, "path": 3}
    return sorted(found, key=lambda f: rank[f.scope])


def _groups(metrics: Sequence[str] | str) -> set[str]:
    if metrics == "all":
        return set(DATABASE_GROUPS)
    chosen = {metrics} if isinstance(metrics, str) else set(metrics)
    unknown = sorted(chosen - set(DATABASE_GROUPS))
    if unknown or not chosen:
        raise ParameterError(f"The 'metrics' parameter must be 'all' or a non-empty subset of "
                             f"{DATABASE_GROUPS}. Got {sorted(chosen)} instead.")
    return chosen


__all__ = ["DATABASE_GROUPS", "MAX_ROWS", "evaluate_database"]
