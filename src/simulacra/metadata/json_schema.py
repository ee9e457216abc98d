"""The JSON Schema of a metadata file, for editors (YAML and JSON language servers complete and
check keys, kinds and field types as one types).

Built from the column kinds themselves (:func:`simulacra.kinds.kind_json_schema`), so a new kind
or field appears here with no list to update; ``docs/metadata.schema.json`` is the published
copy (``simulacra metadata --schema`` prints it, a test keeps it current). Point an editor at it
with a first line ``# yaml-language-server: $schema=<path or URL of metadata.schema.json>``.

>>> schema = metadata_json_schema()
>>> schema["properties"]["metadata_version"], sorted(schema["required"])
({'const': 1}, ['columns', 'metadata_version'])
"""

from __future__ import annotations

from typing import Any

from simulacra.kinds import KINDS, kind_json_schema
from simulacra.metadata.table import METADATA_VERSION, TOP_LEVEL_KEYS

SCHEMA_ID = "https://simulacra.dev/schemas/metadata-1.json"
_NAME = {"type": "string", "minLength": 1}
_OPTIONAL_NAME = {"anyOf": [_NAME, {"type": "null"}]}


def metadata_json_schema() -> dict[str, Any]:
    """One table's metadata file (``Metadata.save``) as a JSON Schema (draft 2020-12)."""
    properties: dict[str, Any] = {
        "metadata_version": {"const": METADATA_VERSION},
        "primary_key": {**_OPTIONAL_NAME, "description": "The key column (kind id)."},
        "columns": {"type": "object", "description": "Column name: its kind and fields.",
                    "additionalProperties": {"oneOf": [{"$ref": f"#/$defs/{name}"}
                                                       for name in KINDS]}},
        "constraints": {"type": "array", "description": "Business rules (docs/constraints.md)",
                        "items": {"type": "object", "required": ["type"],
                                  "properties": {"type": {"type": "string"}}}},
        "sequence_key": {**_OPTIONAL_NAME, "description": "An event table: the entity column."},
        "sequence_index": {**_OPTIONAL_NAME,
                           "description": "The column ordering an entity's events."},
        "sequence_reason": {"type": "string"},
        "sensitive": {"type": "array", "items": _NAME, "uniqueItems": True,
                      "description": "Columns whose groups the fairness figures compare."},
    }
    assert set(properties) == set(TOP_LEVEL_KEYS), "every top-level key is described"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "simulacra metadata (one table)",
        "type": "object",
        "required": ["metadata_version", "columns"],
        "properties": properties,
        "additionalProperties": False,
        "$defs": {name: kind_json_schema(cls) for name, cls in KINDS.items()},
    }
