"""``evaluate``: fidelity, utility and privacy of a synthetic table in one call.

>>> import simulacra as sim
>>> real = sim.datasets.load_demo()
>>> train, test = real.iloc[:3000], real.iloc[3000:4500]
>>> synth = sim.GaussianCopula(random_state=0).fit(train).sample(3000)
>>> res = sim.evaluate(train, synth, holdout=test, target="income", metrics=["fidelity"])
>>> 0.8 < res.value("shape") <= 1.0
True

A column of kind ``text`` gets figures of its own (group ``"text"``, ``Metric.column`` naming
it; :mod:`simulacra.evaluation.text`); the table-wide figures leave it out.

Given mappings of table name to DataFrame (a database), ``evaluate`` hands them to
:func:`simulacra.evaluation.database.evaluate_database` and returns its
:class:`~simulacra.evaluation.database.DatabaseEvaluation`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.evaluation import detection, fairness, fidelity, privacy, utility
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer, prepare
from simulacra.evaluation.result import EvaluationResult
from simulacra.evaluation.sequence import SequenceSettings, run_sequences
from simulacra.evaluation.text import TextSettings, evaluate_text, text_columns
from simulacra.kinds import Numerical
from simulacra.metadata import DatabaseMetadata, Metadata
from simulacra.randomness import make_rng

if TYPE_CHECKING:
    from simulacra.evaluation.database import DatabaseEvaluation

logger = logging.getLogger(__name__)

GROUPS = ("fidelity", "detection", "utility", "privacy", "fairness", "sequences", "text")


@overload
def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    *,
    metadata: Metadata | None = None,
    target: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    metrics: Sequence[str] | str = "all",
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    sequence_options: Mapping[str, Any] | None = None,
    text_options: Mapping[str, Any] | None = None,
) -> EvaluationResult: ...


@overload
def evaluate(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    holdout: Mapping[str, pd.DataFrame] | None = None,
    *,
    metadata: DatabaseMetadata | None = None,
    target: str | None = None,
    metrics: Sequence[str] | str = "all",
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    text_options: Mapping[str, Any] | None = None,
) -> DatabaseEvaluation: ...


def evaluate(
    real: pd.DataFrame | Mapping[str, pd.DataFrame],
    synthetic: pd.DataFrame | Mapping[str, pd.DataFrame],
    holdout: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    *,
    metadata: Metadata | DatabaseMetadata | None = None,
    target: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    metrics: Sequence[str] | str = "all",
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    sequence_options: Mapping[str, Any] | None = None,
    text_options: Mapping[str, Any] | None = None,
) -> EvaluationResult | DatabaseEvaluation:
    """Compare ``synthetic`` with the ``real`` table it was trained on.

    ``real`` and ``synthetic`` may also be databases (mappings of table name to DataFrame):
    the call then is :func:`~simulacra.evaluation.database.evaluate_database` (``metadata`` a
    :class:`~simulacra.metadata.DatabaseMetadata` or ``None`` to detect it, ``target``
    ``"table.column"``, ``text_options`` applied to every text column of every table), and
    returns a ``DatabaseEvaluation``.

    Parameters
    ----------
    real:
        The training table the synthesizer saw.
    synthetic:
        The synthetic table (same columns).
    holdout:
        Real rows the synthesizer never saw. Needed for utility (train-on-synthetic,
        test-on-holdout) and for every privacy figure that says what "normal" is.
    metadata:
        Column kinds; detected from ``real`` when omitted. When it names a ``sequence_key``
        (an event table), the ``"sequences"`` stage compares the entities' event sequences
        too (:mod:`simulacra.evaluation.sequence`).
    target:
        Column to predict for the utility figures.
    sensitive:
        Columns whose groups the fairness figures compare (``"sex"``, ``["sex", "race"]``;
        default: the metadata's ``sensitive``): the target's parity gap in real and synthetic
        data, and with a holdout the prediction parity, equal opportunity and worst-group
        TSTR of models trained on each (:mod:`simulacra.evaluation.fairness`). Needs
        ``target``.
    metrics:
        "all" or a subset of ``("fidelity", "detection", "utility", "privacy", "fairness",
        "sequences", "text")``. ``"text"``: the figures of each column of kind ``text`` (lengths,
        vocabulary, text detection AUC, coherence with the row's categorical columns, exact
        copies, n-gram leakage; :func:`~simulacra.evaluation.text.evaluate_text`).
    random_state:
        Seed for every subsample, classifier and attack: same inputs, same figures.
    progress:
        Called with the name of each stage as it starts (the CLI shows it).
    sequence_options:
        Settings of the sequence figures, as
        :class:`~simulacra.evaluation.sequence.SequenceSettings` fields (e.g.
        ``{"discriminator_iterations": 500}`` for a quicker look).
    text_options:
        Settings of the text figures, as :class:`~simulacra.evaluation.text.TextSettings`
        fields (e.g. ``{"coherence": ["rating"], "samples": 0}``).

    A text column's figures are in ``metrics`` (group ``"text"``, ``column`` set; look one up
    with ``result.get(name, column=...)``), its statistics per side and coherence targets in
    ``info["text"]``, the seconds each figure took in ``info["text_seconds"]``, and the texts
    the HTML report shows side by side in ``figures["text"]`` (never in the JSON).
    """
    if _is_database(real) or _is_database(synthetic):
        if sensitive is not None:
            raise ParameterError("The 'sensitive' parameter applies to one table; evaluate "
                                 "that table of the database on its own for fairness figures.")
        if sequence_options is not None:
            raise ParameterError("The 'sequence_options' parameter applies to one event table; "
                                 "databases are evaluated without sequence figures.")
        return _evaluate_database(real, synthetic, holdout, metadata=metadata, target=target,
                                  metrics=metrics, random_state=random_state, progress=progress,
                                  text_options=text_options)
    if isinstance(metadata, DatabaseMetadata):
        raise ParameterError("The 'metadata' parameter is a DatabaseMetadata, so 'real' and "
                             "'synthetic' must be databases (mappings of table name to "
                             "DataFrame). Got a single table instead; pass that table's "
                             "Metadata (metadata['table']).")
    groups = _groups(metrics)
    sequence_settings = SequenceSettings.from_options(sequence_options)
    text_settings = TextSettings.from_options(text_options)
    rng = make_rng(random_state)
    started = time.perf_counter()
    data = prepare(real, synthetic, holdout, metadata)
    if target is not None and target not in real.columns:
        raise ParameterError(f"The 'target' parameter must be a column of the real table. "
                             f"Got {target!r} instead; columns are {list(real.columns)}.")
    featurizer = Featurizer(data)
    found: list[Metric] = []
    timings: dict[str, float] = {}
    figures: dict[str, Any] = {}

    def stage(name: str, run: Callable[[], Iterable[Metric] | Metric]) -> None:
        if progress is not None:
            progress(name)
        t0 = time.perf_counter()
        out = run()
        found.extend([out] if isinstance(out, Metric) else list(out))
        timings[name] = round(time.perf_counter() - t0, 3)

    if "fidelity" in groups:
        stage("fidelity", lambda: _fidelity(data, featurizer, rng))
        if data.holdout is not None:
            stage("fidelity of the holdout (reference)",
                  lambda: _with_holdout_reference(found, data, featurizer, rng))
        figures["association"] = fidelity.association_matrices(data)
        figures["distributions"] = fidelity.column_distributions(data)
        figures["pairs"] = fidelity.pair_views(data, _worst_pairs(found))
        # an own random stream: the figures after it draw the same numbers with or without it
        figures["similarity"] = fidelity.embedding_view(
            data, featurizer, np.random.default_rng([int(random_state), 0x5E1]))
    if "detection" in groups:
        stage("detection", lambda: detection.detection_auc(data, featurizer, rng))
    if "utility" in groups and target is not None and data.holdout is not None:
        if target not in data.kinds:
            raise ParameterError(f"target {target!r} is a {data.skipped.get(target, '')!s} "
                                 "column; choose a numerical, categorical or boolean target")
        stage("utility (TSTR vs TRTR)", lambda: utility.utility(data, featurizer, target, rng))
    if "privacy" in groups:
        stage("exact copies", lambda: privacy.exact_copies(data))
        if data.holdout is not None:
            # one featurization fitted on train ∪ holdout, shared by every distance figure
            pooled = privacy.symmetric_featurizer(featurizer, data, rng)
            stage("distance to closest record",
                  lambda: privacy.distance_to_closest_record(data, pooled, rng))
            stage("membership inference",
                  lambda: privacy.membership_inference(data, pooled, rng))
            stage("singling out", lambda: privacy.singling_out(data, rng))
            stage("linkability", lambda: privacy.linkability(data, pooled, rng))
            stage("attribute inference",
                  lambda: privacy.attribute_inference(data, pooled, rng, secret=target))
    chosen = _sensitive(sensitive, data, target) if "fairness" in groups else []
    if chosen and target is not None:
        # an own random stream: the figures after it are the same with or without it
        stage("fairness", lambda: fairness.fairness(
            data, featurizer, target, chosen, np.random.default_rng([int(random_state), 0xFA1])))
    not_computed = _not_computed(groups, target, data)
    if "fairness" in groups and (not chosen or target is None) and (
            groups != set(GROUPS) or sensitive is not None):
        not_computed.append("fairness: needs a target column and sensitive columns "
                            "(sensitive=[...] or the metadata's 'sensitive')")
    sequence_seconds: dict[str, float] = {}
    if "sequences" in groups and data.metadata.sequence_key is not None:
        # last, so the stages above draw the same random numbers with or without it
        def sequences() -> list[Metric]:
            md, chosen = data.metadata, sequence_settings
            if chosen.target is None and target is not None and target in md and isinstance(
                    md[target], Numerical) and target != md.sequence_index:
                chosen = dataclasses.replace(chosen, target=target)  # the predictor's target
            out = run_sequences(
                real, synthetic, data.metadata, holdout=holdout, rng=rng, settings=chosen,
                progress=(lambda step: progress(f"sequences: {step}")) if progress else None)
            not_computed.extend(out.not_computed)
            sequence_seconds.update(out.seconds)
            if out.samples:
                figures["sequences"] = out.samples
            return out.metrics

        stage("sequences", sequences)

    text_info: dict[str, Any] = {}
    text_seconds: dict[str, dict[str, float]] = {}
    if "text" in groups and text_columns(real, data.metadata):
        # own random streams (from random_state and each column's place): the figures above
        # are the same with or without text columns, and these with or without the others
        def text() -> list[Metric]:
            out = evaluate_text(
                real, synthetic, holdout, metadata=data.metadata, random_state=random_state,
                settings=text_settings,
                progress=(lambda step: progress(f"text: {step}")) if progress else None)
            not_computed.extend(out.not_computed)
            text_info.update(out.info())
            text_seconds.update(out.seconds)
            figures["text"] = {column: {"samples": out.samples.get(column, {})}
                               for column in out.statistics}
            return out.metrics

        stage("text", text)
    elif "text" in groups and groups != set(GROUPS):
        not_computed.append("text figures: the table has no column of kind 'text' (set one "
                            "with metadata.update_column(name, kind='text'))")

    info = {
        "rows": {name: len(frame) for name, frame in data.frames().items()},
        "columns_compared": list(data.kinds),
        "columns_skipped": data.skipped,
        "target": target,
        "sensitive": chosen,
        "random_state": random_state,
        "seconds": round(time.perf_counter() - started, 2),
        "stage_seconds": timings,
        "not_computed": not_computed,
    }
    if text_info:
        info["text"] = text_info
        info["text_seconds"] = text_seconds
    if sequence_seconds:
        info["sequence_seconds"] = sequence_seconds
        info["sequences"] = {"key": data.metadata.sequence_key,
                             "index": data.metadata.sequence_index}
    logger.info("evaluation finished in %.1f s", info["seconds"])
    return EvaluationResult(found, info=info, figures=figures)


def _is_database(value: object) -> bool:
    return isinstance(value, Mapping) and not isinstance(value, pd.DataFrame)


def _evaluate_database(real: Any, synthetic: Any, holdout: Any, *, metadata: Any,
                       target: str | None, metrics: Sequence[str] | str, random_state: int,
                       progress: Callable[[str], None] | None,
                       text_options: Mapping[str, Any] | None) -> DatabaseEvaluation:
    """The database path of :func:`evaluate`, with its inputs checked."""
    from simulacra.evaluation.database import evaluate_database

    for label, value in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        if value is not None and not _is_database(value):
            raise ParameterError(f"The {label!r} parameter must be a database (a mapping of "
                                 "table name to DataFrame) like the others. Got "
                                 f"{type(value).__name__} instead.")
    if metadata is not None and not isinstance(metadata, DatabaseMetadata):
        raise ParameterError("The 'metadata' parameter must be a DatabaseMetadata (or None to "
                             f"detect it) for databases. Got {type(metadata).__name__} "
                             "instead.")
    return evaluate_database(real, synthetic, metadata, holdout=holdout, target=target,
                             metrics=metrics, random_state=random_state, progress=progress,
                             text_options=text_options)


def _fidelity(data: EvalData, featurizer: Featurizer, rng: np.random.Generator) -> list[Metric]:
    return [
        fidelity.column_shapes(data),
        fidelity.column_pair_trends(data),
        *fidelity.binned_accuracy(data, rng),
        *fidelity.coverage(data),
        fidelity.missing_share_similarity(data),
        *fidelity.alpha_precision_beta_recall(data, featurizer, rng),
    ]


def _worst_pairs(found: list[Metric], count: int = 4) -> list[tuple[str, str]]:
    """The ``count`` column pairs the trend figure scores worst (the report draws them)."""
    trend = next((m for m in found if m.name == "trend" and m.group == "fidelity"), None)
    pairs = [p for p in (trend.details.get("pairs", []) if trend is not None else [])
             if p["score"] == p["score"]]
    pairs.sort(key=lambda p: p["score"])
    return [(p["column_1"], p["column_2"]) for p in pairs[:count]]


def _with_holdout_reference(found: list[Metric], data: EvalData, featurizer: Featurizer,
                            rng: np.random.Generator) -> list[Metric]:
    """Score the real holdout as if it were synthetic: the ceiling sampling noise allows.

    Each fidelity figure gets the holdout's score as its ``reference`` (replaced in place in
    ``found``), so a reader sees e.g. that real unseen rows reach a trend of 0.98, not 1.
    """
    ceiling = data.holdout_as_synthetic()  # the featurizer is the real table's, as before
    reference = {m.name: m.value for m in _fidelity(ceiling, featurizer, rng)}
    for i, metric in enumerate(found):
        if metric.group == "fidelity" and metric.name in reference:
            found[i] = dataclasses.replace(metric, reference=reference[metric.name],
                                           reference_label="holdout")
    return []


def _groups(metrics: Sequence[str] | str) -> set[str]:
    if metrics == "all":
        return set(GROUPS)
    chosen = {metrics} if isinstance(metrics, str) else set(metrics)
    unknown = sorted(chosen - set(GROUPS))
    if unknown:
        raise ParameterError(f"The 'metrics' parameter must be 'all' or a subset of {GROUPS}. "
                             f"Got {unknown} instead.")
    return chosen


def _sensitive(sensitive: Sequence[str] | str | None, data: EvalData, target: str | None
               ) -> list[str]:
    """The sensitive columns asked for (else the metadata's), checked."""
    if sensitive is None:
        chosen = list(data.metadata.sensitive)
    elif isinstance(sensitive, str):
        chosen = [sensitive]
    else:
        chosen = list(sensitive)
    if sensitive is not None and target is None:
        raise ParameterError("The 'sensitive' parameter needs a 'target' (the column whose "
                             "distribution the groups are compared on).")
    return fairness.check_sensitive(data, chosen, target) if target is not None else chosen


def _not_computed(groups: set[str], target: str | None, data: EvalData) -> list[str]:
    out = []
    if "utility" in groups and (target is None or data.holdout is None):
        out.append("utility: needs both a holdout table and a target column")
    if "privacy" in groups and data.holdout is None:
        out.append("privacy distances, membership inference and Anonymeter-style risks: "
                   "need a holdout table to say what a real unseen record would score")
    if "sequences" in groups and groups != set(GROUPS) and data.metadata.sequence_key is None:
        out.append("sequence figures: the metadata names no sequence_key (the column of each "
                   "event's entity); detect it with Metadata.detect(real, sequence_key=...)")
    return out
