"""One sample request's rows, drawn and written chunk by chunk.

``n`` rows are drawn as chunks of at most ``chunk_rows``; chunk ``i`` draws from its own
generator, the ``i``-th child of the request seed's :class:`numpy.random.SeedSequence`. So the
same ``(n, seed, conditions, rebalance)`` gives the same bytes for a given model file and
chunk size, memory stays bounded whatever ``n``, and the first bytes go out after one chunk.
Conditions and rebalancing apply to every chunk (rebalanced shares hold per chunk).

>>> [rows for rows, _ in chunk_plan(120_000, 7, 50_000)]
[50000, 50000, 20000]

:func:`check_request` refuses, before any row is drawn, conditions the model could only meet by
drawing until it gives up (a text on a number column, a range on a category, a value of a
column generated fresh for every row): without it such a request would hold a worker thread
for up to the library's 20 million draws.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.formats import ChunkWriter, Format
from simulacra.kinds import Boolean, LatLon, Numerical
from simulacra.randomness import chunk_plan
from simulacra.serve.registry import ServedModel


class Generation:
    """The rows of one request as bytes of one format, one :meth:`step` per chunk.

    Steps must run one after another (any thread); each draws a chunk and returns its bytes,
    the last one with the document's end (Parquet's footer).
    """

    def __init__(self, served: ServedModel, fmt: Format, *, n: int, seed: int,
                 chunk_rows: int, conditions: dict[str, Any] | None = None,
                 rebalance: dict[str, dict[str, float]] | None = None) -> None:
        self.served = served
        self.writer: ChunkWriter = fmt.new_writer()
        self.conditions = conditions
        self.rebalance = _typed_rebalance(served.model, rebalance) if rebalance else None
        self._plan = chunk_plan(n, seed, chunk_rows)
        self._next = 0

    @property
    def done(self) -> bool:
        return self._next >= len(self._plan)

    def step(self) -> tuple[bytes, int]:
        """Draw the next chunk: ``(its bytes, its rows)``."""
        rows, seed = self._plan[self._next]
        self._next += 1
        frame = self.draw(rows, np.random.default_rng(seed))
        data = self.writer.write(frame)
        if self.done:
            data += self.writer.close()
        return data, len(frame)

    def draw(self, rows: int, rng: np.random.Generator) -> pd.DataFrame:
        with self.served.lock or nullcontext():
            return self.served.model.sample(rows, rng=rng, conditions=self.conditions,
                                            rebalance=self.rebalance)


def _typed_rebalance(model: Any, rebalance: dict[str, dict[str, float]]
                     ) -> dict[str, dict[Any, float]]:
    """JSON keys are text: a key that is not one of the column's categories but is the text
    of exactly one of them (``"true"``, ``"3"``) names that category."""
    out: dict[str, dict[Any, float]] = {}
    for column, shares in rebalance.items():
        try:
            categories = model.codec_.condition_domain(column).categories
        except (AttributeError, KeyError):
            categories = None
        out[column] = {_category(key, categories): share for key, share in shares.items()}
    return out


def _category(key: str, categories: tuple[Any, ...] | None) -> Any:
    if not categories or key in categories:
        return key
    same = [c for c in categories if str(c) == key or str(c).lower() == key.lower()]
    return same[0] if len(same) == 1 else key


def check_request(model: Any, conditions: dict[str, Any] | None,
                  rebalance: dict[str, dict[str, float]] | None) -> None:
    """Refuse conditions and rebalancing whose values cannot be of their column's kind.

    Numbers for a numerical column, ``true``/``false`` for a boolean one, text (ISO dates) for
    a datetime; a range ``[low, high]`` (both given, ``low <= high``) only on a numerical or
    datetime column, a box of two ``[lat, lon]`` corners only on a point column; no condition
    on a column generated fresh (ids, PII, free text); rebalancing only of a categorical or
    boolean column. Columns the model does not have are left to the library's message.
    """
    metadata = model.metadata_
    for column, value in (conditions or {}).items():
        if column not in metadata:
            continue
        problem = _condition_problem(metadata[column], value) or _bounds_problem(
            model, column, metadata[column], value)
        if problem:
            raise ParameterError(f"condition on {column!r}: {problem}")
    for column in rebalance or {}:
        if column in metadata and metadata[column].family != "discrete":
            raise ParameterError(f"rebalance sets shares of a categorical or boolean column's "
                                 f"categories; {column!r} is {metadata[column].kind}")


def _condition_problem(kind: Any, value: Any) -> str | None:
    if kind.family == "generated":
        return (f"a {kind.kind} column is generated fresh for every row, so no row can be "
                "asked to match a value")
    if isinstance(value, tuple):
        if isinstance(kind, LatLon):
            return None if all(isinstance(c, tuple) for c in value) else (
                "a point column takes a box of two corners, [[lat, lon], [lat, lon]]")
        if not kind.linear:
            return (f"a range [low, high] needs a numerical or datetime column; this one is "
                    f"{kind.kind}")
        if any(v is None or isinstance(v, tuple) for v in value):
            return "a range needs both ends, [low, high]"
        for end in value:
            problem = _scalar_problem(kind, end)
            if problem:
                return problem
        low, high = (pd.Timestamp(v) for v in value) if kind.temporal else value
        return None if low <= high else f"the range's low end {value[0]!r} is above its high end"
    return None if value is None else _scalar_problem(kind, value)


def _bounds_problem(model: Any, column: str, kind: Any, value: Any) -> str | None:
    """A number (or range) no generated value of a numerical column can meet: outside the
    values it generates, or a fraction where it generates whole numbers."""
    if not isinstance(kind, Numerical) or value is None:
        return None
    low, high = value if isinstance(value, tuple) else (value, value)
    return model.codec_.condition_domain(column).problem((low, high), column)


def _scalar_problem(kind: Any, value: Any) -> str | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(kind, Numerical) and not is_number:
        return f"a numerical column takes numbers; got {value!r}"
    if isinstance(kind, Boolean) and not isinstance(value, bool):
        return f"a boolean column takes true or false; got {value!r}"
    if kind.temporal:
        if not isinstance(value, str):
            return f"a datetime column takes dates as text (ISO 8601); got {value!r}"
        try:
            pd.Timestamp(value)
        except (ValueError, OverflowError):
            return f"{value!r} is not a date (ISO 8601, e.g. 2024-01-31)"
    if isinstance(kind, LatLon):
        return "a point column takes a box of two corners, [[lat, lon], [lat, lon]]"
    if isinstance(value, tuple):
        return f"a {kind.kind} column takes one value here; got {list(value)!r}"
    return None
