"""Booleans: a two-category column whose codes are fixed, False = 0 and True = 1 (null = 2).

The raw values may be bools, 0/1, or strings such as 'yes'/'no', 'true'/'false', 'y'/'n',
't'/'f' in any case; any other two distinct values work too, the first in sorted order being
False. Decoding gives back the raw values in the column's dtype.

>>> import numpy as np
>>> s = pd.Series(["Yes", "No", "Yes", None], name="smoker")
>>> enc = BooleanEncoder().fit(s)
>>> enc.categories_, enc.transform(s).tolist()
(['No', 'Yes'], [1, 0, 1, 2])
>>> enc.inverse_transform(np.array([0, 1, 2]), np.random.default_rng(0)).tolist()
['No', 'Yes', nan]
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from simulacra.encoders.categorical import CategoricalEncoder, show_values, type_tag
from simulacra.errors import DataError
from simulacra.kinds import Boolean

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})
_PAIRS = {"true": "false", "t": "f", "yes": "no", "y": "n", "1": "0", "1.0": "0.0"}
_PAIRS.update({v: k for k, v in _PAIRS.items()})


def _truth(value: Any) -> bool | None:
    """What a raw value means: True, False, or None when it is not a recognised boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None
    return None


def _counterpart(value: Any) -> Any:
    """The raw value of the opposite truth in the same style ('Yes' → 'No', 1 → 0, …)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return type(value)(1 - value)
    text = value.strip().lower()
    other = _PAIRS[text]
    if value.strip().isupper():
        other = other.upper()
    elif value.strip()[:1].isupper():
        other = other.capitalize()
    return value.replace(value.strip(), other)


def _sorted(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (str(type_tag(type(v))), str(v)))


class BooleanEncoder(CategoricalEncoder):
    """Encode a two-valued column as 0 (False) / 1 (True), plus 2 for nulls when present.

    ``categories_ == [false_raw, true_raw]``. A column with a single recognised value gets its
    counterpart in the same style for the other code ('yes' → 'no'); a single unrecognised value
    is taken as False and both codes decode to it.
    """

    name: ClassVar[str] = "boolean"

    def __init__(self, spec: Boolean | None = None) -> None:
        super().__init__(min_frequency=1, handle_unknown="error")
        self.spec = spec if spec is not None else Boolean()

    def _fit(self, values: pd.Series) -> None:
        uniques, tags, counts = self._count(values)
        if len(uniques) > 2:
            raise DataError(f"column {self.column_!r} has {len(uniques)} distinct values "
                            f"({show_values(uniques)}), a boolean has at most two; declare it as "
                            "categorical")
        self._layout(uniques, tags, counts, self._false_true(uniques))

    @staticmethod
    def _false_true(uniques: list[Any]) -> list[Any]:
        if not uniques:
            return [False, True]
        truths = [_truth(v) for v in uniques]
        if len(uniques) == 2:
            if None not in truths and truths[0] != truths[1]:
                return list(uniques) if truths[1] else list(uniques[::-1])
            return _sorted(uniques)
        value, truth = uniques[0], truths[0]
        if truth is None:
            return [value, value]
        return [_counterpart(value), value] if truth else [value, _counterpart(value)]

    def declared_categories(self, series: pd.Series) -> tuple[Any, ...] | None:
        """``(False, True)`` when the dtype is boolean (nothing to learn), else ``None``."""
        return (False, True) if pd.api.types.is_bool_dtype(series.dtype) else None

    def _unknown_code(self) -> int:  # never reached: handle_unknown is always "error"
        raise DataError(f"column {self.column_!r} has values other than its two booleans")

