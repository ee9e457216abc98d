"""Detect what a column *means* from its values, its dtype and its name.

This package's entry is :func:`detect_column` (dtypes and Python objects dispatched here);
the rules live by what they look at: :mod:`.numbers`, :mod:`.strings` (with :mod:`.dates`
and :mod:`.pii`), on the evidence :mod:`.evidence` gathers.

Detection is a first guess for a person to review, so every kind it returns carries a
``reason`` that states the evidence ("categorical: 7 distinct values in 32,561 rows").
Checks that look at individual values (regular expressions, date parsing, checksums) run on a
deterministic sample of at most :data:`SAMPLE_SIZE` non-null values; counts, ranges and
distinct values use the whole column. The input series is never modified.

The rules, in order (the first that holds wins):

1. all values null → :class:`Categorical`;
2. pandas ``category`` dtype → :class:`Categorical`; ``bool`` dtype, Python bools, or exactly
   two distinct values forming a boolean pair (0/1, yes/no, y/n, t/f, true/false) →
   :class:`Boolean`; ``datetime64`` dtype or Python datetimes → :class:`Datetime`;
3. numbers: a key-like name (``id``, ``*_id``, ``key``, ``uuid``, ``No`` …) with all values
   distinct integers → :class:`Id`; 8-digit integers that are all valid ``YYYYMMDD`` dates
   (years 1800-2199), or integers that are all valid ``YYMMDD`` dates in a column whose name
   says it holds dates (``date``, ``issued``, ``birth`` …) → :class:`Datetime`; Luhn-valid
   13-19-digit integers → credit-card :class:`PII`, and whole numbers in a column named for
   a phone number or a postcode → phone or postcode PII; otherwise :class:`Numerical`, or
   :class:`Categorical` when ``categorical_threshold`` is given and not exceeded;
4. strings: a datetime format that parses at least 95% of values → :class:`Datetime`; value
   patterns matched by at least 90% of values (e-mail, IP, SSN, credit card, IBAN, phone) or a
   telling name plus matching value shape (name, address, city, postcode, phone) →
   :class:`PII`; text that is all numbers → as numbers; all distinct with a key-like name or
   code-like values (UUIDs, or no spaces, at most 40 characters and a digit) → :class:`Id`;
   long or many-worded values that are mostly distinct → :class:`Text`; otherwise
   :class:`Categorical`;
5. objects of mixed Python types → :class:`Categorical`, unless nearly all distinct (then
   :class:`Text` or :class:`Id` by the string rules).

>>> detect_column(pd.Series([17, 35, 90, 35], name="age")).reason
'numerical: integers 17..90, 3 distinct values'
>>> detect_column(pd.Series(["yes", "no", "no"], name="smoker"))
Boolean()
>>> detect_column(pd.Series(["2024-01-31", "2024-02-29"], name="day")).format
'%Y-%m-%d'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulacra.errors import DataError, check_param
from simulacra.kinds import Boolean, Categorical, ColumnKind, Datetime, Numerical
from simulacra.metadata.detect.dates import DATETIME_FORMATS, best_datetime_format
from simulacra.metadata.detect.evidence import (
    DATE_TOKENS,
    MISSING_MARKERS,
    SAMPLE_SIZE,
    Column,
    count_distinct,
    distinct_text,
    missing_note,
    name_tokens,
    sampled,
)
from simulacra.metadata.detect.numbers import detect_numeric
from simulacra.metadata.detect.strings import detect_codes_or_text, detect_strings

__all__ = [
    "DATETIME_FORMATS",
    "SAMPLE_SIZE",
    "detect_column",
    "infer_datetime_format",
    "structure_kind",
]

MIXED_NEAR_UNIQUE_SHARE = 0.95


def structure_kind(series: pd.Series) -> ColumnKind:
    """The kind of ``series`` from its dtype alone, reading none of its values (what a fit
    under a privacy budget may use without a public schema): numbers numerical (integers with
    ``integer=True``), datetimes datetime, booleans boolean, anything else categorical. No
    bounds, counts or formats: the reason names the dtype only.

    >>> structure_kind(pd.Series([3, 1, 987654321], name="x"))
    Numerical(integer=True, minimum=None, maximum=None, decimals=None)
    >>> structure_kind(pd.Series(["a", "b"], name="c")).reason.endswith("no values read)")
    True
    """
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    why = f"{dtype} dtype (structure only: no values read)"
    if pd.api.types.is_bool_dtype(dtype):
        return Boolean(reason=f"boolean: {why}")
    if pd.api.types.is_datetime64_any_dtype(dtype) or kind == "M":
        return Datetime(reason=f"datetime: {why}")
    if kind in "iuf":
        return Numerical(integer=kind in "iu", reason=f"numerical: {why}")
    return Categorical(reason=f"categorical: {why}")


def detect_column(series: pd.Series, *, categorical_threshold: int | None = None) -> ColumnKind:
    """Return the kind of ``series``, with a ``reason`` stating the evidence.

    ``categorical_threshold``, when given, makes numeric columns with at most that many
    distinct values :class:`Categorical`. Bounds, decimals and datetime ranges are not set:
    they are learned at fit time.
    """
    valid = (categorical_threshold is None
             or (isinstance(categorical_threshold, int | np.integer)
                 and not isinstance(categorical_threshold, bool) and categorical_threshold >= 0))
    check_param("categorical_threshold", categorical_threshold, "None or an integer >= 0", valid)
    if not isinstance(series, pd.Series):
        raise DataError(f"detect_column expects a pandas Series, got {type(series).__name__}; "
                        "pass one column, e.g. df['age']")
    values = series.dropna()
    col = Column(name=series.name, n_rows=len(series), values=values)
    if values.empty:
        what = "the column is empty" if col.n_rows == 0 else f"all {col.n_rows:,} values are null"
        return Categorical(reason=f"categorical: {what}")

    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, pd.CategoricalDtype):
        return _from_category_dtype(col, dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return Boolean(reason=f"boolean: {dtype} dtype")
    if pd.api.types.is_datetime64_any_dtype(dtype) or kind == "M":
        return Datetime(reason=f"datetime: {dtype} dtype, {values.min()} .. {values.max()}")
    if isinstance(dtype, pd.PeriodDtype):
        return Datetime(reason=f"datetime: {dtype} dtype, {values.min()} .. {values.max()}")
    if kind == "m":
        return Numerical(reason=f"numerical: durations ({dtype}), {values.min()} .. "
                                f"{values.max()}")
    if kind in "iuf":
        return detect_numeric(col, values, categorical_threshold)
    if kind == "c":
        return Categorical(reason=f"categorical: complex numbers, {distinct_text(col)}")
    if isinstance(dtype, pd.StringDtype):
        return detect_strings(col, categorical_threshold)
    return _detect_objects(col, categorical_threshold)


def infer_datetime_format(values: pd.Series) -> str | None:
    """Return the strftime format that parses at least 95% of the non-null ``values``.

    Values are compared as stripped strings; missing-value markers ('?', '', 'NA' …) are
    ignored. Bare six-digit ``YYMMDD`` values count only when the series name says it holds
    dates. Returns ``None`` when no candidate format in :data:`DATETIME_FORMATS` qualifies.

    >>> infer_datetime_format(pd.Series(["31/01/2024", "01/02/2024"]))
    '%d/%m/%Y'
    >>> infer_datetime_format(pd.Series(["1.5", "3"])) is None
    True
    """
    text = sampled(values.dropna()).astype(str).str.strip()
    text = text[~text.str.lower().isin(MISSING_MARKERS)]
    found = best_datetime_format(text, date_named=bool(name_tokens(values.name) & DATE_TOKENS))
    return None if found is None else found.format



def _detect_objects(col: Column, threshold: int | None) -> ColumnKind:
    values = col.values
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        return detect_strings(col, threshold)
    if inferred == "boolean":
        return Boolean(reason="boolean: Python True/False values")
    if inferred in ("datetime", "datetime64", "date"):
        return Datetime(reason=f"datetime: Python {inferred} values")
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().all():
            return detect_numeric(col, numbers.astype("float64") if inferred == "decimal"
                                   else numbers, threshold)
    # Mixed Python types (ints and strings …), bytes, periods, intervals, other objects.
    n_distinct = count_distinct(values)
    types = sorted({type(v).__name__ for v in sampled(values).tolist()})
    mixed = (f"mixed types {', '.join(types)}, " if len(types) > 1
             else f"{types[0]} objects, ")
    if n_distinct / col.n_values > MIXED_NEAR_UNIQUE_SHARE:
        text = sampled(values).astype(str).str.strip()
        return detect_codes_or_text(col, text, n_distinct, mixed)
    return Categorical(reason=f"categorical: {distinct_text(col, n_distinct)} "
                              f"({mixed.rstrip(', ')})" + missing_note(col))


def _from_category_dtype(col: Column, dtype: pd.CategoricalDtype) -> Categorical:
    n_categories = len(dtype.categories)
    if dtype.ordered:
        return Categorical(ordered=True, categories=tuple(dtype.categories.tolist()),
                           reason=f"categorical: ordered category dtype with {n_categories:,} "
                                  f"categories; {distinct_text(col)}")
    return Categorical(reason=f"categorical: category dtype with {n_categories:,} categories; "
                              f"{distinct_text(col)}")
