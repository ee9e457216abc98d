"""Drift monitoring: does new data still look like the reference data (or like a model's)?

:func:`detect_drift` tests every column (KS for numbers and datetimes, chi-square for
categories, the share of nulls included) and the pairwise associations between columns,
calibrates every p-value by permuting the pooled rows, and adjusts them over the family
(Westfall–Young step-down min-P), so the dataset-level verdict's false-alarm rate is at most
``alpha``. It returns a :class:`DriftReport` with effect sizes (PSI, normalised Wasserstein,
Jensen–Shannon distance). See docs/drift.md.

Modules: :mod:`.cells` (columns as cells of the pooled rows), :mod:`.statistics` (per-column
statistics from counts), :mod:`.calibration` (relabellings, permutation p-values, step-down
adjustment), :mod:`.dependence` (pairwise associations), :mod:`.effects` (effect sizes),
:mod:`.report` (the report's dataclasses), :mod:`.detect` (the function).
"""

from simulacra.drift.detect import DEFAULT_PERMUTATIONS, MIN_MODEL_ROWS, detect_drift
from simulacra.drift.report import (
    ColumnDrift,
    DependenceDrift,
    DriftReport,
    PairChange,
    ReferenceInfo,
    SkippedColumn,
)

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "MIN_MODEL_ROWS",
    "ColumnDrift",
    "DependenceDrift",
    "DriftReport",
    "PairChange",
    "ReferenceInfo",
    "SkippedColumn",
    "detect_drift",
]
