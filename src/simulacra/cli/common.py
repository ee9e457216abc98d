"""What every command shares: the consoles, the option types, ``KEY=VALUE`` parsing, a
model's hyperparameters, the privacy budget, the check of output paths, and errors shown as
one clear message.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulacra.errors import SimulacraError

if TYPE_CHECKING:
    from simulacra.privacy import PrivacyReport

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

class OnViolation(str, Enum):
    """What ``fit`` does with real rows that break the metadata's constraints."""

    drop = "drop"
    keep = "keep"
    error = "error"


class FairMethod(str, Enum):
    """How ``sample --fair-target`` gives every group the same target distribution."""

    draw = "draw"
    relabel = "relabel"


class FileFormat(str, Enum):
    """A table's file format."""

    csv = "csv"
    parquet = "parquet"


ModelOption = Annotated[str, typer.Option("--model", "-m", help="Synthesizer name "
                                          "(see `simulacra models`).")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible run).")]
EpsilonOption = Annotated[float | None, typer.Option(
    "--epsilon", help="Differential privacy: total ε of the fit (models aim, mst, privbayes, "
    "bayesian_network, autoregressive, tabddpm, tvae, ctgan).")]
DeltaOption = Annotated[float | None, typer.Option(
    "--delta", help="Differential privacy: δ (default 1e-5, below 1/rows; not derived from "
    "the table, whose row count it would reveal); needs --epsilon.")]
MetricsOption = Annotated[str, typer.Option(
    "--metrics", help="Metric groups to compute: 'all' or a comma list of fidelity, detection, "
    "utility, privacy, fairness, sequences (event tables), text (free-text columns); e.g. "
    "fidelity,detection,utility for a faster sweep.")]
ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="Hyperparameter KEY=VALUE, VALUE in YAML (repeat), e.g. -p epochs=50 "
    "-p early_stopping=true -p generator_dim=[256,256].")]
SensitiveOption = Annotated[list[str] | None, typer.Option(
    "--sensitive", help="A sensitive column (repeat, or a comma list), e.g. --sensitive sex: "
    "its groups are compared on the target (fairness).")]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress bars or summaries (they are off anyway when the output "
    "is not a terminal); results and errors are still printed.")]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace an existing output file that holds another kind of file (a "
    "table where a model goes, ...); an input of the command is never replaced.")]
WorkersOption = Annotated[int | None, typer.Option(
    "--workers", help="Partitions or a dataset: processes of a local Dask cluster (default: "
    "one per core; 1 works in this process).", rich_help_panel="Scale-out")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Partitions or a dataset: the Dask scheduler to run on, "
    "tcp://HOST:PORT (its workers must see the files).", rich_help_panel="Scale-out")]
KeepOption = Annotated[list[str] | None, typer.Option(
    "--keep", help="Database: copy this table as it is instead of synthesizing it (repeat, or a "
    "comma list) - public lookup tables only: its rows and its rows' numbers of children go "
    "into the model.")]


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}``, values read as YAML scalars/lists."""
    import yaml

    from simulacra.errors import ParameterError
    from simulacra.io import load_yaml

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{option} expects KEY=VALUE, got {pair!r}")
        try:
            value = load_yaml(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        out[key.strip()] = tuple(value) if isinstance(value, list) else value
    return out


def model_params(model: str, pairs: list[str] | None) -> dict[str, Any]:
    """Hyperparameters from ``--param`` pairs, checked against the model's constructor."""
    from simulacra.errors import ParameterError
    from simulacra.models import get_model

    params = parse_pairs(pairs, "--param")
    known = [p for p in get_model(model)._param_names() if p != "random_state"]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(f"{model} has no hyperparameter {', '.join(map(repr, unknown))}; "
                             f"it has: {', '.join(known)}")
    return params


