"""``simulacra run`` (a pipeline config, end to end) and ``simulacra init`` (a starter config),
thin layers over :mod:`simulacra.pipeline`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulacra.cli.common import console, err_console, friendly

#: Exit status of a run whose quality gates failed (2 is bad input, 1 is left to drift).
GATES_FAILED = 3


@friendly
def run(
    config: Annotated[Path | None, typer.Argument(help="Pipeline config (YAML), e.g. from "
                                                  "`simulacra init`.")] = None,
    output_dir: Annotated[Path | None, typer.Option(
        "--output-dir", help="Write the outputs here instead of the config's output_dir.")
    ] = None,
    schema: Annotated[bool, typer.Option("--schema", help="Print the config's JSON schema and "
                                         "exit.")] = False,
) -> None:
    """Run a pipeline: source → metadata → fit → sample → evaluate → gates → outputs.

    Steps whose inputs did not change come from the cache (OUTPUT_DIR/.cache); every run writes
    OUTPUT_DIR/run.json (versions, seed, input hashes, timings, metrics, gates). Exits with 3
    when a quality gate fails, 2 on a bad config (every problem listed with its line).
    """
    from simulacra.errors import ParameterError
    from simulacra.pipeline import json_schema, run_pipeline

    if schema:
        console.print_json(json.dumps(json_schema()))
        return
    if config is None:
        raise ParameterError("give the pipeline config to run (write one with `simulacra init "
                             "TABLE -o pipeline.yaml`), or --schema")
    labels = {"running": "[yellow]running[/]", "done": "[green]done[/]",
              "cached": "[dim]cached[/]"}

    def progress(step: str, state: str, seconds: float) -> None:
        if state != "running":
            took = f"{seconds:8.2f} s" + (" when computed" if state == "cached" else "")
            console.print(f"  {step:<18} {labels[state]:<20} {took}")

    console.print(f"Running [bold]{config}[/]")
    result = run_pipeline(config, output_dir=output_dir, progress=progress)
    _print_gates(result)
    if result.drift is not None:
        verdict = "[red]drift found[/]" if result.drift.get("drifted") else "[green]no drift[/]"
        console.print(f"Monitor: {verdict}" + (" — refitted in refit/" if result.refit else ""))
    if result.private:
        console.print("[yellow]note:[/] fitted under a privacy budget: the model and the "
                      "synthetic table are covered by ε, the evaluation (metrics.json, "
                      "report.html) is not - keep those with the real data.")
    names = sorted({name.split("/")[0] + ("/" if "/" in name else "")
                    for name in result.outputs})
    console.print(f"Outputs in [bold]{result.output_dir}[/]: {', '.join(names)}, run.json")
    if not result.passed:
        for gate in result.failed_gates:
            err_console.print(f"[bold red]gate failed:[/] {gate.describe(private=result.private)}")
        raise typer.Exit(code=GATES_FAILED)


def _print_gates(result: object) -> None:
    gates = getattr(result, "gates", [])
    if not gates:
        return
    table = Table(title="Quality gates", title_justify="left")
    table.add_column("gate")
    table.add_column("result")
    for gate in gates:
        table.add_row(gate.describe(private=result.private),  # type: ignore[attr-defined]
                      "[green]pass[/]" if gate.passed else "[red]FAIL[/]")
    console.print(table)


@friendly
def init(
    table: Annotated[Path, typer.Argument(help="CSV or Parquet table the pipeline will "
                                          "synthesize, or a folder of them (a database).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Config file to write.")
                      ] = Path("pipeline.yaml"),
    model: Annotated[str, typer.Option("--model", "-m", help="Synthesizer name (see "
                                       "`simulacra models`).")] = "gaussian_copula",
    target: Annotated[str | None, typer.Option(
        "--target", help="Column to predict for the utility figures (default: the last "
        "column when it looks like a class label; a database: TABLE.COLUMN).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config.")
                     ] = False,
) -> None:
    """Write a commented starter pipeline config for TABLE or a database folder (run it with
    `simulacra run`)."""
    from simulacra.errors import ParameterError
    from simulacra.io import write_text_atomic
    from simulacra.pipeline import starter_config

    if output.exists() and not force:
        raise ParameterError(f"{output} exists; give --force to overwrite it, or another -o")
    write_text_atomic(output, starter_config(table, output, model=model, target=target))
    console.print(f"Wrote [bold]{output}[/]; run it with `simulacra run {output}`.")
