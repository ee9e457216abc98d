"""Numeric columns: booleans as 0/1, phone numbers and postcodes by name, ids, YYYYMMDD dates,
card numbers by their Luhn checksum, categories under a threshold, else numbers.

>>> bool(luhn_valid_ints(np.array([4539578763621486], dtype=np.uint64))[0])
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulacra.kinds import PII, Boolean, Categorical, ColumnKind, Datetime, Id, Numerical
from simulacra.metadata.detect.evidence import (
    Column,
    count_distinct,
    distinct_text,
    marker_note,
    missing_note,
    number_text,
    percent,
    sampled,
)
from simulacra.metadata.detect.pii import (
    PII_MIN_SHARE,
    QUASI_IDENTIFIER_MIN_DISTINCT,
    is_phone_name,
    is_postcode_name,
)


def detect_numeric(col: Column, numbers: pd.Series, threshold: int | None, *,
                    source: str = "") -> ColumnKind:
    """Rules for numbers (``numbers`` is non-null and numeric; ``source`` prefixes reasons)."""
    arr = numbers.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(arr)
    integral = bool(finite.all() and np.all(arr == np.floor(arr)))
    is_int_dtype = getattr(numbers.dtype, "kind", "O") in "iu"
    n_distinct = count_distinct(numbers)
    lo, hi = (numbers.min(), numbers.max()) if is_int_dtype else (arr.min(), arr.max())

    if n_distinct == 2 and set(np.unique(arr).tolist()) == {0.0, 1.0}:
        return Boolean(reason=f"boolean: {source}only the values 0 and 1")

    if integral and is_phone_name(col.words) and lo >= 10**6 and hi < 10**15:
        return PII(pii_type="phone", reason=f"pii (phone): the name {str(col.name)!r} says phone "
                                            "and all values have 7-15 digits")
    if (integral and is_postcode_name(col.words) and lo >= 0 and hi < 10**9
            and n_distinct >= QUASI_IDENTIFIER_MIN_DISTINCT):
        return PII(pii_type="postcode", reason=f"pii (postcode): the name {str(col.name)!r} "
                                               "says postcode and all values are whole numbers")

    key = col.key_hint()
    if integral and key and n_distinct == col.n_values:
        return Id(reason=f"id: {source}all {col.n_values:,} values unique and {key}")

    notes: list[str] = []
    if integral:
        found = _integer_dates(col, arr, lo, hi)
        if isinstance(found, Datetime):
            return found
        if found:
            notes.append(found)
        if is_int_dtype and lo >= 10**12 and hi < 10**19:
            share = luhn_valid_ints(sampled(numbers).to_numpy(dtype=np.uint64)).mean()
            if share >= PII_MIN_SHARE:
                return PII(pii_type="credit_card",
                           reason=f"pii (credit_card): {percent(share)} of values are 13-19-digit "
                                  "numbers with a valid Luhn checksum")
    if key and n_distinct < col.n_values:
        notes.append(f"{key} but values repeat, so not an id")

    if len(numbers) < col.n_values:  # numbers read from text: the rest are missing markers
        notes.append(marker_note(col.values, known=True).removeprefix("; "))
    if threshold is not None and n_distinct <= threshold:
        return Categorical(reason=f"categorical: {source}{distinct_text(col, n_distinct)} "
                                  f"(numeric, at most categorical_threshold={threshold})"
                                  + missing_note(col) + "".join(f"; {n}" for n in notes))
    if is_int_dtype:
        what = "integers"
    elif integral:
        what = "whole numbers stored as floats," if not source else "whole numbers"
    else:
        what = "values"
    noun = "value" if n_distinct == 1 else "values"
    reason = (f"numerical: {source}{what} {number_text(lo)}..{number_text(hi)}, "
              f"{n_distinct:,} distinct {noun}" + missing_note(col)
              + "".join(f"; {n}" for n in notes))
    return Numerical(reason=reason)


def _integer_dates(col: Column, arr: np.ndarray, lo: float, hi: float) -> Datetime | str | None:
    """Datetime for YYYYMMDD (or, with a date-like name, YYMMDD) integers.

    Returns a note (str) when the name says date but the values are not all valid dates.
    """
    def distinct_sample() -> np.ndarray:
        return np.unique(sampled(pd.Series(arr)).to_numpy()).astype(np.int64)

    if lo >= 18000101 and hi <= 22001231:
        sample = distinct_sample()
        span = _valid_dates(sample // 10000, sample // 100 % 100, sample % 100)
        if span is not None:
            return Datetime(format="%Y%m%d", reason=f"datetime: all values are 8-digit YYYYMMDD "
                                                    f"dates ({span}), format '%Y%m%d'")
    hint = col.date_hint()
    if hint and lo >= 0 and hi <= 991231:
        sample = distinct_sample()
        yy = sample // 10000
        years = np.where(yy < 69, 2000 + yy, 1900 + yy)  # the strptime %y pivot
        span = _valid_dates(years, sample // 100 % 100, sample % 100)
        if span is not None:
            return Datetime(format="%y%m%d", reason=f"datetime: all values are valid YYMMDD "
                                                    f"dates ({span}) and {hint}, format '%y%m%d'")
        share = _share_valid_dates(years, sample // 100 % 100, sample % 100)
        return (f"{hint} but only {percent(share)} of distinct values are valid YYMMDD dates, "
                "so not a date")
    return None


def _date_frame(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> pd.Series:
    frame = pd.DataFrame({"year": years, "month": months, "day": days})
    return pd.to_datetime(frame, errors="coerce")


def _valid_dates(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> str | None:
    """'1993-01-01 .. 1997-12-29' when every (year, month, day) is a real date, else None."""
    if len(years) == 0 or years.min() < 1800 or years.max() > 2200:
        return None
    dates = _date_frame(years, months, days)
    if dates.isna().any():
        return None
    return f"{dates.min():%Y-%m-%d} .. {dates.max():%Y-%m-%d}"


def _share_valid_dates(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> float:
    return float(_date_frame(years, months, days).notna().mean()) if len(years) else 0.0


def luhn_valid_ints(numbers: np.ndarray) -> np.ndarray:
    """Luhn check of non-negative integers, vectorized over the array."""
    rest = numbers.astype(np.uint64)
    total = np.zeros(len(rest), dtype=np.int64)
    for position in range(20):
        digit = (rest % 10).astype(np.int64)
        rest = rest // 10
        if position % 2:
            digit = digit * 2
            digit = np.where(digit > 9, digit - 9, digit)
        total += digit
    return total % 10 == 0

