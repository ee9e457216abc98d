"""``serve``: the on-demand generation service over a folder of saved models.

Everything is checked before anything listens: a token is required (``--token-file``) unless
``--insecure-local``, which also keeps the service on a loopback address; the token file must
hold a token of at least 16 printable characters and must not be readable by other users.
The token is never printed. FastAPI and uvicorn come with the ``serve`` extra and are imported
only when the command runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from simulacra.cli.common import console, err_console, friendly
from simulacra.errors import ParameterError


@friendly
def serve(
    models_dir: Annotated[Path, typer.Argument(help="Folder of saved models (*.simz); each "
                                               "is served under its file name.")],
    token_file: Annotated[Path | None, typer.Option(
        "--token-file", help="File holding the Bearer token clients must send (at least 16 "
        "characters; not readable by other users: chmod 600).")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (a non-loopback "
                                      "address serves the network over plain HTTP).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
                    ] = 8000,
    insecure_local: Annotated[bool, typer.Option(
        "--insecure-local", help="No token: anyone on this machine may call the service; "
        "only with a loopback --host.")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Most rows one request "
                                          "may ask for.")] = 1_000_000,
    max_body_bytes: Annotated[int, typer.Option(
        "--max-body-bytes", min=1, help="Largest request body (413 past it).")] = 64 * 1024,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0.001, help="Seconds a request's sampling may take (503/504 past "
        "it; a stream past it is cut off).")] = 60.0,
    threads: Annotated[int, typer.Option(
        "--threads", min=1, help="Worker threads that sample, per process.")] = 2,
    pool_rows: Annotated[int, typer.Option(
        "--pool-rows", min=0, help="Rows per model drawn ahead for small requests without a "
        "seed, conditions or rebalancing (answered without X-Simulacra-Seed); 0: every "
        "request draws its own rows.")] = 20_000,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="Server processes (each loads every model and keeps its own "
        "/metrics figures).")] = 1,
    access_log: Annotated[bool, typer.Option(
        "--access-log/--no-access-log", help="Log one line per request (never its body).")
    ] = True,
) -> None:
    """Serve the models of a folder over HTTP: cards at GET /v1/models, rows at
    POST /v1/models/NAME/sample (see docs/serving.md).

    Clients send `Authorization: Bearer TOKEN`, the token being the content of --token-file.
    """
    from simulacra.serve.auth import is_loopback, read_token_file

    if insecure_local and token_file is not None:
        raise ParameterError("--insecure-local turns the token off; give either it or "
                             "--token-file, not both")
    if not insecure_local and token_file is None:
        raise ParameterError("a token is required: --token-file FILE (a file holding a random "
                             "token of at least 16 characters), or --insecure-local to serve "
                             "this machine only, without one")
    if insecure_local and not is_loopback(host):
        raise ParameterError(f"--insecure-local serves without a token, so only on a loopback "
                             f"address (127.0.0.1, ::1, localhost); got --host {host}")
    if not models_dir.is_dir():
        raise ParameterError(f"models folder {str(models_dir)!r} is not a folder")
    token = None if token_file is None else read_token_file(token_file, warn=_warn)
    uvicorn = _require_serve_extra()
    from simulacra.serve import Limits, create_app

    limits = Limits(max_rows=max_rows, max_body_bytes=max_body_bytes, timeout=timeout,
                    threads=threads, pool_rows=pool_rows)
    if not is_loopback(host):
        _warn(f"serving {host} over plain HTTP: the token and the rows cross the network "
              "unencrypted; put a TLS-terminating proxy in front (docs/serving.md)")
    options: dict[str, Any] = {"host": host, "port": port, "access_log": access_log,
                               "server_header": False, "log_level": "info"}
    if workers == 1:
        app = create_app(models_dir, token=token, limits=limits)
        _print_models(app.state.registry, models_dir, host, port, token_file)
        uvicorn.Server(uvicorn.Config(app, **options)).run()
        return
    _run_workers(uvicorn, models_dir, token_file, limits, workers, options, host, port)


def _run_workers(uvicorn: Any, models_dir: Path, token_file: Path | None, limits: Any,
                 workers: int, options: dict[str, Any], host: str, port: int) -> None:
    """Several processes: each builds the app from the settings in the environment."""
    import json
    import os

    from simulacra.serve.app import CONFIG_VARIABLE
    from simulacra.serve.registry import ModelRegistry

    _print_models(ModelRegistry.from_folder(models_dir), models_dir, host, port, token_file)
    os.environ[CONFIG_VARIABLE] = json.dumps({
        "models_dir": str(models_dir.resolve()),
        "token_file": None if token_file is None else str(token_file.resolve()),
        "limits": dataclasses.asdict(limits)})
    uvicorn.run("simulacra.serve.app:app_from_environment", factory=True, workers=workers,
                **options)


def _require_serve_extra() -> Any:
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise ParameterError("the service needs FastAPI and uvicorn: pip install "
                             '"simulacra[serve]"') from None
    return uvicorn


def _warn(message: str) -> None:
    from rich.markup import escape

    err_console.print(f"[bold yellow]warning:[/] {escape(message)}")


def _print_models(registry: Any, models_dir: Path, host: str, port: int,
                  token_file: Path | None) -> None:
    from rich.markup import escape

    servable = registry.servable()
    address = f"[{host}]" if ":" in host else host
    source = f"token from {token_file}" if token_file else "no token"
    console.print(f"Serving {servable} model(s) from [bold]{escape(str(models_dir))}[/] on "
                  f"{escape(f'http://{address}:{port}')} ({escape(source)}).")
    for card in registry.cards():
        if not card.servable:
            console.print(f"  {escape(card.name)}: not served — {escape(card.reason or '')}")
    if not len(registry):
        _warn(f"{models_dir} holds no *.simz model yet (models are read at start)")
