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
EpsilonOption = Annotated[float | None, typer.Option(
    "--epsilon", help="Differential privacy: total ε of the fit (models aim, mst, privbayes, "
    "bayesian_network, autoregressive, tabddpm, tvae, ctgan).")]
DeltaOption = Annotated[float | None, typer.Option(
    "--delta", help="Differential privacy: δ (default min(1e-5, 0.1/rows)); needs --epsilon.")]
MetricsOption = Annotated[str, typer.Option(
    "--metrics", help="Metric groups to compute: 'all' or a comma list of fidelity, detection, "
    "utility, privacy (e.g. fidelity,detection,utility for a faster sweep).")]
ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="Hyperparameter KEY=VALUE, VALUE in YAML (repeat), e.g. -p epochs=50 "
    "-p early_stopping=true -p generator_dim=[256,256].")]


def _parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}``, values read as YAML scalars/lists."""
    import yaml

    from simulacra.errors import ParameterError

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{option} expects KEY=VALUE, got {pair!r}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        out[key.strip()] = tuple(value) if isinstance(value, list) else value
    return out


def _model_params(model: str, pairs: list[str] | None) -> dict[str, Any]:
    """Hyperparameters from ``--param`` pairs, checked against the model's constructor."""
    from simulacra.errors import ParameterError
    from simulacra.models import get_model

    params = _parse_pairs(pairs, "--param")
    known = [p for p in get_model(model)._param_names() if p != "random_state"]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(f"{model} has no hyperparameter {', '.join(map(repr, unknown))}; "
                             f"it has: {', '.join(known)}")
    return params


def _privacy(epsilon: float | None, delta: float | None) -> dict[str, Any]:
    """``{"privacy": PrivacyBudget}`` for --epsilon/--delta, or nothing."""
    from simulacra.errors import ParameterError
    from simulacra.privacy import PrivacyBudget

    if epsilon is None:
        if delta is not None:
            raise ParameterError("--delta needs --epsilon (the privacy budget's ε)")
        return {}
    return {"privacy": PrivacyBudget(epsilon, delta)}


def _metric_groups(text: str) -> str | list[str]:
    """``--metrics``: "all" or the comma-separated groups."""
    return "all" if text.strip() == "all" else [g.strip() for g in text.split(",") if g.strip()]


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
    """Detect column kinds, explain each decision, and optionally save them for editing.

    When the output file exists and declares constraints, they are kept in the new file.
    """
    from simulacra.io import read_table
    from simulacra.metadata import Metadata

    md = Metadata.detect(read_table(data))
    _print_metadata(md, f"Metadata of {data}")
    if output is not None:
        if output.exists():
            for constraint in Metadata.load(output).constraints:
                md.add_constraint(constraint)
            if md.constraints:
                console.print(f"Kept {len(md.constraints)} constraints from {output}.")
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
    param: ParamOption = None,
    epsilon: EpsilonOption = None,
    delta: DeltaOption = None,
    on_violation: Annotated[str, typer.Option(
        "--on-violation", help="Rows that break the metadata's constraints: drop, keep or "
        "error.")] = "drop",
) -> None:
    """Fit a synthesizer on a table and save it (hyperparameters with -p KEY=VALUE).

    With --epsilon (and optionally --delta) the fit is differentially private and the budget
    spent is printed by stage. Constraints in the --metadata file are checked on the data and
    followed by every sampled row.
    """
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.models import get_model

    frame = read_table(data)
    md = Metadata.load(metadata_path) if metadata_path else Metadata.detect(frame)
    _print_metadata(md, "Metadata" + (f" from {metadata_path}" if metadata_path else
                                      " (detected)"))
    privacy = _privacy(epsilon, delta)
    synth = get_model(model)(md, random_state=seed, **_model_params(model, param), **privacy)
    started = time.perf_counter()
    synth.fit(frame, on_violation=on_violation)
    fitted = time.perf_counter() - started
    synth.save(output)
    if hasattr(synth, "chosen_"):
        model = f"auto → {synth.chosen_}"
    console.print(f"Fitted [bold]{model}[/] on {len(frame):,} rows x {frame.shape[1]} columns "
                  f"in {fitted:.2f} s; saved to [bold]{output}[/] "
                  f"({output.stat().st_size / 1024:,.0f} KiB).")
    report = getattr(synth, "privacy_report_", None)
    if report:
        _print_privacy(report)
    rules = getattr(synth, "constraint_report_", None)
    if rules:
        _print_constraints(rules)


