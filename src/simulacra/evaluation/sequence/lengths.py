"""Sequence-length similarity: do synthetic entities have as many events as real ones?

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> from simulacra.evaluation.sequence.data import prepare_sequences
>>> real = pd.DataFrame({"user": [1, 1, 2, 3, 3, 3], "x": [1.0, 2, 3, 4, 5, 6]})
>>> synth = pd.DataFrame({"user": [7, 8, 9], "x": [1.0, 2, 3]})
>>> md = Metadata.detect(real, sequence_key="user")
>>> m = sequence_length_similarity(prepare_sequences(real, synth, md))
>>> m.name, round(m.value, 3)     # real lengths 2, 1, 3; synthetic 1, 1, 1
('sequence length similarity', 0.333)
"""

from __future__ import annotations

import numpy as np

from simulacra.evaluation.fidelity.statistics import ks_statistic
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData

DEFINITION = ("1 − two-sample KS statistic between the real and the synthetic entities' "
              "numbers of events (SDMetrics' SequenceLengthSimilarity).")


def sequence_length_similarity(data: SequenceData) -> Metric:
    """1 − KS statistic between the per-entity event counts of the two tables.

    The same figure as SDMetrics' ``SequenceLengthSimilarity`` (KSComplement of each sequence
    key's ``value_counts``). ``details`` hold a few quantiles of both length distributions.
    Reference: ``sdmetrics.single_column.SequenceLengthSimilarity``.
    """
    real, synth = data.real.lengths.astype(np.float64), data.synth.lengths.astype(np.float64)
    return Metric(
        "sequence length similarity", "sequence", 1.0 - ks_statistic(real, synth),
        definition=DEFINITION, direction="higher", ideal=1.0, note=data.note,
        details={"real": _summary(real), "synthetic": _summary(synth)})


def _summary(lengths: np.ndarray) -> dict[str, float]:
    quantiles = np.quantile(lengths, [0.1, 0.5, 0.9]) if lengths.size else [np.nan] * 3
    return {"entities": int(lengths.size), "mean": float(np.mean(lengths)) if lengths.size
            else float("nan"), "p10": float(quantiles[0]), "median": float(quantiles[1]),
            "p90": float(quantiles[2]), "max": float(lengths.max()) if lengths.size else 0.0}
