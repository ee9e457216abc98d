"""Metadata: column kinds, detection with reasons, validation, YAML/JSON round trip."""

from simulacra.kinds import (
    KINDS,
    PII,
    PII_TYPES,
    Boolean,
    Categorical,
    ColumnKind,
    Datetime,
    Id,
    Numerical,
    Text,
    column_from_dict,
)
from simulacra.metadata.table import METADATA_VERSION, Metadata, check_column_names

__all__ = [
    "KINDS",
    "METADATA_VERSION",
    "PII",
    "PII_TYPES",
    "Boolean",
    "Categorical",
    "ColumnKind",
    "Datetime",
    "Id",
    "Metadata",
    "Numerical",
    "Text",
    "check_column_names",
    "column_from_dict",
]
