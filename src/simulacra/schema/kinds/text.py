"""Text: ``faker`` providers (pooled, see :mod:`simulacra.schema.faker_pool`) and ``pattern``
strings that match a regular expression (see :mod:`simulacra.schema.patterns`).

>>> from simulacra.schema.kinds import column_from_dict
>>> from simulacra.schema.spec import bare_context
>>> sku = column_from_dict({"pattern": "SKU-[A-F0-9]{6}"}, name="sku")
>>> ctx = bare_context()
>>> sku.output(sku.draw(2, ctx), formatted=True, ctx=ctx).str.len().tolist()
[10, 10]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.pii import POOL_SIZE
from simulacra.errors import MetadataError
from simulacra.kinds import ColumnKind, Text
from simulacra.randomness import child_seed
from simulacra.schema import faker_pool
from simulacra.schema.patterns import compile_pattern
from simulacra.schema.spec import ColumnSpec, DrawContext, as_text, infer_output


@dataclass(frozen=True, repr=False)
class FakerColumn(ColumnSpec):
    """Values of the Faker provider ``faker`` (``name``, ``email``, ``company``, …) called
    with ``args``, in ``locale`` (default: the schema's). Rows are sampled from a pool of
    ``pool`` Faker values; ``unique: true`` is exact (``unique_suffix`` allows ``-2``…)."""

    kind: ClassVar[str] = "faker"
    raw_dtype: ClassVar[Any] = object
    raw_null: ClassVar[Any] = None

    faker: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)
    locale: str | None = None
    pool: int = POOL_SIZE
    unique_suffix: bool = False

    def problems(self, name: str) -> list[str]:
        out = []
        if isinstance(self.pool, bool) or not isinstance(self.pool, int) or self.pool < 1:
            out.append(f"column {name!r}: pool must be a whole number >= 1, got {self.pool!r}")
        if not isinstance(self.unique_suffix, bool):
            out.append(f"column {name!r}: unique_suffix must be true or false")
        if self.locale is not None and not isinstance(self.locale, str):
            out.append(f"column {name!r}: locale must be text such as 'de_DE'")
        return out

    def provider_problem(self, name: str, locale: str) -> str | None:
        """Whether Faker can make these values (needs Faker, so checked with the schema)."""
        problem = faker_pool.provider_problem(self.faker, self.args, self.locale or locale)
        return None if problem is None else f"column {name!r}: {problem}"

    def _pool(self, ctx: DrawContext) -> np.ndarray:
        key = ("faker", ctx.table, ctx.column, id(self))
        values = ctx.cache.get(key)
        if values is None:
            size = max(1, min(self.pool, ctx.total))
            seed = np.random.default_rng(child_seed(ctx.rng))
            values = faker_pool.pool(self.faker, self.args, self.locale or ctx.locale, size, seed,
                                     column=ctx.column)
            ctx.cache[key] = values
        return values

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        values = self._pool(ctx)
        return values[ctx.rng.integers(0, len(values), size=k)]

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        return faker_pool.unique_values(self.faker, self.args, self.locale or ctx.locale, k,
                                        ctx.rng, suffix=self.unique_suffix, column=ctx.column)

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return infer_output(raw)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Text()


@dataclass(frozen=True, repr=False)
class PatternColumn(ColumnSpec):
    """Text that fully matches the regular expression ``pattern`` (e.g. ``"[A-Z]{3}-\\d{4}"``);
    ``unique: true`` redraws repeats, and fails early when the pattern has too few strings."""

    kind: ClassVar[str] = "pattern"
    raw_dtype: ClassVar[Any] = object
    raw_null: ClassVar[Any] = None

    pattern: str = ""

    def problems(self, name: str) -> list[str]:
        try:
            compile_pattern(self.pattern)
        except MetadataError as err:
            return [f"column {name!r}: {p}" for p in err.problems]
        return []

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        return compile_pattern(self.pattern).generate(ctx.rng, k)

    def capacity(self) -> float:
        return sum(compile_pattern(s.pattern).capacity()  # type: ignore[attr-defined]
                   for s in (self, *self.cases.values()))

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return as_text(raw)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Text()


