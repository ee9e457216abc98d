"""``simulacra sample ... -o FOLDER --partitions P [--workers W | --scheduler ADDR]``: a draw
written as partition files, on this process or a Dask cluster (:mod:`simulacra.scale`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from simulacra.cli.common import console


class PartitionFormat(str, Enum):
    """The file format of a partitioned draw."""

    parquet = "parquet"
    csv = "csv"


def wants_partitions(output: str, partitions: int | None, workers: int | None,
                     scheduler: str | None, fmt: PartitionFormat | None) -> bool:
    """Whether ``sample`` writes a folder of partitions: any of the scale-out options, or an
    output that names a folder (a trailing ``/`` or an existing directory)."""
    chosen = any(x is not None for x in (partitions, workers, scheduler, fmt))
    return chosen or output.endswith(("/", "\\")) or Path(output).is_dir()


def sample_folder(model_path: Path, output: str, *, n: int | None, seed: int | None,
                  conditions: dict[str, Any], shares: dict[str, Any] | None,
                  partitions: int | None, workers: int | None, scheduler: str | None,
                  fmt: PartitionFormat | None, chunk_rows: int | None, replace: bool,
                  training_rows: int) -> None:
    """Draw into the folder ``output`` and say where the rows went."""
    from simulacra.scale import sample_partitioned
    from simulacra.scale.plan import DEFAULT_CHUNK_ROWS

    rows = training_rows if n is None else n
    options: dict[str, Any] = {"chunk_rows": chunk_rows or DEFAULT_CHUNK_ROWS}
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows"),
                  TimeRemainingColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task("sampling", total=rows)

        def start(plan: Any, done: int, where: str) -> None:
            resumed = f", {done} of {plan.partitions} already written" if done else ""
            progress.update(task, completed=sum(plan.rows_of(p) for p in range(done)),
                            description=f"sampling on {where}{resumed}")

        out = sample_partitioned(
            model_path, rows, output.rstrip("/\\") or output, partitions=partitions,
            fmt=(fmt or PartitionFormat.parquet).value, seed=seed,
            conditions=conditions or None, rebalance=shares, client=None,
            scheduler=scheduler, workers=workers, replace=replace, on_start=start,
            on_partition=lambda result: progress.advance(task, result.rows), **options)
    if not out.written:
        console.print(f"[bold]{out.path}[/] already holds this draw ({out.rows:,} rows in "
                      f"{out.partitions} partitions, seed {out.seed}); nothing to do.")
        return
    resumed = out.partitions - out.written
    note = f" ({resumed} were already written: resumed)" if resumed else ""
    console.print(f"Sampled {out.rows:,} rows in {out.partitions} partitions{note} on "
                  f"{out.where} in {out.seconds:.1f} s ({out.rows / out.seconds:,.0f} rows/s, "
                  f"seed {out.seed}); wrote [bold]{out.path}[/].")
