"""Text columns: boolean pairs, datetimes, geographic points, personal data, numbers written
as text, then ids, free text or categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulacra.kinds import PII, Boolean, Categorical, ColumnKind, Datetime, Id, LatLon, Text
from simulacra.metadata.detect.dates import best_datetime_format
from simulacra.metadata.detect.evidence import (
    MISSING_MARKERS,
    Column,
    count_distinct,
    distinct_text,
    marker_note,
    missing_note,
    of_values,
    percent,
    sampled,
)
from simulacra.metadata.detect.numbers import detect_numeric
from simulacra.metadata.detect.pii import UUID_PATTERN, detect_pii, full_match

UUID_MIN_SHARE = 0.95
TEXT_MIN_WORDS = 4.0
TEXT_MIN_CHARS = 50.0
TEXT_MIN_DISTINCT_SHARE = 0.5
ID_MAX_CHARS = 40
#: Share of values that must read as "lat, lon" points, and of those with decimals in both
#: coordinates (whole-number pairs such as "3, 4" are more often something else).
POINT_MIN_SHARE = 0.95
POINT_MIN_DECIMAL_SHARE = 0.5
#: Values looked at first: a column most of whose first values are not points is not one.
POINT_PROBE = 20

_BOOLEAN_PAIRS = frozenset(frozenset(pair) for pair in (
    ("true", "false"), ("yes", "no"), ("y", "n"), ("t", "f"), ("1", "0"),
))


def detect_strings(col: Column, threshold: int | None) -> ColumnKind:
    values = col.values
    n_distinct = count_distinct(values)
    sample = sampled(values).astype(str).str.strip()

    if n_distinct == 2:
        pair = frozenset(str(v).strip().lower() for v in values.unique())
        if pair in _BOOLEAN_PAIRS:
            shown = "/".join(repr(v) for v in sorted(values.unique().tolist(), key=str))
            return Boolean(reason=f"boolean: 2 distinct values {shown} in {col.n_rows:,} rows")

    is_marker = sample.str.lower().isin(MISSING_MARKERS)
    text = sample[~is_marker]
    if text.empty:
        return Categorical(reason=f"categorical: {distinct_text(col, n_distinct)}, all of them "
                                  "missing-value markers")

    found = best_datetime_format(text, date_named=col.date_hint() is not None)
    if found is not None:
        reason = (f"datetime: {percent(found.share)} {of_values(len(text), col.n_values)} parse "
                  f"with format {found.format!r}")
        if found.also:
            reason += f" (ambiguous: {', '.join(map(repr, found.also))} parses as many)"
        return Datetime(format=found.format, reason=reason + marker_note(values))

    point = _points(col, text)
    if point is not None:
        return point

    pii = detect_pii(col, text, n_distinct)
    if isinstance(pii, PII):
        return pii

    numbers = _numbers_from_text(values, text)
    if numbers is not None:
        return detect_numeric(col, numbers, threshold, source="text that parses as numbers, ")

    return detect_codes_or_text(col, text, n_distinct, "", note=pii or "")


def _points(col: Column, text: pd.Series) -> LatLon | None:
    """A geographic point column, when nearly every value reads as "lat, lon" in degrees."""
    head = text.iloc[:POINT_PROBE]
    if sum(LatLon.layout(v) is not None for v in head) < POINT_MIN_SHARE * len(head):
        return None  # the common case, decided on a few values
    layouts = [LatLon.layout(v) for v in text]
    lat, _ = LatLon.parse(text)
    points = [lay for lay, ok in zip(layouts, ~np.isnan(lat), strict=True) if lay and ok]
    share = len(points) / len(text)
    decimal = sum(1 for *_, d_lat, d_lon in points if d_lat and d_lon) / max(len(points), 1)
    if share < POINT_MIN_SHARE or decimal < POINT_MIN_DECIMAL_SHARE:
        return None
    return LatLon(reason=f"latlon: {percent(share)} {of_values(len(text), col.n_values)} are "
                         "'lat, lon' points in decimal degrees" + marker_note(col.values))


def _numbers_from_text(values: pd.Series, text: pd.Series) -> pd.Series | None:
    """The non-null numbers, if every value is a number or a missing marker, else None.

    Digit strings with a leading zero ('02134') are codes, not numbers.
    """
    if pd.to_numeric(text, errors="coerce").isna().any():
        return None
    if text.str.match(r"[+-]?0[0-9]").fillna(False).any():
        return None
    stripped = values.astype(str).str.strip()
    numbers = pd.to_numeric(stripped, errors="coerce")
    failed = numbers.isna()
    if failed.any() and not stripped[failed].str.lower().isin(MISSING_MARKERS).all():
        return None
    numbers = numbers[~failed]
    return numbers if len(numbers) else None


def detect_codes_or_text(col: Column, text: pd.Series, n_distinct: int, mixed: str, *,
                          note: str = "") -> ColumnKind:
    """Id, Text or Categorical for string-like values.

    ``mixed`` notes mixed Python types; ``note`` is added to a categorical reason.
    """
    all_distinct = n_distinct == col.n_values
    uuid_share = float(full_match(UUID_PATTERN)(text).mean())
    if uuid_share >= UUID_MIN_SHARE:
        unique = "all values unique" if all_distinct else "values repeat"
        return Id(unique=all_distinct,
                  reason=f"id: {percent(uuid_share)} {of_values(len(text), col.n_values)} are "
                         f"UUIDs, {unique}")
    if all_distinct:
        key = col.key_hint()
        if key:
            return Id(reason=f"id: {mixed}all {col.n_values:,} values unique and {key}")
        code_like = text.str.fullmatch(rf"(?=.*[0-9])\S{{1,{ID_MAX_CHARS}}}").fillna(False)
        if bool(code_like.all()):
            return Id(reason=f"id: {mixed}all {col.n_values:,} values unique and look like "
                             f"codes (no spaces, at most {ID_MAX_CHARS} characters, with digits)")
    distinct_share = n_distinct / col.n_values
    words = float(text.str.split().str.len().mean())
    chars = float(text.str.len().mean())
    if distinct_share > TEXT_MIN_DISTINCT_SHARE and (words >= TEXT_MIN_WORDS
                                                     or chars >= TEXT_MIN_CHARS):
        return Text(reason=f"text: {mixed}{percent(distinct_share)} of values distinct, "
                           f"{words:.1f} words and {chars:.0f} characters on average")
    pair = ""
    if n_distinct == 2 and not mixed:
        first, second = sorted(col.values.unique().tolist(), key=str)
        pair = f" ({first!r} and {second!r} are not a true/false pair)"
    return Categorical(reason=f"categorical: {distinct_text(col, n_distinct)}{pair}"
                              + (f" ({mixed.rstrip(', ')})" if mixed else "")
                              + missing_note(col) + marker_note(col.values)
                              + (f"; {note}" if note else ""))

