"""Every column kind of a generation schema, one module per family (importing registers them).

| kind | module |
|---|---|
| ``integer``, ``float``, ``boolean`` | :mod:`.numbers` |
| ``categorical``, ``constant`` | :mod:`.choices` |
| ``datetime``, ``date`` | :mod:`.datetimes` |
| ``id``, ``uuid`` | :mod:`.identifiers` |
| ``faker``, ``pattern`` | :mod:`.text` |
| ``expression``, ``reference``, ``lookup`` | :mod:`.relations` |
"""

from simulacra.schema.kinds.choices import CategoricalColumn, ConstantColumn
from simulacra.schema.kinds.datetimes import DateColumn, DatetimeColumn
from simulacra.schema.kinds.identifiers import IdColumn, UuidColumn
from simulacra.schema.kinds.numbers import BooleanColumn, FloatColumn, IntegerColumn
from simulacra.schema.kinds.relations import ExpressionColumn, LookupColumn, ReferenceColumn
from simulacra.schema.kinds.text import FakerColumn, PatternColumn

__all__ = [
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
]
