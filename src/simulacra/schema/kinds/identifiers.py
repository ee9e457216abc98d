"""Keys: ``id`` sequences (``start``, ``step``, ``format`` or ``prefix``) and random ``uuid``.

Both are unique by construction and never re-drawn: rows that constraints re-sample keep
their key.

>>> from simulacra.schema.kinds import column_from_dict
>>> from simulacra.schema.spec import bare_context
>>> ids = column_from_dict({"kind": "id", "start": 41, "format": "CUST-{:06d}"}, name="c")
>>> ctx = bare_context(rows=3)
>>> ids.output(ids.draw(3, ctx), formatted=True, ctx=ctx).tolist()
['CUST-000041', 'CUST-000042', 'CUST-000043']
>>> uid = column_from_dict({"kind": "uuid"}, name="u").draw(1, ctx)[0]
>>> len(uid), uid[14]
(36, '4')
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.kinds import ColumnKind, Id
from simulacra.schema.spec import ColumnSpec, DrawContext, as_text

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def format_problem(fmt: Any, sample: Any) -> str | None:
    """Why ``fmt`` is not a safe one-field format for ``sample`` (None when it is).

    Only ``{}`` or ``{:spec}`` is allowed: no field names, attributes, indexes or conversions,
    so a format from a file can only lay out the number.
    """
    if not isinstance(fmt, str):
        return f"format must be text such as 'CUST-{{:06d}}', got {fmt!r}"
    try:
        fields = [f for f in string.Formatter().parse(fmt) if f[1] is not None]
    except ValueError as err:
        return f"format {fmt!r} does not parse: {err}"
    if len(fields) != 1 or fields[0][1] not in ("", "0") or fields[0][3] is not None \
            or "{" in (fields[0][2] or ""):
        return (f"format {fmt!r} must hold exactly one plain field such as {{}} or {{:06d}} "
                "(no names, attributes or conversions)")
    try:
        fmt.format(sample)
    except (ValueError, TypeError) as err:
        return f"format {fmt!r} cannot lay out {sample!r}: {err}"
    return None


@dataclass(frozen=True, repr=False)
class IdColumn(ColumnSpec):
    """``start``, ``start + step``, … in row order; ``format`` (``"CUST-{:06d}"``) or
    ``prefix`` (``"CUST-"``) make text ids, otherwise they are ``int64``."""

    kind: ClassVar[str] = "id"
    fixed: ClassVar[bool] = True
    conditional: ClassVar[bool] = False
    raw_dtype: ClassVar[Any] = np.int64
    raw_null: ClassVar[Any] = 0

    start: int = 1
    step: int = 1
    format: str | None = None
    prefix: str | None = None

    def problems(self, name: str) -> list[str]:
        where = f"column {name!r}"
        out = []
        for key in ("start", "step"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{where}: {key} must be a whole number, got {value!r}")
        if self.step == 0:
            out.append(f"{where}: step 0 would repeat one id; use a step such as 1")
        if self.format is not None and self.prefix is not None:
            out.append(f"{where}: give format or prefix, not both")
        if self.format is not None:
            problem = format_problem(self.format, 1)
            if problem:
                out.append(f"{where}: {problem}")
        if self.prefix is not None and not isinstance(self.prefix, str):
            out.append(f"{where}: prefix must be text, got {self.prefix!r}")
        if self.null_rate:
            out.append(f"{where}: an id is never null; remove null_rate")
        return out

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        return self.start + self.step * ctx.rows.astype(np.int64)

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        return self.draw(k, ctx)

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        if self.format is None and self.prefix is None:
            return pd.Series(raw, dtype=np.int64)
        fmt = self.format if self.format is not None else self.prefix.replace(
            "{", "{{").replace("}", "}}") + "{}"
        return as_text(np.array([fmt.format(i) for i in raw.tolist()], dtype=object))

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Id()


@dataclass(frozen=True, repr=False)
class UuidColumn(ColumnSpec):
    """A random (version 4) UUID drawn from the seeded generator, as text."""

    kind: ClassVar[str] = "uuid"
    fixed: ClassVar[bool] = True
    conditional: ClassVar[bool] = False
    raw_dtype: ClassVar[Any] = object
    raw_null: ClassVar[Any] = None

    uppercase: bool = False

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        octets = ctx.rng.integers(0, 256, size=(k, 16), dtype=np.uint8)
        octets[:, 6] = (octets[:, 6] & 0x0F) | 0x40  # version 4
        octets[:, 8] = (octets[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        digits = np.empty((k, 32), dtype=np.uint8)
        digits[:, 0::2] = _HEX[octets >> 4]
        digits[:, 1::2] = _HEX[octets & 0x0F]
        text = np.full((k, 36), ord("-"), dtype=np.uint8)
        for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19),
                                (20, 32, 24)):
            text[:, at:at + stop - start] = digits[:, start:stop]
        values = np.ascontiguousarray(text).view("S36").ravel().astype("U36")
        if self.uppercase:
            values = np.char.upper(values)
        return values.astype(object)

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        return self.draw(k, ctx)  # 122 random bits: the generator still checks

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return as_text(raw)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Id()


