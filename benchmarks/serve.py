"""The generation service under load on loopback: latency of small requests, streaming speed.

Usage::

    python benchmarks/serve.py --clients 20 --rows 100 --duration 20 --stream-rows 1000000

Fits a Gaussian copula on the bundled demo table (Adult, 32,561 rows x 15 columns, seed 0)
and saves it (or takes ``--model-file``), writes a token file, and starts
``simulacra serve`` in a subprocess on 127.0.0.1. Then:

1. **anchor**: the bare in-process ``synth.sample(ROWS, rng=seed)`` of the same model, median
   of 200 calls (what one request costs without HTTP);
2. **latency**: ``--clients`` concurrent clients (one asyncio loop, keep-alive connections:
   a hand-written HTTP/1.1 client by default, since the client shares the cores, or httpx with
   ``--client httpx``), each
   sending ``POST /v1/models/adult/sample {"n": ROWS}`` back to back for ``--duration``
   seconds after a 2 s warm-up; prints p50 / p95 / p99 / max latency (request sent to last
   byte read), requests per second, and p50 as a multiple of the anchor. Twice: without a
   seed (the service answers from rows it drew ahead, :mod:`simulacra.serve.pool`), then
   with a fresh seed in every request (each request draws its own rows);
3. **streaming**: ``--stream-rows`` rows with a seed as CSV, then Parquet (then JSON lines),
   one request each: time to the first byte and to the last, rows per second; the bare
   in-process ``synth.sample`` of as many rows, in the service's 50,000-row chunks, for
   comparison.

Everything is bounded: the latency phase stops after ``--duration`` seconds, each stream
request has a timeout, and the server is stopped at the end. The client shares the machine's
cores with the server, so the figures include the client's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

import simulacra as sim

CHUNK = 50_000  # the service's default chunk (Limits.chunk_rows)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def anchor(model: sim.GaussianCopula, rows: int, calls: int = 200) -> float:
    """Median seconds of ``model.sample(rows, rng=seed)`` in this process."""
    model.sample(rows, rng=0)
    times = []
    for i in range(calls):
        started = time.perf_counter()
        model.sample(rows, rng=i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process, or of process ``pid`` and its children
    that ended (Linux: /proc)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def server_pids(server: subprocess.Popen) -> list[int]:
    """The server process and its worker processes (``--workers``)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    found = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [server.pid, *found]


