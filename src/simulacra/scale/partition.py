"""One partition of a partitioned draw, written by whichever process (or Dask worker) runs it.

A worker gets only the working folder and a partition index: it reads the plan, the model file
and the Arrow schema from the folder (checking the model's SHA-256 against the plan), draws the
partition's chunks from their own streams and writes ``part-NNNNN.<fmt>`` beside them through a
temporary file, so a partition's file is either whole or absent.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from simulacra.errors import ModelFileError
from simulacra.formats import CSV, PARQUET, to_arrow
from simulacra.io import atomic_path
from simulacra.randomness import chunk_seed
from simulacra.scale.plan import PLAN_FILE, SamplePlan

#: The model's copy and the rows' Arrow schema in the working folder.
MODEL_FILE = "_model.simz"
SCHEMA_FILE = "_schema.arrow"

_models: dict[tuple[str, str], Any] = {}
_models_lock = threading.Lock()
# a torch model's sampling sets torch's process-wide seed and threads: in one process, chunks
# are drawn one at a time (a Dask worker's parallelism is its processes, one thread each)
sample_lock = threading.Lock()


@dataclass(frozen=True)
class PartitionResult:
    """What writing one partition gave."""

    partition: int
    file: str
    rows: int
    bytes: int
    sha256: str


def write_partition(folder: str, partition: int) -> PartitionResult:
    """Draw partition ``partition`` of the plan in ``folder`` and write its file there."""
    work = Path(folder)
    plan = SamplePlan.from_json((work / PLAN_FILE).read_text(encoding="utf-8"))
    model = cached_model(work / MODEL_FILE, plan.model_sha256)
    schema = read_schema(work)
    writer = (PARQUET if plan.fmt == "parquet" else CSV).new_writer()
    conditions, rebalance = plan.typed_conditions() or None, plan.typed_rebalance()
    digest, size, rows = hashlib.sha256(), 0, 0
    name = plan.file_name(partition)
    with atomic_path(work / name) as tmp, open(tmp, "wb") as fh:
        def put(data: bytes) -> None:
            nonlocal size
            fh.write(data)
            digest.update(data)
            size += len(data)

        for chunk in plan.chunks_of(partition):
            rng = np.random.default_rng(chunk_seed(plan.seed, chunk))
            with sample_lock:
                frame = model.sample(plan.chunk_rows_of(chunk), rng=rng,
                                     conditions=conditions, rebalance=rebalance)
            rows += len(frame)
            put(writer.write(conform(frame, schema)))
        put(writer.close())
    return PartitionResult(partition, name, rows, size, digest.hexdigest())


def conform(frame: Any, schema: pa.Schema) -> pa.Table:
    """``frame`` as an Arrow table of exactly ``schema`` (its pandas metadata included), so
    every chunk of every partition agrees."""
    table = to_arrow(frame, schema)
    return table.replace_schema_metadata(schema.metadata)


def write_schema(folder: Path, schema: pa.Schema) -> None:
    from simulacra.io import write_bytes_atomic

    write_bytes_atomic(folder / SCHEMA_FILE, schema.serialize().to_pybytes())


def read_schema(folder: Path) -> pa.Schema:
    return pa.ipc.read_schema(pa.py_buffer((folder / SCHEMA_FILE).read_bytes()))


def cached_model(path: Path, sha256: str) -> Any:
    """The model in ``path``, loaded once per process (checked against the plan's hash)."""
    key = (str(path), sha256)
    with _models_lock:
        if key not in _models:
            raw = path.read_bytes()
            if hashlib.sha256(raw).hexdigest() != sha256:
                raise ModelFileError(f"{str(path)!r} is not the model this draw was planned "
                                     "with (its SHA-256 differs); start the draw again")
            from simulacra.multitable.loading import load

            _models.clear()  # one draw at a time per worker: keep one model in memory
            _models[key] = load(path)
        return _models[key]
