"""Identifiers: the format is learned, never the values, and fresh ids are generated.

Three formats are recognised, in this order:

* integers → unique random integers in ``[min, max]`` (the range grows upward when more ids
  are asked for than it holds);
* a common prefix followed by digits (``"CUST-000042"``) → the prefix and numbers *above* the
  largest observed one, zero-padded to the same width (the width grows when the numbers run
  out), so no real id is ever reproduced;
* anything else → a per-position template of the most common length (digit, upper- or
  lower-case letter, or a character from the set seen at that position).

>>> s = pd.Series(["CUST-0041", "CUST-0007", "CUST-0123"], name="customer")
>>> enc = IdEncoder().fit(s)
>>> enc.format_, enc.prefix_, enc.width_
('prefixed', 'CUST-', 4)
>>> ids = enc.generate(3, np.random.default_rng(0))
>>> bool(ids.str.startswith("CUST-").all()), ids.is_unique, bool(ids.isin(s).any())
(True, True, False)
"""

from __future__ import annotations

import re
import string
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import State
from simulacra.encoders.codec import ConditionDomain
from simulacra.encoders.missing import GeneratedEncoder
from simulacra.errors import DataError
from simulacra.kinds import Id, column_from_dict

_PREFIXED = r"^(.*?)(\d+)$"
_SHIFTED = re.compile(_PREFIXED)
_MAX_WIDTH = 18  # digits that fit an int64
_HEX_UPPER, _HEX_LOWER = set("ABCDEF"), set("abcdef")
_RETRIES = 100