def _print_constraints(report: dict[str, Any]) -> None:
    table = Table(title=f"Constraints ({report['rows_used']:,} of {report['rows']:,} rows used, "
                        f"on_violation={report['on_violation']})", title_justify="left")
    table.add_column("constraint")
    table.add_column("violations", justify="right")
    table.add_column("held by")
    for entry in report["constraints"]:
        how = "construction" if entry["constraint"] in report["by_construction"] else \
            "re-sampling"
        table.add_row(entry["constraint"], f"{entry['violations']:,}", how)
    console.print(table)


def _print_privacy(report: dict[str, Any]) -> None:
    table = Table(title=f"Differential privacy: ε = {report['epsilon']:.4g}, "
                        f"δ = {report['delta']:.3g} (budget ε = {report['budget']['epsilon']:g})",
                  title_justify="left", caption=report["accountant"], caption_justify="left")
    table.add_column("stage")
    table.add_column("ρ (zCDP)", justify="right")
    table.add_column("share", justify="right")
    table.add_column("δ used", justify="right")
    for stage, spent in report["stages"].items():
        table.add_row(stage, f"{spent['rho']:.4g}", f"{spent['share']:.0%}",
                      f"{spent['delta']:.2g}")
    console.print(table)


@app.command()
@_friendly
def sample(
    model_path: Annotated[Path, typer.Argument(help="Model file from `simulacra fit`.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet to write.")],
    n: Annotated[int | None, typer.Option("-n", "--rows",
                                          help="Rows to generate (default: as many as "
                                          "the training table had).")] = None,
    seed: SeedOption = None,
    condition: Annotated[list[str] | None, typer.Option(
        "--condition", "-c", help="Only rows with COLUMN=VALUE (repeat; VALUE in YAML, "
        "null for missing, [low, high] for a range).")] = None,
    known_path: Annotated[Path | None, typer.Option(
        "--known", help="CSV/Parquet of known values (some columns): one synthetic row per "
        "row, with those values and the other columns drawn given them.")] = None,
    rebalance: Annotated[str | None, typer.Option(
        "--rebalance", "-r", help="Target shares of one column's categories, COLUMN=SHARES "
        "with SHARES in YAML, e.g. -r 'income={\">50K\": 0.5}'; other categories share the "
        "rest as the model has them.")] = None,
) -> None:
    """Generate a synthetic table from a saved model."""
    from simulacra.io import write_table
    from simulacra.models import load

    synth = load(model_path)
    rows = synth.n_rows_ if n is None else n
    conditions = _parse_pairs(condition, "--condition")
    started = time.perf_counter()
    shares = _parse_pairs([rebalance], "--rebalance") if rebalance else None
    if known_path is not None:
        from simulacra.errors import ParameterError
        from simulacra.io import read_table

        if conditions or shares or n is not None:
            raise ParameterError("--known gives the rows to complete: it does not combine "
                                 "with -n, --condition or --rebalance")
        frame = synth.sample_remaining_columns(read_table(known_path), rng=seed)
    else:
        frame = synth.sample(rows, rng=seed, conditions=conditions or None, rebalance=shares)
    took = time.perf_counter() - started
    write_table(frame, output)
    console.print(f"Sampled {len(frame):,} rows x {frame.shape[1]} columns in {took:.2f} s; "
                  f"wrote [bold]{output}[/].")


@app.command()
@_friendly
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
) -> None:
    """Replace the PII columns of a real table by consistent, keyed fake values."""
    import os

    from simulacra.errors import ParameterError
    from simulacra.io import read_table, write_table
    from simulacra.metadata import Metadata
    from simulacra.pseudonymize import pseudonymize as run

    if key_file is not None:
        key = key_file.read_text(encoding="utf-8").strip()
    else:
        key = os.environ.get("SIMULACRA_PSEUDONYM_KEY", "")
    if not key:
        raise ParameterError("a secret key is needed: --key-file PATH or the environment "
                             "variable SIMULACRA_PSEUDONYM_KEY")
    frame = read_table(data)
    md = Metadata.load(metadata_path) if metadata_path else Metadata.detect(frame)
    out = run(frame, md, key=key, locale=locale, keep_email_domain=keep_email_domain)
    write_table(out, output)
    pii = [n for n, spec in md.items() if spec.kind == "pii"]
    console.print(f"Pseudonymized {len(pii)} PII column(s) {pii} in {len(out):,} rows; wrote "
                  f"[bold]{output}[/].")


