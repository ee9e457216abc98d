"""Tables that are not pandas: a pyarrow ``Table``, a polars ``DataFrame`` or a numpy structured
array in, the same kind out.

A model fitted on a pyarrow Table samples pyarrow Tables, one fitted on polars samples polars,
one fitted on a numpy array with named fields (a structured or record array: the names are the
columns) samples arrays of the same dtype (the kind is kept in the model file). Inside, every
table is pandas: pyarrow's types map to pandas' nullable ones (``int64`` with nulls stays
integer, ``bool`` stays boolean, strings become ``string[pyarrow]``), so what comes back has the
types that went in. polars is never imported unless a polars table is given or was fitted on.

>>> import pyarrow as pa
>>> table = pa.table({"n": pa.array([1, None, 3]), "s": ["a", "b", None]})
>>> frame, kind, types = to_pandas(table, "fit()")
>>> kind, [str(t) for t in frame.dtypes], types
('pyarrow', ['Int64', 'string'], {'n': 'int64', 's': 'string'})
>>> from_pandas(frame, kind, types).schema.types
[DataType(int64), DataType(string)]

>>> import numpy as np
>>> records = np.array([(1, 2.5, "a"), (2, 0.5, "b")], dtype=[("n", "<i8"), ("x", "<f8"),
...                                                           ("s", "<U3")])
>>> frame, kind, types = to_pandas(records, "fit()")
>>> kind, list(frame.columns), from_pandas(frame, kind, types).dtype == records.dtype
('numpy', ['n', 'x', 's'], True)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulacra.errors import DataError

#: the kinds of table a model takes and gives back
KINDS = ("pandas", "pyarrow", "polars", "numpy")
#: numpy field kinds a structured array may hold (bool, integers, floats, text, dates, times,
#: Python objects such as the strings of `DataFrame.to_records`)
NUMPY_KINDS = "biufUMmO"
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
    if module == "numpy" and getattr(getattr(data, "dtype", None), "names", None):
        return "numpy"
    return None


def to_pandas(data: Any, what: str) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """``(pandas table, kind, column → arrow type name)`` of ``data`` (no types for pandas);
    ``what`` names the call in the error."""
    kind = frame_kind(data)
    if kind is None:
        hint = ("; a numpy array needs column names: a structured array (dtype with named "
                "fields) or pd.DataFrame(array, columns=[...])"
                if type(data).__module__.split(".")[0] == "numpy" else "")
        raise DataError(f"{what} expects a pandas DataFrame, a pyarrow Table, a polars "
                        f"DataFrame or a numpy structured array, got {type(data).__name__}"
                        f"{hint}")
    if kind == "pandas":
        return data, kind, {}
    if kind == "numpy":
        return _numpy_to_pandas(data, what)
    table = data if kind == "pyarrow" else data.to_arrow()
    types = {field.name: str(field.type) for field in table.schema}
    return table.to_pandas(types_mapper=_nullable_type), kind, types


def from_pandas(frame: pd.DataFrame, kind: str, types: dict[str, str] | None = None) -> Any:
    """``frame`` as a table of ``kind`` (pandas: unchanged), columns of a simple type in
    ``types`` cast back to it."""
    if kind == "pandas":
        return frame
    if kind == "numpy":
        return _pandas_to_numpy(frame, types or {})
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


def _numpy_to_pandas(array: Any, what: str) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """A structured array's fields as columns, and each field's dtype (``"<i8"``, ``"<U12"``)."""
    import numpy as np

    fields = array.dtype.fields
    odd = [name for name, (dtype, *_) in fields.items() if dtype.kind not in NUMPY_KINDS]
    if odd or array.ndim != 1:
        raise DataError(f"{what}: a numpy structured array must be one-dimensional with fields "
                        f"of plain types (numbers, booleans, text, dates); got shape "
                        f"{array.shape} and fields of other types: {odd}")
    frame = pd.DataFrame({name: array[name] for name in array.dtype.names})
    types = {name: np.dtype(dtype).str for name, (dtype, *_) in fields.items()}
    return frame, "numpy", types


def _pandas_to_numpy(frame: pd.DataFrame, types: dict[str, str]) -> Any:
    """``frame`` as a structured array, each field of the dtype the model was fitted on; a
    column with nulls where the field cannot hold one (integers, booleans) becomes float or
    object so nothing is silently changed."""
    import numpy as np

    fields = []
    columns = {}
    for name in frame.columns:
        column = frame[name]
        dtype = np.dtype(types[name]) if name in types else None
        if dtype is not None and column.isna().any() and dtype.kind in "biu":
            dtype = np.dtype("float64") if dtype.kind in "iu" else np.dtype(object)
        if dtype is not None and dtype.kind == "U":
            values = column.astype(object).where(column.notna(), "").astype(str).to_numpy()
            dtype = np.dtype(f"<U{max(dtype.itemsize // 4, max(map(len, values), default=1))}")
        else:
            values = column.to_numpy(dtype=dtype) if dtype is not None else column.to_numpy()
        fields.append((str(name), dtype if dtype is not None else values.dtype))
        columns[name] = values
    out = np.empty(len(frame), dtype=fields)
    for name in frame.columns:
        out[str(name)] = columns[name]
    return out
