"""A draw of any size, written as a folder of partition files, on one process or a Dask cluster.

The draw is built in a working folder beside the output, ``.<name>.partial``; each partition's
file appears there whole or not at all. When every partition is written, the folder gets its
manifest (``_simulacra.json``: the plan, the rows and SHA-256 of every file) and is renamed to
the output name, so nothing half-written ever carries that name. A draw that was interrupted
resumes from the partitions already written when it is run again with the same model and
settings.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simulacra.errors import ParameterError, SimulacraError, check_param
from simulacra.formats import to_arrow
from simulacra.io import write_bytes_atomic, write_text_atomic
from simulacra.scale.cluster import check_where, runner
from simulacra.scale.partition import (
    MODEL_FILE,
    SCHEMA_FILE,
    PartitionResult,
    write_partition,
    write_schema,
)
from simulacra.scale.plan import (
    DEFAULT_CHUNK_ROWS,
    MANIFEST_FILE,
    PLAN_FILE,
    SamplePlan,
    plan_conditions,
    plan_rebalance,
)

#: Rows per partition when the number of partitions is not given.
DEFAULT_PARTITION_ROWS = 1_000_000
#: Rows of the pilot draw that fixes the files' Arrow schema.
PILOT_ROWS = 1_000


@dataclass(frozen=True)
class PartitionedSample:
    """A finished partitioned draw: read it with ``pandas.read_parquet(path)`` or
    ``dask.dataframe.read_parquet(path)``."""

    path: Path
    rows: int
    partitions: int
    seed: int
    #: Partitions written by this call (the others were already there: a resumed draw).
    written: int
    seconds: float
    where: str

    @property
    def files(self) -> list[Path]:
        manifest = json.loads((self.path / MANIFEST_FILE).read_text(encoding="utf-8"))
        return [self.path / f["file"] for f in manifest["files"]]


def sample_partitioned(
    model: Any,
    n: int,
    path: str | Path,
    *,
    partitions: int | None = None,
    fmt: str = "parquet",
    seed: int | None = None,
    conditions: Mapping[str, Any] | None = None,
    rebalance: Mapping[str, Mapping[Any, float]] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    replace: bool = False,
    on_partition: Callable[[PartitionResult], None] | None = None,
    on_start: Callable[[SamplePlan, int, str], None] | None = None,
) -> PartitionedSample:
    """Draw ``n`` rows from ``model`` into the folder ``path``, one file per partition.

    ``model`` is a fitted single-table synthesizer or the path of its ``.simz`` file.
    ``partitions`` defaults to one per million rows. Partition ``p`` holds a fixed range of
    ``chunk_rows``-row chunks, each drawn from its own stream of ``seed`` (see
    :mod:`simulacra.scale.plan`), so the files are byte-identical for any number of workers;
    ``seed=None`` picks one and records it in the manifest. ``conditions`` and ``rebalance``
    are :meth:`~simulacra.models.base.Synthesizer.sample`'s, applied to every chunk.

    The partitions run on ``client`` (a ``distributed.Client``), on the cluster at
    ``scheduler``, or on a local Dask cluster of ``workers`` processes (default: one per
    core; ``workers=1`` draws in this process). A remote cluster's workers must see ``path``
    and its folder (shared storage). An existing ``path`` is refused unless ``replace``; a draw
    interrupted earlier resumes. ``on_partition`` is called with each partition written.

    >>> import tempfile, pandas as pd, simulacra as sim
    >>> model = sim.GaussianCopula(random_state=0).fit(sim.datasets.load_demo().head(500))
    >>> out = sample_partitioned(model, 2_500, tempfile.mkdtemp() + "/rows", partitions=3,
    ...                          seed=1, chunk_rows=500, workers=1)
    >>> out.rows, len(out.files), len(pd.read_parquet(out.path))
    (2500, 3, 2500)
    """
    started = time.perf_counter()
    path = Path(path)
    check_where(client, scheduler, workers)
    check_param("chunk_rows", chunk_rows, "an integer >= 1",
                isinstance(chunk_rows, int) and not isinstance(chunk_rows, bool)
                and chunk_rows >= 1)
    whole = isinstance(n, int) and not isinstance(n, bool) and n >= 1
    check_param("n", n, "an integer >= 1", whole)
    if partitions is None:
        partitions = min(max(1, -(-n // DEFAULT_PARTITION_ROWS)), -(-n // chunk_rows))
    seed = secrets.randbits(63) if seed is None else seed
    raw, fitted = _model_bytes(model)
    plan = SamplePlan(n=n, seed=seed, partitions=partitions, chunk_rows=chunk_rows, fmt=fmt,
                      model_sha256=hashlib.sha256(raw).hexdigest(),
                      conditions=plan_conditions(dict(conditions or {})),
                      rebalance=plan_rebalance(None if rebalance is None else dict(rebalance)))
    finished = _finished_plan(path)
    if finished is not None and finished == plan and not replace:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        return PartitionedSample(path, manifest["rows"], plan.partitions, seed, 0,
                                 time.perf_counter() - started, "nowhere (already written)")
    check_output_folder(path, replace)
    work = _working_folder(path, plan, raw, fitted, replace)
    done = {p for p in range(plan.partitions) if (work / plan.file_name(p)).is_file()}
    pending = [p for p in range(plan.partitions) if p not in done]
    hashes: dict[int, str] = {}
    with runner(client=client, scheduler=scheduler, workers=workers,
                pending=len(pending)) as (run, where):
        if on_start is not None:
            on_start(plan, len(done), where)
        for result in run(write_partition, str(work), pending):
            hashes[result.partition] = result.sha256
            if on_partition is not None:
                on_partition(result)
    written = len(hashes)
    _finish(work, path, plan, hashes)
    return PartitionedSample(path, plan.n, plan.partitions, seed, written,
                             time.perf_counter() - started, where)


def sample_to_parquet(model: Any, n: int, path: str | Path, client: Any = None,
                      **options: Any) -> PartitionedSample:
    """:func:`sample_partitioned` to Parquet files (``client``: a ``distributed.Client``)."""
    return sample_partitioned(model, n, path, client=client, fmt="parquet", **options)


def working_folder_of(path: str | Path) -> Path:
    """Where the draw to ``path`` is built (and where an interrupted one waits)."""
    path = Path(path)
    return path.parent / f".{path.name}.partial"


def model_bytes(model: Any) -> tuple[bytes, Any]:
    """``(the model's .simz bytes, the fitted model)`` of a fitted model or the path of its
    file (loaded, as every file a user may have received, through the checked loader); the
    workers receive the bytes, never a pickled object."""
    from simulacra.multitable.loading import load

    if isinstance(model, str | Path):
        return Path(model).read_bytes(), load(model)
    if not hasattr(model, "save"):
        raise ParameterError(f"model must be a fitted synthesizer or the path of its .simz "
                             f"file, got {type(model).__name__}")
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "model.simz")
        return (Path(tmp) / "model.simz").read_bytes(), model


def _model_bytes(model: Any) -> tuple[bytes, Any]:
    """The single-table model's ``.simz`` bytes, and the fitted model."""
    from simulacra.multitable.synthesizer import RelationalSynthesizer

    raw, fitted = model_bytes(model)
    if isinstance(fitted, RelationalSynthesizer):
        raise ParameterError("a partitioned draw of n rows takes a single-table model; this "
                             "is a database model: use sample_database_partitioned(model, "
                             "path, scale=...) (simulacra sample MODEL -o FOLDER/ --scale S "
                             "--partitions P)")
    if fitted.name in ("sequential", "window-diffusion"):
        raise ParameterError(f"a partitioned draw takes a single-table model; this is a "
                             f"{fitted.name} model (sample it with simulacra sample without "
                             "--partitions)")
    return raw, fitted


def _finished_plan(path: Path) -> SamplePlan | None:
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        return SamplePlan(**manifest["plan"])
    except (OSError, ValueError, KeyError, TypeError, SimulacraError):
        return None


def _working_folder(path: Path, plan: SamplePlan, raw: bytes, fitted: Any,
                    replace: bool) -> Path:
    """The working folder, set up for ``plan`` (resumed when it holds the same plan)."""
    work = interrupted_draw(path, plan, lambda folder: SamplePlan.from_json(
        (folder / PLAN_FILE).read_text(encoding="utf-8")), replace, "rows")
    if work is not None:
        return work
    work = working_folder_of(path)
    # the pilot fixes the files' schema, and fails here (no folder made) on impossible settings
    pilot = fitted.sample(min(plan.n, PILOT_ROWS), rng=plan.seed,
                          conditions=plan.typed_conditions() or None,
                          rebalance=plan.typed_rebalance())
    work.mkdir(parents=True)
    write_bytes_atomic(work / MODEL_FILE, raw)
    write_schema(work, to_arrow(pilot).schema)
    write_text_atomic(work / PLAN_FILE, plan.to_json())  # last: the folder is ready
    return work


def check_output_folder(path: Path, replace: bool) -> None:
    """Refuse an output that exists (unless ``replace``) or is a file."""
    if path.exists() and not replace:
        raise ParameterError(f"{str(path)!r} already exists; choose another folder or replace "
                             "it (replace=True, --replace)")
    if path.exists() and not path.is_dir():
        raise ParameterError(f"{str(path)!r} is a file; a partitioned draw writes a folder")


def interrupted_draw(path: Path, plan: Any, read_plan: Callable[[Path], Any], replace: bool,
                     size: str) -> Path | None:
    """The working folder of an interrupted draw of ``plan`` to ``path``, ready to resume (the
    temporary files of a worker stopped while writing removed), or ``None`` when there is none.
    A working folder of another plan (``read_plan`` reads it) is removed with ``replace`` and
    refused without (``size``: what the plan's size is, for the message)."""
    work = working_folder_of(path)
    if work.exists():
        try:
            earlier = read_plan(work)
        except (OSError, ValueError, TypeError, SimulacraError):
            earlier = None
        if earlier != plan:
            if not replace:
                raise ParameterError(
                    f"{str(work)!r} holds an interrupted draw with other settings (model, "
                    f"{size}, seed, partitions, format or conditions); run it again with the "
                    "same ones to resume it, or pass replace=True (--replace) to start over")
            shutil.rmtree(work)
    if not work.exists():
        return None
    for stray in work.rglob(".*.tmp"):
        stray.unlink(missing_ok=True)
    return work


def _finish(work: Path, path: Path, plan: SamplePlan, hashes: dict[int, str]) -> None:
    """Check every partition is there, write the manifest and give the folder its name
    (``hashes``: the SHA-256 of the partitions this run wrote; the others are read again)."""
    files, rows = [], 0
    for p in range(plan.partitions):
        name = plan.file_name(p)
        if not (work / name).is_file():
            raise SimulacraError(f"partition {p} ({name}) was not written; run the draw again "
                                 "to resume it")
        expected = plan.rows_of(p)
        rows += expected
        digest = hashes.get(p) or sha256_of(work / name)
        files.append({"file": name, "rows": expected, "sha256": digest})
    manifest = {"format": "simulacra-partitioned-sample", "plan": asdict(plan),
                "rows": rows, "files": files}
    write_text_atomic(work / MANIFEST_FILE, json.dumps(manifest, indent=2, ensure_ascii=False))
    for name in (MODEL_FILE, SCHEMA_FILE, PLAN_FILE):
        (work / name).unlink(missing_ok=True)
    publish(work, path)


def publish(work: Path, path: Path) -> None:
    """Give the finished working folder ``work`` the name ``path`` (replacing a folder of
    that name only once the new one is whole)."""
    if path.exists():
        old = path.parent / f".{path.name}.old-{secrets.token_hex(4)}"
        path.rename(old)
        work.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
