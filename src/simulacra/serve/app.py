"""The HTTP service: ``create_app(models_dir, token=..., limits=...)`` → a FastAPI app.

===================================  ====  ==============================================
route                                auth  answers
===================================  ====  ==============================================
``GET /healthz``                     no    ``{"status": "ok", "models": <servable>}``
``GET /openapi.json``                no    the OpenAPI document
``GET /v1/models``                   yes   every model's card
``GET /v1/models/{name}``            yes   one model's card (404: no such model)
``POST /v1/models/{name}/sample``    yes   rows as CSV, JSON lines or Parquet (``Accept``)
``GET /metrics``                     yes   Prometheus text format
===================================  ====  ==============================================

Sampling runs on worker threads (:class:`~simulacra.serve.limits.SamplingPool`), never on the
event loop. The first chunk is drawn before the response starts, so a request the model
cannot meet gets a 4xx with the library's message; the others stream while the next chunk is
drawn. Request bodies are never logged.
"""

# no ``from __future__ import annotations``: FastAPI reads the endpoints' annotations, and the
# sample body's model is made per app (its row limit), inside create_app
import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Body, FastAPI, Header, HTTPException, Request, Security
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPBearer

from simulacra._version import __version__
from simulacra.errors import SimulacraError
from simulacra.formats import FORMATS, Format, negotiate
from simulacra.serve.auth import BearerAuth, check_token
from simulacra.serve.limits import BodyLimit, BusyError, Limits, OverranError, SamplingPool
from simulacra.serve.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from simulacra.serve.pool import RowPool
from simulacra.serve.registry import ModelRegistry, ServedModel
from simulacra.serve.sampling import Generation, check_request
from simulacra.serve.schemas import (
    MAX_SEED,
    NAME_PATTERN,
    ErrorBody,
    Health,
    ModelCard,
    ModelList,
    SampleRequest,
    sample_request_model,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

ModelName = Annotated[str, PathParam(pattern=NAME_PATTERN, description="A model's name.")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or the wrong one."},
    413: {"model": ErrorBody, "description": "The request body is too large."},
    422: {"model": ErrorBody, "description": "The request is not valid."},
}


def create_app(models_dir: str | Path, *, token: str | None,
               limits: Limits | None = None) -> FastAPI:
    """The service over the ``*.simz`` models of ``models_dir`` (loaded now).

    ``token``: the Bearer token every request but ``/healthz`` and ``/openapi.json`` needs;
    ``None`` turns authentication off (only for a service on a loopback address — the
    command line enforces that). ``limits``: :class:`~simulacra.serve.limits.Limits`.
    """
    limits = Limits() if limits is None else limits
    if token is not None:
        check_token(token)
    registry = ModelRegistry.from_folder(models_dir)
    metrics = Metrics()
    metrics.set_models(registry.servable(), len(registry) - registry.servable())
    pool = SamplingPool(limits.threads)
    buffers = {name: RowPool(served.model, limits.pool_rows, served.lock)
               for name, served in registry.items()
               if served.card.servable and limits.pool_rows > 0}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown()

    app = FastAPI(
        title="simulacra", version=__version__, lifespan=lifespan, docs_url=None,
        redoc_url=None,
        description="On-demand synthetic rows from saved simulacra models. Send "
                    "`Authorization: Bearer <token>` on every route but /healthz and "
                    "/openapi.json.")
    app.state.registry, app.state.limits, app.state.metrics = registry, limits, metrics
    app.state.buffers = buffers
    secured = [Security(HTTPBearer(auto_error=False))] if token is not None else []
    errors = {k: v for k, v in _ERRORS.items() if token is not None or k != 401}
    Sample = sample_request_model(limits.max_rows)

    @app.exception_handler(SimulacraError)
    async def _library_error(request: Request, err: SimulacraError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=422)

    @app.get("/healthz", response_model=Health, tags=["service"])
    async def healthz() -> Health:
        """Whether the service is up, and how many models it serves (no token needed)."""
        return Health(status="ok", models=registry.servable())

    @app.get("/v1/models", response_model=ModelList, tags=["models"], dependencies=secured,
             responses=errors)
    async def list_models() -> ModelList:
        """Every model in the folder, with its card (those that cannot be served say why)."""
        return ModelList(models=registry.cards())

    @app.get("/v1/models/{name}", response_model=ModelCard, tags=["models"],
             dependencies=secured,
             responses={**errors, 404: {"model": ErrorBody, "description": "No such model."}})
    async def model_card(name: ModelName) -> ModelCard:
        """One model's card: what it is, its columns, training rows, privacy spend, metrics."""
        return _served(registry, name).card

    @app.post(
        "/v1/models/{name}/sample", tags=["models"], dependencies=secured,
        response_class=Response,
        responses={
            **errors,
            400: {"model": ErrorBody, "description": "The body could not be read (not "
                                                     "UTF-8)."},
            200: {"description": "The rows, streamed (`X-Simulacra-Seed`: the seed used).",
                  "content": {f.media_type: {"schema": {"type": "string",
                                                        "format": "binary"}}
                              for f in FORMATS}},
            404: {"model": ErrorBody, "description": "No such model."},
            406: {"model": ErrorBody, "description": "None of the formats is acceptable."},
            409: {"model": ErrorBody, "description": "The model cannot be sampled here "
                                                     "(a database or event-table model)."},
            503: {"model": ErrorBody, "description": "Busy: no worker was free in time."},
            504: {"model": ErrorBody, "description": "Sampling overran the time limit."},
        })
    async def sample(
        name: ModelName,
        body: Annotated[Sample, Body()],  # type: ignore[valid-type]
        accept: Annotated[str | None, Header(
            description="text/csv (default), application/x-ndjson, "
                        "application/vnd.apache.parquet")] = None,
    ) -> Response:
        """Draw `n` rows, as CSV, JSON lines or Parquet by the `Accept` header.

        `seed` makes the bytes reproducible; `conditions` keep only rows with the given
        values or ranges; `rebalance` sets one column's category shares. A request the model
        cannot meet (an unknown column, an impossible value) gets 422 with the reason.
        """
        return await _sample(registry, limits, metrics, pool, name, body, accept,
                             buffers.get(name))

    @app.get("/metrics", tags=["service"], dependencies=secured, response_class=PlainTextResponse,
             responses={**errors, 200: {"content": {"text/plain": {}},
                                        "description": "Prometheus text format."}})
    async def prometheus() -> PlainTextResponse:
        """Request counts by route and status, latency histogram, rows generated."""
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE)

    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    if token is not None:
        app.add_middleware(BearerAuth, token=token)
    app.add_middleware(MetricsMiddleware, metrics=metrics, route_of=_route_namer(app))
    return app


