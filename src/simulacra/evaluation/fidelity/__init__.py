"""Fidelity: how closely the synthetic table's distributions follow the real table's.

Every figure function takes an :class:`~simulacra.evaluation.prepare.EvalData` and returns
:class:`~simulacra.evaluation.metric.Metric` objects of group ``"fidelity"``. One module per
figure family:

* :mod:`.shapes` — Column Shapes; :mod:`.trends` — Column Pair Trends;
* :mod:`.binned` — binned 1-, 2-, 3-way accuracy; :mod:`.coverage` — coverage, missing values;
* :mod:`.alpha_beta` — α-precision, β-recall; :mod:`.report_data` — the report's heatmaps and
  histograms; :mod:`.statistics` — the plain statistics they share.

* :func:`column_shapes` and :func:`column_pair_trends` reproduce the two properties of
  SDMetrics' ``QualityReport`` (Column Shapes, Column Pair Trends) to floating-point precision,
  so they can be cross-checked against it (``tests/test_sdmetrics_agreement.py`` does).
* :func:`binned_accuracy` follows MOSTLY AI's QA report: 1 − total variation distance of
  binned 1-, 2- and 3-way marginals.
* :func:`coverage`, :func:`missing_share_similarity`, :func:`alpha_precision_beta_recall` and
  :func:`association_matrices` complete the picture.

All computations work on integer codes and :func:`numpy.bincount`; loops run over columns,
pairs or triples, never over rows.

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> synth = pd.DataFrame({"x": [1.0, 2.0, 3.0, 9.0], "c": ["a", "a", "a", "b"]})
>>> m = column_shapes(prepare(real, synth))
>>> m.name, round(m.value, 3)   # KS: 1 - 0.25, TV: 1 - 0.25
('shape', 0.75)
"""

from simulacra.evaluation.fidelity.alpha_beta import alpha_precision_beta_recall
from simulacra.evaluation.fidelity.binned import binned_accuracy, binned_codes
from simulacra.evaluation.fidelity.coverage import (
    category_coverage,
    coverage,
    missing_share_similarity,
    range_coverage,
)
from simulacra.evaluation.fidelity.report_data import (
    association_matrices,
    column_distributions,
    embedding_view,
    pair_views,
)
from simulacra.evaluation.fidelity.shapes import (
    KS_DECIMALS,
    TV_REGULARIZATION,
    column_shapes,
    ks_complement,
    tv_complement,
)
from simulacra.evaluation.fidelity.statistics import (
    contingency_similarity,
    cramers_v,
    ks_statistic,
    pearson,
    sdmetrics_bins,
)
from simulacra.evaluation.fidelity.trends import (
    SDMETRICS_DEFAULT_THRESHOLDS,
    SDMETRICS_SUBSAMPLE_ROWS,
    column_pair_trends,
)

__all__ = [
    "KS_DECIMALS",
    "SDMETRICS_DEFAULT_THRESHOLDS",
    "SDMETRICS_SUBSAMPLE_ROWS",
    "TV_REGULARIZATION",
    "alpha_precision_beta_recall",
    "association_matrices",
    "binned_accuracy",
    "binned_codes",
    "category_coverage",
    "column_distributions",
    "column_pair_trends",
    "column_shapes",
    "contingency_similarity",
    "coverage",
    "cramers_v",
    "embedding_view",
    "ks_complement",
    "ks_statistic",
    "missing_share_similarity",
    "pair_views",
    "pearson",
    "range_coverage",
    "sdmetrics_bins",
    "tv_complement",
]
