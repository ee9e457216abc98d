"""The service's figures in the Prometheus text format (``GET /metrics``).

* ``simulacra_http_requests_total{route, method, status}`` — requests answered;
* ``simulacra_http_request_duration_seconds{route}`` — a histogram of the time from a request's
  arrival to its response's last byte (a streamed response's whole stream);
* ``simulacra_http_requests_in_progress`` — requests being answered now;
* ``simulacra_rows_generated_total{model, format}`` — rows sampled and sent;
* ``simulacra_models{state}`` — models in the folder, servable or not.

Labels take bounded values only: a route is its template (``/v1/models/{name}/sample``, or
``unmatched``), a model one of the folder's. Each worker process keeps its own figures.

>>> m = Metrics()
>>> m.observe("/healthz", "GET", 200, 0.003)
>>> 'simulacra_http_requests_total{route="/healthz",method="GET",status="200"} 1' in m.render()
True
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

#: Upper bounds of the latency histogram's buckets, in seconds.
BUCKETS = (0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Counters and a latency histogram, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = defaultdict(float)
        self._rows: dict[tuple[str, str], int] = defaultdict(int)
        self._models: dict[str, int] = {}
        self.in_progress = 0

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, method, str(status))] += 1
            counts = self._buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self._sums[route] += seconds

    def add_rows(self, model: str, fmt: str, rows: int) -> None:
        with self._lock:
            self._rows[(model, fmt)] += rows

    def set_models(self, servable: int, not_servable: int) -> None:
        with self._lock:
            self._models = {"servable": servable, "not_servable": not_servable}

    def render(self) -> str:
        """The figures in the Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            lines = _family("simulacra_http_requests_total", "counter",
                            "HTTP requests answered, by route, method and status.",
                            ((f'route="{_esc(r)}",method="{_esc(m)}",status="{s}"', v)
                             for (r, m, s), v in sorted(self._requests.items())))
            lines += ["# HELP simulacra_http_request_duration_seconds Time from a request's "
                      "arrival to its response's last byte.",
                      "# TYPE simulacra_http_request_duration_seconds histogram"]
            for route, counts in sorted(self._buckets.items()):
                label = f'route="{_esc(route)}"'
                total = 0
                for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
                    total += count
                    le = "+Inf" if bound == float("inf") else repr(bound)
                    lines.append(f'simulacra_http_request_duration_seconds_bucket{{{label},'
                                 f'le="{le}"}} {total}')
                lines.append(f"simulacra_http_request_duration_seconds_sum{{{label}}} "
                             f"{self._sums[route]!r}")
                lines.append(f"simulacra_http_request_duration_seconds_count{{{label}}} {total}")
            lines += _family("simulacra_http_requests_in_progress", "gauge",
                             "Requests being answered now.", [("", self.in_progress)])
            lines += _family("simulacra_rows_generated_total", "counter",
                             "Rows sampled and sent, by model and format.",
                             ((f'model="{_esc(m)}",format="{_esc(f)}"', v)
                              for (m, f), v in sorted(self._rows.items())))
            lines += _family("simulacra_models", "gauge", "Models in the folder, by state.",
                             ((f'state="{s}"', v) for s, v in self._models.items()))
        return "\n".join(lines) + "\n"


def _family(name: str, kind: str, text: str, samples: Iterable[tuple[str, int]]) -> list[str]:
    lines = [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{{{labels}}} {value}" if labels else f"{name} {value}"
              for labels, value in samples]
    return lines


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """ASGI middleware: counts every HTTP request and times it to its response's last byte.

    ``route_of(scope)`` names the route template (bounded label values).
    """

    def __init__(self, app: Any, metrics: Metrics, route_of: Callable[[dict], str]) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route, method = self.route_of(scope), scope["method"]
        status = 500
        done = False

        async def counting_send(message: dict) -> None:
            nonlocal status, done
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done = True
                self.metrics.observe(route, method, status, time.perf_counter() - started)

        self.metrics.in_progress += 1
        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.metrics.in_progress -= 1
            if not done:  # failed, cut off or the client left: count it as it ended
                self.metrics.observe(route, method, status, time.perf_counter() - started)
