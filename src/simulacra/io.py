"""Reading and writing tables and files; every write is atomic (temp file, then rename).

>>> import pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
>>> write_table(pd.DataFrame({"a": [1, 2]}), path)
>>> read_table(path)["a"].tolist()
[1, 2]
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd
import yaml

from simulacra.errors import DataError

TABLE_FORMATS = (".csv", ".csv.gz", ".parquet", ".pq")


def table_format(path: str | Path) -> str:
    """'csv' or 'parquet', from the file name; a clear error for anything else."""
    name = str(path).lower()
    if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".tsv")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise DataError(f"cannot tell the format of {str(path)!r}: use a file ending in .csv, "
                    ".csv.gz, .tsv or .parquet")


def read_table(path: str | Path, **options: object) -> pd.DataFrame:
    """Read a CSV (optionally compressed) or Parquet file into a DataFrame.

    A file whose header names a column twice is refused (pandas would rename the copies
    ``a.1``, ``a.2``, …, and the table would silently have columns nobody named).
    """
    path = Path(path)
    fmt = table_format(path)
    if not path.exists():
        raise DataError(f"no such file: {str(path)!r}")
    try:
        if fmt == "parquet":
            refuse_duplicate_headers(path, fmt)
            return pd.read_parquet(path, **options)
        options = {"sep": csv_separator(path), **options}
        if not _HEADER_GIVEN & options.keys():
            refuse_duplicate_headers(path, fmt, **{k: v for k, v in options.items()
                                                  if k in _HEADER_OPTIONS})
        return pd.read_csv(path, **options)  # type: ignore[call-overload]
    except DataError:
        raise
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read {str(path)!r} as {fmt}: {err}") from None


def csv_separator(path: str | Path) -> str:
    """A tab for ``.tsv`` files, else a comma."""
    return "\t" if str(path).lower().endswith(".tsv") else ","


#: ``read_csv`` options that name the columns (no header to check) or say where the header is.
_HEADER_GIVEN = {"header", "names"}
_HEADER_OPTIONS = {"sep", "delimiter", "encoding", "compression", "quotechar", "escapechar",
                   "skiprows", "comment", "doublequote", "skipinitialspace"}


def refuse_duplicate_headers(path: Path, fmt: str, **csv_options: object) -> None:
    """A clear :class:`DataError` if the header of the table file ``path`` (``fmt``: 'csv' or
    'parquet') names a column more than once; only the header is read.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b,a\\n1,2,3\\n")
    >>> refuse_duplicate_headers(path, "csv")
    Traceback (most recent call last):
    ...
    simulacra.errors.DataError: the header of ...t.csv' names the column 'a' more than once; ...
    """
    repeated = _repeated(_headers(path, fmt, **csv_options))
    if repeated:
        names = ", ".join(repr(name) for name in repeated)
        noun = "column" if len(repeated) == 1 else "columns"
        raise DataError(f"the header of {str(path)!r} names the {noun} {names} more than once; "
                        "give every column its own name (a reader would otherwise rename the "
                        "copies 'name.1', 'name.2', ...)")


def _headers(path: Path, fmt: str, **csv_options: object) -> list[str]:
    """The column names as the file writes them, duplicates kept."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names) if path.is_file() else []
    options = {"sep": csv_separator(path), **csv_options}
    first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False,
                        **options)  # type: ignore[call-overload]
    return [str(name) for name in first.iloc[0]] if len(first) else []


def _refuse_repeated_columns(data: pd.DataFrame, where: str) -> None:
    """A clear :class:`DataError` before writing a table that has two columns of one name
    (``where``: what the message says cannot be written)."""
    repeated = _repeated([str(name) for name in data.columns])
    if repeated:
        names = ", ".join(repr(name) for name in repeated)
        raise DataError(f"cannot write {where}: the table has more than one column named "
                        f"{names}; rename them so that every column has its own name")