def _served(registry: ModelRegistry, name: str) -> ServedModel:
    try:
        return registry[name]
    except KeyError:
        raise HTTPException(404, f"no model {name!r}; GET /v1/models lists them") from None


async def _sample(registry: ModelRegistry, limits: Limits, metrics: Metrics,
                  pool: SamplingPool, name: str, body: SampleRequest,
                  accept: str | None, buffer: RowPool | None) -> Response:
    served = _served(registry, name)
    if not served.card.servable:
        raise HTTPException(409, f"model {name!r} cannot be sampled here: {served.card.reason}")
    fmt = negotiate(accept)
    if fmt is None:
        offered = ", ".join(t for f in FORMATS for t in f.media_types())
        raise HTTPException(406, f"cannot answer in {accept!r}; ask for one of: {offered}")
    conditions = body.library_conditions()
    check_request(served.model, conditions, body.rebalance)
    deadline = time.monotonic() + limits.timeout
    media_type = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/")
                                   else "")
    headers = {"X-Simulacra-Rows": str(body.n),
               "Content-Disposition": f'attachment; filename="{name}.{fmt.extension}"'}
    if buffer is not None and body.seed is None and not conditions and not body.rebalance:
        data = await _from_buffer(pool, buffer, fmt, body.n, deadline, limits)
        if data is not None:
            metrics.add_rows(name, fmt.name, body.n)
            return Response(data, media_type=media_type, headers=headers)
    seed = secrets.randbelow(MAX_SEED + 1) if body.seed is None else body.seed
    headers["X-Simulacra-Seed"] = str(seed)
    generation = Generation(served, fmt, n=body.n, seed=seed, chunk_rows=limits.chunk_rows,
                            conditions=conditions, rebalance=body.rebalance)
    first, rows = await _step(pool, generation, deadline, limits)
    metrics.add_rows(name, fmt.name, rows)
    if generation.done:
        return Response(first, media_type=media_type, headers=headers)

    async def rest() -> AsyncIterator[bytes]:
        pending = asyncio.ensure_future(_step(pool, generation, deadline, limits))
        try:
            yield first
            while True:
                data, rows = await pending
                metrics.add_rows(name, fmt.name, rows)
                last = generation.done
                if not last:  # draw the next chunk while this one goes out
                    pending = asyncio.ensure_future(_step(pool, generation, deadline, limits))
                yield data
                if last:
                    return
        except Exception as err:
            reason = err.detail if isinstance(err, HTTPException) else str(err)
            logger.warning("stream of %r cut off before its end: %s", name, reason)
            raise
        finally:
            pending.cancel()

    return StreamingResponse(rest(), media_type=media_type, headers=headers)


