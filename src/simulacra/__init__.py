"""simulacra: synthetic data that keeps the statistical shape of real data.

>>> import simulacra as sim
>>> df = sim.datasets.load_demo().head(2000)
>>> md = sim.Metadata.detect(df)
>>> model = sim.GaussianCopula(md, random_state=0).fit(df)
>>> model.sample(5).shape
(5, 15)
"""

from typing import TYPE_CHECKING, Any

from simulacra import constraints, datasets, kinds, windows
from simulacra._version import __version__
from simulacra.constraints import (
    ConstraintReport,
    FixedCombinations,
    Formula,
    Inequality,
    Negative,
    OneHot,
    Positive,
    Predicate,
    Range,
    Regex,
    RunningSum,
    Unique,
)
from simulacra.errors import (
    DataError,
    MetadataError,
    ModelFileError,
    NotFittedError,
    ParameterError,
    SimulacraError,
)
from simulacra.io import read_table, write_table
from simulacra.kinds import *  # noqa: F403 (every column kind: the kinds' own __all__)
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
from simulacra.models import (
    AIM,
    CTGAN,
    MODELS,
    MST,
    TVAE,
    AutoregressiveNetwork,
    AutoSynthesizer,
    BayesianNetwork,
    GaussianCopula,
    IndependentMarginals,
    PrivBayes,
    SequentialNetwork,
    Synthesizer,
    TabDDPM,
    WindowDiffusion,
    make_fair,
)
from simulacra.models.protection import ProtectionWarning
from simulacra.multitable.loading import load
from simulacra.multitable.synthesizer import RelationalSynthesizer
from simulacra.privacy import PrivacyBudget, PrivacyReport
from simulacra.privacy.adequacy import BudgetWarning
from simulacra.pseudonymize import pseudonymize
from simulacra.schema import GenerationSchema, generate

if TYPE_CHECKING:
    from simulacra.drift import DriftReport, detect_drift
    from simulacra.evaluation import (
        DatabaseEvaluation,
        EvaluationResult,
        Metric,
        evaluate,
        evaluate_database,
    )
    from simulacra.scale import (
        PartitionedDatabase,
        PartitionedSample,
        evaluate_dataset,
        fit_dataset,
        sample_database_partitioned,
        sample_partitioned,
        sample_to_parquet,
    )

_LAZY = {"evaluate", "evaluate_database", "EvaluationResult", "DatabaseEvaluation",
         "Metric"}  # evaluation pulls in scikit-learn: load on use
_LAZY_DRIFT = {"detect_drift", "DriftReport"}  # drift reads evaluation's helpers: same
# scale-out evaluates with evaluation's figures: load on use as well
_LAZY_SCALE = {"sample_partitioned", "sample_to_parquet", "fit_dataset", "evaluate_dataset",
               "PartitionedSample", "sample_database_partitioned", "PartitionedDatabase"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from simulacra import evaluation

        return getattr(evaluation, name)
    if name in _LAZY_DRIFT:
        from simulacra import drift

        return getattr(drift, name)
    if name in _LAZY_SCALE:
        from simulacra import scale

        return getattr(scale, name)
    raise AttributeError(f"module 'simulacra' has no attribute {name!r}")

__all__ = [
    "AIM",
    "CTGAN",
    "MODELS",
    "MST",
    "TVAE",
    "AutoSynthesizer",
    "AutoregressiveNetwork",
    "BayesianNetwork",
    "BudgetWarning",
    "ProtectionWarning",
    "ConstraintReport",
    "DataError",
    "DatabaseEvaluation",
    "DriftReport",
    "EvaluationResult",
    "FixedCombinations",
    "Formula",
    "GaussianCopula",
    "GenerationSchema",
    "IndependentMarginals",
    "Inequality",
    "Metadata",
    "MetadataError",
    "Metric",
    "ModelFileError",
    "Negative",
    "NotFittedError",
    "OneHot",
    "ParameterError",
    "Positive",
    "Predicate",
    "PrivBayes",
    "SequentialNetwork",
    "PrivacyBudget",
    "PrivacyReport",
    "Range",
    "Regex",
    "RunningSum",
    "SimulacraError",
    "Synthesizer",
    "TabDDPM",
    "WindowDiffusion",
    "Unique",
    "__version__",
    "constraints",
    "datasets",
    "detect_drift",
    "evaluate",
    "evaluate_database",
    "generate",
    "load",
    "RelationalSynthesizer",
    "DatabaseMetadata",
    "ForeignKey",
    "pseudonymize",
    "PartitionedSample",
    "PartitionedDatabase",
    "sample_partitioned",
    "sample_database_partitioned",
    "sample_to_parquet",
    "fit_dataset",
    "evaluate_dataset",
    "read_table",
    "windows",
    "write_table",
    *kinds.__all__,
    "make_fair",
]
