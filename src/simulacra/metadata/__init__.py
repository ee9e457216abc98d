"""Metadata: one table's column kinds, a database's tables and keys; detection with reasons,
validation, YAML/JSON round trip.

The column kinds themselves (:mod:`simulacra.kinds`) are re-exported here.
"""

from simulacra import kinds
from simulacra.kinds import *  # noqa: F403 (the kinds' own __all__)
from simulacra.metadata.database import DatabaseMetadata, ForeignKey
from simulacra.metadata.table import METADATA_VERSION, Metadata, check_column_names

__all__ = ["METADATA_VERSION", "DatabaseMetadata", "ForeignKey", "Metadata", "check_column_names",
           *kinds.__all__]
