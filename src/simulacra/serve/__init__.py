"""On-demand generation over HTTP: ``simulacra serve MODELS_DIR --token-file FILE``.

:func:`create_app` builds the FastAPI app over a folder of saved models (see
:mod:`simulacra.serve.app` for the routes and docs/serving.md for a guide); the command line
(:mod:`simulacra.cli.serving`) reads the token and runs it with uvicorn. FastAPI and uvicorn
come with the ``serve`` extra (``pip install "simulacra[serve]"``); they are imported when
:func:`create_app` is first asked for, so the token and limit checks work without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulacra.serve.auth import read_token_file
from simulacra.serve.limits import Limits

if TYPE_CHECKING:
    from simulacra.serve.app import create_app

__all__ = ["Limits", "create_app", "read_token_file"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from simulacra.serve.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
