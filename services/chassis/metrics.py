"""OpenTelemetry metrics with a Prometheus exporter, once per process, and the server a scrape reaches.

Instruments are made from :func:`meter` at import; they record nothing until
:func:`configure_metrics` installs the meter provider (``serve``, the relay and the workers
do, after any fork). ``<SERVICE>_METRICS_PORT`` says where a service process answers
Prometheus scrapes (``/metrics`` in the text format); unset, it answers none. A process that
runs part of its work in processes of its own (notify's code lane) answers for them too
(:func:`answer_for_siblings`).

What every service records:
- ``rpc_server_duration_seconds`` (histogram; its ``_count`` is the call count) and
  ``rpc_server_errors_total``, by gRPC method and status code (:func:`record_call`, told by the
  chassis interceptor);
- the relay: ``outbox_depth`` and ``outbox_oldest_age_seconds`` (unsent rows, read at scrape
  time), ``outbox_relay_lag_seconds`` (commit to broker ack) and ``outbox_published_total``;
- consumers: ``messaging_consumer_messages_total`` by outcome (the consumer rate) and
  ``messaging_parking_depth`` (messages waiting in each parking lot).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import grpc
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from prometheus_client import CollectorRegistry, generate_latest

from services.chassis.config import Env, env_prefix
from services.chassis.metrics_siblings import ProcessSocket, merge_families

log = logging.getLogger(__name__)

# Seconds: a fast call is a millisecond, a slow upstream ten seconds (the gateway's deadline).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds a message waits in the outbox: from a poll interval to an hour-long broker outage.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

_registry: CollectorRegistry | None = None
_lock = threading.Lock()
_siblings: ProcessSocket | None = None


def meter(name: str) -> Meter:
    """A meter of the global provider (a proxy until :func:`configure_metrics`, so import-time instruments work)."""
    return metrics.get_meter(name)


def configure_metrics(service: str) -> CollectorRegistry:
    """The process's meter provider, exporting to a Prometheus registry; the same registry on a second call."""
    global _registry
    with _lock:
        if _registry is None:
            from opentelemetry.exporter.prometheus import PrometheusMetricReader
            from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
            from opentelemetry.sdk.resources import Resource

            registry = CollectorRegistry(auto_describe=False)
            # No target_info or scope labels: Prometheus labels a scrape by its job and instance already.
            reader = PrometheusMetricReader(disable_target_info=True, scope_info_enabled=False, registry=registry)
            # No exemplars: the Prometheus text carries none, and offering each measurement to one cost every call.
            provider = MeterProvider(metric_readers=[reader], exemplar_filter=AlwaysOffExemplarFilter(),
                                     resource=Resource.create({"service.name": f"tongban-{service}"}))
            metrics.set_meter_provider(provider)
            _registry = registry
        return _registry


def metrics_text() -> bytes:
    """This process's metrics in the Prometheus text format (empty before :func:`configure_metrics`)."""
    return generate_latest(_registry) if _registry is not None else b""


def answer_for_siblings(run_dir: Path) -> ProcessSocket:
    """From now on this process's scrapes add up the processes serving their text in ``run_dir`` (each with a
    :class:`ProcessSocket` of its own there, as this process gets one too)."""
    global _siblings
    _siblings = ProcessSocket(run_dir, metrics_text)
    return _siblings


class _Scrape:
    """What the metrics port answers: this process's families, its siblings' added when it has any."""

    def collect(self) -> Iterable[Any]:
        if _siblings is None:
            return _registry.collect() if _registry is not None else []
        return merge_families([metrics_text(), *_siblings.siblings()])


def metrics_port(service: str, environ: Mapping[str, str] | None = None) -> int | None:
    """``<SERVICE>_METRICS_PORT``: where the service answers scrapes; None (unset or 0) for nowhere."""
    env = Env(environ)
    port = env.int(f"{env_prefix(service)}_METRICS_PORT", 0, minimum=0, maximum=65535)
    env.check()
    return port or None


class MetricsServer:
    """``/metrics`` over HTTP on a thread of its own; ``port`` is the one bound (0 asks for a free one)."""

    def __init__(self, registry: CollectorRegistry, port: int, host: str = "0.0.0.0"):
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        self.port: int = self._server.server_port

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(service: str, port: int | None, host: str = "0.0.0.0") -> MetricsServer | None:
    """Start answering scrapes for ``service`` when a port is configured; a port in use is logged, not fatal."""
    if port is None:
        return None
    configure_metrics(service)
    served = CollectorRegistry(auto_describe=False)
    served.register(_Scrape())
    try:
        server = MetricsServer(served, port, host)
    except OSError as exc:
        # A second process of the same service on one machine (the relay beside the server): no scrapes here.
        log.warning("metrics for %s not served: port %d is unavailable (%s)", service, port, exc)
        return None
    log.info("metrics for %s on :%d/metrics", service, server.port)
    return server


# --- gRPC servers -------------------------------------------------------------------------

_rpc_meter = meter("tongban.rpc")
_server_duration = _rpc_meter.create_histogram(
    "rpc.server.duration", unit="s", description="gRPC calls served, by method and status code",
    explicit_bucket_boundaries_advisory=LATENCY_BUCKETS)
_server_errors = _rpc_meter.create_counter(
    "rpc.server.errors", description="gRPC calls that ended with a status other than OK")


def record_call(method: str, code: grpc.StatusCode, seconds: float) -> None:
    """A finished gRPC call (an observer of the chassis interceptor): its duration, and an error unless OK."""
    attributes = {"rpc.method": method, "rpc.grpc.status_code": code.name}
    _server_duration.record(seconds, attributes)
    if code is not grpc.StatusCode.OK:
        _server_errors.add(1, attributes)


class WatchedGauge:
    """A gauge read at scrape time from whatever is being watched now (a relay, a consumer, several in tests).

    ``watch(read)`` adds a source answering ``(value, attributes)`` pairs and returns the call
    that removes it; a source that fails answers nothing for that scrape.
    """

    def __init__(self, name: str, description: str, *, unit: str = "", meter_name: str = "tongban") -> None:
        self.name = name
        self._sources: dict[int, Callable[[], Iterable[tuple[float, Mapping[str, Any]]]]] = {}
        self._next = 0
        meter(meter_name).create_observable_gauge(name, callbacks=[self._observe], unit=unit,
                                                  description=description)

    def watch(self, read: Callable[[], Iterable[tuple[float, Mapping[str, Any]]]]) -> Callable[[], None]:
        with _lock:
            key = self._next
            self._next += 1
            self._sources[key] = read

        def unwatch() -> None:
            self._sources.pop(key, None)

        return unwatch

    def _observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        observations = []
        for read in list(self._sources.values()):
            try:
                observations.extend(Observation(value, dict(attributes)) for value, attributes in read())
            except Exception as exc:  # a scrape must never fail because one source is down
                log.warning("metric %s unavailable: %s", self.name, exc)
        return observations
