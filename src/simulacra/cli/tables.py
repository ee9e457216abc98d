"""Commands that make tables without a model: ``pseudonymize`` and ``generate``."""

from __future__ import annotations

import contextlib
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulacra.cli.common import (
    ForceOption,
    QuietOption,
    SeedOption,
    check_outputs,
    console,
    err_console,
    friendly,
    schema_or_input,
)


class GeneratedFormat(str, Enum):
    """The format of generated tables written to a directory."""

    csv = "csv"
    csv_gz = "csv.gz"
    parquet = "parquet"


@friendly
def pseudonymize(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table with PII columns.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet to write.")],
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="File holding the secret key (else $SIMULACRA_PSEUDONYM_KEY); the "
        "same key gives the same mapping.")] = None,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON naming the PII columns; detected if absent.")
    ] = None,
    locale: Annotated[str, typer.Option("--locale", help="Faker locale.")] = "en_US",
    keep_email_domain: Annotated[bool, typer.Option(
        "--keep-email-domain", help="Keep the real domain of e-mail addresses.")] = False,
    force: ForceOption = False,
) -> None:
    """Replace the PII columns of a real table by consistent, keyed fake values."""
    import os

    from simulacra.errors import ParameterError
    from simulacra.io import read_table, write_table
    from simulacra.metadata import PII, Metadata
    from simulacra.pseudonymize import pseudonymize as run

    check_outputs({"--output": (output, "table")}, inputs=[data, key_file, metadata_path],
                  force=force)
    if key_file is not None:
        key = _read_key(key_file)
    else:
        key = os.environ.get("SIMULACRA_PSEUDONYM_KEY", "")
    if not key:
        raise ParameterError("a secret key is needed: --key-file PATH or the environment "
                             "variable SIMULACRA_PSEUDONYM_KEY")
    frame = read_table(data)
    md = Metadata.load(metadata_path) if metadata_path else Metadata.detect(frame)
    out = run(frame, md, key=key, locale=locale, keep_email_domain=keep_email_domain)
    write_table(out, output)
    pii = [n for n, spec in md.items() if isinstance(spec, PII)]
    console.print(f"Pseudonymized {len(pii)} PII column(s) {pii} in {len(out):,} rows; wrote "
                  f"[bold]{output}[/].")


def _read_key(path: Path) -> str:
    """The secret key in ``path``, stripped; a clear error when it cannot be read."""
    from simulacra.errors import ParameterError

    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ParameterError(f"--key-file {path}: no such file; give the file that holds the "
                             "secret key") from None
    except IsADirectoryError:
        raise ParameterError(f"--key-file {path} is a directory; give the file that holds the "
                             "secret key") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "it is not UTF-8 text"
        raise ParameterError(f"--key-file {path} cannot be read: {reason}") from None


@friendly
def generate(
    schema_path: Annotated[Path | None, typer.Argument(
        help="YAML schema (see docs/schema_generation.md).")] = None,
    n: Annotated[int | None, typer.Option(
        "-n", "--rows", help="Rows of the (first) table; the other tables scale with it "
        "(default: the schema's rows:).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="A .csv/.parquet file for one table, or a directory for one "
        "file per table (default: SCHEMA.csv, or the directory SCHEMA/).")] = None,
    file_format: Annotated[GeneratedFormat, typer.Option(
        "--format", help="File format in a directory.")] = GeneratedFormat.csv,
    seed: SeedOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
    schema: Annotated[bool, typer.Option(
        "--schema", help="Print the JSON Schema of a schema file (for editors) and exit.")
    ] = False,
) -> None:
    """Generate test data from a schema alone (no real data): one file per table."""
    from simulacra.schema import GenerationSchema, generate_tables, write_generated
    from simulacra.schema.json_schema import generation_json_schema
    from simulacra.schema.writers import is_table_file

    if schema_or_input(schema, schema_path, generation_json_schema, "give the SCHEMA_PATH "
                       "of a YAML schema to generate from, or --schema"):
        return

    schema = GenerationSchema.load(schema_path)
    if n is not None and n < 0:
        from simulacra.errors import ParameterError

        raise ParameterError(f"-n must be at least 0, got {n}")
    file_format = GeneratedFormat(file_format).value
    stem = schema_path.name.split(".")[0]
    if output is None:
        output = Path(f"{stem}.{file_format}") if len(schema.tables) == 1 else Path(stem)
    files = {"--output": output} if is_table_file(output) else {
        f"--output (table {name})": output / f"{name}.{file_format}" for name in schema.tables}
    check_outputs({option: (path, "table") for option, path in files.items()},
                  inputs=[schema_path], force=force)
    alive = err_console.status("generating…") if not quiet and err_console.is_terminal \
        else contextlib.nullcontext()
    with alive as status:
        started = time.perf_counter()
        frames = generate_tables(schema, n, random_state=seed)
        took = time.perf_counter() - started
        if status is not None:
            status.update("writing…")
        paths = write_generated(frames, output, file_format=file_format)
    table = Table(title=f"Generated in {took:.2f} s" + ("" if seed is None else
                                                       f" (seed {seed})"),
                  title_justify="left")
    for col in ("table", "rows", "columns", "file"):
        table.add_column(col, justify="right" if col in ("rows", "columns") else "left")
    for (name, frame), path in zip(frames.items(), paths, strict=True):
        table.add_row(name, f"{len(frame):,}", str(frame.shape[1]), str(path))
    console.print(table)
    where = output if is_table_file(output) else f"{output}/"
    console.print(f"Generated {sum(len(f) for f in frames.values()):,} rows from "
                  f"{schema_path} in {took:.2f} s; wrote [bold]{where}[/].")
