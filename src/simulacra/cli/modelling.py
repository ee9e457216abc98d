"""Commands around a model: ``metadata``, ``fit``, ``sample``, ``impute``, ``models``, ``demo``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from simulacra.cli.common import (
    DeltaOption,
    EpsilonOption,
    FairMethod,
    FileFormat,
    ForceOption,
    KeepOption,
    ModelOption,
    OnViolation,
    ParamOption,
    QuietOption,
    SchedulerOption,
    SeedOption,
    SensitiveOption,
    WorkersOption,
    check_outputs,
    console,
    err_console,
    friendly,
    metadata_summary,
    model_params,
    names_option,
    parse_pairs,
    print_metadata,
    print_privacy,
    privacy_option,
    progress_params,
    schema_or_input,
)
from simulacra.cli.scaling import (
    PartitionFormat,
    fit_from_dataset,
    sample_folder,
    wants_partitions,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pandas as pd

    from simulacra.constraints import ConstraintReport
    from simulacra.metadata import Metadata


@friendly
def metadata(
    data: Annotated[str | None, typer.Argument(
        help="CSV or Parquet file; or a database: a SQLAlchemy URL or a folder of CSV/Parquet "
        "files.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write metadata (.yaml or .json).")] = None,
    sequence_key: Annotated[str | None, typer.Option(
        "--sequence-key", help="An event table: the column naming each event's entity; the "
        "column ordering its events is detected, with the reason.")] = None,
    sequence_index: Annotated[str | None, typer.Option(
        "--sequence-index", help="With --sequence-key: the column ordering an entity's "
        "events, instead of detecting it.")] = None,
    sensitive: SensitiveOption = None,
    schema: Annotated[bool, typer.Option(
        "--schema", help="Print the JSON Schema of a metadata file (for editors) and exit.")
    ] = False,
    force: ForceOption = False,
) -> None:
    """Detect column kinds (and a database's keys), explain each decision, and optionally save
    them for editing.

    When the output file exists and declares constraints, they are kept in the new file.
    """
    from simulacra.cli.databases import database_metadata, is_database
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.metadata.json_schema import metadata_json_schema

    if schema_or_input(schema, data, metadata_json_schema, "give the DATA to detect metadata "
                       "from (a table, a folder or a database URL), or --schema"):
        return

    check_outputs({"--output": (output, "metadata")}, inputs=[data], force=force)
    if is_database(data):
        if sensitive:
            from simulacra.errors import ParameterError

            raise ParameterError("--sensitive is for one table; declare it in that table's "
                                 "metadata")
        database_metadata(data, output)
        return
    if sequence_index is not None and sequence_key is None:
        from simulacra.errors import ParameterError

        raise ParameterError("--sequence-index needs --sequence-key (the entity column)")
    md = Metadata.detect(read_table(data), sequence_key=sequence_key,
                         sequence_index=sequence_index)
    if sensitive:
        md.sensitive = names_option(sensitive)
        md.validate()
    print_metadata(md, f"Metadata of {data}")
    if md.sequence_key is not None or md.sensitive:
        console.print("\n".join(md.explain().splitlines()[len(md):]))
    if output is not None:
        if output.exists():
            for constraint in Metadata.load(output).constraints:
                md.add_constraint(constraint)
            if md.constraints:
                console.print(f"Kept {len(md.constraints)} constraints from {output}.")
        md.save(output)
        console.print(f"Saved metadata to [bold]{output}[/]; edit it, then pass it with "
                      "--metadata.")


@friendly
def fit(
    data: Annotated[str, typer.Argument(help="CSV or Parquet training table; or a database "
                                        "(a SQLAlchemy URL or a folder of CSV/Parquet files).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write (.simz).")],
    model: Annotated[str | None, typer.Option(
        "--model", "-m", help="Synthesizer name (see `simulacra models`); default auto (the "
        "best default for the table, as `demo` uses) for a table and for every table of a "
        "database (or per table: TABLE=MODEL,TABLE=MODEL); gaussian_copula for a dataset "
        "larger than memory; with --epsilon, name a model that takes a privacy budget.")
    ] = None,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON (from `simulacra metadata`); detected if absent.")
    ] = None,
    seed: SeedOption = None,
    param: ParamOption = None,
    epsilon: EpsilonOption = None,
    delta: DeltaOption = None,
    on_violation: Annotated[OnViolation, typer.Option(
        "--on-violation", help="Rows that break the metadata's constraints: drop them, keep "
        "them for learning (samples still follow the rules) or stop with an error.")
    ] = OnViolation.drop,
    keep: KeepOption = None,
    sequence_key: Annotated[str | None, typer.Option(
        "--sequence-key", help="An event table: the column naming each event's entity (a "
        "customer, a sensor); fits the sequential model, and `sample -n` counts entities.")
    ] = None,
    sequence_index: Annotated[str | None, typer.Option(
        "--sequence-index", help="With --sequence-key: the column ordering an entity's "
        "events (a date or a counter); detected when absent.")] = None,
    context_path: Annotated[Path | None, typer.Option(
        "--context", help="With --sequence-key: CSV/Parquet with one row per entity (the key "
        "and the entity's own columns), joined to its events as their context.")] = None,
    window: Annotated[int | None, typer.Option(
        "--window", min=2, help="A time series (rows in time order): cut it into overlapping "
        "windows of this many rows, each an entity of the sequential model (or of "
        "--model window-diffusion: all windows at once, for many numeric columns); "
        "`sample -n` then counts windows.")] = None,
    stride: Annotated[int, typer.Option(
        "--stride", min=1, help="With --window: rows between the starts of two windows.")] = 1,
    sample_rows: Annotated[int | None, typer.Option(
        "--sample-rows", min=1, help="A dataset larger than memory (a glob such as "
        "'rows/*.parquet', or a folder from `sample --partitions`): read it in chunks, fix "
        "each column's domain from exact statistics and learn from a uniform sample of this "
        "many rows (default 1000000).", rich_help_panel="Scale-out")] = None,
    stream: Annotated[bool, typer.Option(
        "--stream", help="A dataset larger than memory, -m autoregressive, tabddpm or tvae: "
        "train on every row, each epoch the next --sample-rows rows of the dataset read in a "
        "stream (the sample fixes the vocabulary and the held-out rows).",
        rich_help_panel="Scale-out")
    ] = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fit a synthesizer on a table and save it (hyperparameters with -p KEY=VALUE).

    With --epsilon (and optionally --delta) the fit is differentially private and the budget
    spent is printed by stage. Constraints in the --metadata file are checked on the data and
    followed by every sampled row. With --sequence-key the table is a table of events, one
    sequence per entity (`simulacra fit events.csv --sequence-key user -o m.simz`). With
    --window the table is one long series, learned as its windows
    (`simulacra fit series.csv --window 24 --sequence-index date -o m.simz`; add
    `--model window-diffusion` for a series of many numeric columns).
    """
    from simulacra.cli.databases import fit_database, is_database
    from simulacra.cli.sequences import fit_events, wants_sequences
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.models import get_model
    from simulacra.scale.dataset import is_dataset

    check_outputs({"--output": (output, "model")},
                  inputs=[data, metadata_path, context_path], force=force)
    if is_dataset(data) or sample_rows is not None:
        fit_from_dataset(data, output, model=model or "gaussian_copula",
                         metadata_path=metadata_path, seed=seed,
                         params=model_params(model or "gaussian_copula", param),
                         privacy=privacy_option(epsilon, delta),
                         on_violation=OnViolation(on_violation).value,
                         sample_rows=sample_rows, workers=workers, scheduler=scheduler,
                         stream=stream)
        return
    if stream:
        from simulacra.errors import ParameterError

        raise ParameterError("--stream trains on a dataset larger than memory: give a glob "
                             "('rows/*.parquet') or --sample-rows")
    if workers is not None or scheduler is not None:
        from simulacra.errors import ParameterError

        raise ParameterError("--workers and --scheduler read a dataset larger than memory: "
                             "give a glob ('rows/*.parquet') or --sample-rows")
    if is_database(data):
        if epsilon is not None:
            from simulacra.errors import ParameterError

            raise ParameterError("--epsilon is not available for databases yet: fit each "
                                 "table on its own with a privacy budget")
        fit_database(data, metadata_path, model, seed, param, None, keep).save(output)
        console.print(f"Saved the database model to [bold]{output}[/].")
        return
    if keep:
        from simulacra.errors import ParameterError

        raise ParameterError("--keep names tables of a database; a single table is fitted "
                             "whole")
    given_md = Metadata.load(metadata_path) if metadata_path else None
    if wants_sequences(model, sequence_key, given_md) or window is not None:
        fit_events(data, output, model=model, given=given_md, metadata_path=metadata_path,
                   sequence_key=sequence_key, sequence_index=sequence_index,
                   context_path=context_path, seed=seed,
                   params=model_params(model if model == "window-diffusion" else "sequential",
                                       param),
                   windows=None if window is None else (window, stride),
                   privacy=privacy_option(epsilon, delta))
        return
    if sequence_index is not None or context_path is not None:
        from simulacra.errors import ParameterError

        raise ParameterError("--sequence-index and --context are for event tables: give "
                             "--sequence-key too")
    model = model or "auto"
    privacy = privacy_option(epsilon, delta, model)  # refused before the data is read
    params = progress_params(model, model_params(model, param), quiet)
    frame = read_table(data)
    md, title = _table_metadata(frame, given_md, metadata_path, bool(privacy))
    if not quiet:
        console.print(escape(metadata_summary(md, title)))
    maker = get_model(model)(md, random_state=seed, **params, **privacy)
    started = time.perf_counter()
    synth = maker.fit(frame, on_violation=OnViolation(on_violation).value)  # auto: the chosen
    fitted = time.perf_counter() - started
    synth.save(output)
    if synth.name != model:
        model = f"{model} → {synth.name}"
    size = f"{frame.shape[1]} columns" if privacy else \
        f"{len(frame):,} rows x {frame.shape[1]} columns"  # under DP the row count is private
    console.print(f"Fitted [bold]{model}[/] on {size} in {fitted:.2f} s; saved to "
                  f"[bold]{output}[/] ({output.stat().st_size / 1024:,.0f} KiB).")
    report = getattr(synth, "privacy_report_", None)
    if report is not None:
        print_privacy(report)
    protected = getattr(synth, "protection_report_", None)
    if protected:
        names = ", ".join(list(protected)[:6]) + (" …" if len(protected) > 6 else "")
        console.print(f"Value protection: rare categories or extreme values replaced in "
                      f"{len(protected)} columns ({names}); -p value_protection=false turns "
                      f"it off.", highlight=False)
    rules = getattr(synth, "constraint_report_", None)
    if rules is not None:
        _print_constraints(rules)


def _table_metadata(frame: pd.DataFrame, given: Metadata | None, path: Path | None,
                    private: bool) -> tuple[Metadata, str]:
    """The metadata of a table fit and the title of its summary line: the file's; else, under
    a privacy budget, the kinds of the column types alone (detection reads the values, and
    its choices depend on them); else detected."""
    from simulacra.metadata import Metadata

    if given is not None:
        return given, f"Metadata from {path}" + (" — reasons withheld: they quote the rows"
                                                 if private else "")
    if private:
        return Metadata.from_structure(frame), ("Metadata from the column types only (no "
                                                "values read under --epsilon; give --metadata "
                                                "for finer kinds)")
    return Metadata.detect(frame), "Metadata (detected)"


def _print_constraints(report: ConstraintReport) -> None:
    table = Table(title=f"Constraints ({report.rows_used:,} of {report.rows:,} rows used, "
                        f"on_violation={report.on_violation})", title_justify="left")
    table.add_column("constraint")
    table.add_column("violations", justify="right")
    table.add_column("held by")
    for check in report.checks:
        table.add_row(check.constraint, f"{check.violations:,}", report.held_by(check))
    console.print(table)


@friendly
def sample(
    model_path: Annotated[Path, typer.Argument(help="Model file from `simulacra fit`.")],
    output: Annotated[str, typer.Option("--output", "-o", help="CSV or Parquet to write ('-': "
                                        "CSV on standard output); for "
                                        "a database model a SQLAlchemy URL or a folder.")],
    n: Annotated[int | None, typer.Option("-n", "--rows",
                                          help="Rows to generate (default: as many as "
                                          "the training table had); entities for a "
                                          "sequential model.")] = None,
    seed: SeedOption = None,
    condition: Annotated[list[str] | None, typer.Option(
        "--condition", "-c", help="Only rows with COLUMN=VALUE (repeat; VALUE in YAML, "
        "null for missing, [low, high] for a range); for a sequential model, entities with "
        "that context value.")] = None,
    known_path: Annotated[Path | None, typer.Option(
        "--known", help="CSV/Parquet of known values (some columns): one synthetic row per "
        "row, with those values and the other columns drawn given them.")] = None,
    rebalance: Annotated[str | None, typer.Option(
        "--rebalance", "-r", help="Target shares of one column's categories, COLUMN=SHARES "
        "with SHARES in YAML, e.g. -r 'income={\">50K\": 0.5}'; other categories share the "
        "rest as the model has them; for a sequential model, shares of entities.")] = None,
    fair_target: Annotated[str | None, typer.Option(
        "--fair-target", help="Fairness-aware sampling: give every group of the sensitive "
        "columns (--sensitive, else the model's metadata) this column's distribution in the "
        "whole sample (see --fair-method).")] = None,
    sensitive: SensitiveOption = None,
    fair_method: Annotated[FairMethod | None, typer.Option(
        "--fair-method", help="With --fair-target: draw each group's rows given its target "
        "values (default for classes), or relabel the targets of as few rows as possible and "
        "keep the other columns (default for numbers and dates).")] = None,
    fair_strong: Annotated[bool, typer.Option(
        "--fair-strong", help="With --fair-target (binary, relabelling): equal "
        "distributions of the target's probability across groups, not only equal shares "
        "(strong statistical parity).")] = False,
    scale: Annotated[float, typer.Option("--scale", help="Database models: size against the "
                                         "source (0.5: half).")] = 1.0,
    replace: Annotated[bool, typer.Option("--replace", help="Database models: replace tables "
                                          "the target already has; a folder of partitions: "
                                          "replace it.")] = False,
    context_path: Annotated[Path | None, typer.Option(
        "--context", help="Sequential models: CSV/Parquet of entities (their context "
        "columns, optionally the key); one sequence drawn per row.")] = None,
    prefixes_path: Annotated[Path | None, typer.Option(
        "--prefixes", help="Sequential models: CSV/Parquet of the first events of some "
        "entities; writes the events that follow (a forecast).")] = None,
    events: Annotated[int | None, typer.Option(
        "--events", help="With --prefixes: new events per entity (default: until the model "
        "stops the sequence).")] = None,
    partitions: Annotated[int | None, typer.Option(
        "--partitions", help="Write OUTPUT as a folder of this many files (default: one per "
        "million rows); the same files for any number of workers, and a run that was "
        "interrupted resumes.", rich_help_panel="Scale-out")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    file_format: Annotated[PartitionFormat | None, typer.Option(
        "--format", help="Partitions: the files' format (default parquet).",
        rich_help_panel="Scale-out")] = None,
    chunk_rows: Annotated[int | None, typer.Option(
        "--chunk-rows", min=1, help="Rows drawn at once (default 100000): a sample larger "
        "than this is streamed to its file chunk by chunk, chunk i drawn from the i-th child "
        "of the seed (the rows a partitioned draw and the HTTP service give for that seed); "
        "for partitions, a Parquet row group; for a sequence model, entities drawn at once "
        "(default 50000).", rich_help_panel="Scale-out")] = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Generate a synthetic table (or database) from a saved model."""
    from simulacra.multitable.loading import load

    synth = load(model_path)
    shows_progress = "verbose" in getattr(type(synth), "_param_names", lambda: [])()
    if shows_progress:  # a bar of rows drawn on standard error, on a terminal only
        synth.verbose = not quiet and err_console.is_terminal
    spread = (partitions, workers, scheduler, file_format)
    if synth.name in ("sequential", "window-diffusion") and any(
            x is not None for x in spread):
        from simulacra.errors import ParameterError

        raise ParameterError(f"--partitions, --workers, --scheduler and --format are for "
                             f"single-table and database models; this is a {synth.name} model "
                             "(its -n draws are written in chunks of --chunk-rows entities)")
    if synth.name == "relational" and chunk_rows is not None:
        from simulacra.errors import ParameterError

        raise ParameterError("--chunk-rows is for single-table models; a database model's "
                             "partition is a whole database at --scale / --partitions")
    folder = wants_partitions(output, partitions, workers, scheduler, file_format)
    to_stdout = output == "-"
    if to_stdout and (folder or synth.name in ("relational", "sequential", "window-diffusion")):
        from simulacra.errors import ParameterError

        raise ParameterError("-o - (CSV on standard output) is for single-table models; a "
                             f"{synth.name if not folder else 'partitioned'} sample needs a "
                             "file, folder or database URL")
    if synth.name != "relational" and not folder and not to_stdout:  # a folder otherwise
        check_outputs({"--output": (output, "table")}, force=force,
                      inputs=[model_path, known_path, context_path, prefixes_path])
    if synth.name == "relational":
        from simulacra.cli.databases import sample_database
        from simulacra.errors import ParameterError

        if n is not None or condition or known_path or rebalance or fair_target or sensitive:
            raise ParameterError("a database model takes --scale (and --seed, --replace), not "
                                 "-n, --condition, --known, --rebalance, --fair-target or "
                                 "--sensitive")
        sample_database(synth, output, scale, seed, replace, partitions=partitions,
                        workers=workers, scheduler=scheduler, fmt=file_format,
                        model_path=model_path)
        return
    if scale != 1.0 or (replace and not folder):
        from simulacra.errors import ParameterError

        raise ParameterError("--scale and --replace are for database models (and --replace "
                             "for a folder of partitions); give -n ROWS")
    if synth.name in ("sequential", "window-diffusion"):
        from simulacra.cli.sequences import sample_events
        from simulacra.errors import ParameterError

        if known_path is not None:
            raise ParameterError("a sequential model completes entities from --context "
                                 "(their context columns), not --known")
        if fair_target is not None or sensitive:
            raise ParameterError("--fair-target and --sensitive are for single-table models")
        sample_events(synth, output, n=n, seed=seed, context_path=context_path,
                      prefixes_path=prefixes_path, events=events,
                      conditions=parse_pairs(condition, "--condition"),
                      shares=parse_pairs([rebalance], "--rebalance") if rebalance else None,
                      chunk_entities=chunk_rows)
        return
    if context_path is not None or prefixes_path is not None or events is not None:
        from simulacra.errors import ParameterError

        raise ParameterError("--context, --prefixes and --events are for sequential models "
                             "(fit with --sequence-key)")
    fairness = None
    if fair_target is not None:
        fairness = {"target": fair_target, "sensitive": names_option(sensitive) or None,
                    "strong": fair_strong,
                    "method": None if fair_method is None else fair_method.value}
    elif sensitive or fair_strong or fair_method is not None:
        from simulacra.errors import ParameterError

        raise ParameterError("--sensitive, --fair-method and --fair-strong on sample need "
                             "--fair-target (the column to make independent of the "
                             "sensitive groups)")
    if n is None and synth.n_rows_ is None:
        from simulacra.errors import ParameterError

        raise ParameterError(f"{model_path} was fitted under a privacy budget and keeps no row "
                             "count (it would reveal the table's size): give -n ROWS")
    rows = synth.n_rows_ if n is None else n
    conditions = parse_pairs(condition, "--condition")
    started = time.perf_counter()
    shares = parse_pairs([rebalance], "--rebalance") if rebalance else None
    if folder:
        if known_path is not None:
            from simulacra.errors import ParameterError

            raise ParameterError("--known completes given rows into one table; it does not "
                                 "combine with --partitions, --workers or --scheduler")
        if fairness is not None:
            raise ParameterError("--fair-target evens out the target over one whole sample; "
                                 "it does not combine with --partitions, --workers or "
                                 "--scheduler")
        sample_folder(model_path, output, n=n, seed=seed, conditions=conditions,
                      shares=shares, partitions=partitions, workers=workers,
                      scheduler=scheduler, fmt=file_format, chunk_rows=chunk_rows,
                      replace=replace, training_rows=synth.n_rows_)
        return
    if known_path is not None:
        from simulacra.errors import ParameterError
        from simulacra.io import read_table

        if conditions or shares or n is not None or fairness is not None:
            raise ParameterError("--known gives the rows to complete: it does not combine "
                                 "with -n, --condition, --rebalance or --fair-target")
        chunks = _once(lambda: synth.sample_remaining_columns(read_table(known_path),
                                                              rng=seed))
        chunk = None
    elif fairness is None and rows > (chunk := chunk_rows or _default_chunk_rows()):
        import secrets

        from simulacra.randomness import sample_in_chunks

        seed = secrets.randbits(63) if seed is None else seed
        chunks = sample_in_chunks(synth, rows, seed, chunk, conditions=conditions or None,
                                  rebalance=shares)
    else:  # one draw: the rows of `synth.sample(rows, rng=seed)`
        chunks = _once(lambda: synth.sample(rows, rng=seed, conditions=conditions or None,
                                            rebalance=shares, fairness=fairness))
        chunk = None
    import contextlib

    alive = err_console.status("sampling…") if not (
        quiet or shows_progress or not err_console.is_terminal) else contextlib.nullcontext()
    with alive:
        if to_stdout:  # the rows alone on standard output, for a pipe
            _write_stdout(chunks)
            return
        from simulacra.io import write_table_chunks

        written, columns = write_table_chunks(chunks, output)
    took = time.perf_counter() - started
    how = "" if chunk is None else f" (in chunks of {chunk:,} rows, seed {seed})"
    console.print(f"Sampled {written:,} rows x {columns} columns in {took:.2f} s{how}; "
                  f"wrote [bold]{output}[/].")


def _once(draw: Callable[[], pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The one table ``draw`` gives, drawn when the writer asks for it (as chunks are)."""
    yield draw()


def _default_chunk_rows() -> int:
    from simulacra.scale.plan import DEFAULT_CHUNK_ROWS

    return DEFAULT_CHUNK_ROWS


def _write_stdout(chunks: Iterator[pd.DataFrame]) -> None:
    """Write a table's chunks as one CSV on standard output; a reader that stops early
    (``| head``) is not an error."""
    import os
    import sys

    from simulacra.io import write_csv_stream

    try:
        for i, frame in enumerate(chunks):
            write_csv_stream(frame, sys.stdout, header=i == 0)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush is quiet


@friendly
def impute(
    model_path: Annotated[Path, typer.Argument(help="Autoregressive model file "
                                               "(`simulacra fit -m autoregressive`).")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table with missing values.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet to write.")],
    seed: SeedOption = None,
    force: ForceOption = False,
) -> None:
    """Fill the missing values of a table, each given the rest of its row."""
    from simulacra.errors import ParameterError
    from simulacra.io import read_table, write_table
    from simulacra.models import load

    check_outputs({"--output": (output, "table")}, inputs=[model_path, data], force=force)
    synth = load(model_path)
    if not hasattr(synth, "impute"):
        raise ParameterError(f"{model_path} holds a {synth.name} model, which cannot impute; "
                             "fit one with --model autoregressive")
    frame = read_table(data)
    started = time.perf_counter()
    filled = synth.impute(frame, rng=seed)
    took = time.perf_counter() - started
    write_table(filled, output)
    before, after = int(frame.isna().sum().sum()), int(filled.isna().sum().sum())
    console.print(f"Filled {before - after:,} missing values in {took:.2f} s "
                  f"({after:,} left in columns the model does not cover); "
                  f"wrote [bold]{output}[/].")


def models() -> None:
    """List the available synthesizers."""
    from simulacra.models import MODELS, SEQUENCE_MODELS, WINDOW_MODELS

    table = Table(title="Synthesizers", title_justify="left")
    table.add_column("name")
    table.add_column("what it is")
    for name, cls in MODELS.items():
        table.add_row(name, escape(summary_line(cls.__doc__)))
    for name, cls in {**SEQUENCE_MODELS, **WINDOW_MODELS}.items():
        table.add_row(name, escape(summary_line(cls.__doc__) + " (event tables: fit with "
                                   "--sequence-key or --window)"))
    console.print(table)


def summary_line(doc: str | None) -> str:
    """A docstring's first line as plain text: Sphinx roles and literals unwrapped, a
    parenthesised cross-reference dropped.

    >>> summary_line("Picks a model (:func:`choose_model`) for ``simulacra[deep]``.\\n\\nMore.")
    'Picks a model for simulacra[deep].'
    >>> summary_line("A :class:`~simulacra.models.gaussian_copula.GaussianCopula` twin.")
    'A GaussianCopula twin.'
    """
    import re

    line = (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""
    line = re.sub(r"\s*\(:\w+:`[^`]+`\)", "", line)
    line = re.sub(r":\w+:`~?([^`]+)`", lambda m: m.group(1).rsplit(".", 1)[-1], line)
    return line.replace("``", "")


@friendly
def demo(
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o",
                                             help="Where to write the results.")
                          ] = Path("simulacra-demo"),
    model: ModelOption = "auto",
    file_format: Annotated[FileFormat, typer.Option(
        "--format", help="The format of the tables written.")] = FileFormat.csv,
    seed: SeedOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Fit a synthesizer on the bundled Adult census table and write a synthetic copy."""
    if not quiet:  # first, before the heavier imports: the user sees it start
        console.print(f"simulacra demo: {escape(model)} on the bundled Adult census table, "
                      f"written to {escape(str(output_dir))}/")
    from simulacra.datasets import load_demo
    from simulacra.evaluation import evaluate
    from simulacra.io import write_table
    from simulacra.metadata import Metadata
    from simulacra.models import get_model

    file_format = FileFormat(file_format).value
    out = output_dir / f"adult_synthetic.{file_format}"
    real_out = output_dir / f"adult_real.{file_format}"
    md_out, model_out = output_dir / "adult_metadata.yaml", output_dir / "adult_model.simz"
    check_outputs({"--output-dir (synthetic table)": (out, "table"),
                   "--output-dir (real table)": (real_out, "table"),
                   "--output-dir (metadata)": (md_out, "metadata"),
                   "--output-dir (model)": (model_out, "model")})
    real = load_demo()
    if not quiet:
        console.print(f"Fitting {escape(model)} on {len(real):,} rows x {real.shape[1]} "
                      "columns…")
    md = Metadata.detect(real)
    maker = get_model(model)(md, random_state=seed, **progress_params(model, {}, quiet))
    t0 = time.perf_counter()
    synth = maker.fit(real)  # "auto" returns the model it chose
    t1 = time.perf_counter()
    fake = synth.sample(len(real))
    t2 = time.perf_counter()
    write_table(fake, out)
    write_table(real, real_out)  # so that the hint below can be followed as printed
    md.save(md_out)
    synth.save(model_out)

    label = model if synth.name == model else f"{model} → {synth.name}"
    table = Table(title=f"simulacra demo: {label} on Adult (UCI, CC BY 4.0)",
                  title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("real rows x columns", f"{len(real):,} x {real.shape[1]}")
    table.add_row("synthetic rows x columns", f"{len(fake):,} x {fake.shape[1]}")
    table.add_row("fit time", f"{t1 - t0:.2f} s")
    table.add_row("sample time", f"{t2 - t1:.2f} s")
    same = sum(str(real[c].dtype) == str(fake[c].dtype) for c in real.columns)
    table.add_row("columns with the real dtype", f"{same} of {real.shape[1]}")
    quality = evaluate(real, fake, metadata=md, metrics=["fidelity"])
    table.add_row("shape / trend (1 = perfect)",
                  f"{quality.value('shape'):.3f} / {quality.value('trend'):.3f}")
    table.add_row("full report", escape(f"simulacra evaluate {real_out} {out} --target "
                                        "income --report report.html"))
    table.add_row("real data", str(real_out))
    table.add_row("synthetic data", str(out))
    table.add_row("metadata", str(md_out))
    table.add_row("model", str(model_out))
    console.print(table)
    preview = Table(title="First three synthetic rows, one column per line",
                    title_justify="left")
    preview.add_column("column", no_wrap=True, min_width=14)
    preview.add_column("kind", no_wrap=True, min_width=11)
    for i in range(3):
        preview.add_column(f"row {i}", overflow="ellipsis", no_wrap=True, max_width=16)
    for col in fake.columns:
        preview.add_row(col, md[col].kind, *(str(v) for v in fake[col].head(3)))
    console.print(preview)
