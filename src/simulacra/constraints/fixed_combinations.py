"""``FixedCombinations`` and ``OneHot``: a group of columns takes only allowed combinations.

Both hold by construction: the group is merged into one categorical column whose categories
are the allowed combinations, and split back after sampling.

>>> import pandas as pd
>>> df = pd.DataFrame({"edu": ["BSc", "MSc", "BSc"], "years": [16, 18, 16]})
>>> fc = FixedCombinations(("edu", "years"), combinations=[("BSc", 16), ("MSc", 18)])
>>> fc.check(pd.DataFrame({"edu": ["BSc", "MSc"], "years": [16, 16]})).tolist()
[True, False]
>>> OneHot(("a", "b")).check(pd.DataFrame({"a": [1, 0, 1], "b": [0, 1, 1]})).tolist()
[True, True, False]
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.base import (
    Columns,
    Constraint,
    State,
    Transform,
    groupable,
    kind_problem,
)
from simulacra.errors import ParameterError
from simulacra.kinds import Categorical


def value_key(value: Any) -> Hashable:
    """A hashable, JSON-safe form of one value (nulls are ``None``; 13.0 and 13 are equal)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple[Hashable, ...]]:
    arrays = [frame[c].to_numpy(dtype=object) for c in columns]
    return [tuple(value_key(v) for v in row) for row in zip(*arrays, strict=True)]


@dataclass(frozen=True)
class FixedCombinations(Constraint):
    """Only the combinations of ``columns`` seen in the real data (or declared) may occur.

    Nulls count as values: a combination with a null must have been seen. Under differential
    privacy the observed set would reveal real rows, so ``combinations`` must be declared.

    >>> FixedCombinations(("education", "education-num")).to_dict()
    {'type': 'fixed_combinations', 'columns': ['education', 'education-num']}
    """

    type: ClassVar[str] = "fixed_combinations"
    columns: tuple[str, ...]  # type: ignore[assignment]
    combinations: tuple[tuple[Any, ...], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        if self.combinations is not None:
            object.__setattr__(self, "combinations", tuple(
                tuple(value_key(v) for v in combo) for combo in self.combinations))

    def __str__(self) -> str:
        learned = "" if self.combinations is None else \
            f", {len(self.combinations)} combinations"
        return f"{self.type}(columns={list(self.columns)}{learned})"

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        if self.combinations is None:
            return np.ones(len(frame), dtype=bool)  # nothing learned yet: nothing to check
        allowed = set(self.combinations)
        return np.fromiter((row in allowed for row in _rows(frame, self.columns)), dtype=bool,
                           count=len(frame))

    def problems(self, metadata: Columns) -> list[str]:
        out = []
        if len(self.columns) < 2:
            out.append(f"{self}: give at least two columns")
        if len(set(self.columns)) != len(self.columns):
            out.append(f"{self}: a column appears twice")
        for column in self.columns:
            out += kind_problem(self, metadata, column, groupable, "groupable")
        for combo in self.combinations or ():
            if len(combo) != len(self.columns):
                out.append(f"{self}: combination {list(combo)} has {len(combo)} values for "
                           f"{len(self.columns)} columns")
                break
        return out

    def learn(self, data: pd.DataFrame, metadata: Columns, *, private: bool) -> Constraint:
        if self.combinations is not None:
            return self
        if private:
            raise ParameterError(
                f"{self}: under differential privacy the combinations seen in the data would "
                "reveal real rows; declare the allowed ones, e.g. FixedCombinations(columns, "
                "combinations=[(...), ...]) or `combinations:` in the YAML")
        counts = Counter(_rows(data, self.columns))
        ordered = sorted(counts, key=lambda combo: -counts[combo])
        return dataclasses.replace(self, combinations=tuple(ordered))

    def transformer(self, data: pd.DataFrame, metadata: Columns, *,
                    private: bool) -> Transform | None:
        if not self.combinations:
            return None
        return Merge(self, self.combinations, data)


@dataclass(frozen=True)
class OneHot(Constraint):
    """Exactly one of ``columns`` is 1 (or True) in every row, the others 0 (or False).

    A null in any of the columns is a violation. Holds by construction (merged into one
    categorical column).

    >>> OneHot(("red", "green", "blue")).to_dict()
    {'type': 'one_hot', 'columns': ['red', 'green', 'blue']}
    """

    type: ClassVar[str] = "one_hot"
    columns: tuple[str, ...]  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))

    @property
    def combinations(self) -> tuple[tuple[int, ...], ...]:
        k = len(self.columns)
        return tuple(tuple(int(i == j) for j in range(k)) for i in range(k))

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        values = np.column_stack([pd.to_numeric(frame[c].astype(object), errors="coerce")
                                  .astype("float64").to_numpy() for c in self.columns])
        valid = np.isin(values, (0.0, 1.0)).all(axis=1)
        return valid & (np.nansum(values, axis=1) == 1)

    def problems(self, metadata: Columns) -> list[str]:
        out = [] if len(self.columns) >= 2 else [f"{self}: give at least two columns"]
        for column in self.columns:
            out += kind_problem(self, metadata, column, groupable, "groupable")
        return out

    def transformer(self, data: pd.DataFrame, metadata: Columns, *,
                    private: bool) -> Transform | None:
        return Merge(self, self.combinations, data)