async def _from_buffer(pool: SamplingPool, buffer: RowPool, fmt: Format, n: int,
                       deadline: float, limits: Limits) -> bytes | None:
    """The response body from rows drawn ahead, or None (too many rows, or too few left);
    tops the buffer up in the background when it runs low."""
    if n > buffer.largest_take:
        return None

    def write() -> bytes | None:
        frame = buffer.take(n, arrow=fmt.arrow)
        if frame is None:
            return None
        writer = fmt.new_writer()
        return writer.write(frame) + writer.close()

    try:
        return await _run(pool, write, deadline, limits)
    finally:
        if buffer.wants_refill():
            pool.submit(buffer.refill)


async def _step(pool: SamplingPool, generation: Generation, deadline: float,
                limits: Limits) -> tuple[bytes, int]:
    return await _run(pool, generation.step, deadline, limits)


async def _run(pool: SamplingPool, func: Callable[[], T], deadline: float, limits: Limits
               ) -> T:
    """``func()`` on the sampling threads; 503 or 504 at the deadline."""
    try:
        return await pool.run(func, deadline)
    except BusyError:
        raise HTTPException(503, "the service is busy: no worker was free within the "
                                 f"{limits.timeout:g} s limit; try again",
                            headers={"Retry-After": "1"}) from None
    except OverranError:
        raise HTTPException(504, f"generating the rows took longer than the {limits.timeout:g} "
                                 "s limit; ask for fewer rows, or conditions that more rows "
                                 "meet") from None


def _route_namer(app: FastAPI) -> Any:
    """``scope → route template`` (``"unmatched"`` for a path no route has)."""
    def route_of(scope: dict) -> str:
        partial = "unmatched"
        for route in app.router.routes:
            match, _ = route.matches(scope)  # starlette's Match: NONE, PARTIAL or FULL
            if match.name == "FULL":
                return getattr(route, "path", "unmatched")
            if match.name == "PARTIAL" and partial == "unmatched":  # another method
                partial = getattr(route, "path", "unmatched")
        return partial

    return route_of


#: The settings a worker process of ``simulacra serve --workers N`` builds its app from (JSON:
#: ``models_dir``, ``token_file`` or null, ``limits``); the token itself is read from its
#: file by each worker, never passed through the environment.
CONFIG_VARIABLE = "SIMULACRA_SERVE_CONFIG"


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process, from :data:`CONFIG_VARIABLE`."""
    import json
    import os

    from simulacra.serve.auth import read_token_file

    try:
        config = json.loads(os.environ[CONFIG_VARIABLE])
    except (KeyError, ValueError):
        raise SimulacraError(f"${CONFIG_VARIABLE} is not set to the service's settings; start "
                             "the service with `simulacra serve`") from None
    token_file = config.get("token_file")
    token = read_token_file(token_file, warn=logger.warning) if token_file else None
    return create_app(config["models_dir"], token=token, limits=Limits(**config["limits"]))
