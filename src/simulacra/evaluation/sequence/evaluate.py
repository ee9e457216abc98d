"""``evaluate_sequences``: every sequence figure of an event table in one call.

>>> import numpy as np, pandas as pd
>>> import simulacra as sim
>>> rng = np.random.default_rng(0)
>>> sizes = rng.integers(2, 9, 150)
>>> events = pd.DataFrame({"user": np.repeat(np.arange(150), sizes),
...                        "step": np.concatenate([np.arange(k) for k in sizes])})
>>> events["x"] = events["step"] * 1.5 + rng.normal(0, 1, len(events))
>>> md = sim.Metadata.detect(events, sequence_key="user", sequence_index="step")
>>> metrics = evaluate_sequences(events, events.copy(), md, neural=False)
>>> {m.name: round(m.value, 3) for m in metrics}["sequence length similarity"]
1.0
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence import discriminative, predictive
from simulacra.evaluation.sequence.autocorrelation import autocorrelation
from simulacra.evaluation.sequence.context_fid import (
    NOT_WINDOWS,
    context_fid_metric,
    fixed_windows,
)
from simulacra.evaluation.sequence.correlational import correlational_metric
from simulacra.evaluation.sequence.data import MAX_ENTITIES, SequenceData, prepare_sequences
from simulacra.evaluation.sequence.features import MAX_UNITS, WINDOW, SequenceFeatures
from simulacra.evaluation.sequence.gaps import NOT_COMPUTED as NO_INDEX
from simulacra.evaluation.sequence.gaps import inter_event_time_similarity
from simulacra.evaluation.sequence.inter_row_msas import inter_row_msas_metric
from simulacra.evaluation.sequence.lengths import sequence_length_similarity
from simulacra.evaluation.sequence.report_data import sequence_samples
from simulacra.evaluation.sequence.statistic_msas import statistic_msas_metric
from simulacra.metadata import Metadata
from simulacra.randomness import RandomState, make_rng


@dataclass(frozen=True)
class SequenceSettings:
    """How :func:`evaluate_sequences` bounds its work (every field has a safe default).

    ``max_entities`` entities per table at most; ``window``: longer sequences are cut into
    units of about this many events for the neural and correlational scores (TimeGAN's 24);
    ``max_units`` units per table at most; the discriminator and predictor train for
    ``discriminator_iterations`` / ``predictor_iterations`` steps (TimeGAN's 2000 / 5000) with
    ``discriminator_layers`` / ``predictor_layers`` GRU layers; ``neural=False`` skips both
    networks (they need PyTorch); ``target`` is the column the predictor predicts (default:
    the last numerical event column).
    """

    max_entities: int = MAX_ENTITIES
    window: int = WINDOW
    max_units: int = MAX_UNITS
    discriminator_iterations: int = discriminative.ITERATIONS
    predictor_iterations: int = predictive.ITERATIONS
    discriminator_layers: int = discriminative.LAYERS
    predictor_layers: int = predictive.LAYERS
    neural: bool = True
    target: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("max_entities", "window", "max_units"):
            value = getattr(self, name)
            check_param(name, value, "an integer >= 2",
                        isinstance(value, int) and not isinstance(value, bool) and value >= 2)
        for name in ("discriminator_iterations", "predictor_iterations", "discriminator_layers",
                     "predictor_layers"):
            value = getattr(self, name)
            check_param(name, value, "an integer >= 1",
                        isinstance(value, int) and not isinstance(value, bool) and value >= 1)
        check_param("neural", self.neural, "True or False", isinstance(self.neural, bool))

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None) -> SequenceSettings:
        """Settings from a mapping of field names (unknown names are an error naming them)."""
        options = dict(options or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ParameterError(f"The 'sequence_options' parameter takes {sorted(known)}. "
                                 f"Got unknown {unknown} instead.")
        return cls(**options)


@dataclass
class SequenceEvaluation:
    """The sequence figures, what could not be computed and why, and the report's samples."""

    metrics: list[Metric]
    not_computed: list[str] = field(default_factory=list)
    samples: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def evaluate_sequences(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Metadata,
    *,
    holdout: pd.DataFrame | None = None,
    random_state: RandomState = 0,
    max_entities: int = MAX_ENTITIES,
    window: int = WINDOW,
    neural: bool = True,
    **settings: Any,
) -> list[Metric]:
    """Compare the synthetic event table's sequences with the real table's.

    Parameters
    ----------
    real, synthetic, holdout:
        One row per event, with the metadata's ``sequence_key`` (and ``sequence_index``).
    metadata:
        A :class:`~simulacra.metadata.Metadata` naming the ``sequence_key``.
    random_state:
        Seed of every subsample, split, batch and network initialisation.
    max_entities, window, neural, settings:
        See :class:`SequenceSettings`.

    Returns the figures of group ``"sequence"``: sequence length similarity, inter-event time
    similarity (with an index), autocorrelation gaps, StatisticMSAS and InterRowMSAS,
    correlational score, and the discriminative and predictive scores (with PyTorch). With a
    ``holdout`` each figure's ``reference`` is what the holdout scores in the synthetic
    table's place.
    """
    chosen = SequenceSettings(max_entities=max_entities, window=window, neural=neural,
                              **settings)
    return run_sequences(real, synthetic, metadata, holdout=holdout,
                         rng=make_rng(random_state), settings=chosen).metrics


def run_sequences(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Metadata, *,
                  holdout: pd.DataFrame | None, rng: np.random.Generator,
                  settings: SequenceSettings | None = None,
                  progress: Callable[[str], None] | None = None) -> SequenceEvaluation:
    """:func:`evaluate_sequences` with what :func:`simulacra.evaluate` also needs: the
    figures not computed (and why) and a few sequences of each table for the report."""
    settings = settings or SequenceSettings()
    data = prepare_sequences(real, synthetic, metadata, holdout=holdout,
                             max_entities=settings.max_entities, rng=rng)
    out = SequenceEvaluation([], not_computed=not_computed(data, settings))
    neural = settings.neural and torch_available()
    features = SequenceFeatures(data, target=settings.target) if neural else None
    out.metrics = _figures(data, features, rng, settings, out.seconds, progress, real=True)
    if data.holdout is not None:
        ceiling = _figures(data.holdout_as_synthetic(), features, rng, settings, out.seconds,
                           progress, real=False)
        reference = {m.name: m for m in ceiling}
        for i, metric in enumerate(out.metrics):
            twin = reference.get(metric.name)
            if twin is None or math.isnan(twin.value):
                continue
            details = dict(metric.details)
            if metric.name == "predictive score":
                details["trained_on_holdout"] = twin.value
            out.metrics[i] = dataclasses.replace(metric, reference=twin.value,
                                                 reference_label="holdout", details=details)
    out.samples = sequence_samples(data, rng)
    return out


def torch_available() -> bool:
    """Whether PyTorch can be imported (the ``simulacra[deep]`` extra)."""
    return importlib.util.find_spec("torch") is not None


def not_computed(data: SequenceData, settings: SequenceSettings) -> list[str]:
    """The sequence figures that cannot be computed for these tables, each with why."""
    out = []
    if data.index is None:
        out.append(NO_INDEX)
    if not data.numeric:
        out.append("autocorrelation, StatisticMSAS, InterRowMSAS and predictive score: the "
                   "table has no numerical event column")
    elif len(data.numeric) < 2:
        out.append("correlational score: needs two numerical event columns (with one, its "
                   "only pair is the column with itself)")
    if settings.neural and not torch_available():
        out.append('discriminative and predictive scores: need PyTorch (pip install '
                   '"simulacra[deep]")')
    elif not settings.neural:
        out.append("discriminative and predictive scores: skipped (neural=False)")
    if settings.neural and torch_available() and not fixed_windows(data, settings.window):
        out.append("context-FID: " + NOT_WINDOWS.removeprefix("not computed: "))
    return out


def _figures(data: SequenceData, features: SequenceFeatures | None, rng: np.random.Generator,
             settings: SequenceSettings, seconds: dict[str, float],
             progress: Callable[[str], None] | None, *, real: bool) -> list[Metric]:
    """Every figure for ``data`` (the holdout's when not ``real``), timing each."""
    suffix = "" if real else " (holdout reference)"
    found: list[Metric] = []

    def step(name: str, run: Callable[[], Metric | list[Metric] | None]) -> None:
        if progress is not None:
            progress(name + suffix)
        started = time.perf_counter()
        out = run()
        found.extend([] if out is None else [out] if isinstance(out, Metric) else out)
        seconds[name + suffix] = round(time.perf_counter() - started, 3)

    step("sequence lengths", lambda: sequence_length_similarity(data))
    if data.index is not None:
        step("inter-event times", lambda: inter_event_time_similarity(data))
    step("autocorrelation", lambda: autocorrelation(data))
    step("StatisticMSAS", lambda: statistic_msas_metric(data))
    step("InterRowMSAS", lambda: inter_row_msas_metric(data))
    step("correlational score", lambda: correlational_metric(
        data, rng, window=settings.window, max_units=settings.max_units))
    if features is not None:
        step("discriminative score", lambda: discriminative.discriminative_metric(
            data, features, rng, window=settings.window, max_units=settings.max_units,
            iterations=settings.discriminator_iterations,
            layers=settings.discriminator_layers, device=settings.device))
        step("predictive score", lambda: predictive.predictive_metric(
            data, features, rng, window=settings.window, max_units=settings.max_units,
            iterations=settings.predictor_iterations, layers=settings.predictor_layers,
            real_reference=real, device=settings.device))
        if fixed_windows(data, settings.window):
            step("context-FID", lambda: context_fid_metric(
                data, features, rng, window=settings.window, max_units=settings.max_units,
                device=settings.device))
    return found
