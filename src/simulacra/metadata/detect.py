"""Detect what a column *means* from its values, its dtype and its name.

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

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulacra.errors import DataError, check_param
from simulacra.metadata.kinds import (
    PII,
    Boolean,
    Categorical,
    ColumnKind,
    Datetime,
    Id,
    Numerical,
    Text,
)

__all__ = [
    "DATETIME_FORMATS",
    "SAMPLE_SIZE",
    "detect_column",
    "infer_datetime_format",
]

SAMPLE_SIZE = 10_000
"""Most values that value-level checks (regex, date parsing, checksums) look at."""

DATETIME_MIN_SHARE = 0.95
PII_MIN_SHARE = 0.90
UUID_MIN_SHARE = 0.95
TEXT_MIN_WORDS = 4.0
TEXT_MIN_CHARS = 50.0
TEXT_MIN_DISTINCT_SHARE = 0.5
MIXED_NEAR_UNIQUE_SHARE = 0.95
QUASI_IDENTIFIER_MIN_DISTINCT = 50
"""Fewest distinct values for a city or postcode column to count as PII, not as a category."""
ID_MAX_CHARS = 40

MISSING_MARKERS = frozenset({"", "?", "-", "--", "na", "n/a", "nan", "null", "none", "nil",
                             "#n/a"})
"""Strings (compared stripped and lower-cased) that commonly stand for a missing value."""

_BOOLEAN_PAIRS = frozenset(frozenset(pair) for pair in (
    ("true", "false"), ("yes", "no"), ("y", "n"), ("t", "f"), ("1", "0"),
))

_KEY_TOKENS = frozenset({"id", "key", "uuid", "guid", "uid", "pk", "no", "nr", "number"})
_DATE_TOKENS = frozenset({"date", "dates", "dt", "dob", "birth", "birthday", "birthdate", "born",
                          "issued", "created", "updated", "modified", "opened", "closed",
                          "timestamp", "ts", "datetime"})
_PHONE_TOKENS = frozenset({"phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax",
                           "msisdn"})
_PERSON_TOKENS = frozenset({"full", "customer", "client", "employee", "person", "contact",
                            "patient", "member", "owner", "holder", "cardholder", "student",
                            "author", "manager", "applicant", "passenger"})
_NOT_POSTAL_ADDRESS = frozenset({"ip", "ipv4", "ipv6", "email", "mail", "mac", "web", "url",
                                 "wallet", "memory"})

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


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

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
    col = _Column(name=series.name, n_rows=len(series), values=values)
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
        return _detect_numeric(col, values, categorical_threshold)
    if kind == "c":
        return Categorical(reason=f"categorical: complex numbers, {_distinct(col)}")
    if isinstance(dtype, pd.StringDtype):
        return _detect_strings(col, categorical_threshold)
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
    text = _sample(values.dropna()).astype(str).str.strip()
    text = text[~text.str.lower().isin(MISSING_MARKERS)]
    found = _best_datetime_format(text, date_named=bool(_tokens(values.name) & _DATE_TOKENS))
    return None if found is None else found.format


# --------------------------------------------------------------------------------------------
# Evidence about one column
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _tokens(name: object) -> frozenset[str]:
    return frozenset(_token_list(name))


def _token_list(name: object) -> list[str]:
    """Words of a column name: 'customerID' → ['customer', 'id'], 'birth_date' → [...]."""
    if name is None:
        return []
    return [t.lower() for t in _TOKEN_RE.findall(str(name))]


@dataclass(frozen=True)
class _Column:
    """What every rule needs: the name, the row count and the non-null values."""

    name: object
    n_rows: int
    values: pd.Series

    @property
    def n_values(self) -> int:
        return len(self.values)

    @property
    def n_null(self) -> int:
        return self.n_rows - len(self.values)

    @property
    def words(self) -> list[str]:
        return _token_list(self.name)

    def key_hint(self) -> str | None:
        """Why the name marks a key ('ends in 'id''), or None."""
        words = self.words
        if not words:
            return None
        if words[-1] in _KEY_TOKENS:
            return f"the name {str(self.name)!r} ends in {words[-1]!r}"
        if words[0] == "id":
            return f"the name {str(self.name)!r} starts with 'id'"
        if re.fullmatch(r"index|unnamed: ?\d+", str(self.name).strip().lower()):
            return f"the name {str(self.name)!r} marks a row index"
        return None

    def date_hint(self) -> str | None:
        hits = [w for w in self.words if w in _DATE_TOKENS]
        return f"the name {str(self.name)!r} says {hits[0]!r}" if hits else None


def _sample(values: pd.Series) -> pd.Series:
    """At most SAMPLE_SIZE values, the same ones on every call (seeded, in original order)."""
    if len(values) <= SAMPLE_SIZE:
        return values
    positions = np.random.default_rng(0).choice(len(values), SAMPLE_SIZE, replace=False)
    return values.iloc[np.sort(positions)]


def _nunique(values: pd.Series) -> int:
    try:
        return int(values.nunique(dropna=True))
    except TypeError:  # unhashable objects such as lists
        return int(values.astype(str).nunique(dropna=True))


def _distinct(col: _Column, n_distinct: int | None = None) -> str:
    n = _nunique(col.values) if n_distinct is None else n_distinct
    noun = "value" if n == 1 else "values"
    return f"{n:,} distinct {noun} in {col.n_rows:,} rows"


def _fmt(x: float) -> str:
    """17 → '17', 39320.0 → '39320', 0.29 → '0.29', 1e300 → '1e+300'."""
    if isinstance(x, int | np.integer):
        return str(int(x))
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def _pct(share: float) -> str:
    """Round down, so that 99.7% is never shown as 100%."""
    if share >= 1:
        return "100%"
    if share >= 0.99:
        return f"{math.floor(share * 1000) / 10:.1f}%"
    return f"{math.floor(share * 100)}%"


def _of_values(n_checked: int, n_total: int) -> str:
    return "of values" if n_checked >= n_total else f"of {n_checked:,} sampled values"


def _missing_note(col: _Column) -> str:
    return f"; {col.n_null:,} missing" if col.n_null else ""


def _marker_note(values: pd.Series, *, known: bool = False) -> str:
    """'; '?' (1,836 rows) may mark missing values' when such markers occur.

    Unless ``known`` says markers are there, only a sample is searched, to stay fast.
    """
    if not known:
        stripped = _sample(values).astype(str).str.strip()
        if not stripped.str.lower().isin(MISSING_MARKERS).any():
            return ""
    text = values.astype(str)
    counts = text[text.str.strip().str.lower().isin(MISSING_MARKERS)].value_counts()
    if counts.empty:
        return ""
    shown = ", ".join(f"{v!r} ({n:,} {'row' if n == 1 else 'rows'})"
                      for v, n in counts.head(3).items())
    return f"; {shown} may mark missing values"


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

def _detect_numeric(col: _Column, numbers: pd.Series, threshold: int | None, *,
                    source: str = "") -> ColumnKind:
    """Rules for numbers (``numbers`` is non-null and numeric; ``source`` prefixes reasons)."""
    arr = numbers.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(arr)
    integral = bool(finite.all() and np.all(arr == np.floor(arr)))
    is_int_dtype = getattr(numbers.dtype, "kind", "O") in "iu"
    n_distinct = _nunique(numbers)
    lo, hi = (numbers.min(), numbers.max()) if is_int_dtype else (arr.min(), arr.max())

    if n_distinct == 2 and set(np.unique(arr).tolist()) == {0.0, 1.0}:
        return Boolean(reason=f"boolean: {source}only the values 0 and 1")

    if integral and _is_phone_name(col.words) and lo >= 10**6 and hi < 10**15:
        return PII(pii_type="phone", reason=f"pii (phone): the name {str(col.name)!r} says phone "
                                            "and all values have 7-15 digits")
    if (integral and _is_postcode_name(col.words) and lo >= 0 and hi < 10**9
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
            share = _luhn_valid_ints(_sample(numbers).to_numpy(dtype=np.uint64)).mean()
            if share >= PII_MIN_SHARE:
                return PII(pii_type="credit_card",
                           reason=f"pii (credit_card): {_pct(share)} of values are 13-19-digit "
                                  "numbers with a valid Luhn checksum")
    if key and n_distinct < col.n_values:
        notes.append(f"{key} but values repeat, so not an id")

    if len(numbers) < col.n_values:  # numbers read from text: the rest are missing markers
        notes.append(_marker_note(col.values, known=True).removeprefix("; "))
    if threshold is not None and n_distinct <= threshold:
        return Categorical(reason=f"categorical: {source}{_distinct(col, n_distinct)} "
                                  f"(numeric, at most categorical_threshold={threshold})"
                                  + _missing_note(col) + "".join(f"; {n}" for n in notes))
    if is_int_dtype:
        what = "integers"
    elif integral:
        what = "whole numbers stored as floats," if not source else "whole numbers"
    else:
        what = "values"
    noun = "value" if n_distinct == 1 else "values"
    reason = (f"numerical: {source}{what} {_fmt(lo)}..{_fmt(hi)}, {n_distinct:,} distinct {noun}"
              + _missing_note(col) + "".join(f"; {n}" for n in notes))
    return Numerical(reason=reason)


def _integer_dates(col: _Column, arr: np.ndarray, lo: float, hi: float) -> Datetime | str | None:
    """Datetime for YYYYMMDD (or, with a date-like name, YYMMDD) integers.

    Returns a note (str) when the name says date but the values are not all valid dates.
    """
    def distinct_sample() -> np.ndarray:
        return np.unique(_sample(pd.Series(arr)).to_numpy()).astype(np.int64)

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
        return (f"{hint} but only {_pct(share)} of distinct values are valid YYMMDD dates, "
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


def _luhn_valid_ints(numbers: np.ndarray) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------
# Strings
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _DatetimeFound:
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


def _best_datetime_format(text: pd.Series, *, date_named: bool) -> _DatetimeFound | None:
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
    return _DatetimeFound(best, shares[best], also)


_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = (rf"(?:{_H}:){{7}}{_H}"
         rf"|(?:(?:{_H}:){{0,6}}{_H})?::(?:(?:{_H}:){{0,6}}{_H})?")
_SSN = r"[0-9]{3}-[0-9]{2}-[0-9]{4}"
_UUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_WORD = r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?"
_NAME_WORDS = rf"{_WORD}(?: {_WORD}){{0,3}}"  # 1-4 alphabetic words


def _full(pattern: str) -> Callable[[pd.Series], pd.Series]:
    compiled = re.compile(pattern)

    def matches(text: pd.Series) -> pd.Series:
        return text.str.fullmatch(compiled).fillna(False).astype(bool)
    return matches


def _digit_count(text: pd.Series) -> pd.Series:
    return text.str.count(r"[0-9]")


def _is_credit_card(text: pd.Series) -> pd.Series:
    digits = text.str.replace(r"[ -]", "", regex=True)
    ok = (text.str.fullmatch(r"[0-9][0-9 -]{11,22}[0-9]").fillna(False).astype(bool)
          & digits.str.fullmatch(r"[0-9]{13,19}").fillna(False).astype(bool))
    out = np.zeros(len(text), dtype=bool)
    if ok.any():
        padded = np.array(digits[ok].str.zfill(19).tolist(), dtype="U19")
        grid = padded.view(np.uint32).reshape(-1, 19).astype(np.int64) - ord("0")
        grid[:, -2::-2] *= 2  # every second digit from the right
        grid = np.where(grid > 9, grid - 9, grid)
        out[ok.to_numpy()] = grid.sum(axis=1) % 10 == 0
    return pd.Series(out, index=text.index)


def _is_iban(text: pd.Series) -> pd.Series:
    compact = text.str.replace(" ", "", regex=False)
    ok = compact.str.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}").fillna(False).astype(bool)
    out = np.zeros(len(text), dtype=bool)
    if ok.any():
        moved = compact[ok].str[4:] + compact[ok].str[:4]  # ISO 13616: country + check last
        codes = np.array(moved.tolist(), dtype="U34").view(np.uint32).reshape(-1, 34)
        remainder = np.zeros(len(codes), dtype=np.int64)
        for column in codes.T.astype(np.int64):
            digit = (column >= ord("0")) & (column <= ord("9"))
            letter = column >= ord("A")
            remainder = np.where(digit, (remainder * 10 + column - ord("0")) % 97, remainder)
            remainder = np.where(letter, (remainder * 100 + column - ord("A") + 10) % 97,
                                 remainder)
        out[ok.to_numpy()] = remainder == 1
    return pd.Series(out, index=text.index)


def _is_phone(text: pd.Series) -> pd.Series:
    """Phone-number characters, 7-15 digits, and not a plain number."""
    shape = text.str.fullmatch(r"(?:\+|00)?[0-9 ().\-/]{6,24}[0-9]").fillna(False).astype(bool)
    digits = _digit_count(text)
    not_number = pd.to_numeric(text, errors="coerce").isna()
    separated = text.str.contains(r"[ ().\-/+]", regex=True).fillna(False).astype(bool)
    return shape & digits.between(7, 15) & not_number & separated


def _is_phone_named(text: pd.Series) -> pd.Series:
    shape = text.str.fullmatch(r"(?:\+|00)?[0-9 ().\-/]{6,24}[0-9]").fillna(False).astype(bool)
    return shape & _digit_count(text).between(7, 15)


def _is_phone_name(words: list[str]) -> bool:
    """'phone', 'mobile', 'phone_number', 'tel_no' …"""
    return bool(words) and (words[-1] in _PHONE_TOKENS
                            or (len(words) > 1 and words[-2] in _PHONE_TOKENS))


def _is_postcode_name(words: list[str]) -> bool:
    joined = "".join(words)
    return (joined.endswith(("zip", "zipcode", "postcode", "postalcode", "postcodes"))
            or (bool(words) and words[-1] in {"plz", "postal"}))


@dataclass(frozen=True)
class _PiiRule:
    """Values matching ``matches`` (≥ 90% of the sample) make the column ``pii_type``.

    ``named``, when set, must also accept the column's name words. ``min_distinct`` keeps
    quasi-identifiers with few values (a 'city' column holding four cities) categorical.
    """

    pii_type: str
    evidence: str
    matches: Callable[[pd.Series], pd.Series]
    named: Callable[[list[str]], bool] | None = None
    min_distinct: int = 0


def _name_part(endings: tuple[str, ...], exact: tuple[str, ...]) -> Callable[[list[str]], bool]:
    """'customer_first_name' ends with 'firstname'; 'fname' only counts as the whole name."""
    def named(words: list[str]) -> bool:
        joined = "".join(words)
        return joined.endswith(endings) or joined in exact
    return named


def _person_name(words: list[str]) -> bool:
    """'name', 'full_name', 'fullname', 'CustomerName' - not 'product_name'."""
    joined = "".join(words)
    if words and words[-1] == "name" and len(words) > 1 and words[-2] in _PERSON_TOKENS:
        return True
    return joined.endswith("name") and joined[:-4] in (_PERSON_TOKENS | {""})


def _address_kind(street: bool) -> Callable[[list[str]], bool]:
    def named(words: list[str]) -> bool:
        ws = set(words)
        if ws & _NOT_POSTAL_ADDRESS:
            return False
        is_street = bool(ws & {"street", "line"}) or "streetaddress" in "".join(words)
        return bool(ws & {"address", "addr", "street"}) and is_street == street
    return named


_ADDRESS_SHAPE = r"(?s)(?=.*[^\W\d_])(?=.*\s).{5,200}"

# Value patterns first (they need no name), then name-led rules; order matters where shapes
# overlap (an SSN is also phone-shaped).
_PII_RULES: tuple[_PiiRule, ...] = (
    _PiiRule("email", "look like e-mail addresses", _full(_EMAIL)),
    _PiiRule("ip", "look like IPv4 or IPv6 addresses", _full(f"{_IPV4}|{_IPV6}")),
    _PiiRule("ssn", "look like US social security numbers (ddd-dd-dddd)", _full(_SSN)),
    _PiiRule("credit_card", "are 13-19-digit card numbers with a valid Luhn checksum",
             _is_credit_card),
    _PiiRule("iban", "are IBANs with a valid checksum", _is_iban),
    _PiiRule("phone", "look like phone numbers (7-15 digits with +, spaces, dashes or "
                      "parentheses)", _is_phone),
    _PiiRule("phone", "are 7-15-digit phone numbers", _is_phone_named,
             named=_is_phone_name),
    _PiiRule("postcode", "are short codes with digits",
             _full(r"(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9 -]{1,9}"), named=_is_postcode_name,
             min_distinct=QUASI_IDENTIFIER_MIN_DISTINCT),
    _PiiRule("first_name", "are 1-4 alphabetic words", _full(_NAME_WORDS),
             named=_name_part(("firstname", "givenname", "forename"), ("fname",))),
    _PiiRule("last_name", "are 1-4 alphabetic words", _full(_NAME_WORDS),
             named=_name_part(("lastname", "familyname", "surname"), ("lname",))),
    _PiiRule("name", "are 1-4 alphabetic words", _full(_NAME_WORDS), named=_person_name),
    _PiiRule("street_address", "are several words with letters", _full(_ADDRESS_SHAPE),
             named=_address_kind(street=True)),
    _PiiRule("address", "are several words with letters", _full(_ADDRESS_SHAPE),
             named=_address_kind(street=False)),
    _PiiRule("city", "are 1-4 alphabetic words", _full(_NAME_WORDS),
             named=lambda w: bool(w) and w[-1] in {"city", "town"},
             min_distinct=QUASI_IDENTIFIER_MIN_DISTINCT),
)


def _detect_pii(col: _Column, text: pd.Series, n_distinct: int) -> PII | str | None:
    """The PII kind, or a note (str) on why a name-suggested PII type was not chosen."""
    words = col.words
    for rule in _PII_RULES:
        if rule.named is not None and not rule.named(words):
            continue
        share = float(rule.matches(text).mean())
        if share >= PII_MIN_SHARE and n_distinct < rule.min_distinct:
            return (f"the name {str(col.name)!r} suggests {rule.pii_type} but "
                    f"{n_distinct:,} distinct values are too few for personal data "
                    f"(at least {rule.min_distinct} needed)")
        if share >= PII_MIN_SHARE:
            seen = _of_values(len(text), col.n_values)
            if rule.named is None:
                reason = f"pii ({rule.pii_type}): {_pct(share)} {seen} {rule.evidence}"
            else:
                reason = (f"pii ({rule.pii_type}): the name {str(col.name)!r} suggests "
                          f"{rule.pii_type.replace('_', ' ')} and {_pct(share)} {seen} "
                          f"{rule.evidence}")
            return PII(pii_type=rule.pii_type, reason=reason)
    return None


def _detect_strings(col: _Column, threshold: int | None) -> ColumnKind:
    values = col.values
    n_distinct = _nunique(values)
    sample = _sample(values).astype(str).str.strip()

    if n_distinct == 2:
        pair = frozenset(str(v).strip().lower() for v in values.unique())
        if pair in _BOOLEAN_PAIRS:
            shown = "/".join(repr(v) for v in sorted(values.unique().tolist(), key=str))
            return Boolean(reason=f"boolean: 2 distinct values {shown} in {col.n_rows:,} rows")

    is_marker = sample.str.lower().isin(MISSING_MARKERS)
    text = sample[~is_marker]
    if text.empty:
        return Categorical(reason=f"categorical: {_distinct(col, n_distinct)}, all of them "
                                  "missing-value markers")

    found = _best_datetime_format(text, date_named=col.date_hint() is not None)
    if found is not None:
        reason = (f"datetime: {_pct(found.share)} {_of_values(len(text), col.n_values)} parse "
                  f"with format {found.format!r}")
        if found.also:
            reason += f" (ambiguous: {', '.join(map(repr, found.also))} parses as many)"
        return Datetime(format=found.format, reason=reason + _marker_note(values))

    pii = _detect_pii(col, text, n_distinct)
    if isinstance(pii, PII):
        return pii

    numbers = _numbers_from_text(values, text)
    if numbers is not None:
        return _detect_numeric(col, numbers, threshold, source="text that parses as numbers, ")

    return _detect_codes_or_text(col, text, n_distinct, "", note=pii or "")


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


def _detect_codes_or_text(col: _Column, text: pd.Series, n_distinct: int, mixed: str, *,
                          note: str = "") -> ColumnKind:
    """Id, Text or Categorical for string-like values.

    ``mixed`` notes mixed Python types; ``note`` is added to a categorical reason.
    """
    all_distinct = n_distinct == col.n_values
    uuid_share = float(_full(_UUID)(text).mean())
    if uuid_share >= UUID_MIN_SHARE:
        unique = "all values unique" if all_distinct else "values repeat"
        return Id(unique=all_distinct,
                  reason=f"id: {_pct(uuid_share)} {_of_values(len(text), col.n_values)} are "
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
        return Text(reason=f"text: {mixed}{_pct(distinct_share)} of values distinct, "
                           f"{words:.1f} words and {chars:.0f} characters on average")
    pair = ""
    if n_distinct == 2 and not mixed:
        first, second = sorted(col.values.unique().tolist(), key=str)
        pair = f" ({first!r} and {second!r} are not a true/false pair)"
    return Categorical(reason=f"categorical: {_distinct(col, n_distinct)}{pair}"
                              + (f" ({mixed.rstrip(', ')})" if mixed else "")
                              + _missing_note(col) + _marker_note(col.values)
                              + (f"; {note}" if note else ""))


# --------------------------------------------------------------------------------------------
# Objects and categories
# --------------------------------------------------------------------------------------------

def _detect_objects(col: _Column, threshold: int | None) -> ColumnKind:
    values = col.values
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        return _detect_strings(col, threshold)
    if inferred == "boolean":
        return Boolean(reason="boolean: Python True/False values")
    if inferred in ("datetime", "datetime64", "date"):
        return Datetime(reason=f"datetime: Python {inferred} values")
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().all():
            return _detect_numeric(col, numbers.astype("float64") if inferred == "decimal"
                                   else numbers, threshold)
    # Mixed Python types (ints and strings …), bytes, periods, intervals, other objects.
    n_distinct = _nunique(values)
    types = sorted({type(v).__name__ for v in _sample(values).tolist()})
    mixed = (f"mixed types {', '.join(types)}, " if len(types) > 1
             else f"{types[0]} objects, ")
    if n_distinct / col.n_values > MIXED_NEAR_UNIQUE_SHARE:
        text = _sample(values).astype(str).str.strip()
        return _detect_codes_or_text(col, text, n_distinct, mixed)
    return Categorical(reason=f"categorical: {_distinct(col, n_distinct)} ({mixed.rstrip(', ')})"
                              + _missing_note(col))


def _from_category_dtype(col: _Column, dtype: pd.CategoricalDtype) -> Categorical:
    n_categories = len(dtype.categories)
    if dtype.ordered:
        return Categorical(ordered=True, categories=tuple(dtype.categories.tolist()),
                           reason=f"categorical: ordered category dtype with {n_categories:,} "
                                  f"categories; {_distinct(col)}")
    return Categorical(reason=f"categorical: category dtype with {n_categories:,} categories; "
                              f"{_distinct(col)}")
