"""Every column kind of a generation schema (one module per family) and the registry of them.

| kind | module |
|---|---|
| ``integer``, ``float``, ``boolean`` | :mod:`.numbers` |
| ``categorical``, ``constant`` | :mod:`.choices` |
| ``datetime``, ``date`` | :mod:`.datetimes` |
| ``id``, ``uuid`` | :mod:`.identifiers` |
| ``faker``, ``pattern`` | :mod:`.text` |
| ``expression``, ``reference``, ``lookup`` | :mod:`.relations` |

:data:`COLUMN_KINDS` names each class by its ``kind``; :data:`MARKERS` says which key, present
without ``kind``, names the kind; :func:`column_from_dict` reads a column of a YAML schema.

>>> column_from_dict({"categories": {"free": 6, "pro": 3}}, name="plan").kind
'categorical'
"""

from collections.abc import Mapping
from typing import Any

from simulacra.schema.kinds.choices import CategoricalColumn, ConstantColumn
from simulacra.schema.kinds.datetimes import DateColumn, DatetimeColumn
from simulacra.schema.kinds.identifiers import IdColumn, UuidColumn
from simulacra.schema.kinds.numbers import BooleanColumn, FloatColumn, IntegerColumn
from simulacra.schema.kinds.relations import ExpressionColumn, LookupColumn, ReferenceColumn
from simulacra.schema.kinds.text import FakerColumn, PatternColumn
from simulacra.schema.spec import ColumnSpec, build_spec, checked, suggest

#: Column kinds by ``kind`` name.
COLUMN_KINDS: dict[str, type[ColumnSpec]] = {cls.kind: cls for cls in (
    CategoricalColumn, ConstantColumn, DatetimeColumn, DateColumn, IdColumn, UuidColumn,
    FloatColumn, IntegerColumn, BooleanColumn, ExpressionColumn, ReferenceColumn, LookupColumn,
    FakerColumn, PatternColumn,
)}
#: A key that, present without ``kind``, says which kind the column is.
MARKERS: dict[str, str] = {
    "categories": "categorical", "value": "constant", "expression": "expression",
    "references": "reference", "lookup": "lookup", "faker": "faker", "pattern": "pattern",
}


def column_from_dict(data: Mapping[str, Any], *, name: str = "?") -> ColumnSpec:
    """Build a column spec from its YAML/dict form, listing every problem at once.

    ``kind`` may be left out when a key says it (``faker:``, ``expression:``,
    ``references:``, ``lookup:``, ``pattern:``, ``value:``, ``categories:``). ``cases`` maps
    a value of the ``given`` column to the fields that change for rows with that value.
    """
    problems: list[str] = []
    cls = _kind_class(data, name, problems)
    return checked(None if cls is None else build_spec(cls, data, name, problems), name,
                   problems)


def _kind_class(data: Any, name: str, problems: list[str]) -> type[ColumnSpec] | None:
    if not isinstance(data, Mapping):
        problems.append(f"column {name!r}: expected a mapping such as {{kind: integer, min: 0, "
                        f"max: 9}}, got {data!r}")
        return None
    kind = data.get("kind")
    if kind is None:
        found = [MARKERS[k] for k in data if k in MARKERS]
        if not found:
            problems.append(f"column {name!r}: give a kind (one of {', '.join(COLUMN_KINDS)})")
            return None
        kind = found[0]
    cls = COLUMN_KINDS.get(kind)
    if cls is None:
        problems.append(f"column {name!r}: unknown kind {kind!r}{suggest(kind, COLUMN_KINDS)}; "
                        f"use one of {', '.join(COLUMN_KINDS)}")
    return cls


__all__ = [
    "COLUMN_KINDS",
    "MARKERS",
    "BooleanColumn",
    "CategoricalColumn",
    "ConstantColumn",
    "DateColumn",
    "DatetimeColumn",
    "ExpressionColumn",
    "FakerColumn",
    "FloatColumn",
    "IdColumn",
    "IntegerColumn",
    "LookupColumn",
    "PatternColumn",
    "ReferenceColumn",
    "UuidColumn",
    "column_from_dict",
]
