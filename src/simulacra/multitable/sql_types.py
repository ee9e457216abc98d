"""SQL column types for DataFrame columns, and the values a driver accepts for them.

Without a type from the source, a column's type follows its dtype, and its kind where the
dtype says little (an empty or all-null column):

============================================  ===============================
column                                        SQL type
============================================  ===============================
bool, ``boolean``                             ``BOOLEAN``
integers (``int64``, ``Int64``, ...)          ``BIGINT``
floats holding whole numbers of an id or of   ``BIGINT``
an integer numerical column
other floats, ``Decimal`` objects             ``DOUBLE PRECISION`` (``FLOAT``)
``datetime64`` (with a time zone)             ``TIMESTAMP`` (``WITH TIME ZONE``)
``datetime.date`` objects                     ``DATE``
text, including datetimes kept as text in a   ``TEXT``
``format`` of their own, and anything else
============================================  ===============================

A datetime column held as text (a :class:`~simulacra.kinds.Datetime` with a ``format``) stays
text, written as it reads, so its format survives the round trip.

>>> import pandas as pd
>>> type(column_type(pd.Series([1, 2]))).__name__, type(column_type(pd.Series(["a"]))).__name__
('BigInteger', 'Text')
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from simulacra.errors import DataError
from simulacra.kinds import Boolean, ColumnKind, Datetime, Id, Numerical


def column_type(values: pd.Series, kind: ColumnKind | None = None) -> sa.types.TypeEngine:
    """The SQL type for a DataFrame column (its dtype first, then its kind)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_type(values.astype(dtype.categories.dtype), kind)
    if pd.api.types.is_bool_dtype(dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(dtype):
        whole = isinstance(kind, Id) or (isinstance(kind, Numerical) and kind.integer)
        present = values.dropna()
        if whole and bool(np.all(np.mod(present.to_numpy(dtype=float), 1) == 0)):
            return sa.BigInteger()
        return sa.Double()
    if isinstance(dtype, pd.DatetimeTZDtype):
        return sa.DateTime(timezone=True)
    if pd.api.types.is_datetime64_dtype(dtype):
        return sa.DateTime()
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    by_values: dict[str, sa.types.TypeEngine] = {
        "integer": sa.BigInteger(), "floating": sa.Double(), "mixed-integer-float": sa.Double(),
        "decimal": sa.Double(), "boolean": sa.Boolean(), "date": sa.Date(),
        "datetime": sa.DateTime(), "datetime64": sa.DateTime(), "bytes": sa.LargeBinary()}
    if inferred in by_values:
        return by_values[inferred]
    if inferred == "empty":
        if isinstance(kind, Numerical):
            return sa.BigInteger() if kind.integer else sa.Double()
        if isinstance(kind, Boolean):
            return sa.Boolean()
        if isinstance(kind, Datetime) and kind.format is None:
            return sa.DateTime()
    return sa.Text()


def driver_values(values: pd.Series, sql_type: sa.types.TypeEngine, where: str) -> list:
    """``values`` as a list of Python objects for ``sql_type``, nulls as ``None``.

    ``where`` ("column 'x' of table 't'") names the column in errors.
    """
    present = values.notna().to_numpy()
    try:
        if isinstance(sql_type, sa.Boolean):
            out = values.astype("boolean").to_numpy(dtype=object, na_value=None)
        elif isinstance(sql_type, sa.Integer):
            out = _whole_numbers(values).to_numpy(dtype=object, na_value=None)
        elif isinstance(sql_type, sa.Numeric):
            out = pd.to_numeric(values).astype("float64").to_numpy(dtype=object)
        elif isinstance(sql_type, sa.DateTime):
            out = _datetimes(values, sql_type).astype(object).to_numpy()
        elif isinstance(sql_type, sa.Date):
            out = _datetimes(values, sql_type).dt.date.to_numpy(dtype=object)
        elif isinstance(sql_type, sa.String):
            out = values.to_numpy(dtype=object, copy=True)
            out[present] = [v if isinstance(v, str) else str(v) for v in out[present]]
        else:
            out = values.to_numpy(dtype=object)
    except (ValueError, TypeError, OverflowError) as err:
        raise DataError(f"{where} cannot be written as {sql_type!r}: {err}; convert the "
                        "column or give its type in source_types") from None
    out = np.array(out, dtype=object, copy=True)  # pandas may hand out read-only views
    out[~present] = None
    return out.tolist()


def processed_values(values: pd.Series, sql_type: sa.types.TypeEngine,
                     dialect: sa.engine.Dialect, where: str) -> list:
    """``values`` as the driver receives them, after the type's own bind processing.

    Used to hand rows straight to the driver's ``executemany`` (see
    :mod:`simulacra.multitable.sql_write`). Timestamps and dates are formatted for the whole
    column at once when that gives exactly what the type's processor gives for a value.
    """
    impl = sql_type.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if process is not None and isinstance(sql_type, sa.DateTime | sa.Date) \
            and not isinstance(values.dtype, pd.DatetimeTZDtype):
        fast = _iso_text(values, date=not isinstance(sql_type, sa.DateTime))
        if fast is not None:
            sample = next((v for v in driver_values(values.dropna().iloc[:1], sql_type, where)),
                          None)
            if sample is None or process(sample) == fast[values.notna().to_numpy()][0]:
                return fast.tolist()
    out = driver_values(values, sql_type, where)
    if process is None:
        return out
    return [None if v is None else process(v) for v in out]


def _iso_text(values: pd.Series, *, date: bool) -> np.ndarray | None:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (``YYYY-MM-DD``) for each value, nulls as ``None``."""
    try:
        stamps = values if pd.api.types.is_datetime64_dtype(values.dtype) else \
            pd.to_datetime(values, format="ISO8601")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            return None
        text = np.datetime_as_string(stamps.to_numpy(dtype="datetime64[us]"), unit="us")
    except (ValueError, TypeError, OverflowError):
        return None
    text = text.astype("<U10") if date else np.char.replace(text, "T", " ")
    out = text.astype(object)
    out[values.isna().to_numpy()] = None
    return out


def _whole_numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(values.dtype):
        return values
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("Int64")
    numbers = pd.to_numeric(values)
    return numbers.astype("Int64")  # refuses 1.5 ("cannot safely cast non-equivalent")


def _datetimes(values: pd.Series, sql_type: sa.types.TypeEngine) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
    elif pd.api.types.infer_dtype(values, skipna=True) in ("date", "datetime"):
        stamps = pd.to_datetime(values.map(_as_datetime, na_action="ignore"))
    else:
        stamps = pd.to_datetime(values, format="mixed")
    tz_wanted = bool(getattr(sql_type, "timezone", False))
    if isinstance(stamps.dtype, pd.DatetimeTZDtype) and not tz_wanted:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _as_datetime(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def type_for_dialect(sql_type: sa.types.TypeEngine, dialect: sa.engine.Dialect,
                     ) -> sa.types.TypeEngine | None:
    """``sql_type`` as ``dialect`` can declare it, or ``None`` when it cannot.

    A type of the target's own dialect (e.g. PostgreSQL's ``JSONB`` into PostgreSQL) is kept;
    any other is first turned into its generic form (SQLite's ``DATETIME`` becomes
    ``DateTime``, so PostgreSQL declares ``TIMESTAMP``).
    """
    own = type(sql_type).__module__.startswith(f"sqlalchemy.dialects.{dialect.name}")
    candidate: sa.types.TypeEngine | None = sql_type
    if not own:
        try:
            candidate = sql_type.as_generic()
        except NotImplementedError:
            candidate = None
    if candidate is None:
        return None
    try:
        candidate.compile(dialect=dialect)
    except (sa.exc.CompileError, sa.exc.UnsupportedCompilationError, NotImplementedError):
        return None
    return candidate
