"""The generation service: a real uvicorn on 127.0.0.1, called with httpx (and fuzzed from its
OpenAPI document with schemathesis); the command line's refusals; the parts on their own."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

fastapi = pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import simulacra as sim  # noqa: E402
from conftest import make_mixed  # noqa: E402
from simulacra.evaluation.metric import Metric  # noqa: E402
from simulacra.evaluation.result import EvaluationResult  # noqa: E402
from simulacra.formats import negotiate  # noqa: E402
from simulacra.randomness import chunk_plan  # noqa: E402
from simulacra.serve import Limits, create_app, read_token_file  # noqa: E402
from simulacra.serve.limits import BusyError, OverranError, SamplingPool  # noqa: E402
from simulacra.serve.registry import model_card, read_metrics  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHUNK = 1_000  # small chunks, so a few thousand rows already stream in several
MAX_ROWS = 20_000
MAX_BODY = 4_096
POOL = 4_000  # rows drawn ahead per model; requests of up to POOL // 4 rows take from them


@dataclass
class Service:
    url: str
    model: sim.GaussianCopula
    real: pd.DataFrame
    app: object
    folder: Path


@contextmanager
def serving(app):
    """``app`` on a real uvicorn at 127.0.0.1 (a free port), in a thread: yields its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    waited = time.monotonic()
    while not server.started:
        assert thread.is_alive() and time.monotonic() - waited < 30, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    folder = tmp_path_factory.mktemp("models")
    real = sim.datasets.load_demo().head(2000)
    model = sim.GaussianCopula(random_state=0).fit(real)
    model.save(folder / "adult.simz")
    EvaluationResult([
        Metric("shape", "fidelity", 0.91, definition="mean column shape score",
               direction="higher", ideal=1.0, details={"age": 0.9}),
        Metric("c2st", "fidelity", 0.6, definition="classifier AUC", direction="closer",
               ideal=0.5),
    ], info={"seconds": 1.0}).to_json(folder / "adult.metrics.json")
    sim.GaussianCopula(random_state=0).fit(make_mixed()).save(folder / "mixed.simz")
    (folder / "mixed.metrics.json").write_text("{not json", encoding="utf-8")
    (folder / "broken.simz").write_bytes(b"not a model file")
    (folder / "bad name!.simz").write_bytes(b"skipped: not a valid name")
    app = create_app(folder, token=TOKEN, limits=Limits(
        max_rows=MAX_ROWS, max_body_bytes=MAX_BODY, timeout=30, chunk_rows=CHUNK, threads=2,
        pool_rows=POOL))
    with serving(app) as url:
        yield Service(url, model, real, app, folder)


@pytest.fixture(scope="module")
def client(service: Service):
    with httpx.Client(base_url=service.url, headers=AUTH, timeout=60) as c:
        yield c


def sample(client, name: str = "adult", accept: str | None = None, **body) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return client.post(f"/v1/models/{name}/sample", json=body, headers=headers)


def expected(model, n: int, seed: int, **options) -> pd.DataFrame:
    """What the service must send: each chunk drawn from the request seed's child stream."""
    parts = [model.sample(rows, rng=np.random.default_rng(child), **options)
             for rows, child in chunk_plan(n, seed, CHUNK)]
    return pd.concat(parts, ignore_index=True)


# -- the running service ----------------------------------------------------------------------
def test_health_needs_no_token_and_counts_servable_models(service: Service):
    r = httpx.get(f"{service.url}/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "models": 2}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": TOKEN}])
@pytest.mark.parametrize("method,path", [("GET", "/v1/models"), ("GET", "/v1/models/adult"),
                                         ("POST", "/v1/models/adult/sample"),
                                         ("GET", "/metrics"), ("GET", "/no/such/path")])
def test_every_route_but_health_needs_the_token(service: Service, headers, method, path):
    r = httpx.request(method, service.url + path, headers=headers, json={"n": 5})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in r.text


