"""A table larger than memory, read in chunks: exact statistics and a uniform sample, merged.

A *dataset* is a Parquet or CSV file, a folder of them (a partitioned draw's folder included)
or a glob. Each file is read chunk by chunk (Parquet row groups in batches, CSV with
``pandas.read_csv(chunksize=...)``), on this process or on Dask workers, and reduced to a
:class:`TableSummary`, which merges across files:

- **exact**: the number of rows; per column, the nulls, the minimum and maximum of numbers
  and dates, whether every number is whole, and the count of every category (up to
  ``MAX_CATEGORIES`` distinct values a column; beyond that only "many");
- **a uniform sample** of ``k`` rows without replacement (bottom-k of a seeded random key per
  row: each row's key comes from its file's own stream, so the sample does not depend on how
  the files are spread over workers), returned in the dataset's row order.

>>> import tempfile, pathlib, pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for i in range(3):
...     pd.DataFrame({"x": range(i * 100, i * 100 + 100), "c": ["a", "b"] * 50}).to_parquet(
...         folder / f"part-{i}.parquet")
>>> sample, summary = read_dataset(folder, sample_rows=50, seed=0, workers=1)
>>> summary.rows, summary.columns["x"].minimum, summary.columns["x"].maximum, len(sample)
(300, 0.0, 299.0, 50)
>>> summary.columns["c"].counts
{'a': 150, 'b': 150}
"""

from __future__ import annotations

import glob
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import DataError, check_param
from simulacra.io import csv_separator, load_json, refuse_duplicate_headers, table_format
from simulacra.scale.cluster import runner
from simulacra.scale.plan import MANIFEST_FILE

#: Distinct values of one column counted exactly; a column with more is "many".
MAX_CATEGORIES = 10_000
#: Rows read at once from one file.
CHUNK_ROWS = 200_000
#: Rows each file keeps for the sample, beyond its expected share (a Parquet dataset's row
#: count is known up front, so a file keeps only rows whose key could make the sample).
SAFETY = 1.2


