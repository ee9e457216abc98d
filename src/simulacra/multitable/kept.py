"""Kept tables: public lookup tables written into the synthetic database as they are.

A table of countries, a product catalogue, Berka's ``district`` with its public census figures:
such a table is no secret, and a synthetic copy of it only loses what the children depend on.
A :class:`~simulacra.multitable.synthesizer.RelationalSynthesizer` given ``keep=[...]`` stores
a kept table's rows, and for each foreign key pointing at it the real number of children of
every row, in the model (so the model file holds them: public tables only); sampling writes the
rows unchanged and generates their children for them.

The rows go into the model file as the file holds everything else: numbers and datetimes as
arrays, text and other Python values in JSON, every column's dtype restored on loading.

>>> import pandas as pd
>>> frame = pd.DataFrame({"id": [1, 2], "name": pd.Series(["Oslo", None], dtype="string"),
...                       "size": pd.array([3, None], dtype="Int64")})
>>> state = rows_state(frame, "city")
>>> state["columns"][0]["values"]
array([1, 2])
>>> pd.testing.assert_frame_equal(rows_from_state(state, "city", ["id", "name", "size"]), frame)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import DataError, ModelFileError, ParameterError
from simulacra.metadata import DatabaseMetadata

#: Tags of the Python values an ``object`` column may hold beside JSON's own, each written as
#: ``{tag: text}``: how to tell one, write it and read it back.
_TAGGED: dict[str, tuple[type, Callable[[Any], str], Callable[[str], Any]]] = {
    "timestamp": (pd.Timestamp, lambda v: v.isoformat(), pd.Timestamp),
    "datetime": (dt.datetime, lambda v: v.isoformat(), dt.datetime.fromisoformat),
    "date": (dt.date, lambda v: v.isoformat(), dt.date.fromisoformat),
    "time": (dt.time, lambda v: v.isoformat(), dt.time.fromisoformat),
    "decimal": (Decimal, str, Decimal),
    "bytes": (bytes, lambda v: v.hex(), bytes.fromhex),
}
#: Numpy dtypes stored as arrays (as they are; datetimes and durations as int64).
_ARRAY_KINDS = "biufmM"


def check_keep(keep: Any, metadata: DatabaseMetadata) -> tuple[str, ...]:
    """The kept tables, in order: every one in ``metadata``, and with each its parents.

    >>> import pandas as pd
    >>> db = DatabaseMetadata.detect({"country": pd.DataFrame({"country_id": [1, 2]}),
    ...     "city": pd.DataFrame({"city_id": [1, 2, 3], "country_id": [1, 1, 2]})})
    >>> check_keep(["country"], db)
    ('country',)
    >>> try:
    ...     check_keep(["city"], db)
    ... except ParameterError as err:
    ...     print(str(err)[:60])
    kept table 'city' refers to 'country' (city.country_id -> co
    """
    if isinstance(keep, str) or not isinstance(keep, Sequence | set | frozenset) \
            or not all(isinstance(t, str) for t in keep):
        raise ParameterError("The 'keep' parameter must be a list of table names, e.g. "
                             f"keep=['district']. Got {keep!r} instead.")
    names = list(dict.fromkeys(keep))
    unknown = [t for t in names if t not in metadata]
    if unknown:
        raise ParameterError(f"keep names tables that are not in the database: {unknown}; "
                             f"tables are {list(metadata)}")
    for table in names:
        for fk in metadata.parents(table):
            if fk.parent not in names:
                raise ParameterError(
                    f"kept table {table!r} refers to {fk.parent!r} ({fk}), which is not kept: "
                    "a kept table is written with the keys it has, so its parents must be "
                    f"kept too (keep={[*names, fk.parent]}), or leave {table!r} out of keep")
    return tuple(names)


# -- rows in the model file ------------------------------------------------------------------
def rows_state(frame: pd.DataFrame, table: str) -> dict[str, Any]:
    """``frame`` as JSON values and numeric arrays (see :func:`rows_from_state`)."""
    columns = []
    for name in frame.columns:
        state = _column_state(frame[name], f"column {name!r} of kept table {table!r}")
        columns.append({"name": str(name), **state})
    return {"n_rows": len(frame), "columns": columns}


def _column_state(series: pd.Series, where: str) -> dict[str, Any]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {"dtype": "category", "ordered": bool(dtype.ordered),
                "codes": series.cat.codes.to_numpy(dtype=np.int64),
                "categories": _column_state(pd.Series(dtype.categories), where)}
    if isinstance(dtype, pd.StringDtype):
        return {"dtype": "string", "storage": dtype.storage,
                "nan": dtype.na_value is np.nan, "values": _texts(series)}
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return {"dtype": "datetime_tz", "unit": dtype.unit, "tz": str(dtype.tz),
                "values": utc.to_numpy().view(np.int64)}
    if isinstance(dtype, np.dtype) and dtype.kind in _ARRAY_KINDS and dtype.itemsize <= 8:
        values = series.to_numpy()
        return {"dtype": str(dtype),
                "values": values.view(np.int64) if dtype.kind in "mM" else values}
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return {"dtype": "object", "values": [_value(v, where) for v in series.tolist()]}
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if pd.api.types.is_extension_array_dtype(dtype) and numpy_dtype is not None \
            and numpy_dtype.kind in "biuf":  # Int64, Float64, boolean: values and a mask
        mask = series.isna().to_numpy(dtype=bool)
        return {"dtype": "masked", "extension": str(dtype), "mask": mask,
                "values": series.to_numpy(dtype=numpy_dtype, na_value=numpy_dtype.type(0))}
    raise DataError(f"{where} has dtype {dtype}, which a kept table cannot store; convert it "
                    "(to text, numbers or datetimes) before fitting")


def _texts(series: pd.Series) -> list[str | None]:
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            else str(v) for v in series.astype(object).tolist()]


def _value(value: Any, where: str) -> Any:
    """One value of an ``object`` column as JSON: as it is, or tagged ``{tag: text}``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if value is pd.NA:
        return {"na": ""}
    if value is pd.NaT:
        return {"nat": ""}
    if isinstance(value, np.generic):
        return _value(value.item(), where)
    for tag, (kind, write, _read) in _TAGGED.items():
        if isinstance(value, kind):
            return {tag: write(value)}
    raise DataError(f"{where} holds {type(value).__name__} values, which a kept table cannot "
                    "store; convert them (to text, numbers or datetimes) before fitting")


def rows_from_state(state: Any, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """The rows :func:`rows_state` stored, checked against the table's ``columns``.

    A state that does not fit (other columns, columns of other lengths, values of the wrong
    type) raises :class:`~simulacra.errors.ModelFileError`.
    """
    where = f"kept table {table!r} in the model file"
    try:
        n = int(state["n_rows"])
        names = [c["name"] for c in state["columns"]]
        if names != list(columns):
            raise ValueError(f"its columns are {names}, the metadata's {list(columns)}")
        data = {}
        for column in state["columns"]:
            values = _column_from_state(column)
            if len(values) != n:
                raise ValueError(f"column {column['name']!r} has {len(values)} values, "
                                 f"not {n}")
            data[column["name"]] = values
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as err:
        raise ModelFileError(f"{where} cannot be read ({type(err).__name__}: {err}); the file "
                             "is corrupted") from None
    return pd.DataFrame(data, index=pd.RangeIndex(n), columns=list(columns))


def _column_from_state(state: Mapping[str, Any]) -> pd.Series:
    kind = state["dtype"]
    if kind == "category":
        categories = pd.Index(_column_from_state(state["categories"]))
        codes = _array(state["codes"], "iu")
        if codes.size and (codes.min() < -1 or codes.max() >= len(categories)):
            raise ValueError("category codes out of range")
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories,
                                                   ordered=bool(state["ordered"])))
    if kind == "string":
        values = [_text_or_none(v) for v in state["values"]]
        na = np.nan if state["nan"] else pd.NA
        return pd.Series(values, dtype=pd.StringDtype(str(state["storage"]), na_value=na))
    if kind == "datetime_tz":
        stamps = _array(state["values"], "i").view(f"datetime64[{_unit(state['unit'])}]")
        return pd.Series(stamps).dt.tz_localize("UTC").dt.tz_convert(str(state["tz"]))
    if kind == "masked":
        dtype = pd.api.types.pandas_dtype(str(state["extension"]))
        mask = _array(state["mask"], "b")
        array = pd.array(_array(state["values"], "biuf"), dtype=dtype)
        if len(mask) != len(array):
            raise ValueError("a mask of another length than its values")
        array[mask] = pd.NA
        return pd.Series(array)
    if kind == "object":
        return pd.Series([_read_value(v) for v in state["values"]], dtype=object)
    dtype = np.dtype(str(kind))
    if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > 8:
        raise ValueError(f"unknown column dtype {kind!r}")
    if dtype.kind in "mM":
        return pd.Series(_array(state["values"], "i").astype(np.int64).view(dtype))
    return pd.Series(_array(state["values"], "biuf").astype(dtype, copy=False))


