"""Schema-only generation: test data from a YAML description, with no real data at all.

A schema lists tables and their columns — numbers from named distributions, categories with
weights, booleans, dates, ids, uuids, Faker providers, regex patterns, constants, expressions,
references between tables and lookups through them — plus the same constraints as metadata.
:func:`generate` draws it, vectorized and reproducibly; docs/schema_generation.md describes the
format.

>>> import simulacra as sim
>>> schema = sim.GenerationSchema.from_yaml('''
... tables:
...   customers:
...     rows: 50
...     columns:
...       customer_id: {kind: id, format: "C{:04d}"}
...       segment: {categories: {retail: 8, business: 2}}
...   orders:
...     columns:
...       order_id: {kind: id}
...       customer_id: {references: customers.customer_id, per_parent: [0, 4]}
...       amount:
...         kind: float
...         distribution: lognormal
...         mu: 3
...         sigma: 0.5
...         decimals: 2
... ''')
>>> data = sim.generate(schema, random_state=0)
>>> sorted(data), data["customers"].shape
(['customers', 'orders'], (50, 2))
>>> bool(data["orders"]["customer_id"].isin(data["customers"]["customer_id"]).all())
True
"""

from simulacra.schema.distributions import DISTRIBUTIONS
from simulacra.schema.document import SCHEMA_VERSION, GenerationSchema, TableSchema
from simulacra.schema.generator import as_schema, generate, generate_tables
from simulacra.schema.kinds import (
    COLUMN_KINDS,
    BooleanColumn,
    CategoricalColumn,
    ConstantColumn,
    DateColumn,
    DatetimeColumn,
    ExpressionColumn,
    FakerColumn,
    FloatColumn,
    IdColumn,
    IntegerColumn,
    LookupColumn,
    PatternColumn,
    ReferenceColumn,
    UuidColumn,
    column_from_dict,
)
from simulacra.schema.spec import ColumnSpec
from simulacra.schema.writers import write_generated

__all__ = [
    "COLUMN_KINDS",
    "DISTRIBUTIONS",
    "SCHEMA_VERSION",
    "BooleanColumn",
    "CategoricalColumn",
    "ColumnSpec",
    "ConstantColumn",
    "DateColumn",
    "DatetimeColumn",
    "ExpressionColumn",
    "FakerColumn",
    "FloatColumn",
    "GenerationSchema",
    "IdColumn",
    "IntegerColumn",
    "LookupColumn",
    "PatternColumn",
    "ReferenceColumn",
    "TableSchema",
    "UuidColumn",
    "as_schema",
    "column_from_dict",
    "generate",
    "generate_tables",
    "write_generated",
]