@app.command()
@_friendly
def generate(
    schema_path: Annotated[Path, typer.Argument(help="YAML schema (see "
                                                "docs/schema_generation.md).")],
    n: Annotated[int | None, typer.Option(
        "-n", "--rows", help="Rows of the (first) table; the other tables scale with it "
        "(default: the schema's rows:).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="A .csv/.parquet file for one table, or a directory for one "
        "file per table (default: SCHEMA.csv, or the directory SCHEMA/).")] = None,
    file_format: Annotated[str, typer.Option(
        "--format", help="File format in a directory: csv, csv.gz or parquet.")] = "csv",
    seed: SeedOption = None,
) -> None:
    """Generate test data from a schema alone (no real data): one file per table."""
    from simulacra.schema import GenerationSchema, generate_tables, write_generated
    from simulacra.schema.writers import is_table_file

    schema = GenerationSchema.load(schema_path)
    if n is not None and n < 0:
        from simulacra.errors import ParameterError

        raise ParameterError(f"-n must be at least 0, got {n}")
    stem = schema_path.name.split(".")[0]
    if output is None:
        output = Path(f"{stem}.{file_format}") if len(schema.tables) == 1 else Path(stem)
    started = time.perf_counter()
    frames = generate_tables(schema, n, random_state=seed)
    took = time.perf_counter() - started
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


@app.command()
@_friendly
def impute(
    model_path: Annotated[Path, typer.Argument(help="Autoregressive model file "
                                               "(`simulacra fit -m autoregressive`).")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table with missing values.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet to write.")],
    seed: SeedOption = None,
) -> None:
    """Fill the missing values of a table, each given the rest of its row."""
    from simulacra.errors import ParameterError
    from simulacra.io import read_table, write_table
    from simulacra.models import load

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


@app.command()
@_friendly
def evaluate(
    real: Annotated[Path, typer.Argument(help="The real table the model was trained on.")],
    synthetic: Annotated[Path, typer.Argument(help="The synthetic table.")],
    holdout: Annotated[Path | None, typer.Option(
        "--holdout", help="Real rows the model never saw (for utility and privacy).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Column to predict "
                                               "(utility: TSTR vs TRTR).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")
                      ] = None,
    metric_groups: MetricsOption = "all",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write figures as JSON.")
                         ] = None,
    metadata_path: Annotated[Path | None, typer.Option(
        "--metadata", help="Metadata YAML/JSON; detected from the real table if absent.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for subsamples and models.")] = 0,
) -> None:
    """Measure fidelity, utility and privacy of a synthetic table."""
    from simulacra.evaluation import evaluate as run_evaluation
    from simulacra.io import read_table
    from simulacra.metadata import Metadata

    md = Metadata.load(metadata_path) if metadata_path else None
    with console.status("evaluating…") as status:
        result = run_evaluation(
            read_table(real), read_table(synthetic),
            holdout=read_table(holdout) if holdout else None, metadata=md, target=target,
            random_state=seed, metrics=_metric_groups(metric_groups),
            progress=lambda stage: status.update(f"evaluating: {stage}…"))
    _print_result(result)
    if json_path is not None:
        result.to_json(json_path)
        console.print(f"Wrote figures to [bold]{json_path}[/].")
    if report is not None:
        result.to_html(report)
        console.print(f"Wrote the HTML report to [bold]{report}[/].")


def _print_result(result: Any) -> None:
    from simulacra.evaluation.report import status

    table = Table(title=f"Evaluation ({result.info['seconds']} s)", title_justify="left")
    for col in ("group", "figure", "value", "ideal", "reference", "reading"):
        table.add_column(col, justify="right" if col in ("value", "ideal", "reference")
                         else "left")
    colours = {"good": "green", "fair": "yellow", "poor": "red", "unknown": "white"}
    for m in result.metrics:
        st = status(m)
        ref = "" if m.reference is None else f"{m.reference:.3f} ({m.reference_label})"
        table.add_row(m.group, m.name, f"[{colours[st]}]{m.value:.3f}[/]",
                      "" if m.ideal is None else f"{m.ideal:g}", ref, st)
    console.print(table)
    for note in result.info.get("not_computed", []):
        console.print(f"[dim]not computed: {note}[/]")


