"""Scale-out: draws of any size as partitioned files, on one process or a Dask cluster.

:func:`sample_partitioned` (and :func:`sample_to_parquet`) write ``n`` rows as a folder of
Parquet or CSV partitions; each partition draws from its own stream of the seed, so the files
are byte-identical whatever the number of workers, and an interrupted draw resumes. See
docs/scale.md.
"""

from simulacra.scale.plan import SamplePlan
from simulacra.scale.sampling import (
    PartitionedSample,
    sample_partitioned,
    sample_to_parquet,
    working_folder_of,
)

__all__ = [
    "PartitionedSample",
    "SamplePlan",
    "sample_partitioned",
    "sample_to_parquet",
    "working_folder_of",
]