class Merge(Transform):
    """A group of columns ↔ one categorical column of combination numbers.

    Rows whose combination is not allowed (kept with ``on_violation="keep"``) get the first
    allowed combination (the most common one when learned).
    """

    def __init__(self, constraint: Any, combinations: tuple[tuple[Any, ...], ...],
                 data: pd.DataFrame | None = None, state: State | None = None):
        self.constraint = constraint
        self.combinations = combinations
        self.removes = tuple(constraint.columns)
        if state is None:
            columns = [] if data is None else list(data.columns)
            name = "#".join(self.removes) + "#combination"
            while name in columns:
                name += "_"
            dtypes = {} if data is None else {c: _dtype_state(data[c]) for c in self.removes}
            state = {"name": name, "dtypes": dtypes}
        self.state = state
        self.name: str = state["name"]
        self.adds = {self.name: Categorical(categories=tuple(range(len(combinations))))}
        self._index = {combo: i for i, combo in enumerate(combinations)}

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        codes = np.fromiter((self._index.get(row, 0) for row in _rows(frame, self.removes)),
                            dtype=np.int64, count=len(frame))
        out = frame.copy()
        position = min(list(out.columns).index(c) for c in self.removes)
        out = out.drop(columns=list(self.removes))
        out.insert(position, self.name, codes)
        return out

    def reverse(self, frame: pd.DataFrame) -> pd.DataFrame:
        codes = pd.to_numeric(frame[self.name]).to_numpy(dtype=np.int64)
        table = np.empty((len(self.combinations), len(self.removes)), dtype=object)
        for i, combo in enumerate(self.combinations):
            table[i, :] = combo
        values = table[codes] if len(codes) else np.empty((0, len(self.removes)), dtype=object)
        out = frame.copy()
        position = list(out.columns).index(self.name)
        out = out.drop(columns=[self.name])
        for j, column in enumerate(self.removes):
            series = _restore(values[:, j], self.state["dtypes"][column])
            out.insert(position + j, column, series.array)
        return out

    def get_state(self) -> State:
        return self.state

    @classmethod
    def from_state(cls, constraint: Any, state: State) -> Merge:
        return cls(constraint, tuple(constraint.combinations), state=state)


def _dtype_state(series: pd.Series) -> dict[str, Any]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {"dtype": "category", "categories": [value_key(v) for v in dtype.categories],
                "ordered": bool(dtype.ordered)}
    return {"dtype": str(dtype)}


def _restore(values: np.ndarray, spec: dict[str, Any]) -> pd.Series:
    series = pd.Series(values, dtype=object)
    if spec["dtype"] == "category":
        return series.astype(pd.CategoricalDtype(spec["categories"], ordered=spec["ordered"]))
    if spec["dtype"] == "object":
        return series
    dtype = pd.api.types.pandas_dtype(spec["dtype"])
    if dtype.kind in "iub" and isinstance(dtype, np.dtype) and series.isna().any():
        return series  # nulls cannot live in this numpy dtype; keep objects
    return series.astype(dtype)
