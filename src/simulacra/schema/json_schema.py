"""The JSON Schema of a generation schema file (``simulacra generate``), for editors.

Built from the column kinds themselves (:data:`~simulacra.schema.kinds.COLUMN_KINDS`): each
kind's fields and their types, ``kind`` or the key that names it (``faker:``,
``categories:``, …), a distribution's parameters on the column itself for numbers, and
``cases`` that change some fields for rows of a ``given`` value. ``docs/generation.schema.json``
is the published copy (``simulacra generate --schema`` prints it; a test keeps it current and
validates the example schemas with it). The checks a schema needs across columns and tables
(references, cycles, constraints) stay with :class:`~simulacra.schema.GenerationSchema`.

>>> schema = generation_json_schema()
>>> schema["$defs"]["integer"]["properties"]["kind"], schema["properties"]["schema_version"]
({'const': 'integer'}, {'const': 1})
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from simulacra.schema.kinds import COLUMN_KINDS, MARKERS
from simulacra.schema.spec import ColumnSpec

SCHEMA_ID = "https://simulacra.dev/schemas/generation-1.json"
_NAME = {"type": "string", "minLength": 1}
#: Fields every case may not change (their own meaning is the column's, whatever the case).
_NOT_IN_CASES = ("kind", "given", "cases", "unique", "hidden")
#: Fields typed ``Any`` in the kinds that still have a shape: categories are a list, or a
#: mapping of category to weight.
_SHAPES = {"categories": {"type": ["array", "object"], "minItems": 1, "minProperties": 1}}
#: A distribution parameter: a number, or for dates a date or a duration (``10D``).
_PARAMETER = {"type": ["number", "string"]}


def generation_json_schema() -> dict[str, Any]:
    """A generation schema file (one table with ``columns:`` or several with ``tables:``)."""
    table = {
        "type": "object",
        "properties": {
            "rows": {"type": "integer", "minimum": 0},
            "primary_key": _NAME,
            "description": {"type": "string"},
            "columns": {"type": "object", "minProperties": 1,
                        "additionalProperties": {"$ref": "#/$defs/column"}},
            "constraints": {"type": "array", "items": {"type": "object", "required": ["type"]}},
        },
        "required": ["columns"],
        "additionalProperties": False,
    }
    defs: dict[str, Any] = {name: _kind_schema(cls) for name, cls in COLUMN_KINDS.items()}
    defs["column"] = {"oneOf": [{"$ref": f"#/$defs/{name}"} for name in COLUMN_KINDS]}
    defs["table"] = table
    top = dict(table["properties"])
    top.update({"schema_version": {"const": 1}, "locale": {"type": "string"},
                "name": _NAME,
                "tables": {"type": "object", "minProperties": 1,
                           "additionalProperties": {"$ref": "#/$defs/table"}}})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "simulacra generation schema",
        "type": "object",
        "properties": top,
        "oneOf": [{"required": ["columns"]}, {"required": ["tables"]}],
        "additionalProperties": False,
        "$defs": defs,
    }


def _kind_schema(cls: type[ColumnSpec]) -> dict[str, Any]:
    """One kind: its fields typed, ``kind`` (or its marker key) required."""
    from pydantic import TypeAdapter

    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {"kind": {"const": cls.kind}}
    takes_params = False
    for f in dataclasses.fields(cls):
        if not f.init or f.name == "cases":
            continue
        if f.name == "params":
            takes_params = True
            continue
        try:
            field_schema = TypeAdapter(hints[f.name]).json_schema()
        except Exception:  # a type JSON Schema cannot say (a callable): any value
            field_schema = {}
        field_schema.pop("title", None)
        properties[f.name] = field_schema or dict(_SHAPES.get(f.name, {}))
    case = {"type": "object", "properties": {k: v for k, v in properties.items()
                                            if k not in _NOT_IN_CASES},
            "additionalProperties": _PARAMETER if takes_params else False}
    properties["cases"] = {"type": "object", "additionalProperties": case,
                           "description": "Value of the 'given' column → the fields that "
                                          "change for its rows."}
    markers = [key for key, kind in MARKERS.items() if kind == cls.kind]
    named = {"required": ["kind"]} if not markers else {
        "anyOf": [{"required": ["kind"]}, *({"required": [m]} for m in markers)]}
    out = {"type": "object", "title": cls.kind,
           "description": (cls.__doc__ or "").strip().split("\n\n")[0],
           "properties": properties,
           # a distribution's parameters (mean, std, ...) sit on the column itself
           "additionalProperties": _PARAMETER if takes_params else False, **named}
    if markers:  # without kind, a marker of another kind must not name it
        out["properties"]["kind"] = {"const": cls.kind}
    return out
