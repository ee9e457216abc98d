"""Commands on databases: ``clone``, and the database side of ``metadata``, ``fit``, ``sample``
and ``evaluate`` (a SOURCE that is a SQLAlchemy URL or a folder of CSV/Parquet files)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from simulacra.cli.common import (
    KeepOption,
    ParamOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    check_outputs,
    console,
    friendly,
    names_option,
    parse_pairs,
)

if TYPE_CHECKING:
    from simulacra.metadata import DatabaseMetadata
    from simulacra.multitable.synthesizer import RelationalSynthesizer


def is_database(source: str | Path) -> bool:
    """A SQLAlchemy URL, a SQLite file name, or a folder (of CSV/Parquet tables)."""
    from simulacra.multitable.sql_engine import is_database_url

    return is_database_url(source) or Path(source).is_dir()


def shown(source: str | Path) -> str:
    """``source`` as it may be printed (a URL's password hidden)."""
    from simulacra.multitable.sql_engine import is_database_url, redact

    return redact(str(source)) if is_database_url(source) else str(source)


def read_source(source: str, tables: list[str] | None, metadata_path: Path | None
                ) -> tuple[dict[str, Any], DatabaseMetadata]:
    from simulacra.metadata import DatabaseMetadata
    from simulacra.multitable.sources import read_database

    with console.status(f"reading {shown(source)}…"):
        frames, meta = read_database(source, tables=tables)
    if metadata_path is not None:
        meta = DatabaseMetadata.load(metadata_path)
    return frames, meta


def write_target(frames: dict[str, Any], meta: DatabaseMetadata, source: str | None,
                 target: str, replace: bool) -> None:
    """Write ``frames`` to ``target``: the source's SQL column types where it had them; orphan
    keys (a source with unenforced keys) written as nulls into a database that enforces them."""
    from simulacra.multitable.sources import read_column_types, write_database
    from simulacra.multitable.sql_engine import is_database_url

    types = read_column_types(source, tables=list(frames)) \
        if source is not None and is_database_url(source) else None
    into_sql = is_database_url(target)
    orphans = meta.orphans(frames)
    if into_sql and any(orphans.values()):
        broken = ", ".join(f"{k} ({v:.1%})" for k, v in orphans.items() if v)
        console.print(f"[yellow]note:[/] the foreign keys {broken} have orphans, as the source "
                      "had; the target enforces its keys, so they are written as nulls.")
    with console.status(f"writing {shown(target)}…"):
        write_database(frames, meta, target, replace=replace, source_types=types,
                       orphans="null" if into_sql else None)


def print_database(meta: DatabaseMetadata, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("table / key")
    table.add_column("what")
    table.add_column("why")
    for name in meta:
        key = meta.primary_keys.get(name)
        table.add_row(name, f"{len(meta[name])} columns; key ({', '.join(key)})" if key
                      else f"{len(meta[name])} columns; no key", meta.key_reasons.get(name, ""))
    for fk in meta.foreign_keys:
        table.add_row(fk.name, f"→ {fk.parent}.{'+'.join(fk.parent_columns)}", fk.reason)
    console.print(table)


def database_metadata(source: str, output: Path | None) -> None:
    """``simulacra metadata SOURCE`` for a database."""
    frames, meta = read_source(source, None, None)
    print_database(meta, f"Database metadata of {shown(source)}")
    for problem in meta.problems(frames):
        console.print(f"[red]problem:[/] {problem}")
    for note in meta.notes(frames):
        console.print(f"[yellow]note:[/] {note}")
    if output is not None:
        meta.save(output)
        console.print(f"Saved database metadata to [bold]{output}[/]; edit it, then pass it "
                      "with --metadata.")


def _table_params(pairs: list[str] | None) -> dict[str, dict[str, Any]]:
    """``-p order.epochs=50`` → ``{"order": {"epochs": 50}}``."""
    from simulacra.errors import ParameterError

    out: dict[str, dict[str, Any]] = {}
    for key, value in parse_pairs(pairs, "--param").items():
        table, dot, name = key.partition(".")
        if not dot or not table or not name:
            raise ParameterError(f"--param {key}=... for a database must name the table: "
                                 "TABLE.KEY=VALUE, e.g. -p order.epochs=50")
        out.setdefault(table, {})[name] = value
    return out


def models_option(text: str | None) -> str | dict[str, str]:
    """``--model auto`` (every table), or per table: ``--model account=bayesian_network,loan=
    gaussian_copula`` (tables left out get ``auto``).

    >>> models_option("gaussian_copula"), models_option("a=bayesian_network, b=sequential")
    ('gaussian_copula', {'a': 'bayesian_network', 'b': 'sequential'})
    """
    from simulacra.errors import ParameterError

    if not text or "=" not in text:
        return text or "auto"
    out = {}
    for item in (part.strip() for part in text.split(",") if part.strip()):
        table, eq, name = (x.strip() for x in item.partition("="))
        if not eq or not table or not name:
            raise ParameterError(f"--model {text!r}: give one model name, or TABLE=MODEL "
                                 "pairs separated by commas, e.g. account=bayesian_network,"
                                 "loan=gaussian_copula")
        out[table] = name
    return out


def fit_database(source: str, metadata_path: Path | None, model: str | None, seed: int | None,
                 params: list[str] | None, tables: list[str] | None,
                 keep: list[str] | None = None) -> RelationalSynthesizer:
    from simulacra.multitable.synthesizer import RelationalSynthesizer

    frames, meta = read_source(source, tables, metadata_path)
    print_database(meta, "Database metadata" + (f" from {metadata_path}" if metadata_path
                                                 else f" of {shown(source)}"))
    synth = RelationalSynthesizer(meta, model=models_option(model),
                                  model_params=_table_params(params),
                                  keep=names_option(keep), random_state=seed)
    started = time.perf_counter()
    with console.status("fitting…"):
        synth.fit(frames)
    summary = Table(title=f"Fitted in {time.perf_counter() - started:.1f} s",
                    title_justify="left")
    for column in ("table", "rows", "model", "seconds"):
        summary.add_column(column, justify="left" if column in ("table", "model") else "right")
    for name in meta.table_order():
        fitted = synth.models_[name]
        what = "(kept)" if name in synth.kept_ else fitted.name if fitted else "(keys)"
        summary.add_row(name, f"{synth.n_rows_[name]:,}", what, f"{synth.fit_seconds_[name]:.1f}")
    console.print(summary)
    if synth.kept_:
        console.print(f"[yellow]note:[/] kept as they are: {', '.join(synth.kept_)}. Their "
                      "rows and their rows' numbers of children are in the model and in every "
                      "synthetic copy: public tables only.")
    return synth


def sample_database(synth: RelationalSynthesizer, output: str, scale: float, seed: int | None,
                    replace: bool, *, partitions: int | None = None,
                    workers: int | None = None, scheduler: str | None = None,
                    fmt: Any = None, model_path: Path | None = None) -> None:
    """Write ``synth``'s draw to ``output`` (a database URL or folder), or, with any of
    ``partitions``/``workers``/``scheduler``/``fmt``, to a folder per table of partition
    files (``model_path``: the saved model the workers load, when there is one)."""
    if any(x is not None for x in (partitions, workers, scheduler, fmt)):
        from simulacra.cli.scaling import sample_database_folder
        from simulacra.errors import ParameterError
        from simulacra.multitable.sql_engine import is_database_url, redact

        if is_database_url(output):
            raise ParameterError(f"--partitions, --workers, --scheduler and --format write a "
                                 f"folder per table of files, not into {redact(output)}; give "
                                 "a folder (and load its Parquet files with the database's "
                                 "bulk loader), or leave them out to write the database")

        sample_database_folder(model_path or synth, output, scale=scale, seed=seed,
                               partitions=partitions, workers=workers, scheduler=scheduler,
                               fmt=fmt, replace=replace)
        return
    started = time.perf_counter()
    with console.status("sampling…"):
        frames = synth.sample(scale, rng=seed)
    took = time.perf_counter() - started
    write_target(frames, synth.metadata_, None, output, replace)
    rows = sum(len(f) for f in frames.values())
    console.print(f"Sampled {len(frames)} tables, {rows:,} rows in {took:.2f} s; wrote "
                  f"[bold]{shown(output)}[/].")


@friendly
def clone(
    source: Annotated[str, typer.Argument(help="The real database: a SQLAlchemy URL "
                                          "(sqlite:///in.db, postgresql://...) or a folder of "
                                          "CSV/Parquet files.")],
    target: Annotated[str, typer.Argument(help="Where the synthetic database goes: a URL or "
                                          "a folder.")],
    scale: Annotated[float, typer.Option("--scale", help="Size of the synthetic database "
                                         "against the source (0.5: half).")] = 1.0,
    model: Annotated[str, typer.Option("--model", "-m", help="Synthesizer of every table "
                                       "(see `simulacra models`), or per table: "
                                       "TABLE=MODEL,TABLE=MODEL (the rest: auto).")] = "auto",
    seed: SeedOption = None,
    tables: Annotated[list[str] | None, typer.Option(
        "--tables", help="Only these tables (repeat, or a comma list).")] = None,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Database metadata YAML (from `simulacra metadata SOURCE`).")
    ] = None,
    param: ParamOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace tables the target "
                                          "already has.")] = False,
    subset_spec: Annotated[str | None, typer.Option(
        "--subset", help="Copy a consistent slice of the REAL database instead of "
        "synthesizing: 'customers: 1%' (every row the chosen rows need comes along).")] = None,
    model_output: Annotated[Path | None, typer.Option(
        "--save-model", help="Also save the fitted database model (.simz).")] = None,
    keep: KeepOption = None,
    partitions: Annotated[int | None, typer.Option(
        "--partitions", help="Write TARGET as a folder per table of this many partition "
        "files, each a database of --scale / P (default with --workers or --scheduler: one "
        "per unit of --scale); the same files for any number of workers, resumable.",
        rich_help_panel="Scale-out")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """A synthetic copy of a database: every table fitted, generated parents-first, written
    with the same keys and constraints in one transaction (or, with --partitions, --workers or
    --scheduler, as partition files on a Dask cluster)."""
    chosen = names_option(tables) or None
    check_outputs({"--save-model": (model_output, "model")}, inputs=[source, metadata_path])
    if subset_spec is not None:
        if keep:
            from simulacra.errors import ParameterError

            raise ParameterError("--keep is for a synthetic copy; --subset copies real rows of "
                                 "every table already")
        from simulacra.multitable.subset import parse_subset_spec, subset

        frames, meta = read_source(source, chosen, metadata_path)
        started = time.perf_counter()
        part = subset(frames, meta, parse_subset_spec(subset_spec), random_state=seed)
        write_target(part, meta, source, target, replace)
        counts = ", ".join(f"{t}: {len(f):,}" for t, f in part.items())
        console.print(f"Copied a consistent subset ({counts} rows) "
                      f"of the real database in {time.perf_counter() - started:.1f} s to "
                      f"[bold]{shown(target)}[/]. These are real rows, not synthetic ones.")
        return
    synth = fit_database(source, metadata_path, model, seed, param, chosen, keep)
    if model_output is not None:
        synth.save(model_output)
        console.print(f"Saved the database model to [bold]{model_output}[/].")
    sample_database(synth, target, scale, seed, replace, partitions=partitions,
                    workers=workers, scheduler=scheduler, model_path=model_output)


def evaluate_databases(real: str, synthetic: str, *, holdout: str | None, target: str | None,
                       report: Path | None, json_path: Path | None, metadata_path: Path | None,
                       seed: int, metrics: str,
                       text_options: dict[str, Any] | None = None) -> None:
    """``simulacra evaluate SOURCE TARGET`` for two databases (``text_options``: the
    ``--text-option`` settings, for every text column of every table)."""
    from simulacra.evaluation.database import evaluate_database
    from simulacra.metadata import DatabaseMetadata
    from simulacra.multitable.sources import read_database

    frames, meta = read_source(real, None, metadata_path)
    with console.status(f"reading {shown(synthetic)}…"):
        fake, _ = read_database(synthetic, tables=list(meta))
    held = read_database(holdout, tables=list(meta))[0] if holdout else None
    groups = "all" if metrics == "all" else [m.strip() for m in metrics.split(",") if m.strip()]
    with console.status("evaluating…") as status:
        result = evaluate_database(
            frames, fake, meta if isinstance(meta, DatabaseMetadata) else None, holdout=held,
            target=target, metrics=groups, random_state=seed, text_options=text_options,
            progress=lambda stage: status.update(f"evaluating: {stage}…"))
    console.print(result.summary_text())
    if json_path is not None:
        result.to_json(json_path)
        console.print(f"Wrote figures to [bold]{json_path}[/].")
    if report is not None:
        result.save_html(report)
        console.print(f"Wrote the HTML report to [bold]{report}[/].")
