"""Constraints that hold by exact re-sampling only: ``Unique``, ``Regex`` and ``Predicate``.

>>> import pandas as pd
>>> df = pd.DataFrame({"code": ["AB-1", "AB-1", "x"], "n": [1, 2, 3]})
>>> Unique(("code",)).check(df).tolist()
[True, False, True]
>>> Regex("code", r"[A-Z]{2}-\\d+").check(df).tolist()
[True, True, False]
>>> Predicate(lambda f: f["n"] % 2 == 1, ("n",), name="odd").check(df).tolist()
[True, False, True]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.base import Columns, Constraint
from simulacra.errors import DataError, ParameterError


@dataclass(frozen=True)
class Unique(Constraint):
    """No two rows share the values of ``columns`` (one column, or a composite key).

    Rows with a null in any of the columns are exempt. Holds by re-sampling the duplicates.

    >>> Unique(("first", "last")).to_dict()
    {'type': 'unique', 'columns': ['first', 'last']}
    """

    type: ClassVar[str] = "unique"
    across_rows: ClassVar[bool] = True
    columns: tuple[str, ...]  # type: ignore[assignment]

    def __post_init__(self) -> None:
        columns = (self.columns,) if isinstance(self.columns, str) else tuple(self.columns)
        object.__setattr__(self, "columns", columns)

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        part = frame[list(self.columns)]
        null = part.isna().any(axis=1).to_numpy()
        return null | ~part.duplicated(keep="first").to_numpy()

    def problems(self, metadata: Columns) -> list[str]:
        out = super().problems(metadata)
        return out + ([f"{self}: give at least one column"] if not self.columns else [])


@dataclass(frozen=True)
class Regex(Constraint):
    """Every non-null value of ``column``, as text, fully matches ``pattern``.

    Holds by re-sampling (categorical columns only repeat values seen in valid rows).

    >>> Regex("zip", r"\\d{5}").to_dict()
    {'type': 'regex', 'column': 'zip', 'pattern': '\\\\d{5}'}
    """

    type: ClassVar[str] = "regex"
    column: str
    pattern: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        values = frame[self.column]
        null = values.isna().to_numpy()
        text = values.astype(object).where(~null, "").astype(str)
        ok = text.str.fullmatch(self.pattern).fillna(False).to_numpy(dtype=bool)
        return null | ok

    def problems(self, metadata: Columns) -> list[str]:
        out = super().problems(metadata)
        try:
            re.compile(self.pattern)
        except (re.error, TypeError, ValueError, OverflowError) as err:
            # ValueError: a count of thousands of digits; OverflowError: a count past 2**32
            out.append(f"{self}: pattern is not a valid regular expression: {err}")
        except RecursionError:  # Python's regex parser recurses once per nested group
            out.append(f"{self}: pattern nests its groups too deeply for Python's regular "
                       "expressions; write it flatter")
        return out


@dataclass(frozen=True)
class Predicate(Constraint):
    """A user-defined rule: ``func(frame[columns])`` returns True for the rows that pass.

    Python only: it is never written to YAML or a model file (code is never saved or loaded),
    so a model with a predicate cannot be saved. Holds by re-sampling.

    >>> Predicate(lambda f: f["age"] >= 18, ("age",), name="adult").columns
    ('age',)
    """

    type: ClassVar[str] = "predicate"
    func: Callable[[pd.DataFrame], Any]
    columns: tuple[str, ...]  # type: ignore[assignment]
    name: str = ""

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise ParameterError(f"The 'func' parameter of Predicate must be a callable taking "
                                 f"a DataFrame. Got {self.func!r} instead.")
        columns = (self.columns,) if isinstance(self.columns, str) else tuple(self.columns)
        object.__setattr__(self, "columns", columns)

    def __str__(self) -> str:
        label = self.name or getattr(self.func, "__name__", "func")
        return f"predicate({label} on {list(self.columns)})"

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        try:
            result = self.func(frame[list(self.columns)].copy())
        except Exception as err:  # the user's code: report which rule failed
            raise DataError(f"{self} raised {type(err).__name__}: {err}") from err
        ok = np.asarray(result)
        if ok.shape != (len(frame),):
            raise DataError(f"{self} must return one True/False per row ({len(frame)}), got "
                            f"shape {ok.shape}")
        return ok.astype(bool)

    def to_dict(self) -> dict[str, Any]:
        raise ParameterError(f"{self} is Python code, which simulacra never writes to YAML, "
                             "JSON or a model file; remove it before saving (add it again "
                             "after loading), or express it with the declarative constraints")
