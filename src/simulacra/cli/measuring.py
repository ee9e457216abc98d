"""Commands that measure synthetic data: ``evaluate`` (one table) and ``bench`` (a sweep over
benchmark datasets, a thin layer over :func:`simulacra.bench.run_benchmark`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from simulacra.cli.common import (
    DeltaOption,
    ForceOption,
    MetricsOption,
    ParamOption,
    SchedulerOption,
    SensitiveOption,
    WorkersOption,
    check_outputs,
    console,
    friendly,
    metric_groups,
    model_params,
    names_option,
    parse_pairs,
    privacy_option,
)

if TYPE_CHECKING:
    from simulacra.bench import BenchRun


@friendly
def evaluate(
    real: Annotated[str, typer.Argument(help="The real table the model was trained on; or a "
                                        "database (SQLAlchemy URL or folder of tables).")],
    synthetic: Annotated[str, typer.Argument(help="The synthetic table (or database).")],
    holdout: Annotated[Path | None, typer.Option(
        "--holdout", help="Real rows the model never saw (for utility and privacy).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Column to predict "
                                               "(utility: TSTR vs TRTR).")] = None,
    sensitive: SensitiveOption = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")
                      ] = None,
    metric_groups_text: MetricsOption = "all",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write figures as JSON.")
                         ] = None,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON; detected from the real table if absent.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for subsamples and models.")] = 0,
    sequence_key: Annotated[str | None, typer.Option(
        "--sequence-key", help="An event table: the entity column; adds the sequence figures "
        "(lengths, gaps, autocorrelation, discriminative and predictive scores).")] = None,
    sequence_index: Annotated[str | None, typer.Option(
        "--sequence-index", help="With --sequence-key: the column ordering an entity's "
        "events; detected when absent.")] = None,
    sequence_option: Annotated[list[str] | None, typer.Option(
        "--sequence-option", help="A setting of the sequence figures KEY=VALUE (repeat), e.g. "
        "--sequence-option max_entities=5000 --sequence-option neural=false; see "
        "docs/evaluating-sequences.md.")] = None,
    text_option: Annotated[list[str] | None, typer.Option(
        "--text-option", help="A setting of the free-text figures KEY=VALUE (repeat), e.g. "
        "--text-option coherence=book --text-option samples=0; see docs/evaluation.md.")
    ] = None,
    sample_rows: Annotated[int | None, typer.Option(
        "--sample-rows", min=1, help="Datasets larger than memory (globs such as "
        "'rows/*.parquet', or folders from `sample --partitions`): shape and trend over every "
        "row, the other figures on a uniform sample of this many rows (default 200000).",
        rich_help_panel="Scale-out")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
) -> None:
    """Measure fidelity, utility and privacy of a synthetic table (or database: integrity,
    per-table fidelity, cardinality, parent-child and k-hop trends, C2ST-Agg, children per
    parent as sequences; --target TABLE.COLUMN for a cross-table utility task; an event table
    with --sequence-key or a metadata file that names one). Free-text columns (of a table, or
    of each table of a database) get figures of their own: lengths, vocabulary, text
    detection AUC, coherence with the row, copies and n-gram leakage."""
    from simulacra.cli.databases import evaluate_databases, is_database
    from simulacra.evaluation import evaluate as run_evaluation
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.scale.dataset import is_dataset

    check_outputs({"--report": (report, "html"), "--json": (json_path, "json")},
                  inputs=[real, synthetic, holdout, metadata_path], force=force)
    chosen = names_option(sensitive) or None
    if sample_rows is not None or is_dataset(real) or is_dataset(synthetic):
        from simulacra.scale.evaluation import evaluate_dataset

        if sequence_key is not None or sequence_option or text_option or chosen:
            from simulacra.errors import ParameterError

            raise ParameterError("datasets larger than memory are evaluated as tables: "
                                 "--sequence-key, --sequence-option, --text-option and "
                                 "--sensitive do not apply")
        with console.status("evaluating…") as status:
            result = evaluate_dataset(
                real, synthetic, None if holdout is None else str(holdout),
                metadata=Metadata.load(metadata_path) if metadata_path else None,
                target=target, metrics=metric_groups(metric_groups_text),
                sample_rows=sample_rows or 200_000, random_state=seed, workers=workers,
                scheduler=scheduler,
                progress=lambda stage: status.update(f"evaluating: {stage}…"))
        _publish(result, json_path, report)
        rows = result.info["rows"]
        if result.info["exact"]:
            console.print(f"{', '.join(result.info['exact'])} over every row ({rows['real']:,} "
                          f"real, {rows['synthetic']:,} synthetic); the other figures on "
                          "uniform samples.")
        return
    if workers is not None or scheduler is not None:
        from simulacra.errors import ParameterError

        raise ParameterError("--workers and --scheduler read datasets larger than memory: "
                             "give globs ('rows/*.parquet') or --sample-rows")
    if is_database(real):
        if chosen:
            from simulacra.errors import ParameterError

            raise ParameterError("--sensitive is for one table: evaluate that table of the "
                                 "database on its own for fairness figures")
        evaluate_databases(real, synthetic, holdout=str(holdout) if holdout else None,
                           target=target, report=report, json_path=json_path,
                           metadata_path=metadata_path, seed=seed,
                           metrics=metric_groups_text,
                           text_options=parse_pairs(text_option, "--text-option") or None)
        return

    md = Metadata.load(metadata_path) if metadata_path else None
    real_frame = read_table(real)
    if sequence_index is not None and sequence_key is None:
        from simulacra.errors import ParameterError

        raise ParameterError("--sequence-index needs --sequence-key (the entity column)")
    if sequence_key is not None:
        if md is not None:
            from simulacra.errors import ParameterError

            raise ParameterError("give --sequence-key or a --metadata file (which may name "
                                 "sequence_key itself), not both")
        md = Metadata.detect(real_frame, sequence_key=sequence_key,
                             sequence_index=sequence_index)
    with console.status("evaluating…") as status:
        result = run_evaluation(
            real_frame, read_table(synthetic),
            holdout=read_table(holdout) if holdout else None, metadata=md, target=target,
            sensitive=chosen, random_state=seed, metrics=metric_groups(metric_groups_text),
            sequence_options=parse_pairs(sequence_option, "--sequence-option") or None,
            text_options=parse_pairs(text_option, "--text-option") or None,
            progress=lambda stage: status.update(f"evaluating: {stage}…"))
    _publish(result, json_path, report)


def _publish(result: Any, json_path: Path | None, report: Path | None) -> None:
    """Print the figures; write them as JSON and the HTML report where asked."""
    _print_result(result)
    if json_path is not None:
        result.to_json(json_path)
        console.print(f"Wrote figures to [bold]{json_path}[/].")
    if report is not None:
        result.to_html(report)
        console.print(f"Wrote the HTML report to [bold]{report}[/].")


def _print_result(result: Any) -> None:
    from simulacra.evaluation.report import fairness_sections, status

    table = Table(title=f"Evaluation ({result.info['seconds']} s)", title_justify="left")
    for col in ("group", "figure", "value", "ideal", "reference", "reading"):
        table.add_column(col, justify="right" if col in ("value", "ideal", "reference")
                         else "left")
    colours = {"good": "green", "fair": "yellow", "poor": "red", "unknown": "white"}
    for m in result.metrics:
        st = status(m)
        ref = "" if m.reference is None else f"{m.reference:.3f} ({m.reference_label})"
        table.add_row(m.group, escape(m.label), f"[{colours[st]}]{m.value:.3f}[/]",
                      "" if m.ideal is None else f"{m.ideal:g}", ref, st)
    console.print(table)
    for column, found in (result.info.get("text") or {}).items():
        console.print(_text_statistics(column, found.get("statistics", {})))
    for section in fairness_sections(result.metrics):
        console.print(_fairness_groups(section))
    for note in result.info.get("not_computed", []):
        console.print(f"[dim]not computed: {note}[/]")


def _fairness_groups(section: dict[str, Any]) -> Table:
    """The target in each group of one sensitive column, real beside synthetic."""
    table = Table(title=f"{section['what']} by {escape(section['column'])}",
                  title_justify="left")
    for col in ("group", "real rows", "real", "synthetic rows", "synthetic"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for row in section["data"]:
        table.add_row(escape(str(row["group"])), _number(row["real_rows"]), escape(row["real"]),
                      _number(row["synthetic_rows"]), escape(row["synthetic"]))
    return table


def _text_statistics(column: str, statistics: dict[str, dict[str, Any]]) -> Table:
    """A free-text column's lengths and vocabulary, one column per side."""
    sides = [s for s in ("train", "holdout", "synthetic") if s in statistics]
    table = Table(title=f"Free text: {escape(column)}", title_justify="left")
    table.add_column("statistic")
    for side in sides:
        table.add_column({"train": "real (training)", "holdout": "real (holdout)"}.get(
            side, side), justify="right")
    for key, label in (("texts", "texts (non-null)"), ("mean_chars", "mean characters"),
                       ("median_chars", "median characters"), ("mean_words", "mean words"),
                       ("median_words", "median words"), ("vocabulary", "distinct words")):
        table.add_row(label, *(_number(statistics[side].get(key)) for side in sides))
    return table


