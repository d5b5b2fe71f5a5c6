"""The gateway's metrics, and ``/metrics`` answered for the whole instance, every gunicorn worker added up.

Recorded per worker (OpenTelemetry, exported in the Prometheus text format):
- ``http_server_request_duration_seconds`` by route template, method and status (its
  ``_count`` is the request count), and ``http_server_errors_total`` for 5xx answers.
  A route is one gRPC method; the services record each method's calls, errors and
  latency themselves (services/chassis/metrics.py).

A scrape reaches one worker, which answers for all of them: each worker also serves its
own text on a Unix socket in the instance's run folder (see gunicorn_conf.py), and the
one scraped reads its siblings' and sums series with the same name and labels.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from services.chassis.metrics import LATENCY_BUCKETS, configure_metrics, meter, metrics_text

log = logging.getLogger(__name__)

SIBLING_TIMEOUT_SECONDS = 2.0
_SOCKET_PREFIX = "metrics-"

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


# --- one scrape for every worker ------------------------------------------------------------

class WorkerSocket:
    """This worker's metrics text on ``<run dir>/metrics-<pid>.sock``, answered on a thread of its own."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.path = run_dir / f"{_SOCKET_PREFIX}{os.getpid()}.sock"
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._server.bind(str(self.path))
        self._server.listen(8)
        threading.Thread(target=self._serve, name="metrics-socket", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            with connection:
                try:
                    connection.sendall(metrics_text())
                except OSError:
                    log.debug("a sibling's metrics read broke off", exc_info=True)

    def siblings(self) -> list[bytes]:
        """The text of every other live worker of this instance; a socket nobody answers is removed."""
        texts = []
        for path in sorted(self.run_dir.glob(f"{_SOCKET_PREFIX}*.sock")):
            if path == self.path:
                continue
            try:
                texts.append(_read_socket(path))
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # a worker that died without cleaning up
            except OSError as error:
                log.warning("metrics of worker %s unavailable: %s", path.name, error)
        return texts

    def close(self) -> None:
        self._server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _read_socket(path: Path) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(SIBLING_TIMEOUT_SECONDS)
        connection.connect(str(path))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


_worker: WorkerSocket | None = None


def serve_worker(run_dir: str) -> WorkerSocket:
    """In a gunicorn worker after the fork: metrics on, and readable by the worker a scrape reaches."""
    global _worker
    configure_metrics("gateway")
    _worker = WorkerSocket(Path(run_dir))
    return _worker


def stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def scrape() -> bytes:
    """The Prometheus text of this worker and every sibling, series with equal name and labels added up."""
    own = metrics_text()
    if _worker is None:
        return own
    return merge([own, *_worker.siblings()])


def merge(texts: Iterable[bytes]) -> bytes:
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text.decode()):
            if family.name not in families:
                families[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
                values[family.name] = {}
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                values[family.name][key] = values[family.name].get(key, 0.0) + sample.value
    for name, family in families.items():
        for (sample_name, labels), total in values[name].items():
            family.add_sample(sample_name, dict(labels), total)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(list(families.values())))
    return generate_latest(registry)


class _Fixed:
    """A collector answering families already made (what ``generate_latest`` writes out)."""

    def __init__(self, families: list[Metric]):
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families
