"""The gateway's metrics, and ``/metrics`` answered for the whole instance, every gunicorn worker added up.

Recorded per worker (OpenTelemetry, exported in the Prometheus text format):
- ``http_server_request_duration_seconds`` by route template, method and status (its
  ``_count`` is the request count), and ``http_server_errors_total`` for 5xx answers.
  A route is one gRPC method; the services record each method's calls, errors and
  latency themselves (services/chassis/metrics.py).

A scrape reaches one worker, which answers for all of them: each worker also serves its
own text on a Unix socket in the instance's run folder (see gunicorn_conf.py), and the
one scraped reads its siblings' and sums series with the same name and labels
(services/chassis/metrics_siblings.py).
"""

from __future__ import annotations

from pathlib import Path

from services.chassis.metrics import LATENCY_BUCKETS, configure_metrics, meter, metrics_text
from services.chassis.metrics_siblings import ProcessSocket

_meter = meter("tongban.gateway")
_requests = _meter.create_histogram(
    "http.server.request.duration", unit="s", explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
    description="Requests the gateway answered, by route template, method and status")
_errors = _meter.create_counter("http.server.errors", description="Requests answered with a 5xx status, by route")


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    attributes = {"http.route": route, "http.request.method": method, "http.response.status_code": status}
    _requests.record(seconds, attributes)
    if status >= 500:
        _errors.add(1, attributes)


_worker: ProcessSocket | None = None


def serve_worker(run_dir: str) -> ProcessSocket:
    """In a gunicorn worker after the fork: metrics on, and readable by the worker a scrape reaches."""
    global _worker
    configure_metrics("gateway")
    _worker = ProcessSocket(Path(run_dir), metrics_text)
    return _worker


def stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def scrape() -> bytes:
    """The Prometheus text of this worker and every sibling, series with equal name and labels added up."""
    return metrics_text() if _worker is None else _worker.scrape()
