"""Tables that are not pandas: a pyarrow ``Table`` or a polars ``DataFrame`` in, the same kind out.

A model fitted on a pyarrow Table samples pyarrow Tables, one fitted on polars samples polars
(the kind is kept in the model file). Inside, every table is pandas: pyarrow's types map to
pandas' nullable ones (``int64`` with nulls stays integer, ``bool`` stays boolean, strings
become ``string[pyarrow]``), so what comes back has the types that went in. polars is never
imported unless a polars table is given or was fitted on.

>>> import pyarrow as pa
>>> table = pa.table({"n": pa.array([1, None, 3]), "s": ["a", "b", None]})
>>> frame, kind, types = to_pandas(table, "fit()")
>>> kind, [str(t) for t in frame.dtypes], types
('pyarrow', ['Int64', 'string'], {'n': 'int64', 's': 'string'})
>>> from_pandas(frame, kind, types).schema.types
[DataType(int64), DataType(string)]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulacra.errors import DataError

#: the kinds of table a model takes and gives back
KINDS = ("pandas", "pyarrow", "polars")
#: arrow types a column is cast back to by name (others come back as pyarrow infers them)
SIMPLE_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float", "double", "bool", "string", "large_string")


def frame_kind(data: Any) -> str | None:
    """``"pandas"``, ``"pyarrow"``, ``"polars"``, or None for anything else."""
    if isinstance(data, pd.DataFrame):
        return "pandas"
    module, name = type(data).__module__.split(".")[0], type(data).__name__
    if module == "pyarrow" and name == "Table":
        return "pyarrow"
    if module == "polars" and name == "DataFrame":
        return "polars"
    return None


def to_pandas(data: Any, what: str) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """``(pandas table, kind, column → arrow type name)`` of ``data`` (no types for pandas);
    ``what`` names the call in the error."""
    kind = frame_kind(data)
    if kind is None:
        raise DataError(f"{what} expects a pandas DataFrame, a pyarrow Table or a polars "
                        f"DataFrame, got {type(data).__name__}; for a numpy array use "
                        "pd.DataFrame(array, columns=[...])")
    if kind == "pandas":
        return data, kind, {}
    table = data if kind == "pyarrow" else data.to_arrow()
    types = {field.name: str(field.type) for field in table.schema}
    return table.to_pandas(types_mapper=_nullable_type), kind, types


def from_pandas(frame: pd.DataFrame, kind: str, types: dict[str, str] | None = None) -> Any:
    """``frame`` as a table of ``kind`` (pandas: unchanged), columns of a simple type in
    ``types`` cast back to it."""
    if kind == "pandas":
        return frame
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for field in table.schema:
        wanted = (types or {}).get(field.name)
        if wanted in SIMPLE_TYPES and wanted != str(field.type):
            field = field.with_type(pa.type_for_alias(wanted))
        fields.append(field)
    table = table.cast(pa.schema(fields))
    if kind == "pyarrow":
        return table
    import polars as pl

    return pl.from_arrow(table)


def _nullable_type(arrow_type: Any) -> Any:
    """The pandas dtype an arrow column becomes (None: pyarrow's own choice)."""
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(str(arrow_type).capitalize().replace("Uint", "UInt"))
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    return None
