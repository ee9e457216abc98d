"""Column Shapes (SDMetrics KSComplement / TVComplement): each column's distribution alone.

>>> ks_complement(pd.Series([1.0, 2.0, 3.0, 4.0]), pd.Series([1.0, 2.0, 3.0, 9.0]))
0.75
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.statistics import ks_statistic, nanmean
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData

#: SDMetrics' KSComplement rounds values to this many decimals before the test.
KS_DECIMALS = sys.float_info.dig - 1
#: SDMetrics' TVComplement gives a category seen only in the synthetic data this real count.
TV_REGULARIZATION = 1e-6


def ks_complement(real: pd.Series, synth: pd.Series) -> float:
    """SDMetrics' KSComplement: 1 − KS statistic of the non-null values.

    Datetimes are compared as nanoseconds since the epoch; numbers are rounded to
    ``KS_DECIMALS`` (14) decimals first, as SDMetrics does.
    Reference: ``sdmetrics.single_column.KSComplement``.
    """
    r, s = ks_values(real), ks_values(synth)
    return 1.0 - ks_statistic(r, s)


def tv_complement(real: pd.Series, synth: pd.Series) -> float:
    """SDMetrics' TVComplement: 1 − total variation distance of the category frequencies.

    Nulls are dropped; frequencies are over the union of values, and a value seen only in the
    synthetic column gets a real count of 1e-6 (SDMetrics' ``get_frequencies`` regularization),
    so the real frequencies are normalized by ``n_real + 1e-6 · (number of such values)``.
    NaN when either column has no non-null value.
    Reference: ``sdmetrics.single_column.TVComplement``.

    >>> round(tv_complement(pd.Series(["a", "a", "b", None]), pd.Series(["a", "b", "b", "b"])), 6)
    0.583333
    """
    r, s = real.dropna(), synth.dropna()
    if len(r) == 0 or len(s) == 0:
        return math.nan
    codes, uniques = pd.factorize(pd.concat([r, s], ignore_index=True))
    count_r = np.bincount(codes[: len(r)], minlength=len(uniques)).astype(np.float64)
    count_s = np.bincount(codes[len(r):], minlength=len(uniques)).astype(np.float64)
    count_r[count_r == 0] += TV_REGULARIZATION
    return float(1.0 - 0.5 * np.abs(count_s / count_s.sum() - count_r / count_r.sum()).sum())


def column_shapes(data: EvalData) -> Metric:
    """SDMetrics' Column Shapes: mean over columns of KSComplement or TVComplement.

    Numerical and datetime columns use :func:`ks_complement`; categorical and boolean columns
    :func:`tv_complement`. Columns whose score is undefined (no non-null synthetic value) are
    left out of the mean, as in SDMetrics.
    Reference: ``sdmetrics.reports.single_table._properties.ColumnShapes``.
    """
    rows = []
    for column, kind in data.kinds.items():
        if kind.family == "continuous":
            metric = "KSComplement"
            score = 1.0 - ks_statistic(data.real_view.view("ks", column, ks_values),
                                       data.synth_view.view("ks", column, ks_values))
        else:
            metric = "TVComplement"
            score = tv_complement(data.real[column], data.synth[column])
        rows.append({"column": column, "kind": kind.kind, "metric": metric, "score": score})
    return Metric(
        "shape", "fidelity", nanmean([r["score"] for r in rows]),
        definition=("Mean over columns of 1 − two-sample KS statistic (numerical, datetime) or "
                    "1 − total variation distance of category frequencies (categorical, "
                    "boolean), nulls excluded, as in SDMetrics' Column Shapes."),
        direction="higher", ideal=1.0,
        details={"columns": rows},
    )


def ks_values(column: pd.Series) -> np.ndarray:
    """Non-null values as SDMetrics' KSComplement compares them."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.dropna().to_numpy(dtype="datetime64[ns]")
        return values.view(np.int64)
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.round(values[~np.isnan(values)], KS_DECIMALS)
