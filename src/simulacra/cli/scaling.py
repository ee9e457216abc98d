"""``simulacra sample ... -o FOLDER --partitions P [--workers W | --scheduler ADDR]``: a draw
written as partition files, on this process or a Dask cluster (:mod:`simulacra.scale`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from simulacra.cli.common import FileFormat, console

#: The file format of a partitioned draw.
PartitionFormat = FileFormat


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
    with _progress("rows") as progress:
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


def sample_database_folder(model: Any, output: str, *, scale: float, seed: int | None,
                           partitions: int | None, workers: int | None,
                           scheduler: str | None, fmt: PartitionFormat | None,
                           replace: bool) -> None:
    """A database model's draw as a folder per table of partition files
    (:func:`simulacra.scale.sample_database_partitioned`), and what was written."""
    from simulacra.scale import sample_database_partitioned

    with _progress("partitions") as progress:
        task = progress.add_task("sampling", total=None)

        def start(plan: Any, done: int, where: str) -> None:
            resumed = f", {done} of {plan.partitions} already written" if done else ""
            progress.update(task, total=plan.partitions, completed=done,
                            description=f"sampling on {where}{resumed}")

        out = sample_database_partitioned(
            model, output.rstrip("/\\") or output, scale=scale, partitions=partitions,
            fmt=(fmt or PartitionFormat.parquet).value, seed=seed, scheduler=scheduler,
            workers=workers, replace=replace, on_start=start,
            on_partition=lambda result: progress.advance(task))
    counts = ", ".join(f"{table}: {rows:,}" for table, rows in out.rows.items())
    if not out.written:
        console.print(f"[bold]{out.path}[/] already holds this draw ({counts} rows in "
                      f"{out.partitions} partitions, seed {out.seed}); nothing to do.")
        return
    resumed = out.partitions - out.written
    note = f" ({resumed} were already written: resumed)" if resumed else ""
    total = sum(out.rows.values())
    console.print(f"Sampled {len(out.rows)} tables ({counts} rows) in {out.partitions} "
                  f"partitions{note} on {out.where} in {out.seconds:.1f} s "
                  f"({total / out.seconds:,.0f} rows/s, seed {out.seed}); wrote "
                  f"[bold]{out.path}[/], a folder per table.")


def _progress(unit: str) -> Progress:
    """A bar of ``unit`` done out of the total, on a terminal only, gone when it ends."""
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn(f"{{task.completed:,.0f}}/{{task.total:,.0f}} {unit}"),
                    TimeRemainingColumn(), console=console, transient=True,
                    disable=not console.is_terminal)


def fit_from_dataset(data: str, output: Path, *, model: str, metadata_path: Path | None,
                     seed: int | None, params: dict[str, Any], privacy: dict[str, Any],
                     on_violation: str, sample_rows: int | None, workers: int | None,
                     scheduler: str | None, stream: bool = False) -> None:
    """``simulacra fit`` on a dataset larger than memory (:mod:`simulacra.scale.fitting`)."""
    import time

    from simulacra.metadata import Metadata
    from simulacra.models import get_model
    from simulacra.scale.fitting import fit_dataset

    given = Metadata.load(metadata_path) if metadata_path else None
    maker = get_model(model)(given, random_state=seed, **params, **privacy)
    started = time.perf_counter()
    doing = "fitting on a stream of every row" if stream else "fitting"
    with console.status(f"reading the dataset in chunks and {doing}…"):
        synth = fit_dataset(maker, data, sample_rows=sample_rows or 1_000_000, seed=seed,
                            scheduler=scheduler, workers=workers, on_violation=on_violation,
                            stream=stream)
    took = time.perf_counter() - started
    synth.save(output)
    name = model if synth.name == model else f"{model} → {synth.name}"
    rows = "" if privacy else f" of {synth.n_rows_:,} rows"
    console.print(f"Fitted [bold]{name}[/] on a dataset{rows} in {took:.2f} s; saved to "
                  f"[bold]{output}[/] ({output.stat().st_size / 1024:,.0f} KiB).")
