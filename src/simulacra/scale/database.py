"""A database draw of any scale, written as a folder per table of partition files.

Partition ``p`` of ``P`` is a synthetic database of its own: the fitted
:class:`~simulacra.RelationalSynthesizer` draws part ``p`` of ``P`` of a database at ``scale``
from the ``p``-th stream of the seed (tables without parents get their share of ``rows ×
scale``, their children follow their generated counts, kept rows get their share of
children), and its generated ids are shifted so that no id repeats another partition's
(:mod:`simulacra.multitable.parts`): every key resolves, inside its partition. A partition's
files depend on the model, the plan and its index only, so they are byte-identical for any
number of workers. Kept tables are written once, as they are.

The draw is built in ``.<name>.partial`` beside the output; a partition counts as written when
its record (the rows and SHA-256 of its files) is there, so an interrupted draw resumes with the
partitions still missing. The finished folder holds ``<table>/part-NNNNN.<fmt>`` and the
manifest ``_simulacra.json``; read a table with ``pandas.read_parquet(path / "orders")``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from simulacra.errors import ParameterError, SimulacraError, check_param
from simulacra.formats import CSV, PARQUET, to_arrow
from simulacra.io import load_json, write_bytes_atomic, write_text_atomic
from simulacra.randomness import chunk_seed
from simulacra.scale.cluster import check_where, runner
from simulacra.scale.partition import cached_model, conform, sample_lock
from simulacra.scale.plan import (
    FORMATS,
    MANIFEST_FILE,
    JsonPlan,
    plan_conditions,
    typed_conditions,
)
from simulacra.scale.sampling import (
    check_output_folder,
    interrupted_draw,
    model_bytes,
    publish,
    sha256_of,
    working_folder_of,
)

#: The working folder's own files, under this name (a table may not be called so).
CONTROL = "_simulacra"
#: The largest scale of a partition's pilot draw, which fixes every table's Arrow schema.
PILOT_SCALE = 0.25


@dataclass(frozen=True)
class DatabasePlan(JsonPlan):
    """What a partitioned database draw writes (a worker needs it and the model file)."""

    scale: float
    seed: int
    partitions: int
    fmt: str
    model_sha256: str
    #: Generated tables, parents first; each gets a folder of ``partitions`` files.
    tables: list[str]
    #: Kept tables, written once as they are.
    kept: list[str] = field(default_factory=list)
    #: ``{table: {column: value}}``, as :meth:`RelationalSynthesizer.sample` takes them.
    conditions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        whole = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
        ok = isinstance(self.scale, int | float) and not isinstance(self.scale, bool) \
            and np.isfinite(self.scale) and self.scale > 0
        check_param("scale", self.scale, "a number > 0", ok)
        check_param("seed", self.seed, "an integer >= 0", whole(self.seed) and self.seed >= 0)
        check_param("partitions", self.partitions, "an integer >= 1",
                    whole(self.partitions) and self.partitions >= 1)
        check_param("format", self.fmt, f"one of {', '.join(FORMATS)}", self.fmt in FORMATS)

    @property
    def partition_scale(self) -> float:
        return self.scale / self.partitions

    def file_name(self, table: str, partition: int) -> str:
        width = max(5, len(str(self.partitions - 1)))
        return f"{table}/part-{partition:0{width}d}.{self.fmt}"

    def record_name(self, partition: int) -> str:
        return f"{CONTROL}/done-{partition:05d}.json"

    def typed_conditions(self) -> dict[str, dict[str, Any]] | None:
        """The conditions as :meth:`RelationalSynthesizer.sample` takes them (a range as a
        tuple; JSON has lists only)."""
        return {t: typed_conditions(c) for t, c in self.conditions.items()} or None



@dataclass(frozen=True)
class PartitionedDatabase:
    """A finished partitioned database draw."""

    path: Path
    #: Rows per table, over every partition.
    rows: dict[str, int]
    partitions: int
    seed: int
    #: Partitions written by this call (the others were there already: a resumed draw).
    written: int
    seconds: float
    where: str

    def table_path(self, table: str) -> Path:
        """The folder of ``table``'s files (``pandas.read_parquet`` reads it whole)."""
        if table not in self.rows:
            raise ParameterError(f"no table {table!r} in this draw; tables are "
                                 f"{list(self.rows)}")
        return self.path / table


@dataclass(frozen=True)
class DatabasePartitionResult:
    """What writing one partition gave: ``{table: (file, rows, sha256)}``."""

    partition: int
    files: dict[str, tuple[str, int, str]]

    @property
    def rows(self) -> int:
        return sum(rows for _, rows, _ in self.files.values())


