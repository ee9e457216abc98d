"""Commands that watch data over time: ``drift`` (a thin layer over
:func:`simulacra.drift.detect_drift`).

Exit status: 0 when nothing drifted, 1 when drift was found, 2 on bad input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from simulacra.cli.common import ForceOption, check_outputs, console, err_console, friendly

if TYPE_CHECKING:
    from simulacra.drift import DriftReport


@friendly
def drift(
    reference: Annotated[Path, typer.Argument(
        help="The reference table (CSV or Parquet), or a saved model (.simz) whose samples "
        "are the reference: does the new data still look like what the model learned?")],
    current: Annotated[Path, typer.Argument(help="The new table (CSV or Parquet).")],
    alpha: Annotated[float, typer.Option(
        "--alpha", help="False-alarm rate of the verdict: with no drift, 'drift' is reported "
        "with probability at most alpha.")] = 0.05,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON; detected from the reference (or the model's) "
        "if absent.")] = None,
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Comma list of the columns to compare (default: all; the tables "
        "must then have the same columns).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the permutations (and of the "
                                      "model's sample): same inputs, same report.")] = 0,
    permutations: Annotated[int | None, typer.Option(
        "--permutations", help="Random relabellings that calibrate the p-values "
        "(default 499).")] = None,
    dependence: Annotated[bool, typer.Option(
        "--dependence/--no-dependence", help="Also test the pairwise associations.")] = True,
    reference_rows: Annotated[int | None, typer.Option(
        "--reference-rows", help="A model reference: rows to sample (default: as many as the "
        "current table, at least 1,000).")] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the JSON report on stdout and nothing else.")] = False,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Also write the report to this file: an HTML page a person reads "
        "if it ends in .html, else JSON.")] = None,
    force: ForceOption = False,
) -> None:
    """Test whether CURRENT still looks like REFERENCE: per column (KS, chi-square, nulls),
    pairwise dependence, one verdict. Exit status 0: no drift, 1: drift, 2: bad input."""
    from simulacra.drift import DEFAULT_PERMUTATIONS, detect_drift
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.multitable.loading import load

    check_outputs({"--report": (report_path, "report")},
                  inputs=[reference, current, metadata_path], force=force)
    md = Metadata.load(metadata_path) if metadata_path else None
    ref = load(reference) if reference.suffix.lower() == ".simz" else read_table(reference)
    cur = read_table(current)
    names = None if columns is None else [c.strip() for c in columns.split(",") if c.strip()]
    status_console = err_console if json_output else console
    with status_console.status("testing for drift…"):
        result = detect_drift(
            ref, cur, metadata=md, alpha=alpha, columns=names, dependence=dependence,
            permutations=DEFAULT_PERMUTATIONS if permutations is None else permutations,
            random_state=seed, reference_rows=reference_rows)
    if json_output:
        typer.echo(result.to_json())
    else:
        print_drift(result)
    if report_path is not None:
        html = report_path.suffix.lower() in (".html", ".htm")
        result.to_html(report_path) if html else result.to_json(report_path)
        (err_console if json_output else console).print(
            f"Wrote the {'HTML' if html else 'JSON'} report to [bold]{report_path}[/].")
    if result.drifted:
        raise typer.Exit(code=1)


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—" if value is None or math.isnan(value) else "inf"
    return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"


def print_drift(report: DriftReport) -> None:
    """The report as a table for people: one row per column, then dependence and verdict."""
    table = Table(title=f"Drift ({report.seconds} s; alpha = {report.alpha:g}, "
                        f"{report.permutations} permutations)", title_justify="left",
                  caption=report.reference.note, caption_justify="left")
    for name in ("column", "kind", "test", "statistic", "p (adjusted)", "PSI", "Wasserstein",
                 "JS", "verdict"):
        table.add_column(name, justify="right" if name not in ("column", "kind", "test",
                                                                "verdict") else "left")

    def verdict(drifted: bool) -> str:
        return "[bold red]drift[/]" if drifted else "[green]no drift[/]"

    for c in report.columns:
        table.add_row(c.column, c.kind, c.test, _number(c.statistic), _number(c.p_adjusted),
                      _number(c.psi), _number(c.wasserstein), _number(c.jensen_shannon),
                      verdict(c.drifted))
    console.print(table)
    if report.dependence is not None:
        d = report.dependence
        top = d.pairs[0] if d.pairs else None
        where = "" if top is None else (
            f"; largest change {top.columns[0]} × {top.columns[1]} ({top.measure.replace('_', ' ')}"
            f" {top.reference:.3f} → {top.current:.3f})")
        console.print(f"dependence ({d.n_pairs} pairs, {d.rows} rows): p (adjusted) "
                      f"{_number(d.p_adjusted)}{where}: {verdict(d.drifted)}")
    for s in report.skipped:
        console.print(f"[dim]skipped {s.column}: {s.reason}[/]")
    drifted = ", ".join(report.drifted_columns)
    console.print(f"[bold]dataset: {verdict(report.drifted)}[/] (p = {_number(report.p_value)})"
                  + (f" — drifted: {drifted}" if drifted else ""))