def _array(values: Any, kinds: str) -> np.ndarray:
    if not isinstance(values, np.ndarray) or values.ndim != 1 or values.dtype.kind not in kinds:
        raise ValueError(f"expected a 1-d array of kind {kinds!r}, got {type(values).__name__}")
    return values


def _unit(unit: Any) -> str:
    if unit not in ("s", "ms", "us", "ns"):
        raise ValueError(f"unknown datetime unit {unit!r}")
    return str(unit)


def _text_or_none(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"a text column holds {type(value).__name__}")
    return value


def _read_value(value: Any) -> Any:
    if isinstance(value, list):
        raise ValueError("a list where a value was expected")
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError(f"an unknown value {value!r}")
    ((tag, text),) = value.items()
    if tag == "na":
        return pd.NA
    if tag == "nat":
        return pd.NaT
    if tag not in _TAGGED or not isinstance(text, str):
        raise ValueError(f"an unknown value {value!r}")
    return _TAGGED[tag][2](text)


def counts_from_state(state: Any, table: str, fks: Sequence[str], n: int
                      ) -> dict[str, np.ndarray]:
    """Per foreign key (by name) pointing at kept ``table``, its ``n`` rows' real numbers of
    children: exactly ``fks``, each ``n`` integers >= 0, else a :class:`ModelFileError`."""
    where = f"kept table {table!r} in the model file"
    if not isinstance(state, Mapping) or sorted(state) != sorted(fks):
        got = sorted(state) if isinstance(state, Mapping) else type(state).__name__
        raise ModelFileError(f"{where} has child counts for {got}, not for its foreign keys "
                             f"{sorted(fks)}; the file is corrupted")
    out = {}
    for name in fks:
        values = state[name]
        if not isinstance(values, np.ndarray) or values.shape != (n,) \
                or values.dtype.kind not in "iu" or (n and values.min() < 0):
            raise ModelFileError(f"{where} has invalid child counts for {name!r} ({n} "
                                 "integers >= 0 expected); the file is corrupted")
        out[name] = values.astype(np.int64)
    return out
