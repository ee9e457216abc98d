"""Datetime formats of text columns: which strftime format parses (nearly) every value.

>>> best_datetime_format(pd.Series(["2024-01-31", "2024-02-29"]), date_named=False).format
'%Y-%m-%d'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DATETIME_MIN_SHARE = 0.95
# (format, guard): the guard, when set, must match the whole value as well. It keeps
# strptime's leniency (one-digit fields) from reading plain numbers as dates. On ties the
# earlier format wins, so month-first comes before day-first, as in pandas.
DATETIME_FORMATS: tuple[tuple[str, str | None], ...] = (
    ("%Y-%m-%d", None),
    ("%Y-%m-%d %H:%M:%S", None),
    ("%Y-%m-%dT%H:%M:%S", None),
    ("%Y-%m-%d %H:%M:%S.%f", None),
    ("%Y-%m-%dT%H:%M:%S.%f", None),
    ("%Y-%m-%dT%H:%M:%SZ", None),
    ("%Y-%m-%dT%H:%M:%S.%fZ", None),
    ("%Y-%m-%dT%H:%M:%S%z", None),
    ("%Y-%m-%d %H:%M:%S%z", None),
    ("%Y-%m-%d %H:%M", None),
    ("%Y-%m-%dT%H:%M", None),
    ("%Y-%m", r"[0-9]{4}-[0-9]{2}"),
    ("%Y/%m/%d", None),
    ("%Y/%m/%d %H:%M:%S", None),
    ("%m/%d/%Y", None),
    ("%d/%m/%Y", None),
    ("%m/%d/%Y %H:%M:%S", None),
    ("%d/%m/%Y %H:%M:%S", None),
    ("%m/%d/%Y %H:%M", None),
    ("%d/%m/%Y %H:%M", None),
    ("%m/%d/%y", None),
    ("%d/%m/%y", None),
    ("%d.%m.%Y", None),
    ("%d.%m.%Y %H:%M:%S", None),
    ("%d.%m.%Y %H:%M", None),
    ("%d-%m-%Y", None),
    ("%d %b %Y", None),
    ("%d-%b-%Y", None),
    ("%b %d, %Y", None),
    ("%Y%m%d", r"(?:18|19|20|21)[0-9]{6}"),
    ("%Y%m%d %H:%M:%S", r"[0-9]{8} [0-9]{2}:[0-9]{2}:[0-9]{2}"),
    ("%y%m%d %H:%M:%S", r"[0-9]{6} [0-9]{2}:[0-9]{2}:[0-9]{2}"),
    ("%y%m%d", r"[0-9]{6}"),
)
_NEEDS_DATE_NAME = frozenset({"%y%m%d"})  # six bare digits are a date only if the name says so
_DATETIME_PROBE = 50


@dataclass(frozen=True)
class DatetimeFound:
    format: str
    share: float
    also: tuple[str, ...]  # other formats that parse as many values


def _parse_share(text: pd.Series, fmt: str, guard: str | None) -> float:
    if text.empty:
        return 0.0
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True).notna()
    except (ValueError, TypeError, OverflowError):
        return 0.0
    if guard is not None:
        parsed &= text.str.fullmatch(guard).fillna(False).astype(bool)
    return float(parsed.mean())


def best_datetime_format(text: pd.Series, *, date_named: bool) -> DatetimeFound | None:
    """The candidate format parsing the largest share (≥ 95%) of the stripped ``text``."""
    if text.empty or (text.str.len() > 40).mean() > 1 - DATETIME_MIN_SHARE:
        return None
    probe = text.iloc[:_DATETIME_PROBE]
    if not probe.str.contains(r"[0-9]", regex=True).any():
        return None
    candidates = [(fmt, guard) for fmt, guard in DATETIME_FORMATS
                  if (date_named or fmt not in _NEEDS_DATE_NAME)
                  and _parse_share(probe, fmt, guard) >= 0.5]
    shares = {fmt: _parse_share(text, fmt, guard) for fmt, guard in candidates}
    if not shares:
        return None
    best = max(shares, key=lambda f: shares[f])  # first of equals wins
    if shares[best] < DATETIME_MIN_SHARE:
        return None
    also = tuple(f for f, s in shares.items() if f != best and s == shares[best])
    return DatetimeFound(best, shares[best], also)

