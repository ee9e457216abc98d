"""Sequences: how closely synthetic entities' event sequences follow the real ones.

An event table (one row per event, ``Metadata.sequence_key`` naming each event's entity and
``sequence_index`` ordering an entity's events) is compared sequence by sequence. Every
figure is a :class:`~simulacra.evaluation.metric.Metric` of group ``"sequence"``; one module
per figure:

* :mod:`.lengths` — sequence-length similarity (1 − KS of events per entity; SDMetrics'
  SequenceLengthSimilarity);
* :mod:`.gaps` — inter-event time similarity (1 − KS of the times between an entity's
  consecutive events; needs an index);
* :mod:`.autocorrelation` — autocorrelation gap of each numerical column at lags 1..24,
  computed over all entities;
* :mod:`.statistic_msas`, :mod:`.inter_row_msas` — ports of SDMetrics' StatisticMSAS and
  InterRowMSAS (cross-checked by ``tests/test_sdmetrics_agreement.py``);
* :mod:`.correlational` — Diffusion-TS's cross-correlation score;
* :mod:`.discriminative`, :mod:`.predictive` — TimeGAN's post-hoc GRU discriminator and
  one-step-ahead predictor (need PyTorch, ``simulacra[deep]``);
* :mod:`.context_fid` — Diffusion-TS's Context-FID of fixed-length windows, embedded by a
  TS2Vec encoder (:mod:`.ts2vec`) trained on the real windows (needs PyTorch).

:mod:`.data` groups the tables' events by entity once (:func:`prepare_sequences`),
:mod:`.features` turns them into scaled units for the networks, :mod:`.report_data` draws a
few sequences for the HTML report, and :func:`evaluate_sequences` runs everything;
:func:`simulacra.evaluate` does so itself when the metadata names a ``sequence_key``.
"""

from simulacra.evaluation.sequence.autocorrelation import (
    autocorrelation,
    autocorrelation_function,
)
from simulacra.evaluation.sequence.context_fid import (
    context_fid,
    context_fid_metric,
    frechet_distance,
)
from simulacra.evaluation.sequence.correlational import (
    correlational_metric,
    correlational_score,
    cross_correlation,
)
from simulacra.evaluation.sequence.data import (
    MAX_ENTITIES,
    SequenceData,
    Sequences,
    prepare_sequences,
)
from simulacra.evaluation.sequence.discriminative import (
    Discrimination,
    discriminative_metric,
    discriminative_score,
)
from simulacra.evaluation.sequence.evaluate import (
    SequenceEvaluation,
    SequenceSettings,
    evaluate_sequences,
    run_sequences,
)
from simulacra.evaluation.sequence.features import SequenceFeatures
from simulacra.evaluation.sequence.gaps import inter_event_time_similarity
from simulacra.evaluation.sequence.inter_row_msas import inter_row_msas, inter_row_msas_metric
from simulacra.evaluation.sequence.lengths import sequence_length_similarity
from simulacra.evaluation.sequence.predictive import predictive_metric, predictive_score
from simulacra.evaluation.sequence.statistic_msas import statistic_msas, statistic_msas_metric

__all__ = [
    "MAX_ENTITIES",
    "Discrimination",
    "SequenceData",
    "SequenceEvaluation",
    "SequenceFeatures",
    "SequenceSettings",
    "Sequences",
    "autocorrelation",
    "autocorrelation_function",
    "context_fid",
    "context_fid_metric",
    "correlational_metric",
    "correlational_score",
    "cross_correlation",
    "discriminative_metric",
    "discriminative_score",
    "evaluate_sequences",
    "frechet_distance",
    "inter_event_time_similarity",
    "inter_row_msas",
    "inter_row_msas_metric",
    "predictive_metric",
    "predictive_score",
    "prepare_sequences",
    "run_sequences",
    "sequence_length_similarity",
    "statistic_msas",
    "statistic_msas_metric",
]
