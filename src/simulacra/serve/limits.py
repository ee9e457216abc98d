"""What one request may ask of the service, and the worker threads that sample off the event
loop within a time limit.

* rows per request: ``n`` above :attr:`Limits.max_rows` is refused (422, by the body's schema);
* body size: a body above :attr:`Limits.max_body_bytes` is refused before it is read (413);
* time: a request's sampling must finish within :attr:`Limits.timeout` seconds. Sampling runs
  on :attr:`Limits.threads` worker threads (:class:`SamplingPool`); a request still waiting
  for a thread at its deadline gets 503 (busy, ``Retry-After``), one whose sampling overran
  gets 504. A large request is generated chunk by chunk, each chunk checking the deadline
  first: a stream that runs out of time is cut off (the client sees an incomplete response).
  A chunk already being drawn runs to its end (Python threads cannot be stopped), so the pool
  also bounds how much abandoned work there can be.

>>> Limits(max_rows=10).max_rows
10
>>> Limits(timeout=0)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
simulacra.errors.ParameterError: The 'timeout' parameter must be a number of seconds > 0. ...
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from simulacra.errors import check_param

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """The service's limits per request (see the module's docstring)."""

    max_rows: int = 1_000_000
    max_body_bytes: int = 64 * 1024
    timeout: float = 60.0
    #: Rows drawn and written at a time; the bytes of a seeded request depend on it.
    chunk_rows: int = 50_000
    #: Sampling threads per process: sampling holds the interpreter most of the time, so more
    #: threads than cores add switching, not throughput (148 req/s at 4 against 241 at 1)
    threads: int = 2
    #: Rows per model drawn ahead for small unseeded requests (:mod:`simulacra.serve.pool`);
    #: 0 turns the buffer off.
    pool_rows: int = 20_000

    def __post_init__(self) -> None:
        for name in ("max_rows", "max_body_bytes", "chunk_rows", "threads", "pool_rows"):
            value = getattr(self, name)
            least = 0 if name == "pool_rows" else 1
            check_param(name, value, f"an integer >= {least}", isinstance(value, int)
                        and not isinstance(value, bool) and value >= least)
        ok = isinstance(self.timeout, int | float) and not isinstance(self.timeout, bool) \
            and self.timeout > 0
        check_param("timeout", self.timeout, "a number of seconds > 0", ok)


class BusyError(Exception):
    """No worker thread became free before the request's deadline."""


class OverranError(Exception):
    """The request's sampling did not finish before its deadline."""


class SamplingPool:
    """Worker threads for sampling; :meth:`run` waits for a result until a deadline."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="simulacra-sample")

    async def run(self, func: Callable[[], T], deadline: float) -> T:
        """``func()`` on a worker thread; :class:`BusyError` or :class:`OverranError` at
        ``deadline`` (a ``time.monotonic()`` instant). A call whose deadline passed before a
        thread took it does not run at all."""
        started = []

        def job() -> T:
            if time.monotonic() >= deadline:
                raise BusyError
            started.append(True)
            return func()

        future = asyncio.get_running_loop().run_in_executor(self._executor, job)
        future.add_done_callback(_consume)
        try:
            return await asyncio.wait_for(asyncio.shield(future),
                                          max(deadline - time.monotonic(), 0.0))
        except asyncio.TimeoutError:
            raise OverranError if started else BusyError from None

    def submit(self, func: Callable[[], object]) -> None:
        """Run ``func()`` on a worker thread when one is free, with no deadline and nobody
        waiting (background work: a failure is logged)."""
        def job() -> None:
            try:
                func()
            except Exception:
                logger.exception("background sampling failed")

        self._executor.submit(job)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _consume(future: asyncio.Future) -> None:
    """Mark an abandoned call's outcome as seen (no "exception never retrieved" noise)."""
    if not future.cancelled():
        future.exception()


class BodyLimit:
    """ASGI middleware: a request body larger than ``max_bytes`` gets 413 before it is read
    past the limit (by its ``Content-Length``, or while it arrives); the body, once read, is
    handed on whole."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Callable) -> None:
        body = json.dumps({"detail": f"the request body is larger than {self.max_bytes:,} "
                                     "bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