@app.command()
@_friendly
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
    metric_groups: MetricsOption = "all",
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Also write every run's figures (one record per dataset, model, seed) "
        "to this JSON file, e.g. for plots.")] = None,
    synthetic: Annotated[list[Path] | None, typer.Option(
        "--synthetic", help="Also score rows another tool generated from the dataset's train "
        "split (repeat); labelled by file name (NAME_seedK files are seeds of NAME); times "
        "from a same-named .json if present.")
    ] = None,
) -> None:
    """Run models on benchmark datasets under the evaluation protocol; print a markdown table."""
    import itertools
    import json
    import shlex
    import sys

    from simulacra.bench import (
        default_datasets_dir,
        machine_line,
        markdown_table,
        resolve_datasets,
        run_external,
        run_one,
        summarize,
    )
    from simulacra.errors import ParameterError
    from simulacra.models import get_model

    if seeds < 1:
        raise ParameterError(f"--seeds must be at least 1, got {seeds}")
    groups = _metric_groups(metric_groups)
    model_names = model or ([] if synthetic else ["gaussian_copula"])
    for name in model_names:
        get_model(name)
    params = {name: _model_params(name, param) for name in model_names}
    root = datasets_dir or default_datasets_dir()
    runs = []
    datasets = resolve_datasets(dataset)
    for path in synthetic or []:
        if len(datasets) != 1:
            raise ParameterError("--synthetic scores one dataset's rows: give one --dataset")
        timing_path = path.with_suffix(".json")
        timing = json.loads(timing_path.read_text()) if timing_path.exists() else None
        # "<label>_seed<k>" files are seed k of one label, summarized together
        label, _, seed_text = path.stem.rpartition("_seed")
        ext_seed = int(seed_text) if label and seed_text.isdigit() else 0
        label = label if label and seed_text.isdigit() else path.stem
        with console.status(f"{datasets[0].name} · {path.stem}…"):
            runs.append(run_external(datasets[0], label, path, ext_seed, root, timing, groups))
    budgets: list[float | None] = list(epsilon) if epsilon else [None]
    if metadata_path is not None:
        from simulacra.metadata import Metadata

        params = {n: {**p, "metadata": Metadata.load(metadata_path)} for n, p in params.items()}
    for ds in datasets:
        for name, eps in itertools.product(model_names, budgets):
            for seed in range(seeds):
                label = name if eps is None else f"{name} ε={eps:g}"
                with console.status(f"{ds.name} · {label} · seed {seed}…"):
                    run = run_one(ds, name, seed, root,
                                  {**params.get(name, {}), **_privacy(eps, delta)}, groups)
                run.model = label
                runs.append(run)
                console.print(f"{ds.name} · {label} · seed {seed}: fit {run.fit_s:.2f} s, "
                              f"sample {run.sample_s:.2f} s, shape "
                              f"{run.figures.get('shape', float('nan')):.3f}, trend "
                              f"{run.figures.get('trend', float('nan')):.3f}")
    table = markdown_table(summarize(runs))
    command = "simulacra " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    block = (f"\n### `{command}`\n\nMachine: {machine_line()}; "
             f"{time.strftime('%Y-%m-%d')}.\n\n{table}\n")
    console.print(block, markup=False)
    if json_path is not None:
        import dataclasses

        from simulacra.io import write_text_atomic

        records = [dataclasses.asdict(r) for r in runs]
        write_text_atomic(json_path, json.dumps({"command": command, "runs": records},
                                                indent=1, default=float) + "\n")
        console.print(f"Wrote [bold]{json_path}[/].")
    if append is not None:
        from simulacra.io import write_text_atomic

        existing = append.read_text(encoding="utf-8") if append.exists() else ""
        write_text_atomic(append, existing.rstrip("\n") + "\n" + block)
        console.print(f"Appended to [bold]{append}[/].")


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
    model: ModelOption = "auto",
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    seed: SeedOption = 0,
) -> None:
    """Fit a synthesizer on the bundled Adult census table and write a synthetic copy."""
    from simulacra.datasets import load_demo
    from simulacra.errors import ParameterError
    from simulacra.evaluation import evaluate
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

    label = f"auto → {synth.chosen_}" if hasattr(synth, "chosen_") else model
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
                  f"{quality.value('shape'):.3f} / {quality.value('trend'):.3f}  "
                  "(full report: simulacra evaluate)")
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
