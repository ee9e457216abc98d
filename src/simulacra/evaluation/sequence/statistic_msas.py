"""StatisticMSAS: is a per-sequence statistic of a column distributed as in the real data?

SDMetrics' Statistic Multi-Sequence Aggregate Similarity (Zhang et al., "Multi-Sequence
Aggregate Similarity", 2022; ``sdmetrics.column_pairs.StatisticMSAS``):

1. compute a statistic (``mean`` by default; ``median``, ``std``, ``min``, ``max``) of the
   column over each sequence's events, for the real data and for the synthetic data;
2. compare the two distributions of that statistic with KSComplement (1 − KS statistic,
   nulls dropped, values rounded to 14 decimals).

Nulls inside a sequence are skipped by the statistic; ``std`` is the sample standard deviation
(``ddof=1``, so undefined for a one-event sequence, which then drops out), as pandas computes
it for SDMetrics.

>>> import pandas as pd
>>> keys = pd.Series([1, 1, 2, 2])
>>> statistic_msas(keys, pd.Series([1.0, 3.0, 5.0, 7.0]), keys, pd.Series([1.0, 3.0, 9.0, 9.0]))
0.5
"""

from __future__ import annotations

import pandas as pd

from simulacra.errors import ParameterError
from simulacra.evaluation.fidelity.shapes import ks_complement
from simulacra.evaluation.fidelity.statistics import nanmean
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData

STATISTICS = ("mean", "median", "std", "min", "max")


def statistic_msas(real_keys: pd.Series, real_values: pd.Series, synthetic_keys: pd.Series,
                   synthetic_values: pd.Series, statistic: str = "mean") -> float:
    """SDMetrics' ``StatisticMSAS.compute((real_keys, real_values), (synthetic_keys,
    synthetic_values), statistic)``: KSComplement of the per-sequence statistic.

    ``*_keys`` name each row's sequence, ``*_values`` hold a numerical column.
    """
    if statistic not in STATISTICS:
        raise ParameterError(f"The 'statistic' parameter must be one of {STATISTICS}. "
                             f"Got {statistic!r} instead.")
    return ks_complement(per_sequence(real_keys, real_values, statistic),
                         per_sequence(synthetic_keys, synthetic_values, statistic))


def per_sequence(keys: pd.Series, values: pd.Series, statistic: str) -> pd.Series:
    """``statistic`` of ``values`` within each key (rows with a null key belong to none)."""
    numbers = pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="raise")
    frame = pd.DataFrame({"key": pd.Series(keys).reset_index(drop=True), "value": numbers})
    return frame.groupby("key")["value"].agg(statistic)


def statistic_msas_metric(data: SequenceData, statistic: str = "mean") -> Metric | None:
    """The mean over numerical event columns of :func:`statistic_msas` (None without one)."""
    if not data.numeric:
        return None
    real_keys = pd.Series(data.real.entity)
    synth_keys = pd.Series(data.synth.entity)
    rows = [{"column": c, "score": statistic_msas(real_keys, pd.Series(data.real.values[c]),
                                                  synth_keys, pd.Series(data.synth.values[c]),
                                                  statistic)}
            for c in data.numeric]
    return Metric(
        "statistic MSAS", "sequence", nanmean([r["score"] for r in rows]),
        definition=(f"Mean over numerical event columns of KSComplement between the real and "
                    f"synthetic distributions of each entity's {statistic} of the column "
                    "(SDMetrics' StatisticMSAS)."),
        direction="higher", ideal=1.0, note=data.note,
        details={"statistic": statistic, "columns": rows})