def _repeated(names: list[str]) -> list[str]:
    """The names that appear more than once, each once, in order of first appearance.

    >>> _repeated(["a", "b", "a", "c", "b", "a"])
    ['a', 'b']
    """
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for name in names:
        if name in seen:
            repeated[name] = None
        seen.add(name)
    return list(repeated)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(data: pd.DataFrame, path: str | Path) -> None:
    """Write ``data`` as CSV or Parquet (chosen by suffix), atomically; a table with two
    columns of one name is refused (:func:`read_table` would refuse the file)."""
    fmt = table_format(path)
    _refuse_repeated_columns(data, repr(str(path)))
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            data.to_parquet(tmp, index=False)
        else:  # the temp file's name says nothing: separator and compression from path's
            name = str(path).lower()
            compression = next((kind for suffix, kind in _COMPRESSIONS.items()
                                if name.endswith(suffix)), None)
            data.to_csv(tmp, index=False, compression=compression,
                        sep=csv_separator(name),
                        quoting=csv.QUOTE_NONNUMERIC if _has_carriage_return(data)
                        else csv.QUOTE_MINIMAL)


def write_csv_stream(data: pd.DataFrame, stream: IO[str], *, header: bool = True,
                     sep: str = ",") -> None:
    """Write ``data`` as CSV to an open text stream (standard output for ``-o -``);
    ``header=False`` for the chunks after the first of a table written in chunks."""
    _refuse_repeated_columns(data, "to the output stream")
    data.to_csv(stream, index=False, header=header, sep=sep,
                quoting=csv.QUOTE_NONNUMERIC if _has_carriage_return(data)
                else csv.QUOTE_MINIMAL)


def write_table_chunks(chunks: Iterable[pd.DataFrame], path: str | Path) -> tuple[int, int]:
    """Write a table that comes as chunks (DataFrames of the same columns) as CSV or Parquet
    (chosen by suffix, as :func:`write_table`), one chunk in memory at a time; atomically, so
    the file appears whole or not at all. Returns the table's ``(rows, columns)``.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv.gz"
    >>> write_table_chunks((pd.DataFrame({"a": [i, i]}) for i in range(3)), path)
    (6, 1)
    >>> read_table(path)["a"].tolist()
    [0, 0, 1, 1, 2, 2]
    """
    from simulacra.formats import PARQUET

    fmt, name = table_format(path), Path(path).name.lower()
    rows = columns = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        if fmt == "parquet":
            writer = PARQUET.new_writer()
            for chunk in chunks:
                raw.write(writer.write(chunk))
                rows, columns = rows + len(chunk), chunk.shape[1]
            raw.write(writer.close())
            return rows, columns
        with _text_sink(raw, name) as text:
            for chunk in chunks:
                write_csv_stream(chunk, text, header=rows == 0,
                                 sep="\t" if name.endswith(".tsv") else ",")
                rows, columns = rows + len(chunk), chunk.shape[1]
    return rows, columns


@contextmanager
def _text_sink(raw: IO[bytes], name: str) -> Iterator[IO[str]]:
    """A UTF-8 text stream into ``raw``, compressed as the file ``name``'s suffix says."""
    import bz2
    import gzip
    import io
    import lzma
    import zipfile

    kind = next((kind for suffix, kind in _COMPRESSIONS.items() if name.endswith(suffix)), None)
    with ExitStack() as stack:
        sink: IO[bytes] = raw
        if kind == "gzip":
            sink = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="wb"))
        elif kind == "bz2":
            sink = stack.enter_context(bz2.BZ2File(raw, "wb"))
        elif kind == "xz":
            sink = stack.enter_context(lzma.LZMAFile(raw, "wb"))
        elif kind == "zip":
            archive = stack.enter_context(zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED))
            sink = stack.enter_context(archive.open(name.removesuffix(".zip"), "w",
                                                    force_zip64=True))
        text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()  # the sinks above close themselves, in order


