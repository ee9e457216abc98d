"""Scale-out: draws of any size as partitioned files, on one process or a Dask cluster.

:func:`sample_partitioned` (and :func:`sample_to_parquet`) write ``n`` rows as a folder of
Parquet or CSV partitions; each partition draws from its own stream of the seed, so the files
are byte-identical whatever the number of workers, and an interrupted draw resumes;
:func:`sample_database_partitioned` does the same for a database model, a folder per table.
:func:`fit_dataset` fits a model on a Parquet/CSV dataset larger than memory, read in chunks
(:func:`read_dataset`: exact mergeable statistics and a uniform sample);
:func:`evaluate_dataset` compares two such datasets, shape and trend over every row. See
docs/scale.md.
"""

from typing import TYPE_CHECKING, Any

from simulacra.scale.database import PartitionedDatabase, sample_database_partitioned
from simulacra.scale.dataset import TableSummary, read_dataset
from simulacra.scale.fitting import fit_dataset
from simulacra.scale.plan import SamplePlan
from simulacra.scale.sampling import (
    PartitionedSample,
    sample_partitioned,
    sample_to_parquet,
    working_folder_of,
)

if TYPE_CHECKING:
    from simulacra.scale.evaluation import evaluate_dataset


def __getattr__(name: str) -> Any:
    if name == "evaluate_dataset":  # evaluation pulls in scikit-learn: load on use
        from simulacra.scale.evaluation import evaluate_dataset

        return evaluate_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PartitionedDatabase",
    "PartitionedSample",
    "SamplePlan",
    "TableSummary",
    "evaluate_dataset",
    "fit_dataset",
    "read_dataset",
    "sample_database_partitioned",
    "sample_partitioned",
    "sample_to_parquet",
    "working_folder_of",
]