def test_a_body_is_not_parsed_before_the_token_is_checked(service: Service):
    r = httpx.post(f"{service.url}/v1/models/adult/sample", content=b"{not json",
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 401


def test_list_and_cards(client, service: Service):
    cards = {c["name"]: c for c in client.get("/v1/models").json()["models"]}
    assert set(cards) == {"adult", "mixed", "broken"}  # "bad name!" is skipped
    adult = client.get("/v1/models/adult").json()
    assert adult == cards["adult"]
    assert adult["model"] == "gaussian_copula" and adult["servable"] and adult["reason"] is None
    assert [c["name"] for c in adult["columns"]] == list(service.real.columns)
    kinds = {c["name"]: c["kind"] for c in adult["columns"]}
    assert kinds["age"] == "numerical" and kinds["sex"] == "categorical"
    assert adult["training_rows"] == 2000 and adult["privacy"] is None
    assert adult["hyperparameters"]["random_state"] == 0
    assert [(m["name"], m["value"], m["ideal"]) for m in adult["metrics"]] == [
        ("shape", 0.91, 1.0), ("c2st", 0.6, 0.5)]
    assert "details" not in adult["metrics"][0]
    assert cards["mixed"]["servable"] and cards["mixed"]["metrics"] is None  # malformed sidecar
    broken = cards["broken"]
    assert not broken["servable"] and broken["model"] is None
    assert "cannot be loaded" in broken["reason"] and "broken.simz" in broken["reason"]
    assert str(service.folder) not in broken["reason"]  # no server paths in answers


def test_unknown_and_invalid_model_names(client):
    assert client.get("/v1/models/nope").status_code == 404
    assert sample(client, "nope", n=5).status_code == 404
    assert client.get("/v1/models/bad%20name!").status_code == 422
    r = sample(client, "broken", n=5)
    assert r.status_code == 409 and "cannot be sampled" in r.json()["detail"]


@pytest.mark.parametrize("n", [7, 2 * CHUNK + 345])
def test_csv_is_the_default_and_holds_the_models_rows(client, service: Service, n):
    r = sample(client, n=n, seed=3)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-simulacra-seed"] == "3" and r.headers["x-simulacra-rows"] == str(n)
    got = pd.read_csv(io.BytesIO(r.content))
    want = expected(service.model, n, 3)
    assert list(got.columns) == list(want.columns) and len(got) == n
    for column in want.columns:
        assert (pd.api.types.is_numeric_dtype(got[column])
                == pd.api.types.is_numeric_dtype(want[column])), column
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_column_type=False)


@pytest.mark.parametrize("accept", ["application/vnd.apache.parquet", "application/x-parquet"])
@pytest.mark.parametrize("name", ["adult", "mixed"])
def test_parquet_keeps_values_and_dtypes(client, service: Service, accept, name):
    r = sample(client, name, accept=accept, n=2 * CHUNK + 10, seed=11)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    got = pd.read_parquet(io.BytesIO(r.content))
    model = service.app.state.registry[name].model
    pd.testing.assert_frame_equal(got, expected(model, 2 * CHUNK + 10, 11), check_column_type=False)


@pytest.mark.parametrize("accept", ["application/x-ndjson", "application/jsonl"])
def test_json_lines_one_object_per_row(client, service: Service, accept):
    r = sample(client, "mixed", accept=accept, n=CHUNK + 1, seed=5)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    lines = r.content.decode("utf-8").splitlines()
    assert len(lines) == CHUNK + 1
    rows = [json.loads(line) for line in lines]
    want = expected(service.app.state.registry["mixed"].model, CHUNK + 1, 5)
    assert list(rows[0]) == list(want.columns)
    assert [row["age"] for row in rows] == want["age"].tolist()
    assert [row["city"] for row in rows] == want["city"].astype(object).where(
        want["city"].notna(), None).tolist()