def sample_database_partitioned(
    model: Any,
    path: str | Path,
    *,
    scale: float = 1.0,
    partitions: int | None = None,
    fmt: str = "parquet",
    seed: int | None = None,
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    replace: bool = False,
    on_partition: Callable[[DatabasePartitionResult], None] | None = None,
    on_start: Callable[[DatabasePlan, int, str], None] | None = None,
) -> PartitionedDatabase:
    """Draw a synthetic database ``scale`` times the source's size into the folder ``path``.

    ``model`` is a fitted :class:`~simulacra.RelationalSynthesizer` or the path of its
    ``.simz`` file. ``partitions`` defaults to ``ceil(scale)`` (about one source-sized
    database each). Each partition is drawn from its own stream of ``seed`` and its ids are
    made unique across partitions, so the files are byte-identical whatever runs them; the
    tables without parents get exactly ``round(rows × scale)`` rows over all partitions
    (:meth:`RelationalSynthesizer.sample` with ``partition=``), their children follow their
    generated counts. ``conditions`` are ``sample``'s, applied in every partition. Where the
    partitions run (``client``, ``scheduler``, ``workers``), resuming and ``replace`` are as
    in :func:`~simulacra.scale.sample_partitioned`.

    >>> import tempfile, pandas as pd, simulacra as sim
    >>> users = pd.DataFrame({"id": range(40), "tier": ["a", "b"] * 20})
    >>> orders = pd.DataFrame({"id": range(80), "user_id": list(range(40)) * 2,
    ...                        "amount": [float(i % 7) for i in range(80)]})
    >>> db = sim.RelationalSynthesizer(model="independent", random_state=0).fit(
    ...     {"users": users, "orders": orders})
    >>> out = sample_database_partitioned(db, tempfile.mkdtemp() + "/db", scale=3,
    ...                                   seed=1, workers=1)
    >>> out.partitions, out.rows["users"]
    (3, 120)
    >>> got = {t: pd.read_parquet(out.table_path(t)) for t in out.rows}
    >>> ids = got["users"]["id"]
    >>> bool(ids.is_unique), bool(got["orders"]["user_id"].isin(ids).all())
    (True, True)
    """
    started = time.perf_counter()
    path = Path(path)
    check_where(client, scheduler, workers)
    ok = isinstance(scale, int | float) and not isinstance(scale, bool) and np.isfinite(scale) \
        and scale > 0
    check_param("scale", scale, "a number > 0", ok)
    if partitions is None:
        partitions = max(1, int(np.ceil(scale)))
    seed = secrets.randbits(63) if seed is None else seed
    raw, fitted = _database_model(model)
    tables = [t for t in fitted.metadata_.table_order() if t not in fitted.kept_]
    _check_table_names(list(fitted.metadata_))
    conditions = {str(t): plan_conditions(dict(c)) for t, c in (conditions or {}).items()}
    plan = DatabasePlan(scale=float(scale), seed=seed, partitions=partitions, fmt=fmt,
                        model_sha256=hashlib.sha256(raw).hexdigest(), tables=tables,
                        kept=[t for t in fitted.metadata_.table_order() if t in fitted.kept_],
                        conditions=conditions)
    finished = _finished(path)
    if finished is not None and finished[0] == plan and not replace:
        return PartitionedDatabase(path, finished[1], plan.partitions, seed, 0,
                                   time.perf_counter() - started, "nowhere (already written)")
    check_output_folder(path, replace)
    work = _working_folder(path, plan, raw, fitted, replace)
    done = {p for p in range(plan.partitions) if (work / plan.record_name(p)).is_file()}
    pending = [p for p in range(plan.partitions) if p not in done]
    with runner(client=client, scheduler=scheduler, workers=workers,
                pending=len(pending)) as (run, where):
        if on_start is not None:
            on_start(plan, len(done), where)
        for result in run(write_database_partition, str(work), pending):
            if on_partition is not None:
                on_partition(result)
    rows = _finish(work, path, plan)
    return PartitionedDatabase(path, rows, plan.partitions, seed, len(pending),
                               time.perf_counter() - started, where)


def write_database_partition(folder: str, partition: int) -> DatabasePartitionResult:
    """Draw partition ``partition`` of the plan in ``folder``, write a file per generated
    table, and then the partition's record (so a partition without one is drawn again)."""
    work = Path(folder)
    plan = DatabasePlan.from_json((work / CONTROL / "plan.json").read_text(encoding="utf-8"))
    model = cached_model(work / CONTROL / "model.simz", plan.model_sha256)
    rng = np.random.default_rng(chunk_seed(plan.seed, partition))
    with sample_lock:
        frames = model.sample(plan.scale, conditions=plan.typed_conditions(), rng=rng,
                              partition=(partition, plan.partitions))
    files = {}
    for i, table in enumerate(plan.tables):
        schema = _read_schema(work, i)
        name = plan.file_name(table, partition)
        data = _file_bytes(conform(frames[table], schema), plan.fmt)
        write_bytes_atomic(work / name, data)
        files[table] = (name, len(frames[table]), hashlib.sha256(data).hexdigest())
    write_text_atomic(work / plan.record_name(partition), json.dumps(files))
    return DatabasePartitionResult(partition, files)


def _file_bytes(table: pa.Table, fmt: str) -> bytes:
    writer = (PARQUET if fmt == "parquet" else CSV).new_writer()
    return writer.write(table) + writer.close()