class IdEncoder(GeneratedEncoder):
    """Generate identifiers in the column's format: ``format_`` is ``"integer"``,
    ``"prefixed"`` or ``"template"``.

    Unique when ``spec.unique`` (the default), also for more ids than the column had.
    """

    name: ClassVar[str] = "id"
    #: Keys are never null: under a privacy budget no null share is measured for them.
    private_nulls: ClassVar[bool] = False

    def __init__(self, spec: Id | None = None) -> None:
        super().__init__()
        self.spec = spec if spec is not None else Id()

    def condition_domain(self) -> ConditionDomain:
        """The number range of integer and prefixed ids."""
        self._check_fitted()
        return ConditionDomain(low=self.minimum_, high=self.maximum_)

    # -- fit --------------------------------------------------------------------------------------
    def _fit(self, values: pd.Series) -> None:
        self.count_ = len(values)
        self.minimum_: int | None = None
        self.maximum_: int | None = None
        self.prefix_: str | None = None
        self.width_: int | None = None
        self.alphabets_: list[str] | None = None
        dtype = values.dtype
        if pd.api.types.is_object_dtype(dtype):
            numeric = pd.api.types.infer_dtype(values, skipna=True) == "integer"
        else:
            numeric = (pd.api.types.is_numeric_dtype(dtype)
                       and not pd.api.types.is_bool_dtype(dtype))
        if numeric:
            self._fit_integers(values)
            return
        text = values.astype(str)
        if not self._fit_prefixed(text):
            self._fit_template(text)

    def _fit_integers(self, values: pd.Series) -> None:
        x = values.to_numpy(dtype="float64")
        if not np.all(np.isfinite(x) & (x == np.round(x))):
            raise DataError(f"column {self.column_!r} is an id column of non-integral numbers; "
                            "declare it as numerical, or cast the ids to int or str")
        self.format_ = "integer"
        ints = values.to_numpy(dtype="int64")
        self.minimum_, self.maximum_ = (int(ints.min()), int(ints.max())) if ints.size else (1, 1)

    def _fit_prefixed(self, text: pd.Series) -> bool:
        if text.empty:
            return False
        parts = text.str.extract(_PREFIXED)
        if parts.isna().any().any() or parts[0].nunique() != 1:
            return False
        digits = parts[1]
        widths = digits.str.len()
        if widths.max() > _MAX_WIDTH:
            return False
        padded = widths.nunique() == 1
        unpadded = not (digits.str.startswith("0") & (widths > 1)).any()
        if not (padded or unpadded):
            return False
        numbers = digits.astype(np.int64)
        self.format_ = "prefixed"
        self.prefix_ = str(parts[0].iloc[0])
        self.width_ = int(widths.iloc[0]) if padded else None
        self.minimum_, self.maximum_ = int(numbers.min()), int(numbers.max())
        return True

    def _fit_template(self, text: pd.Series) -> None:
        self.format_ = "template"
        lengths = text.str.len()
        length = int(lengths.mode().min()) if len(text) else 8
        same = text[lengths == length].tolist()
        chars = np.array(same, dtype=f"<U{max(length, 1)}").view("<U1").reshape(len(same), -1)
        chars = chars[:, :length]
        upper = set(chars[np.char.isupper(chars)].tolist())
        lower = set(chars[np.char.islower(chars)].tolist())
        upper_set = "ABCDEF" if upper and upper <= _HEX_UPPER else string.ascii_uppercase
        lower_set = "abcdef" if lower and lower <= _HEX_LOWER else string.ascii_lowercase
        alphabets = []
        for column in chars.T:
            digit, up, low = np.char.isdigit(column), np.char.isupper(column), \
                np.char.islower(column)
            other = sorted(set(column[~(digit | up | low)].tolist()))
            alphabet = ((string.digits if digit.any() else "") + (upper_set if up.any() else "")
                        + (lower_set if low.any() else "") + "".join(other))
            alphabets.append(alphabet or string.digits)
        self.alphabets_ = alphabets

    # -- generate ---------------------------------------------------------------------------------
    def _generate(self, k: int, rng: np.random.Generator) -> pd.Series:
        if self.format_ == "integer":
            out = pd.Series(self._integers(k, rng))
        elif self.format_ == "prefixed":
            out = self._prefixed(k, rng)
        else:
            out = self._template(k, rng)
        return out.astype(self.dtype_)

    def _draw(self, low: int, size: int, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` integers from ``[low, low + size)``, without replacement when unique."""
        if self.spec.unique:
            return low + rng.choice(size, size=k, replace=False)
        return rng.integers(low, low + size, size=k)

    def _integers(self, k: int, rng: np.random.Generator) -> np.ndarray:
        span = self.maximum_ - self.minimum_ + 1
        return self._draw(self.minimum_, max(span, k) if self.spec.unique else span, k, rng)

    def _prefixed(self, k: int, rng: np.random.Generator) -> pd.Series:
        above = self.maximum_ + 1
        if self.width_ is None:  # unpadded numbers: any number above the largest is new
            span = self.maximum_ - self.minimum_ + 1
            numbers = pd.Series(self._draw(above, max(span, k), k, rng)).astype(str)
        else:
            free = 10**self.width_ - above
            width = self.width_
            if free >= max(k, 1):
                numbers = self._draw(above, free, k, rng)
            else:  # grow the width: every longer number is new
                width += 1
                while 10**width < k:
                    width += 1
                numbers = self._draw(0, 10**width, k, rng)
            numbers = pd.Series(numbers).astype(str).str.zfill(width)
        return self.prefix_ + numbers

    def _template(self, k: int, rng: np.random.Generator) -> pd.Series:
        alphabets = list(self.alphabets_)
        if self.spec.unique:  # grow with digits until there are plenty of distinct strings
            while _space(alphabets) < 2 * k:
                alphabets.append(string.digits)
        sizes = np.array([len(a) for a in alphabets])
        table = np.array([list(a.ljust(sizes.max())) for a in alphabets], dtype="<U1")
        out = self._draw_strings(table, sizes, k, rng)
        if self.spec.unique:
            for _ in range(_RETRIES):
                dup = out.duplicated().to_numpy()
                if not dup.any():
                    break
                out[dup] = self._draw_strings(table, sizes, int(dup.sum()), rng).to_numpy()
            else:
                raise DataError(f"column {self.column_!r}: could not draw {k} unique ids")
        return out

    @staticmethod
    def _draw_strings(table: np.ndarray, sizes: np.ndarray, k: int,
                      rng: np.random.Generator) -> pd.Series:
        length = len(sizes)
        if length == 0:
            return pd.Series([""] * k, dtype=object)
        picks = rng.integers(0, sizes, size=(k, length))  # (k, L)
        chars = np.ascontiguousarray(table[np.arange(length), picks])
        return pd.Series(chars.view(f"<U{length}").reshape(k).astype(object), dtype=object)

    # -- state ------------------------------------------------------------------------------------
    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "format": self.format_, "count": self.count_,
                "minimum": self.minimum_, "maximum": self.maximum_, "prefix": self.prefix_,
                "width": self.width_, "alphabets": self.alphabets_}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.format_ = state["format"]
        self.count_ = int(state["count"])
        self.minimum_ = state["minimum"]
        self.maximum_ = state["maximum"]
        self.prefix_ = state["prefix"]
        self.width_ = state["width"]
        self.alphabets_ = state["alphabets"]


def _space(alphabets: list[Any]) -> float:
    """How many distinct strings a template can make (as a float, it may be huge)."""
    return float(np.prod([float(len(a)) for a in alphabets])) if alphabets else 1.0


def shift_ids(values: pd.Series, source: str, partition: int, partitions: int) -> pd.Series:
    """``values`` (ids of the format ``source``, an :class:`IdEncoder`'s ``format_``) mapped
    for part ``partition`` of ``partitions`` so that no two parts' ids meet: integers ``k →
    k·P + p``, the number of a prefixed id likewise (zero-padded to its width), ``p``
    appended to other ids; one to one within a part, the identity for one part. Nulls stay
    null, and values not of the format (orphan keys) stay as they are.

    >>> shift_ids(pd.Series([1, 5, 7]), "integer", partition=1, partitions=3).tolist()
    [4, 16, 22]
    >>> ids = pd.Series(["C-07", None], dtype=object)
    >>> shift_ids(ids, "prefixed", partition=2, partitions=4).tolist()
    ['C-30', None]
    >>> shift_ids(pd.Series(["ab"]), "template", partition=3, partitions=12).tolist()
    ['ab03']
    """
    if partitions == 1:
        return values
    if source == "integer" and pd.api.types.is_numeric_dtype(values.dtype) \
            and not pd.api.types.is_bool_dtype(values.dtype):
        return values * partitions + partition
    width = len(str(partitions - 1))

    def one(value: Any) -> Any:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return value
        if source == "integer" and isinstance(value, int | np.integer):
            return int(value) * partitions + partition
        text = str(value)
        if source == "template":
            return f"{text}{partition:0{width}d}"
        match = _SHIFTED.match(text)
        if match is None:
            return value
        digits = match.group(2)
        return f"{match.group(1)}{int(digits) * partitions + partition:0{len(digits)}d}"

    return pd.Series([one(v) for v in values], index=values.index, dtype=values.dtype)