def test_same_seed_same_bytes_and_the_seed_is_returned(client):
    first = sample(client, n=2 * CHUNK + 1, seed=42)
    assert first.content == sample(client, n=2 * CHUNK + 1, seed=42).content
    assert first.content != sample(client, n=2 * CHUNK + 1, seed=43).content
    fresh = sample(client, n=POOL // 4 + 1)  # too large for the rows drawn ahead
    again = sample(client, n=POOL // 4 + 1, seed=int(fresh.headers["x-simulacra-seed"]))
    assert fresh.content == again.content


def test_small_unseeded_requests_take_rows_drawn_ahead(client, service: Service):
    buffer = service.app.state.buffers["adult"]
    sample(client, n=10)  # the buffer fills in the background if it was low
    waited = time.monotonic()
    while buffer.available < POOL // 2 + 200 and time.monotonic() - waited < 20:
        time.sleep(0.05)
    before = buffer.available
    assert before >= POOL // 2 + 200  # so the two requests below start no refill
    first, second = sample(client, n=100), sample(client, n=100)
    assert first.status_code == second.status_code == 200
    assert "x-simulacra-seed" not in first.headers  # nothing to repeat them with
    assert buffer.available == before - 200
    a, b = (pd.read_csv(io.BytesIO(r.content)) for r in (first, second))
    assert len(a) == len(b) == 100 and list(a.columns) == list(service.real.columns)
    assert not a.equals(b)  # each row is handed out once
    seeded = sample(client, n=100, seed=1)  # a seed, conditions or rebalance: drawn anew
    assert seeded.headers["x-simulacra-seed"] == "1"


def test_conditions_are_honoured(client):
    r = sample(client, n=300, seed=1, conditions={"sex": "Female", "age": [30, 40]})
    assert r.status_code == 200
    got = pd.read_csv(io.BytesIO(r.content))
    assert len(got) == 300 and (got["sex"] == "Female").all()
    assert got["age"].between(30, 40).all()


def test_rebalance_sets_the_shares(client):
    r = sample(client, n=CHUNK, seed=2, rebalance={"income": {">50K": 0.5}})
    assert r.status_code == 200
    got = pd.read_csv(io.BytesIO(r.content))
    assert (got["income"] == ">50K").sum() == CHUNK // 2


def test_rebalance_keys_name_categories_by_their_text(client):
    r = sample(client, "mixed", n=200, seed=2, rebalance={"member": {"true": 0.9}})
    assert r.status_code == 200, r.text
    got = pd.read_csv(io.BytesIO(r.content))
    assert got["member"].sum() == 180


@pytest.mark.parametrize("accept", ["image/png", "text/csv;q=0, application/*;q=0"])
def test_406_for_formats_it_cannot_write(client, accept):
    r = sample(client, accept=accept, n=5)
    assert r.status_code == 406 and "text/csv" in r.json()["detail"]


@pytest.mark.parametrize("accept,fmt", [("*/*", "text/csv"), ("text/*", "text/csv"),
                                        ("application/*", "application/x-ndjson"),
                                        ("text/csv;q=0.1, application/x-parquet",
                                         "application/vnd.apache.parquet")])
def test_accept_negotiation(client, accept, fmt):
    assert sample(client, accept=accept, n=2).headers["content-type"].startswith(fmt)


def test_413_for_a_body_too_large(client):
    padding = {f"c{i}": "x" * 100 for i in range(60)}
    r = sample(client, n=5, conditions=padding)
    assert r.status_code == 413 and f"{MAX_BODY:,}" in r.json()["detail"]

    def chunked():  # no Content-Length: counted as it arrives
        yield b'{"n": 5, "conditions": {'
        for i in range(100):
            yield f'"c{i}": "{"x" * 100}",'.encode()
        yield b'"last": 1}}'

    r = client.post("/v1/models/adult/sample", content=chunked(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("body,says", [
    ({"n": MAX_ROWS + 1}, "less than or equal"),
    ({"n": 0}, "greater than or equal"),
    ({"n": "10"}, "integer"),
    ({"n": 5, "color": "red"}, "Extra inputs"),
    ({"n": 5, "seed": -1}, "greater than or equal"),
    ({"n": 5, "conditions": {"age": [1, 2, 3]}}, "at most 2"),
    ({"n": 5, "rebalance": {"income": {">50K": 2}}}, "less than or equal"),
    ({"n": 5, "rebalance": {"income": {">50K": 0.5}, "sex": {"Male": 0.5}}}, "at most 1"),
])
def test_422_for_a_body_that_does_not_validate(client, body, says):
    r = client.post("/v1/models/adult/sample", json=body)
    assert r.status_code == 422 and says in r.text


@pytest.mark.parametrize("body,says", [
    ({"n": 5, "conditions": {"colour": "red"}}, "not in the model: ['colour']"),
    ({"n": 5, "conditions": {"sex": "Robot"}}, "is impossible"),
    ({"n": 5, "rebalance": {"income": {"lots": 0.5}}}, "impossible"),
    ({"n": 5, "conditions": {"age": [100, 200]}}, "stay within [17, "),
])
def test_422_with_the_librarys_message(client, body, says):
    r = client.post("/v1/models/adult/sample", json=body)
    assert r.status_code == 422 and says in r.json()["detail"]


@pytest.mark.parametrize("name,conditions,says", [
    ("adult", {"age": "forty"}, "takes numbers"),
    ("adult", {"age": True}, "takes numbers"),
    ("adult", {"age": [40, 30]}, "above its high end"),
    ("adult", {"age": [None, 40]}, "needs both ends"),
    ("adult", {"age": 30.5}, "whole numbers"),
    ("adult", {"age": 1000}, "stay within"),
    ("adult", {"sex": ["Female", "Male"]}, "needs a numerical or datetime column"),
    ("mixed", {"member": "yes"}, "true or false"),
    ("mixed", {"last_seen": 5}, "dates as text"),
    ("mixed", {"last_seen": "not a date"}, "is not a date"),
    ("mixed", {"email": "a@example.org"}, "generated fresh"),
    ("mixed", {"customer_id": 1000}, "generated fresh"),
])
def test_422_at_once_for_conditions_no_row_can_meet(client, name, conditions, says):
    """Values of the wrong kind are refused before sampling (the library would draw until it
    gives up, holding a worker for seconds)."""
    started = time.perf_counter()
    r = sample(client, name, n=5, conditions=conditions)
    assert r.status_code == 422 and says in r.json()["detail"]
    assert time.perf_counter() - started < 2


def test_rebalance_needs_a_discrete_column(client):
    r = sample(client, n=5, rebalance={"age": {"30": 0.5}})
    assert r.status_code == 422 and "categorical or boolean" in r.json()["detail"]


def test_conditions_on_dates_and_booleans(client):
    r = sample(client, "mixed", n=50, seed=0,
               conditions={"last_seen": ["2018-01-01", "2019-12-31"], "member": True})
    assert r.status_code == 200, r.text
    got = pd.read_csv(io.BytesIO(r.content), parse_dates=["last_seen"])
    assert got["member"].all()
    assert got["last_seen"].between("2018-01-01", "2019-12-31 23:59:59").all()


def test_metrics_count_requests_and_rows(client):
    def figures() -> dict[str, float]:
        text = client.get("/metrics").text
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}

    ok = 'simulacra_http_requests_total{route="/v1/models/{name}/sample",method="POST",' \
         'status="200"}'
    bad = ok.replace('"200"', '"422"')
    rows = 'simulacra_rows_generated_total{model="adult",format="csv"}'
    before = figures()
    assert sample(client, n=123, seed=0).status_code == 200
    assert sample(client, n=0).status_code == 422
    after = figures()
    assert after[ok] == before.get(ok, 0) + 1 and after[bad] == before.get(bad, 0) + 1
    assert after[rows] == before.get(rows, 0) + 123
    count = 'simulacra_http_request_duration_seconds_count{route="/v1/models/{name}/sample"}'
    assert after[count] == before[count] + 2
    assert after['simulacra_models{state="not_servable"}'] == 1
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_openapi_document(service: Service):
    doc = httpx.get(f"{service.url}/openapi.json").json()
    assert {"/healthz", "/v1/models", "/v1/models/{name}", "/v1/models/{name}/sample",
            "/metrics"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    body = doc["components"]["schemas"]["SampleRequest"]["properties"]["n"]
    assert body["maximum"] == MAX_ROWS
    sample_doc = doc["paths"]["/v1/models/{name}/sample"]["post"]
    assert set(sample_doc["responses"]["200"]["content"]) == {
        "text/csv", "application/x-ndjson", "application/vnd.apache.parquet"}
    assert httpx.get(f"{service.url}/docs").status_code == 401  # no UI: nothing fetched


# -- fuzzing from the OpenAPI document --------------------------------------------------------
OPERATIONS = [("GET", "/healthz", "positive"), ("GET", "/v1/models", "positive"),
              ("GET", "/metrics", "positive")] + [
    (method, path, mode) for method, path in [("GET", "/v1/models/{name}"),
                                               ("POST", "/v1/models/{name}/sample")]
    for mode in ("positive", "negative")]  # invalid data only where there are inputs


@pytest.mark.parametrize("method,path,mode", OPERATIONS)
def test_fuzz_no_server_error_and_responses_conform(service: Service, method, path, mode):
    """Schemathesis draws requests from the OpenAPI document (valid ones, then invalid ones)
    and runs every check on each response: no 5xx, documented status codes, content types,
    headers and bodies, invalid data refused, the token enforced."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import given
    from schemathesis.checks import positive_data_acceptance
    from schemathesis.config import SchemathesisConfig

    # invalid data must get a 4xx; a body past the size limit (413) is refused too
    config = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
        "expected-statuses": ["400", "401", "404", "406", "409", "413", "422"]}}})
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json", config=config)
    operation = schema[path][method]
    documented = {"get": "GET", "post": "POST"}
    assert documented[operation.method.lower()] == method

    @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        # every check but one: a schema-valid body may still name a column the model does
        # not have, which is a 422 by design
        case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])

    fuzz()


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def no_serving(monkeypatch):
    """Make sure the command never listens: fail if it gets that far."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append((args, kwargs))

    monkeypatch.setattr(uvicorn.Server, "run", refuse)
    monkeypatch.setattr(uvicorn, "run", refuse)
    return calls


def run_cli(*args: str):
    from typer.testing import CliRunner

    from simulacra.cli import app

    return CliRunner(env={"COLUMNS": "200"}).invoke(app, ["serve", *args])


def token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("args,says", [
    ([], "a token is required"),
    (["--insecure-local", "--host", "0.0.0.0"], "only on a loopback address"),
    (["--insecure-local", "--host", "example.org"], "only on a loopback address"),
])
def test_cli_refuses_to_start_without_a_token(tmp_path, no_serving, args, says):
    result = run_cli(str(tmp_path), *args)
    assert result.exit_code == 2 and says in result.output
    assert not no_serving


@pytest.mark.parametrize("text,mode,says", [
    ("", 0o600, "the token is empty"),
    ("  \n", 0o600, "the token is empty"),
    ("short", 0o600, "5 characters long"),
    ("has a space in the middle", 0o600, "printable ASCII"),
    (TOKEN, 0o644, "chmod 600"),
])
def test_cli_refuses_a_bad_token_file(tmp_path, no_serving, text, mode, says):
    if mode & 0o004 and os.name != "posix":
        pytest.skip("file modes are POSIX")
    result = run_cli(str(tmp_path), "--token-file", str(token_file(tmp_path, text, mode)))
    assert result.exit_code == 2 and says in result.output
    assert not no_serving


def test_cli_refuses_insecure_local_with_a_token_and_a_missing_folder(tmp_path, no_serving):
    path = token_file(tmp_path, TOKEN)
    result = run_cli(str(tmp_path), "--token-file", str(path), "--insecure-local")
    assert result.exit_code == 2 and "not both" in result.output
    result = run_cli(str(tmp_path / "nope"), "--token-file", str(path))
    assert result.exit_code == 2 and "is not a folder" in result.output
    assert not no_serving


def test_cli_starts_on_loopback_without_printing_the_token(tmp_path, no_serving, service):
    models = tmp_path / "models"
    models.mkdir()
    service.model.save(models / "adult.simz")
    result = run_cli(str(models), "--token-file", str(token_file(tmp_path, f"{TOKEN}\n")),
                     "--port", "9")
    assert result.exit_code == 0, result.output
    assert "Serving 1 model(s)" in result.output and TOKEN not in result.output
    ((server,), _), = no_serving
    assert (server.config.host, server.config.port) == ("127.0.0.1", 9)


def test_cli_warns_about_plain_http_off_loopback(tmp_path, no_serving):
    result = run_cli(str(tmp_path), "--token-file", str(token_file(tmp_path, TOKEN)),
                     "--host", "0.0.0.0")
    assert result.exit_code == 0 and "plain HTTP" in result.output
    assert "TLS" in result.output and len(no_serving) == 1


def test_cli_workers_build_their_app_from_the_environment(tmp_path, no_serving, monkeypatch,
                                                          service):
    from simulacra.serve.app import CONFIG_VARIABLE, app_from_environment

    monkeypatch.delenv(CONFIG_VARIABLE, raising=False)  # restored after the test
    models = tmp_path / "models"
    models.mkdir()
    service.model.save(models / "adult.simz")
    path = token_file(tmp_path, TOKEN)
    result = run_cli(str(models), "--token-file", str(path), "--workers", "2",
                     "--max-rows", "77", "--pool-rows", "0")
    assert result.exit_code == 0, result.output
    ((target,), options), = no_serving
    assert target == "simulacra.serve.app:app_from_environment"
    assert options["factory"] and options["workers"] == 2
    assert TOKEN not in os.environ[CONFIG_VARIABLE]  # each worker reads the file itself
    app = app_from_environment()
    assert app.state.limits.max_rows == 77 and list(app.state.registry) == ["adult"]
    assert app.state.buffers == {}  # --pool-rows 0: no rows drawn ahead
    r = in_process(app, "GET", "/v1/models")
    assert r.status_code == 401


def test_cli_without_the_serve_extra_says_how_to_install_it(tmp_path, no_serving,
                                                            monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi now fails
    result = run_cli(str(tmp_path), "--token-file", str(token_file(tmp_path, TOKEN)))
    assert result.exit_code == 2 and 'pip install "simulacra[serve]"' in result.output
    assert not no_serving


def test_cli_insecure_local_serves_without_a_token(tmp_path, no_serving):
    result = run_cli(str(tmp_path), "--insecure-local")
    assert result.exit_code == 0 and "no token" in result.output and len(no_serving) == 1


# -- the parts --------------------------------------------------------------------------------
def test_token_file_group_readable_is_accepted_with_a_warning(tmp_path):
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    warned = []
    assert read_token_file(token_file(tmp_path, TOKEN, 0o640), warn=warned.append) == TOKEN
    assert warned and "group" in warned[0]


def in_process(app, method: str, path: str, **kwargs) -> httpx.Response:
    """One request to ``app`` without a server."""
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(call())


def test_insecure_app_needs_no_token(tmp_path):
    app = create_app(tmp_path, token=None)
    assert in_process(app, "GET", "/v1/models").json() == {"models": []}
    doc = in_process(app, "GET", "/openapi.json").json()
    assert "securitySchemes" not in doc.get("components", {})


def test_create_app_refuses_a_short_token(tmp_path):
    with pytest.raises(sim.errors.ParameterError, match="at least 16"):
        create_app(tmp_path, token="short")


def test_read_metrics_accepts_evaluation_json_and_ignores_the_rest(tmp_path, caplog):
    good = tmp_path / "good.metrics.json"
    EvaluationResult([Metric("shape", "fidelity", float("nan"), definition="d",
                             direction="higher")]).to_json(good)
    assert [(m.name, m.value) for m in read_metrics(good)] == [("shape", None)]
    assert read_metrics(tmp_path / "absent.metrics.json") is None
    for name, content in [("a", b"{not json"), ("b", b'{"metrics": {"x": 1}}'),
                          ("c", b'{"metrics": [{"name": "x"}]}'), ("d", b"[1, 2]"),
                          ("e", b"\xff\xfe"), ("f", b"[" * 100_000)]:
        path = tmp_path / f"{name}.metrics.json"
        path.write_bytes(content)
        with caplog.at_level(logging.WARNING, logger="simulacra.serve.registry"):
            caplog.clear()
            assert read_metrics(path) is None, name
        assert "ignored" in caplog.text, name


def test_read_metrics_reads_no_further_than_its_limit(tmp_path, monkeypatch, caplog):
    from simulacra.serve import registry

    monkeypatch.setattr(registry, "MAX_SIDECAR_BYTES", 100)
    path = tmp_path / "big.metrics.json"
    path.write_text(json.dumps({"metrics": [], "info": {"pad": "x" * 200}}))
    with caplog.at_level(logging.WARNING, logger="simulacra.serve.registry"):
        assert read_metrics(path) is None
    assert "larger than 100 bytes" in caplog.text


@pytest.mark.parametrize("name,kind", [("relational", "database"),
                                       ("sequential", "event sequences")])
def test_database_and_sequence_models_are_listed_as_not_servable(name, kind):
    class Stub:
        def __init__(self) -> None:
            self.name = name
            self.metadata_ = None

        def sample(self, n):
            raise AssertionError("never sampled")

    card = model_card("m", Stub(), 10)
    assert not card.servable and kind in card.reason


def test_negotiate_unit():
    assert negotiate("") is not None and negotiate("").name == "csv"
    assert negotiate("text/csv;q=abc") is None
    assert negotiate("application/x-ndjson, text/csv").name == "jsonl"
    assert negotiate("*/*;q=0.5, application/vnd.apache.parquet;q=0.4").name == "csv"


def test_pool_reports_busy_and_overrun():
    async def scenario():
        pool = SamplingPool(1)
        try:
            slow = asyncio.ensure_future(pool.run(lambda: time.sleep(0.6), time.monotonic()
                                                  + 0.2))
            await asyncio.sleep(0.05)
            with pytest.raises(BusyError):  # the only thread is taken past this deadline
                await pool.run(lambda: 1, time.monotonic() + 0.1)
            with pytest.raises(OverranError):
                await slow
            assert await pool.run(lambda: 7, time.monotonic() + 5) == 7
        finally:
            pool.shutdown()

    asyncio.run(scenario())


def test_a_stream_out_of_time_is_cut_off_not_shortened(service: Service, monkeypatch):
    from simulacra.serve.sampling import Generation

    draw = Generation.draw

    def slow_after_the_first(self, rows, rng):
        if self._next > 1:
            time.sleep(1.5)
        return draw(self, rows, rng)

    monkeypatch.setattr(Generation, "draw", slow_after_the_first)
    app = create_app(service.folder, token=None, limits=Limits(timeout=1, chunk_rows=CHUNK))
    with serving(app) as url, pytest.raises(httpx.RemoteProtocolError):  # incomplete body
        httpx.post(f"{url}/v1/models/adult/sample", json={"n": 3 * CHUNK, "seed": 0},
                   timeout=30)


def test_time_limit_gives_503_or_504(service: Service):
    app = create_app(service.folder, token=None,
                     limits=Limits(timeout=0.001, chunk_rows=CHUNK))
    r = in_process(app, "POST", "/v1/models/adult/sample", json={"n": 3 * CHUNK})
    assert r.status_code in (503, 504)
    assert "limit" in r.json()["detail"]
