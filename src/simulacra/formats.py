"""Output formats written chunk by chunk: HTTP responses (chosen by the request's ``Accept``
header, :mod:`simulacra.serve`) and partitioned files (:mod:`simulacra.scale`).

=======  =================================================  ============================
format   media type (also accepted)                         written by
=======  =================================================  ============================
CSV      ``text/csv`` (the default, also for ``*/*``)       pyarrow's CSV writer
JSONL    ``application/x-ndjson`` (``application/jsonl``)   pandas, an object a line
Parquet  ``application/vnd.apache.parquet``                 pyarrow, a row group a chunk
         (``application/x-parquet``)
=======  =================================================  ============================

>>> negotiate("application/jsonl").name, negotiate(None).name, negotiate("*/*").name
('jsonl', 'csv', 'csv')
>>> negotiate("text/csv;q=0.5, application/vnd.apache.parquet").name
'parquet'
>>> negotiate("image/png") is None
True
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import pandas as pd
import pyarrow as pa

Rows = pd.DataFrame | pa.Table


class ChunkWriter(Protocol):
    """Turns a table's chunks (DataFrames, or Arrow tables of the same columns) into the bytes
    of one document, in order."""

    def write(self, rows: Rows) -> bytes: ...

    def close(self) -> bytes: ...


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    aliases: tuple[str, ...]
    extension: str
    new_writer: Callable[[], ChunkWriter]
    #: Whether the writer works from Arrow tables (else from DataFrames).
    arrow: bool = True

    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


def to_arrow(frame: Rows, schema: pa.Schema | None = None) -> pa.Table:
    """``frame`` as an Arrow table (``schema``: cast to it, so every chunk of a stream agrees).

    A column Arrow cannot type (Python objects of mixed types) goes as text; a column of
    nulls only as text, so a later chunk with values still fits.
    """
    if isinstance(frame, pa.Table):
        return frame if schema is None or frame.schema.equals(schema) else frame.cast(schema)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        frame = frame.copy()
        for column in frame.columns:
            if frame[column].dtype == object:
                values = frame[column]
                frame[column] = values.map(str).where(values.notna(), None)
        table = pa.Table.from_pandas(frame, preserve_index=False)
    if schema is None:
        nulls = [i for i, field in enumerate(table.schema) if pa.types.is_null(field.type)]
        for i in nulls:
            table = table.set_column(i, table.schema.field(i).with_type(pa.large_string()),
                                     pa.nulls(len(table), pa.large_string()))
        return table
    return table if table.schema.equals(schema) else table.cast(schema)


class CsvWriter:
    """CSV with a header line, RFC 4180 quoting, empty fields for nulls."""

    def __init__(self) -> None:
        self._schema: pa.Schema | None = None

    def write(self, frame: Rows) -> bytes:
        from pyarrow import csv

        table = to_arrow(frame, self._schema)
        first = self._schema is None
        self._schema = table.schema
        sink = io.BytesIO()
        csv.write_csv(table, sink, csv.WriteOptions(include_header=first))
        return sink.getvalue()

    def close(self) -> bytes:
        return b""


class JsonLinesWriter:
    """One JSON object per row and line; nulls and NaN as ``null``, dates in ISO 8601."""

    def write(self, frame: Rows) -> bytes:
        if isinstance(frame, pa.Table):
            frame = frame.to_pandas()
        text = frame.to_json(orient="records", lines=True, date_format="iso",
                             force_ascii=False)
        return (text if text.endswith("\n") else text + "\n").encode("utf-8")

    def close(self) -> bytes:
        return b""


class _Drain:
    """A write-only file that hands out what was written so far, keeping the position."""

    closed = False

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


class ParquetWriter:
    """One Parquet file, a row group per chunk (the footer comes with :meth:`close`)."""

    def __init__(self) -> None:
        self._sink = _Drain()
        self._writer = None
        self._schema: pa.Schema | None = None

    def write(self, frame: Rows) -> bytes:
        from pyarrow import parquet

        table = to_arrow(frame, self._schema)
        if self._writer is None:
            self._schema = table.schema
            self._writer = parquet.ParquetWriter(self._sink, table.schema)
        self._writer.write_table(table, row_group_size=max(len(table), 1))
        return self._sink.take()

    def close(self) -> bytes:
        if self._writer is not None:
            self._writer.close()
        return self._sink.take()


CSV = Format("csv", "text/csv", (), "csv", CsvWriter)
JSONL = Format("jsonl", "application/x-ndjson", ("application/jsonl",), "jsonl", JsonLinesWriter,
               arrow=False)
PARQUET = Format("parquet", "application/vnd.apache.parquet", ("application/x-parquet",),
                 "parquet", ParquetWriter)
#: In the order a wildcard (``*/*``, ``application/*``) picks them.
FORMATS = (CSV, JSONL, PARQUET)


def negotiate(accept: str | None) -> Format | None:
    """The format an ``Accept`` header asks for (CSV when it says nothing), or None (406).

    Each format takes the quality of the most specific range that names it; the highest
    quality wins (q=0 refuses a format), then the most specific range, then the one listed
    first, then the order of :data:`FORMATS`.
    """
    if accept is None or not accept.strip():
        return CSV
    ranges = _ranges(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for order, fmt in enumerate(FORMATS):
        match = None
        for position, (media, q) in enumerate(ranges):
            specificity = _specificity(media, fmt)
            if specificity and (match is None or specificity > match[1]):
                match = (q, specificity, -position)
        if match is None or match[0] <= 0:
            continue
        key = (match[0], match[1], match[2], -order)
        if best is None or key > best:
            best, chosen = key, fmt
    return chosen


def _ranges(accept: str) -> list[tuple[str, float]]:
    out = []
    for part in accept.split(",")[:32]:
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if media and 0 <= q <= 1:
            out.append((media.lower(), q))
    return out


def _specificity(media: str, fmt: Format) -> int:
    """3: names the format; 2: its type with any subtype; 1: ``*/*``; 0: another type."""
    if media in fmt.media_types():
        return 3
    if media == "*/*":
        return 1
    kind, _, sub = media.partition("/")
    return 2 if sub == "*" and fmt.media_type.startswith(kind + "/") else 0