def privacy_option(epsilon: float | None, delta: float | None, model: str | None = None
                   ) -> dict[str, Any]:
    """``{"privacy": PrivacyBudget}`` for --epsilon/--delta, or nothing; with ``model``, a
    model without a DP mode is refused here, before any data is read."""
    from simulacra.errors import ParameterError
    from simulacra.models import MODELS, get_model
    from simulacra.privacy import PrivacyBudget

    if epsilon is None:
        if delta is not None:
            raise ParameterError("--delta needs --epsilon (the privacy budget's ε)")
        return {}
    budget = PrivacyBudget(epsilon, delta)
    if model is not None and not getattr(get_model(model), "supports_privacy", False):
        private = sorted(n for n, cls in MODELS.items() if cls.supports_privacy)
        raise ParameterError(f"{model} has no differentially private mode, so it cannot take "
                             f"--epsilon; use --model with one of {', '.join(private)}")
    return {"privacy": budget}


@dataclass(frozen=True)
class OutputKind:
    """What a command writes: how it is named, the file suffixes it takes (none: any) and
    what an existing file of this kind holds (:func:`_content`'s names)."""

    what: str
    suffixes: tuple[str, ...]
    holds: frozenset[str]


#: Every kind of file the commands write.
OUTPUT_KINDS = {
    "model": OutputKind("a model file", (".simz",), frozenset({"zip"})),
    "table": OutputKind("a table", (".csv", ".csv.gz", ".tsv", ".parquet", ".pq"),
                        frozenset({"text", "gzip", "parquet"})),
    "html": OutputKind("an HTML report", (".html", ".htm"), frozenset({"html"})),
    "json": OutputKind("a JSON file", (".json",), frozenset({"json"})),
    "metadata": OutputKind("a metadata file", (".yaml", ".yml", ".json"),
                           frozenset({"text", "json"})),
    "report": OutputKind("a report", (), frozenset({"html", "json"})),
    "markdown": OutputKind("a markdown file", (".md", ".markdown"), frozenset({"text"})),
}
_HOLDS = {"zip": "a zip archive (e.g. a model file)", "parquet": "a Parquet table",
          "gzip": "a gzip file", "html": "an HTML page", "json": "JSON", "text": "text (e.g. a "
          "CSV table)", "binary": "binary data"}


def check_outputs(outputs: Mapping[str, tuple[str | Path | None, str]], *,
                  inputs: Iterable[str | Path | None] = (), force: bool = False) -> None:
    """Refuse, before any work, outputs that would destroy data or could not be written.

    ``outputs`` maps each option (``"--output"``) to its path (None: not given) and the kind
    of file it gets (:data:`OUTPUT_KINDS`). Refused, with exit status 2 through
    :func:`friendly`: a path that is one of the command's ``inputs`` (or another output), a
    suffix the kind does not take, a directory, a folder that cannot be written (or made),
    and — unless ``force`` — an existing file that holds another kind of file (a CSV table
    where a model goes).
    """
    from simulacra.errors import ParameterError

    given = {option: (Path(path), kind) for option, (path, kind) in outputs.items()
             if path is not None}
    sources = [Path(p) for p in inputs if p is not None and "://" not in str(p)]
    seen: dict[Path, str] = {}
    for option, (path, kind) in given.items():
        for source in sources:
            if _same_file(path, source):
                raise ParameterError(f"{option} {path} is also an input of this command "
                                     f"({source}); writing it would destroy that input: give "
                                     "another file name")
        spec = OUTPUT_KINDS[kind]
        name = path.name.lower()
        if spec.suffixes and not name.endswith(spec.suffixes):
            raise ParameterError(f"{option} {path} cannot hold {spec.what}: give a file name "
                                 f"ending in {', '.join(spec.suffixes)}")
        if path.is_dir():
            raise ParameterError(f"{option} {path} is a directory; give a file name for "
                                 f"{spec.what}")
        problem = unwritable_folder(path.parent)
        if problem is not None:
            raise ParameterError(f"{option} {path} cannot be written: {problem}")
        twin = next((other for p, other in seen.items() if _same_file(path, p)), None)
        if twin is not None:
            raise ParameterError(f"{option} and {twin} both name {path}; give each its own file")
        seen[path] = option
        holds = _content(path) if path.is_file() else None
        if holds is not None and holds not in spec.holds and not force:
            raise ParameterError(f"{option} {path} exists and holds {_HOLDS[holds]}, not "
                                 f"{spec.what}; give another file name, or --force to replace "
                                 "it")