def start_server(models: Path, token_file: Path, port: int, workers: int, threads: int
                 ) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("simulacra")), "serve", str(models),
               "--token-file", str(token_file), "--port", str(port), "--no-access-log",
               "--workers", str(workers), "--threads", str(threads)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not start within 120 s")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class RawClient:
    """One keep-alive HTTP/1.1 connection, requests written and responses parsed by hand: a
    load generator that costs the shared cores far less than a full client (httpx spends
    about 2.5 ms of CPU a request here, this about 0.1 ms)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in fields:
            return status, await self.reader.readexactly(int(fields["content-length"]))
        parts = []  # chunked
        while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")
        return status, b"".join(parts)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def latency(url: str, token: str, clients: int, rows: int, duration: float,
                  seeded: bool, raw: bool, warmup: float = 2.0
                  ) -> tuple[list[float], int, float]:
    """Latencies of the requests finished within ``duration`` after the warm-up, the number
    of failed requests, and the measured wall time."""
    port = int(url.rsplit(":", 1)[1])
    path = "/v1/models/adult/sample"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    times: list[float] = []
    failed = 0
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=60) as client:
        begin = time.perf_counter()
        measure_from, stop_at = begin + warmup, begin + warmup + duration

        async def worker() -> None:
            nonlocal failed
            connection = RawClient(port, token) if raw else None
            try:
                while True:
                    started = time.perf_counter()
                    if started >= stop_at:
                        return
                    body = ({"n": rows, "seed": secrets.randbelow(2**63)} if seeded
                            else {"n": rows})
                    if connection is not None:
                        status, content = await connection.post(path, json.dumps(body).encode())
                    else:
                        response = await client.post(path, json=body)
                        status, content = response.status_code, response.content
                    ended = time.perf_counter()
                    if status != 200 or content.count(b"\n") != rows + 1:
                        failed += 1
                    elif started >= measure_from and ended <= stop_at:
                        times.append(ended - started)
            finally:
                if connection is not None:
                    await connection.close()

        await asyncio.gather(*(worker() for _ in range(clients)))
    return times, failed, duration


def stream(url: str, token: str, rows: int, accept: str) -> tuple[float, float, int]:
    """Seconds to the first byte and to the last, and the rows received."""
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    buffer = io.BytesIO()
    started = time.perf_counter()
    first = None
    with httpx.stream("POST", f"{url}/v1/models/adult/sample", json={"n": rows, "seed": 1},
                      headers=headers, timeout=600) as response:
        response.raise_for_status()
        for part in response.iter_raw():
            if first is None:
                first = time.perf_counter() - started
            buffer.write(part)
    total = time.perf_counter() - started
    data = buffer.getvalue()
    if accept == "text/csv":
        got = data.count(b"\n") - 1
    elif accept == "application/x-ndjson":
        got = data.count(b"\n")
    else:
        import pyarrow.parquet as pq

        got = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
    return first or total, total, got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100, help="rows per small request")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    parser.add_argument("--stream-rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--threads", type=int, default=4, help="sampling threads a process")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--model-file", type=Path, help="a saved model to serve instead")
    parser.add_argument("--skip-jsonl", action="store_true")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="the latency phase's client: hand-written HTTP/1.1 (light) or "
                        "httpx")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        models.mkdir()
        if args.model_file is None:
            started = time.perf_counter()
            model = sim.GaussianCopula(random_state=0).fit(sim.datasets.load_demo())
            print(f"fitted the Gaussian copula on the demo table in "
                  f"{time.perf_counter() - started:.1f} s")
            model.save(models / "adult.simz")
        else:
            (models / "adult.simz").write_bytes(args.model_file.read_bytes())
        model = sim.load(models / "adult.simz")
        token = secrets.token_urlsafe(32)
        token_file = Path(tmp) / "token"
        token_file.write_text(token)
        token_file.chmod(0o600)

        bare = anchor(model, args.rows)
        print(f"anchor: synth.sample({args.rows}) in-process, median of 200: "
              f"{bare * 1e3:.2f} ms")

        server = start_server(models, token_file, args.port, args.workers, args.threads)
        url = f"http://127.0.0.1:{args.port}"
        try:
            for seeded in (False, True):
                client_cpu, server_cpu = cpu_seconds(), sum(map(cpu_seconds,
                                                                server_pids(server)))
                times, failed, seconds = asyncio.run(latency(
                    url, token, args.clients, args.rows, args.duration, seeded,
                    raw=args.client == "raw"))
                client_cpu = cpu_seconds() - client_cpu
                server_cpu = sum(map(cpu_seconds, server_pids(server))) - server_cpu
                sent = len(times) + failed
                p50 = percentile(times, 50)
                print(f"latency, {args.clients} {args.client} clients x {args.rows}-row requests "
                      f"{'with a seed each (drawn anew)' if seeded else 'without a seed'}, "
                      f"{args.workers} worker(s), {args.threads} sampling threads: "
                      f"{len(times):,} requests in {seconds:.0f} s = "
                      f"{len(times) / seconds:.1f} req/s; p50 {p50 * 1e3:.1f} ms, "
                      f"p95 {percentile(times, 95) * 1e3:.1f} ms, "
                      f"p99 {percentile(times, 99) * 1e3:.1f} ms, "
                      f"max {max(times) * 1e3:.1f} ms; p50 = {p50 / bare:.1f} x the anchor; "
                      f"{failed} failed; CPU a request (warm-up included): server "
                      f"{server_cpu / sent * 1e3:.2f} ms, client {client_cpu / sent * 1e3:.2f} ms")
            formats = ["text/csv", "application/vnd.apache.parquet"]
            if not args.skip_jsonl:
                formats.append("application/x-ndjson")
            for accept in formats:
                first, total, got = stream(url, token, args.stream_rows, accept)
                print(f"stream {args.stream_rows:,} rows as {accept}: first byte "
                      f"{first * 1e3:.0f} ms, all in {total:.2f} s = "
                      f"{got / total / 1e3:,.0f}k rows/s ({got:,} rows received)")
        finally:
            stop_server(server)

        started = time.perf_counter()
        left = args.stream_rows
        while left:
            model.sample(min(CHUNK, left), rng=left)
            left -= min(CHUNK, left)
        took = time.perf_counter() - started
        print(f"anchor: synth.sample of {args.stream_rows:,} rows in-process in "
              f"{CHUNK:,}-row chunks: {took:.2f} s = "
              f"{args.stream_rows / took / 1e3:,.0f}k rows/s")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
