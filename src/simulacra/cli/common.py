"""What every command shares: the consoles, the option types, ``KEY=VALUE`` parsing, a
model's hyperparameters, the privacy budget, and errors shown as one clear message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from simulacra.errors import SimulacraError

if TYPE_CHECKING:
    from simulacra.privacy import PrivacyReport

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
    "--delta", help="Differential privacy: δ (default 1e-5, below 1/rows; not derived from "
    "the table, whose row count it would reveal); needs --epsilon.")]
MetricsOption = Annotated[str, typer.Option(
    "--metrics", help="Metric groups to compute: 'all' or a comma list of fidelity, detection, "
    "utility, privacy, sequences (event tables; e.g. fidelity,detection,utility for a faster "
    "sweep).")]
ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="Hyperparameter KEY=VALUE, VALUE in YAML (repeat), e.g. -p epochs=50 "
    "-p early_stopping=true -p generator_dim=[256,256].")]
KeepOption = Annotated[list[str] | None, typer.Option(
    "--keep", help="Database: copy this table as it is instead of synthesizing it (repeat, or a "
    "comma list) - public lookup tables only: its rows and its rows' numbers of children go "
    "into the model.")]


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
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
            err_console.print(f"[bold red]error:[/] {err}")
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
