"""The evidence detection reads from one column: its name's words, a deterministic sample of
its values, distinct counts, missing-value markers, and the wording of reasons.

>>> name_words("customerID"), percent(0.997)
(['customer', 'id'], '99.7%')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

SAMPLE_SIZE = 10_000
"""Most values that value-level checks (regex, date parsing, checksums) look at."""

MISSING_MARKERS = frozenset({"", "?", "-", "--", "na", "n/a", "nan", "null", "none", "nil",
                             "#n/a"})
"""Strings (compared stripped and lower-cased) that commonly stand for a missing value."""

KEY_TOKENS = frozenset({"id", "key", "uuid", "guid", "uid", "pk", "no", "nr", "number"})
DATE_TOKENS = frozenset({"date", "dates", "dt", "dob", "birth", "birthday", "birthdate", "born",
                         "issued", "created", "updated", "modified", "opened", "closed",
                         "timestamp", "ts", "datetime"})

_TOKEN_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_tokens(name: object) -> frozenset[str]:
    return frozenset(name_words(name))


def name_words(name: object) -> list[str]:
    """Words of a column name: 'customerID' → ['customer', 'id'], 'birth_date' → [...]."""
    if name is None:
        return []
    return [t.lower() for t in _TOKEN_RE.findall(str(name))]


@dataclass(frozen=True)
class Column:
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
        return name_words(self.name)

    def key_hint(self) -> str | None:
        """Why the name marks a key ('ends in 'id''), or None."""
        words = self.words
        if not words:
            return None
        if words[-1] in KEY_TOKENS:
            return f"the name {str(self.name)!r} ends in {words[-1]!r}"
        if words[0] == "id":
            return f"the name {str(self.name)!r} starts with 'id'"
        if re.fullmatch(r"index|unnamed: ?\d+", str(self.name).strip().lower()):
            return f"the name {str(self.name)!r} marks a row index"
        return None

    def date_hint(self) -> str | None:
        hits = [w for w in self.words if w in DATE_TOKENS]
        return f"the name {str(self.name)!r} says {hits[0]!r}" if hits else None


def sampled(values: pd.Series) -> pd.Series:
    """At most SAMPLE_SIZE values, the same ones on every call (seeded, in original order)."""
    if len(values) <= SAMPLE_SIZE:
        return values
    positions = np.random.default_rng(0).choice(len(values), SAMPLE_SIZE, replace=False)
    return values.iloc[np.sort(positions)]


def count_distinct(values: pd.Series) -> int:
    try:
        return int(values.nunique(dropna=True))
    except TypeError:  # unhashable objects such as lists
        return int(values.astype(str).nunique(dropna=True))


def distinct_text(col: Column, n_distinct: int | None = None) -> str:
    n = count_distinct(col.values) if n_distinct is None else n_distinct
    noun = "value" if n == 1 else "values"
    return f"{n:,} distinct {noun} in {col.n_rows:,} rows"


def number_text(x: float) -> str:
    """17 → '17', 39320.0 → '39320', 0.29 → '0.29', 1e300 → '1e+300'."""
    if isinstance(x, int | np.integer):
        return str(int(x))
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def percent(share: float) -> str:
    """Round down, so that 99.7% is never shown as 100%."""
    if share >= 1:
        return "100%"
    if share >= 0.99:
        return f"{math.floor(share * 1000) / 10:.1f}%"
    return f"{math.floor(share * 100)}%"


def of_values(n_checked: int, n_total: int) -> str:
    return "of values" if n_checked >= n_total else f"of {n_checked:,} sampled values"


def missing_note(col: Column) -> str:
    return f"; {col.n_null:,} missing" if col.n_null else ""


def marker_note(values: pd.Series, *, known: bool = False) -> str:
    """'; '?' (1,836 rows) may mark missing values' when such markers occur.

    Unless ``known`` says markers are there, only a sample is searched, to stay fast.
    """
    if not known:
        stripped = sampled(values).astype(str).str.strip()
        if not stripped.str.lower().isin(MISSING_MARKERS).any():
            return ""
    text = values.astype(str)
    counts = text[text.str.strip().str.lower().isin(MISSING_MARKERS)].value_counts()
    if counts.empty:
        return ""
    shown = ", ".join(f"{v!r} ({n:,} {'row' if n == 1 else 'rows'})"
                      for v, n in counts.head(3).items())
    return f"; {shown} may mark missing values"

