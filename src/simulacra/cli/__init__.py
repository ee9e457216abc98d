"""The ``simulacra`` command: a thin layer over the library.

Every command maps to one library call; errors from the library are shown as one clear message
and exit with status 2. The commands live by what they do — :mod:`.modelling` (metadata, fit,
sample, impute, models, demo), :mod:`.databases` (clone, and databases in metadata, fit,
sample, evaluate), :mod:`.tables` (pseudonymize, generate), :mod:`.measuring`
(evaluate, bench), :mod:`.pipelines` (init, run), :mod:`.monitoring` (drift) and
:mod:`.serving` (serve) — and are registered here, in the order ``--help`` lists them.
"""

from __future__ import annotations

import signal
import warnings
from types import FrameType
from typing import Annotated, Any

import typer

from simulacra._version import __version__
from simulacra.cli.common import console, err_console
from simulacra.cli.databases import clone
from simulacra.cli.measuring import bench, evaluate
from simulacra.cli.modelling import demo, fit, impute, metadata, models, sample
from simulacra.cli.monitoring import drift
from simulacra.cli.pipelines import init, run
from simulacra.cli.serving import serve
from simulacra.cli.tables import generate, pseudonymize

app = typer.Typer(
    name="simulacra",
    help="Synthetic data that keeps the statistical shape of real tables.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
    # help is plain text: brackets such as [deep] or [low, high] are shown, not read as rich
    # markup, and a docstring's single line breaks are joined into paragraphs
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


for command in (metadata, fit, sample, clone, pseudonymize, generate, impute, evaluate, bench,
                drift, init, run, serve, models, demo):
    app.command()(command)


class Stopped(SystemExit):
    """Ctrl-C or SIGTERM: unwinds the command like an exit (``finally`` blocks run, so the
    atomic writers remove their temporary files), then :func:`main` prints one line."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)  # the shell's status for a process stopped by signum
        self.what = "interrupted (Ctrl-C)" if signum == signal.SIGINT else "terminated (SIGTERM)"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """A library warning on the command line: one ``warning:`` line on standard error, without
    the source file and line Python's default format adds."""
    from rich.markup import escape

    err_console.print(f"[yellow]warning:[/] {escape(str(message))}")


def main() -> None:
    """Console-script entry point: Ctrl-C and SIGTERM stop the command cleanly (no
    traceback, temporary files removed) with status 130 and 143; warnings are shown as one
    ``warning:`` line each."""
    warnings.showwarning = _show_warning
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # ignored (nohup, `&`): stays so
            signal.signal(signum, _stop)
    try:
        app()
    except Stopped as stop:
        err_console.print(f"stopped: {stop.what}")
        raise SystemExit(stop.code) from None


if __name__ == "__main__":
    main()