def unwritable_folder(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (made if missing), or None: checked before
    any work, so that a long fit does not end on a folder it cannot write.

    >>> unwritable_folder(Path(__file__)) is not None  # a file, not a folder
    True
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        made = "" if existing == folder else f" (to make {folder} in)"
        return f"the folder {existing}{made} is not writable; choose another place"
    return None


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (links and ``..`` resolved)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _content(path: Path) -> str | None:
    """What a file holds, from its first bytes (a name of ``_HOLDS``); None when empty or
    unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return None
    if not head:
        return None
    for magic, holds in ((b"PK\x03\x04", "zip"), (b"PAR1", "parquet"), (b"\x1f\x8b", "gzip")):
        if head.startswith(magic):
            return holds
    if b"\x00" in head:
        return "binary"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html")):
        return "html"
    return "json" if text.startswith(("{", "[")) else "text"


def metric_groups(text: str) -> str | list[str]:
    """``--metrics``: "all" or the comma-separated groups."""
    return "all" if text.strip() == "all" else [g.strip() for g in text.split(",") if g.strip()]


def friendly(func: F) -> F:
    """Run ``func``; a library error is printed as one line and exits with status 2."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SimulacraError as err:
            err_console.print(f"[bold red]error:[/] {escape(str(err))}")
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def print_metadata(md: Any, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("column")
    table.add_column("kind")
    table.add_column("why")
    for name, kind in md.items():
        table.add_row(name, kind.kind, kind.reason or "")
    console.print(table)


def metadata_summary(md: Any, title: str) -> str:
    """One line for a table's metadata: how many columns of each kind.

    >>> from simulacra.metadata import Metadata
    >>> import simulacra as sim
    >>> md = Metadata({"a": sim.Numerical(), "b": sim.Categorical(), "c": sim.Numerical()})
    >>> metadata_summary(md, "Detected").split(" (")[0]
    'Detected: 3 columns — 2 numerical, 1 categorical'
    """
    counts: dict[str, int] = {}
    for kind in md.values():
        counts[kind.kind] = counts.get(kind.kind, 0) + 1
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items())
    return (f"{title}: {len(md)} column{'s' * (len(md) != 1)} — {kinds} "
            "(`simulacra metadata` explains each)")


def progress_params(model: str, params: dict[str, Any], quiet: bool) -> dict[str, Any]:
    """``params`` with ``verbose`` on when the model has a progress bar, the output is a
    terminal and neither ``--quiet`` nor ``-p verbose=...`` says otherwise."""
    from simulacra.models import get_model

    if "verbose" in params or "verbose" not in get_model(model)._param_names():
        return params
    return {**params, "verbose": not quiet and console.is_terminal}


def print_privacy(report: PrivacyReport) -> None:
    """A privacy report's ε, δ and spend by stage, as a table."""
    table = Table(title=f"Differential privacy: ε = {report.epsilon:.4g}, "
                        f"δ = {report.delta:.3g} (budget ε = {report.budget.epsilon:g})",
                  title_justify="left", caption=report.accountant, caption_justify="left")
    table.add_column("stage")
    table.add_column("ρ (zCDP)", justify="right")
    table.add_column("share", justify="right")
    table.add_column("δ used", justify="right")
    for stage, spent in report.stages.items():
        table.add_row(stage, f"{spent.rho:.4g}", f"{spent.share:.0%}", f"{spent.delta:.2g}")
    console.print(table)


def names_option(values: list[str] | None) -> list[str]:
    """A repeatable option that also takes comma lists: ``--keep a,b --keep c``."""
    return [t.strip() for item in values or [] for t in item.split(",") if t.strip()]


def schema_or_input(schema: bool, given: object, build: Callable[[], dict[str, Any]],
                    missing: str) -> bool:
    """``--schema``: print the JSON Schema ``build`` makes and return True (the command is
    done); otherwise the command's input must be ``given`` (else ``missing`` is the error)."""
    if schema:
        import json

        print(json.dumps(build(), indent=2, ensure_ascii=False))
        return True
    if given is None:
        from simulacra.errors import ParameterError

        raise ParameterError(missing)
    return False