def _number(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else f"{value:.1f}"


@friendly
def bench(
    dataset: Annotated[list[str], typer.Option(
        "--dataset", "-d", help="Benchmark dataset (repeat, or 'all').")] = ["adult"],  # noqa: B006
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Synthesizer (repeat for several; default gaussian_copula unless "
        "--synthetic is given).")] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Number of seeds (0..seeds-1).")] = 3,
    datasets_dir: Annotated[Path | None, typer.Option(
        "--datasets-dir", help="Folder with the benchmark CSVs "
        "(default: $SIMULACRA_DATASETS or ../shared/datasets).")] = None,
    append: Annotated[Path | None, typer.Option(
        "--append", help="Append the markdown table to this file (e.g. BENCHMARKS.md).")
    ] = None,
    param: ParamOption = None,
    epsilon: Annotated[list[float] | None, typer.Option(
        "--epsilon", help="Fit every model under each of these privacy budgets ε (repeat); "
        "the model is labelled 'name ε=…'.")] = None,
    delta: DeltaOption = None,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON handed to every model (e.g. a public schema "
        "with declared bounds and categories for DP runs); detected if absent.")] = None,
    metric_groups_text: MetricsOption = "all",
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Also write every run's figures (one record per dataset, model, seed) "
        "to this JSON file, e.g. for plots.")] = None,
    synthetic: Annotated[list[Path] | None, typer.Option(
        "--synthetic", help="Also score rows another tool generated from the dataset's train "
        "split (repeat); labelled by file name (NAME_seedK files are seeds of NAME); times "
        "from a same-named .json if present.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Run models on benchmark datasets under the evaluation protocol; print a markdown table."""
    import shlex
    import sys

    from simulacra.bench import report_block, run_benchmark, runs_json
    from simulacra.errors import ParameterError
    from simulacra.io import write_text_atomic
    from simulacra.metadata import Metadata
    from simulacra.models import get_model

    if seeds < 1:
        raise ParameterError(f"--seeds must be at least 1, got {seeds}")
    check_outputs({"--json": (json_path, "json"), "--append": (append, "markdown")},
                  inputs=[metadata_path, *(synthetic or [])], force=force)
    if not epsilon:
        privacy_option(None, delta)  # --delta needs --epsilon
    model_names = model or ([] if synthetic else ["gaussian_copula"])
    for name in model_names:
        get_model(name)
    params = {name: model_params(name, param) for name in model_names}

    def finished(run: BenchRun) -> None:
        console.print(f"{run.dataset} · {run.model} · seed {run.seed}: fit {run.fit_s:.2f} s, "
                      f"sample {run.sample_s:.2f} s, shape "
                      f"{run.figures.get('shape', float('nan')):.3f}, trend "
                      f"{run.figures.get('trend', float('nan')):.3f}")

    with console.status("benchmarking…") as status:
        runs = run_benchmark(
            dataset, model_names, seeds=seeds, root=datasets_dir, params=params,
            epsilons=epsilon or (), delta=delta,
            metadata=Metadata.load(metadata_path) if metadata_path is not None else None,
            metrics=metric_groups(metric_groups_text), synthetic=synthetic or (),
            starting=lambda what: status.update(f"{what}…"), finished=finished)
    command = "simulacra " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    block = report_block(runs, command)
    console.print(block, markup=False, highlight=False, soft_wrap=True)  # pastes as it is
    if json_path is not None:
        write_text_atomic(json_path, runs_json(runs, command))
        console.print(f"Wrote [bold]{json_path}[/].")
    if append is not None:
        existing = append.read_text(encoding="utf-8") if append.exists() else ""
        write_text_atomic(append, existing.rstrip("\n") + "\n" + block)
        console.print(f"Appended to [bold]{append}[/].")
