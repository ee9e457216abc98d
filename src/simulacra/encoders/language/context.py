"""A row's other columns as small integer codes: what a text is written given.

Each context column becomes codes ``0 … size - 1``: a number, date or boolean by the
quantile bin it falls in (at most ``bins``), anything else by its value among the column's
``max_categories`` most frequent ones (the rest share one "other" code); nulls get a code of
their own. The language model embeds each column's code and adds them up. Under a privacy
budget nothing is learned here: the columns are the codes the binned codec gave the row from
its DP domains (:meth:`RowContext.of_codes`, each column's number of codes ``given``).

>>> import pandas as pd
>>> rows = pd.DataFrame({"book": ["gen", "gen", "exo", None], "chapter": [1, 2, 30, 4]})
>>> context = RowContext.fit(rows, bins=2, max_categories=8)
>>> context.sizes
[4, 3]
>>> context.transform(rows).tolist()
[[0, 0], [0, 0], [1, 1], [3, 1]]
>>> context.transform(rows.iloc[:0]).shape
(0, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ContextColumn:
    """One column's codes: ``edges`` of its bins (numbers) or its ``categories`` (the rest)."""

    name: str
    edges: tuple[float, ...] | None = None
    categories: tuple[str, ...] | None = None
    given: int | None = None  # the values are codes already, 0 … given - 1

    @property
    def size(self) -> int:
        """Codes: bins or categories, then "other" (categories only) and null."""
        if self.given is not None:
            return self.given
        if self.edges is not None:
            return len(self.edges) + 2
        return len(self.categories or ()) + 2

    def codes(self, values: pd.Series) -> np.ndarray:
        if self.given is not None:
            x = np.floor(pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(float))
            return np.clip(x, 0, self.given - 1).astype(np.int64)
        null = values.isna().to_numpy()
        if self.edges is not None:
            x = _numbers(values)
            codes = np.searchsorted(np.asarray(self.edges, dtype=float), np.nan_to_num(x),
                                    side="right")
        else:
            lookup = {c: i for i, c in enumerate(self.categories or ())}
            other = len(lookup)
            codes = np.fromiter((lookup.get(str(v), other) for v in values),
                                dtype=np.int64, count=len(values))
        return np.where(null, self.size - 1, codes).astype(np.int64)


def _numbers(values: pd.Series) -> np.ndarray:
    """Numbers, booleans and datetimes as floats (nulls as NaN)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(None)
        out = stamps.astype("int64").to_numpy().astype(float)
        out[values.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(values, errors="coerce").astype(float).to_numpy()


def _is_number(values: pd.Series) -> bool:
    dtype = values.dtype
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)) \
        or pd.api.types.is_datetime64_any_dtype(dtype)


@dataclass(frozen=True)
class RowContext:
    """The context columns in order, each with its codes."""

    columns: tuple[ContextColumn, ...]

    @classmethod
    def fit(cls, rows: pd.DataFrame, *, bins: int = 16, max_categories: int = 256
            ) -> RowContext:
        columns = []
        for name in rows.columns:
            values = rows[name]
            present = values.dropna()
            if _is_number(values) and present.nunique() > bins:
                x = _numbers(present)
                edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
                columns.append(ContextColumn(str(name), edges=tuple(map(float, edges))))
            else:
                counts = present.astype(str).value_counts(sort=False)
                order = sorted(counts.index, key=lambda v: (-counts[v], v))[:max_categories]
                columns.append(ContextColumn(str(name), categories=tuple(order)))
        return cls(tuple(columns))

    @classmethod
    def of_codes(cls, sizes: dict[str, int]) -> RowContext:
        """Columns that are codes already (a number of codes each): nothing to learn.

        >>> context = RowContext.of_codes({"book": 3, "chapter": 2})
        >>> context.transform(pd.DataFrame({"book": [2, 0], "chapter": [1.4, 0.0]})).tolist()
        [[2, 1], [0, 0]]
        """
        return cls(tuple(ContextColumn(str(n), given=int(k)) for n, k in sizes.items()))

    @property
    def sizes(self) -> list[int]:
        return [c.size for c in self.columns]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def transform(self, rows: pd.DataFrame) -> np.ndarray:
        """``(len(rows), len(columns))`` codes; a missing column is all nulls."""
        out = np.empty((len(rows), len(self.columns)), dtype=np.int64)
        for j, column in enumerate(self.columns):
            values = rows[column.name] if column.name in rows.columns \
                else pd.Series([None] * len(rows), dtype=object)
            out[:, j] = column.codes(values.reset_index(drop=True))
        return out

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> list[dict[str, Any]]:
        return [{"name": c.name, "edges": None if c.edges is None else list(c.edges),
                 "categories": None if c.categories is None else list(c.categories),
                 **({} if c.given is None else {"given": int(c.given)})}
                for c in self.columns]

    @classmethod
    def from_state(cls, state: list[dict[str, Any]]) -> RowContext:
        columns = []
        for item in state:
            edges, categories, given = item["edges"], item["categories"], item.get("given")
            if given is not None:
                if edges is not None or categories is not None or not 0 < int(given) <= 100_000:
                    raise ValueError(f"context column {item.get('name')!r} of {given!r} codes")
                columns.append(ContextColumn(str(item["name"]), given=int(given)))
                continue
            if (edges is None) == (categories is None):
                raise ValueError(f"context column {item.get('name')!r} needs edges or "
                                 "categories, not both or neither")
            columns.append(ContextColumn(
                str(item["name"]),
                edges=None if edges is None else tuple(float(e) for e in edges),
                categories=None if categories is None else tuple(str(c) for c in categories)))
        return cls(tuple(columns))