@dataclass
class ColumnSummary:
    """Exact statistics of one column, mergeable with another file's."""

    nulls: int = 0
    minimum: Any = None
    maximum: Any = None
    whole: bool = True
    counts: dict[Any, int] | None = field(default_factory=dict)

    def add(self, values: pd.Series) -> None:
        present = values.dropna()
        self.nulls += len(values) - len(present)
        if present.empty:
            return
        if pd.api.types.is_bool_dtype(present.dtype) or not (
                pd.api.types.is_numeric_dtype(present.dtype)
                or pd.api.types.is_datetime64_any_dtype(present.dtype)):
            self._count(present)
            return
        low, high = present.min(), present.max()
        if pd.api.types.is_numeric_dtype(present.dtype):
            low, high = float(low), float(high)
            floats = present.to_numpy(dtype=np.float64)
            self.whole = self.whole and bool(np.all(floats == np.round(floats)))
            if present.nunique() <= 50:  # a few numbers may be categories: count them too
                self._count(present)
            else:
                self.counts = None
        else:
            self.counts = None
        self.minimum = low if self.minimum is None else min(self.minimum, low)
        self.maximum = high if self.maximum is None else max(self.maximum, high)

    def _count(self, present: pd.Series) -> None:
        if self.counts is None:
            return
        for value, count in present.value_counts(sort=False).items():
            key = value.item() if hasattr(value, "item") else value
            self.counts[key] = self.counts.get(key, 0) + int(count)
        if len(self.counts) > MAX_CATEGORIES:
            self.counts = None

    def merge(self, other: ColumnSummary) -> None:
        self.nulls += other.nulls
        for name, pick in (("minimum", min), ("maximum", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs if mine is None else mine if theirs is None
                    else pick(mine, theirs))
        self.whole = self.whole and other.whole
        if self.counts is None or other.counts is None:
            self.counts = None
        else:
            for value, count in other.counts.items():
                self.counts[value] = self.counts.get(value, 0) + count
            if len(self.counts) > MAX_CATEGORIES:
                self.counts = None


@dataclass
class TableSummary:
    """Exact statistics of a whole dataset (see the module's docstring)."""

    rows: int = 0
    columns: dict[str, ColumnSummary] = field(default_factory=dict)

    def add(self, chunk: pd.DataFrame) -> None:
        self.rows += len(chunk)
        for column in chunk.columns:
            self.columns.setdefault(str(column), ColumnSummary()).add(chunk[column])

    def merge(self, other: TableSummary) -> None:
        self.rows += other.rows
        for name, column in other.columns.items():
            if name in self.columns:
                self.columns[name].merge(column)
            else:
                self.columns[name] = column


@dataclass
class _FilePart:
    """What one file gives: its summary and its candidate sample rows with their keys."""

    index: int
    summary: TableSummary
    keys: np.ndarray
    rows: pd.DataFrame


def dataset_files(source: str | Path) -> tuple[list[Path], str]:
    """The files of a dataset, in a fixed order, and their format ('parquet' or 'csv')."""
    text = str(source)
    if _is_pattern(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise DataError(f"no files match {text!r}")
    elif Path(text).is_dir():
        files = sorted(p for p in Path(text).rglob("*") if p.is_file()
                       and not p.name.startswith(("_", ".")))
    elif Path(text).is_file():
        files = [Path(text)]
    else:
        raise DataError(f"no such file, folder or pattern: {text!r}")
    if not files:
        raise DataError(f"{text!r} holds no files")
    formats = {table_format(p) for p in files}
    if len(formats) != 1:
        raise DataError(f"{text!r} mixes CSV and Parquet files; give a pattern that picks "
                        "one kind, e.g. 'data/*.parquet'")
    return files, formats.pop()


def is_dataset(source: str | Path) -> bool:
    """A glob pattern, or a folder written by a partitioned draw of a table (it has the
    manifest; a partitioned database draw, a folder per table, is a database instead)."""
    text = str(source)
    if _is_pattern(text):
        return True
    manifest = Path(text) / MANIFEST_FILE
    if not manifest.is_file():
        return False
    try:
        kind = load_json(manifest.read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError, DataError):
        return True
    return kind != "simulacra-partitioned-database"


def _is_pattern(text: str) -> bool:
    """A glob pattern: wildcards, in a name that is not an existing file's own."""
    return any(ch in text for ch in "*?[") and not Path(text).exists()


def read_dataset(source: str | Path, *, sample_rows: int = 1_000_000, seed: int = 0,
                 client: Any = None, scheduler: str | None = None,
                 workers: int | None = None) -> tuple[pd.DataFrame, TableSummary]:
    """``(a uniform sample of sample_rows rows, the exact summary)`` of the dataset.

    Files are read on ``client`` / ``scheduler`` / a local cluster of ``workers`` as for
    :func:`~simulacra.scale.sampling.sample_partitioned` (default: this process when there is
    one file). Memory holds about ``sample_rows`` rows and one chunk per worker.
    """
    whole = isinstance(sample_rows, int) and not isinstance(sample_rows, bool)
    check_param("sample_rows", sample_rows, "an integer >= 1", whole and sample_rows >= 1)
    files, fmt = dataset_files(source)
    total = _parquet_rows(files) if fmt == "parquet" else None
    threshold = 1.0 if total is None or total <= sample_rows else min(
        1.0, SAFETY * sample_rows / total + 5 * math.sqrt(sample_rows) / total)
    tasks = json.dumps([(str(path), fmt, i, seed, sample_rows) for i, path in enumerate(files)])
    limit = min(sample_rows, total) if total is not None else None
    sample, summary = _read_all(tasks, len(files), threshold, sample_rows, client, scheduler,
                                workers)
    if limit is not None and len(sample) < limit:  # too few keys fell below the threshold
        sample, summary = _read_all(tasks, len(files), 1.0, sample_rows, client, scheduler,
                                    workers)
    if sample.empty:
        raise DataError(f"{str(source)!r} has no rows")
    order = np.lexsort((sample["__row"].to_numpy(), sample["__file"].to_numpy()))
    return sample.iloc[order].drop(columns=["__file", "__row"]).reset_index(drop=True), summary


def _read_all(tasks: str, files: int, threshold: float, sample_rows: int, client: Any,
              scheduler: str | None, workers: int | None) -> tuple[pd.DataFrame, TableSummary]:
    summary = TableSummary()
    keys = np.empty(0)
    rows: pd.DataFrame | None = None
    shared = json.dumps({"tasks": json.loads(tasks), "threshold": threshold})
    with runner(client=client, scheduler=scheduler, workers=workers,
                pending=files) as (run, _):
        for part in run(_read_task, shared, range(files)):
            summary.merge(part.summary)
            keys, rows = _smallest(keys, rows, part.keys, part.rows, sample_rows)
    return (rows if rows is not None else pd.DataFrame()), summary


def _read_task(shared: str, index: int) -> _FilePart:
    """One file of the JSON task list ``shared`` (what a worker receives: text only)."""
    given = json.loads(shared)
    path, fmt, i, seed, sample_rows = given["tasks"][index]
    return read_file(Path(path), fmt, i, seed=seed, sample_rows=sample_rows,
                     threshold=given["threshold"])


def read_file(path: Path, fmt: str, index: int, *, seed: int, sample_rows: int,
              threshold: float = 1.0) -> _FilePart:
    """One file's summary and its sample candidates (keys below ``threshold``, at most the
    ``sample_rows`` smallest)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    summary = TableSummary()
    keys = np.empty(0)
    rows: pd.DataFrame | None = None
    position = 0
    for chunk in read_chunks(path, fmt):
        summary.add(chunk)
        chunk_keys = rng.random(len(chunk))
        chosen = np.flatnonzero(chunk_keys < threshold)
        picked = chunk.iloc[chosen].assign(__file=index, __row=position + chosen)
        keys, rows = _smallest(keys, rows, chunk_keys[chosen], picked, sample_rows)
        position += len(chunk)
    return _FilePart(index, summary, keys, rows if rows is not None else pd.DataFrame())


def read_chunks(path: Path, fmt: str) -> Iterator[pd.DataFrame]:
    """The file's rows, a chunk at a time; a file whose header repeats a name is refused."""
    try:
        refuse_duplicate_headers(path, fmt)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            with pq.ParquetFile(path) as parquet:
                for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
                    yield batch.to_pandas()
        else:
            with pd.read_csv(path, sep=csv_separator(path), chunksize=CHUNK_ROWS) as reader:
                yield from reader
    except DataError:
        raise
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read {str(path)!r} as {fmt}: {err}") from None


def _smallest(keys: np.ndarray, rows: pd.DataFrame | None, new_keys: np.ndarray,
              new_rows: pd.DataFrame, k: int) -> tuple[np.ndarray, pd.DataFrame | None]:
    """The ``k`` rows of smallest key among the two sets."""
    if not len(new_rows):
        return keys, rows
    if rows is None or not len(rows):
        keys, rows = new_keys, new_rows
    else:
        keys = np.concatenate([keys, new_keys])
        rows = pd.concat([rows, new_rows], ignore_index=True)
    if len(keys) > k:
        keep = np.sort(np.argpartition(keys, k - 1)[:k])
        keys, rows = keys[keep], rows.iloc[keep].reset_index(drop=True)
    return keys, rows


def _parquet_rows(files: list[Path]) -> int | None:
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in files)
    except (OSError, ValueError):
        return None


def stream_rows(source: str | Path, *, seed: int = 0) -> Iterator[pd.DataFrame]:
    """Every row of the dataset, a chunk at a time, pass after pass without end. Each pass
    visits the dataset's pieces in an order drawn from ``seed`` and the pass's number: the
    Parquet row groups of all files shuffled together (so that a file sorted by date, or files
    one a month, do not give an epoch one period), or, for CSV, the files shuffled and each
    read in order. A chunk's rows come in their file's order; whoever reads them shuffles. A
    network that trains from this stream sees fresh rows in every epoch.

    >>> import tempfile, pathlib, itertools, simulacra as sim
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> demo = sim.datasets.load_demo().head(300)
    >>> demo.to_parquet(folder / "rows.parquet", row_group_size=100)
    >>> chunks = list(itertools.islice(stream_rows(folder, seed=1), 6))
    >>> [len(c) for c in chunks]
    [100, 100, 100, 100, 100, 100]
    >>> first_pass = pd.concat(chunks[:3])  # every row once, the row groups in another order
    >>> sorted(first_pass["fnlwgt"]) == sorted(demo["fnlwgt"])
    True
    """
    files, fmt = dataset_files(source)
    if fmt == "parquet":
        yield from _stream_row_groups(files, seed)
    for rounds in itertools.count():  # CSV: no row groups to shuffle
        order = np.random.default_rng([seed, rounds]).permutation(len(files))
        for i in order:
            yield from read_chunks(files[i], fmt)


def _stream_row_groups(files: list[Path], seed: int) -> Iterator[pd.DataFrame]:
    """:func:`stream_rows` of Parquet files: each pass, every row group in a shuffled order."""
    import pyarrow.parquet as pq

    pieces = []
    for i, path in enumerate(files):
        refuse_duplicate_headers(path, "parquet")
        try:
            groups = pq.ParquetFile(path).metadata.num_row_groups
        except (OSError, ValueError) as err:
            raise DataError(f"cannot read {str(path)!r} as parquet: {err}") from None
        pieces += [(i, g) for g in range(groups)]
    for rounds in itertools.count():
        for k in np.random.default_rng([seed, rounds]).permutation(len(pieces)):
            i, group = pieces[k]
            with pq.ParquetFile(files[i]) as parquet:
                table = parquet.read_row_group(group)
            for start in range(0, table.num_rows, CHUNK_ROWS):
                yield table.slice(start, CHUNK_ROWS).to_pandas()