def _database_model(model: Any) -> tuple[bytes, Any]:
    """The database model's ``.simz`` bytes and the fitted model."""
    from simulacra.multitable.synthesizer import RelationalSynthesizer

    raw, fitted = model_bytes(model)
    if not isinstance(fitted, RelationalSynthesizer):
        raise ParameterError(f"a partitioned database draw takes a fitted "
                             f"RelationalSynthesizer or the path of its .simz file; this is "
                             f"a {getattr(fitted, 'name', type(fitted).__name__)} model (use "
                             "sample_partitioned with n rows)")
    return raw, fitted  # a model not fitted yet could not be saved: model_bytes said so


def _check_table_names(tables: list[str]) -> None:
    from simulacra.multitable.names import check_name

    for table in tables:
        check_name(table, "table")
        if table.startswith(CONTROL):
            raise ParameterError(f"table {table!r}: a partitioned draw keeps its own files "
                                 f"under {CONTROL!r}; rename the table (or sample the database "
                                 "without partitions)")


def _finished(path: Path) -> tuple[DatabasePlan, dict[str, int]] | None:
    try:
        manifest = load_json((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        return DatabasePlan(**manifest["plan"]), {str(t): int(n)
                                                  for t, n in manifest["rows"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SimulacraError):
        return None


def _working_folder(path: Path, plan: DatabasePlan, raw: bytes, fitted: Any,
                    replace: bool) -> Path:
    """The working folder, set up for ``plan`` (resumed when it holds the same plan)."""
    work = interrupted_draw(path, plan, lambda folder: DatabasePlan.from_json(
        (folder / CONTROL / "plan.json").read_text(encoding="utf-8")), replace, "scale")
    if work is not None:
        return work
    work = working_folder_of(path)
    # the pilot fixes the files' schemas, and fails here (no folder made) on bad conditions
    pilot = fitted.sample(min(plan.partition_scale, PILOT_SCALE),
                          conditions=plan.typed_conditions(),
                          rng=np.random.default_rng(chunk_seed(plan.seed, plan.partitions)))
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        (staging / CONTROL).mkdir()
        write_bytes_atomic(staging / CONTROL / "model.simz", raw)
        for i, table in enumerate(plan.tables):
            schema = _typed_schema(to_arrow(pilot[table]).schema, fitted.dtypes_[table])
            write_bytes_atomic(staging / CONTROL / f"schema-{i:04d}.arrow",
                               schema.serialize().to_pybytes())
        for table in plan.kept:
            rows = fitted.kept_rows_[table]
            write_bytes_atomic(staging / plan.file_name(table, 0),
                               _file_bytes(to_arrow(rows), plan.fmt))
        write_text_atomic(staging / CONTROL / "plan.json", plan.to_json())
        staging.rename(work)  # the working folder appears ready, or not at all
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return work


def _typed_schema(schema: pa.Schema, dtypes: Mapping[str, str]) -> pa.Schema:
    """``schema`` with the columns the pilot left all null (typed as text by
    :func:`~simulacra.formats.to_arrow`) typed from the source's dtypes when those are
    numbers, booleans or dates, so a partition that has values writes them as such."""
    fields = []
    for f in schema:
        typed = f
        if pa.types.is_large_string(f.type) and f.name in dtypes:
            try:
                dtype = np.dtype(dtypes[f.name].replace("Int", "int").replace("Float", "float")
                                 .replace("boolean", "bool"))
                if dtype.kind in "iufbM":
                    typed = f.with_type(pa.from_numpy_dtype(dtype))
            except TypeError:
                pass
        fields.append(typed)
    return pa.schema(fields, metadata=schema.metadata)


def _read_schema(work: Path, index: int) -> pa.Schema:
    raw = (work / CONTROL / f"schema-{index:04d}.arrow").read_bytes()
    return pa.ipc.read_schema(pa.py_buffer(raw))


def _finish(work: Path, path: Path, plan: DatabasePlan) -> dict[str, int]:
    """Check every partition's record, write the manifest, give the folder its name."""
    rows = {t: 0 for t in [*plan.kept, *plan.tables]}
    files = []
    for table in plan.kept:
        name = plan.file_name(table, 0)
        count = _rows_in(work / name, plan.fmt)
        rows[table] = count
        files.append({"table": table, "file": name, "rows": count,
                      "sha256": sha256_of(work / name)})
    for p in range(plan.partitions):
        record = work / plan.record_name(p)
        if not record.is_file():
            raise SimulacraError(f"partition {p} was not written; run the draw again to "
                                 "resume it")
        written = load_json(record.read_text(encoding="utf-8"))
        for table in plan.tables:
            name, count, digest = written[table]
            rows[table] += count
            files.append({"table": table, "file": name, "rows": count, "sha256": digest})
    manifest = {"format": "simulacra-partitioned-database", "plan": asdict(plan),
                "rows": rows, "files": files}
    write_text_atomic(work / MANIFEST_FILE, json.dumps(manifest, indent=2, ensure_ascii=False))
    shutil.rmtree(work / CONTROL)
    publish(work, path)
    return rows


def _rows_in(path: Path, fmt: str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    from pyarrow import csv

    return csv.read_csv(path).num_rows
