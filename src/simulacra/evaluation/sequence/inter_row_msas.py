"""InterRowMSAS: are the steps between a sequence's rows distributed as in the real data?

SDMetrics' Inter-Row Multi-Sequence Aggregate Similarity (``sdmetrics.column_pairs.
InterRowMSAS``), as of sdmetrics 0.32:

1. within each sequence, in row order, take the differences ``x[r + n] − x[r]`` between rows
   ``n = n_rows_diff`` apart (after a natural log with ``apply_log``); a sequence of ``n``
   rows or fewer gives none;
2. pool the differences of all sequences, for the real and for the synthetic data;
3. compare the two pools with KSComplement (nulls dropped, values rounded to 14 decimals).

Releases before sdv-dev/SDMetrics#805 (October 2025) averaged the differences within each
sequence first and compared the distributions of those averages — which telescopes to
``(x_last − x_first) / (rows − n)`` for ``n = 1`` (sdv-dev/SDMetrics#800). ``aggregate="mean"``
gives that older figure.

>>> import pandas as pd
>>> keys = pd.Series([1, 1, 1, 2, 2, 2])
>>> inter_row_msas(keys, pd.Series([0.0, 1, 2, 0, 1, 2]), keys, pd.Series([0.0, 1, 2, 0, 2, 4]))
0.5
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.fidelity.shapes import ks_complement
from simulacra.evaluation.fidelity.statistics import nanmean
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData

Aggregate = Literal["none", "mean"]


def inter_row_msas(real_keys: pd.Series, real_values: pd.Series, synthetic_keys: pd.Series,
                   synthetic_values: pd.Series, n_rows_diff: int = 1, apply_log: bool = False,
                   aggregate: Aggregate = "none") -> float:
    """SDMetrics' ``InterRowMSAS.compute((real_keys, real_values), (synthetic_keys,
    synthetic_values), n_rows_diff, apply_log)``.

    ``aggregate="none"`` compares all differences pooled (sdmetrics >= 0.32); ``"mean"`` each
    sequence's mean difference (earlier releases). Rows keep their order within a key.
    """
    check_param("n_rows_diff", n_rows_diff, "an integer >= 1",
                isinstance(n_rows_diff, int) and not isinstance(n_rows_diff, bool)
                and n_rows_diff >= 1)
    check_param("apply_log", apply_log, "True or False", isinstance(apply_log, bool))
    if aggregate not in ("none", "mean"):
        raise ParameterError(f"The 'aggregate' parameter must be 'none' or 'mean'. Got "
                             f"{aggregate!r} instead.")
    return ks_complement(
        row_differences(real_keys, real_values, n_rows_diff, apply_log, aggregate),
        row_differences(synthetic_keys, synthetic_values, n_rows_diff, apply_log, aggregate))


def row_differences(keys: pd.Series, values: pd.Series, n_rows_diff: int, apply_log: bool,
                    aggregate: Aggregate) -> pd.Series:
    """Differences of rows ``n_rows_diff`` apart within each key (pooled, or their mean)."""
    numbers = pd.to_numeric(pd.Series(values), errors="raise").to_numpy(
        dtype=np.float64, na_value=np.nan)
    if apply_log:
        with np.errstate(divide="ignore", invalid="ignore"):
            numbers = np.log(numbers)
    codes, _ = pd.factorize(pd.Series(keys), sort=True)
    rows = np.flatnonzero(codes >= 0)
    order = rows[np.argsort(codes[rows], kind="stable")]  # by key, row order kept within
    codes, numbers = codes[order], numbers[order]
    n = n_rows_diff
    same = codes[n:] == codes[:-n] if len(codes) > n else np.zeros(0, dtype=bool)
    with np.errstate(invalid="ignore"):
        steps = (numbers[n:] - numbers[:-n])[same]
    if aggregate == "none":
        return pd.Series(steps)
    # a sequence's mean skips null steps; a sequence without a step drops out of the KS test
    return pd.Series(steps).groupby(codes[n:][same]).mean()


def inter_row_msas_metric(data: SequenceData, n_rows_diff: int = 1) -> Metric | None:
    """The mean over numerical event columns of :func:`inter_row_msas` (None without one).

    Each entity's events are in ``sequence_index`` order (row order without an index).
    """
    if not data.numeric:
        return None
    real_keys = pd.Series(data.real.entity)
    synth_keys = pd.Series(data.synth.entity)
    rows = [{"column": c, "score": inter_row_msas(
        real_keys, pd.Series(data.real.values[c]), synth_keys, pd.Series(data.synth.values[c]),
        n_rows_diff)} for c in data.numeric]
    value = nanmean([r["score"] for r in rows])
    return Metric(
        "inter-row MSAS", "sequence", value,
        definition=("Mean over numerical event columns of KSComplement between the real and "
                    f"synthetic differences between events {n_rows_diff} apart within one "
                    "entity, pooled over entities (SDMetrics' InterRowMSAS, sdmetrics 0.32)."),
        direction="higher", ideal=1.0,
        note=data.note if not math.isnan(value) else
        f"not computed: no entity has more than {n_rows_diff} events on both sides",
        details={"n_rows_diff": n_rows_diff, "columns": rows})