def _has_carriage_return(data: pd.DataFrame) -> bool:
    """Whether a text cell holds a carriage return: the csv module quotes only the line
    terminator's characters ("\\n"), so such a table is written with every text quoted, or a
    reader would cut the row at the "\\r".

    >>> _has_carriage_return(pd.DataFrame({"a": ["x\\ry", None], "b": [1, 2]}))
    True
    """
    for name in data.columns:
        column = data[name]
        text = column.dtype == object or pd.api.types.is_string_dtype(column.dtype)
        if text and column.astype("string").str.contains("\r", regex=False).fillna(False).any():
            return True
    return False


_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz"}


def _write_atomic(path: str | Path, write: Callable[[IO], object], mode: str) -> None:
    encoding = None if "b" in mode else "utf-8"
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding) as fh:
        write(fh)


def write_text_atomic(path: str | Path, text: str) -> None:
    _write_atomic(path, lambda fh: fh.write(text), "w")


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    _write_atomic(path, lambda fh: fh.write(data), "wb")


#: Largest metadata, schema or configuration file read (a document, not data).
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
#: Deepest nesting of lists and mappings in such a document (the deepest schema has about 8).
MAX_DOCUMENT_DEPTH = 64
_TOO_DEEP = f"lists and mappings nest more than {MAX_DOCUMENT_DEPTH} deep"


class DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a document nested deeper than :data:`MAX_DOCUMENT_DEPTH`.

    The composer recurses once per level, so 1,000 nested lists raised ``RecursionError``; here
    they raise a ``yaml.YAMLError`` with the line, like any syntax error.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self._depth >= MAX_DOCUMENT_DEPTH:
            raise yaml.composer.ComposerError(None, None, _TOO_DEEP, self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` through :class:`DepthLimitedLoader` (errors are ``yaml.YAMLError``).

    >>> load_yaml("a: [1, {b: 2}]")
    {'a': [1, {'b': 2}]}
    >>> try:
    ...     load_yaml("[" * 100 + "]" * 100)
    ... except yaml.YAMLError as err:
    ...     print(err.problem, "at column", err.problem_mark.column + 1)
    lists and mappings nest more than 64 deep at column 65
    """
    loader = DepthLimitedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_json(text: str) -> Any:
    """``json.loads`` refusing nesting past :data:`MAX_DOCUMENT_DEPTH` with a
    ``json.JSONDecodeError`` at the first bracket too deep.

    >>> load_json('{"a": [1, {"b": 2}]}')
    {'a': [1, {'b': 2}]}
    >>> try:
    ...     load_json("[" * 100 + "]" * 100)
    ... except json.JSONDecodeError as err:
    ...     print(err.msg, "at column", err.colno)
    lists and mappings nest more than 64 deep at column 65
    """
    try:
        data = json.loads(text)
    except RecursionError:
        data = None
    else:
        if _depth(data) <= MAX_DOCUMENT_DEPTH:
            return data
    raise json.JSONDecodeError(_TOO_DEEP, text, _too_deep_at(text))


def _depth(data: Any) -> int:
    """How deeply lists and dicts nest in ``data`` (walked without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in (value.values() if isinstance(value, dict)
                                                  else value))
    return deepest


def _too_deep_at(text: str) -> int:
    """The position of the first JSON bracket nested deeper than the limit."""
    depth = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DOCUMENT_DEPTH:
                return match.start()
        elif bracket in "]}":
            depth -= 1
    return 0


def read_text_bounded(path: str | Path, *, what: str = "file",
                      limit: int = MAX_DOCUMENT_BYTES) -> str:
    """The UTF-8 text of ``path``, refused with a clear error past ``limit`` bytes.

    A file received from someone else is read no further than the limit.
    """
    from simulacra.errors import MetadataError

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as err:
        raise MetadataError(f"cannot read {what} {str(path)!r}: {err.strerror}") from None
    if len(data) > limit:
        raise MetadataError(f"{what} {str(path)!r} is larger than {limit:,} bytes; a {what} "
                            "this large is not one this program wrote")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MetadataError(f"{what} {str(path)!r} is not UTF-8 text ({err.reason} at byte "
                            f"{err.start})") from None
