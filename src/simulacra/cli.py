"""The ``simulacra`` command: a thin layer over the library.

Every command maps to one library call; errors from the library are shown as one clear message
and exit with status 2.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from simulacra._version import __version__
from simulacra.errors import SimulacraError

app = typer.Typer(
    name="simulacra",
    help="Synthetic data that keeps the statistical shape of real tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

ModelOption = Annotated[str, typer.Option("--model", "-m", help="Synthesizer name "
                                          "(see `simulacra models`).")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible run).")]


def _friendly(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SimulacraError as err:
            err_console.print(f"[bold red]error:[/] {err}")
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"simulacra {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Synthetic data that keeps the statistical shape of real tables."""


def _print_metadata(md: Any, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("column")
    table.add_column("kind")
    table.add_column("why")
    for name, kind in md.items():
        table.add_row(name, kind.kind, kind.reason or "")
    console.print(table)


@app.command()
@_friendly
def metadata(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file.")],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write metadata (.yaml or .json).")] = None,
) -> None:
    """Detect column kinds, explain each decision, and optionally save them for editing."""
    from simulacra.io import read_table
    from simulacra.metadata import Metadata

    md = Metadata.detect(read_table(data))
    _print_metadata(md, f"Metadata of {data}")
    if output is not None:
        md.save(output)
        console.print(f"Saved metadata to [bold]{output}[/]; edit it, then pass it with "
                      "--metadata.")


@app.command()
@_friendly
def fit(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet training table.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write (.simz).")],
    model: ModelOption = "gaussian_copula",
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON (from `simulacra metadata`); detected if absent.")
    ] = None,
    seed: SeedOption = None,
) -> None:
    """Fit a synthesizer on a table and save it."""
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.models import get_model

    frame = read_table(data)
    md = Metadata.load(metadata_path) if metadata_path else Metadata.detect(frame)
    _print_metadata(md, "Metadata" + (f" from {metadata_path}" if metadata_path else
                                      " (detected)"))
    synth = get_model(model)(md, random_state=seed)
    started = time.perf_counter()
    synth.fit(frame)
    fitted = time.perf_counter() - started
    synth.save(output)
    console.print(f"Fitted [bold]{model}[/] on {len(frame):,} rows x {frame.shape[1]} columns "
                  f"in {fitted:.2f} s; saved to [bold]{output}[/] "
                  f"({output.stat().st_size / 1024:,.0f} KiB).")


@app.command()
@_friendly
def sample(
    model_path: Annotated[Path, typer.Argument(help="Model file from `simulacra fit`.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet to write.")],
    n: Annotated[int | None, typer.Option("-n", "--rows",
                                          help="Rows to generate (default: as many as "
                                          "the training table had).")] = None,
    seed: SeedOption = None,
) -> None:
    """Generate a synthetic table from a saved model."""
    from simulacra.io import write_table
    from simulacra.models import load

    synth = load(model_path)
    rows = synth.n_rows_ if n is None else n
    started = time.perf_counter()
    frame = synth.sample(rows, rng=seed)
    took = time.perf_counter() - started
    write_table(frame, output)
    console.print(f"Sampled {len(frame):,} rows x {frame.shape[1]} columns in {took:.2f} s; "
                  f"wrote [bold]{output}[/].")


@app.command()
def models() -> None:
    """List the available synthesizers."""
    from simulacra.models import MODELS

    table = Table(title="Synthesizers", title_justify="left")
    table.add_column("name")
    table.add_column("what it is")
    for name, cls in MODELS.items():
        table.add_row(name, (cls.__doc__ or "").strip().splitlines()[0])
    console.print(table)


@app.command()
@_friendly
def demo(
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o",
                                             help="Where to write the results.")
                          ] = Path("simulacra-demo"),
    model: ModelOption = "gaussian_copula",
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    seed: SeedOption = 0,
) -> None:
    """Fit a synthesizer on the bundled Adult census table and write a synthetic copy."""
    from simulacra.datasets import load_demo
    from simulacra.errors import ParameterError
    from simulacra.io import write_table
    from simulacra.metadata import Metadata
    from simulacra.models import get_model

    if file_format not in ("csv", "parquet"):
        raise ParameterError(f"--format must be csv or parquet, got {file_format!r}")
    real = load_demo()
    md = Metadata.detect(real)
    synth = get_model(model)(md, random_state=seed)
    t0 = time.perf_counter()
    synth.fit(real)
    t1 = time.perf_counter()
    fake = synth.sample(len(real))
    t2 = time.perf_counter()
    out = output_dir / f"adult_synthetic.{file_format}"
    write_table(fake, out)
    md.save(output_dir / "adult_metadata.yaml")
    synth.save(output_dir / "adult_model.simz")

    table = Table(title=f"simulacra demo: {model} on Adult (UCI, CC BY 4.0)",
                  title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("real rows x columns", f"{len(real):,} x {real.shape[1]}")
    table.add_row("synthetic rows x columns", f"{len(fake):,} x {fake.shape[1]}")
    table.add_row("fit time", f"{t1 - t0:.2f} s")
    table.add_row("sample time", f"{t2 - t1:.2f} s")
    same = sum(str(real[c].dtype) == str(fake[c].dtype) for c in real.columns)
    table.add_row("columns with the real dtype", f"{same} of {real.shape[1]}")
    table.add_row("synthetic data", str(out))
    table.add_row("metadata", str(output_dir / "adult_metadata.yaml"))
    table.add_row("model", str(output_dir / "adult_model.simz"))
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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
