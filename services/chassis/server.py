"""gRPC server bootstrap: health, reflection, 16 MiB messages, interceptors, graceful stop."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024

SERVER_OPTIONS = (
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Clients ping every 30 s at most (see grpc_client.py); allow that and no more often.
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 20_000),
    ("grpc.http2.max_pings_without_data", 0),
)
# A client's connection is closed (GOAWAY) after this long, its calls given MAX_CONNECTION_AGE_GRACE
# to finish; the client then resolves the headless Service again, so pods a scale-up added get calls.
MAX_CONNECTION_AGE_SECONDS = 300.0
MAX_CONNECTION_AGE_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class ServiceBinding:
    """One gRPC service to serve: its full name (``tongban.identity.v1.IdentityService``) and registrar."""

    full_name: str
    register: Callable[[grpc.Server], None]

    @classmethod
    def of(cls, servicer: Any) -> ServiceBinding:
        """The binding of a servicer that subclasses a generated ``<Name>Servicer``.

        Its full name and registrar come from the generated modules beside that class.
        """
        base = next((k for k in type(servicer).__mro__
                     if k.__name__.endswith("Servicer") and k.__module__.endswith("_pb2_grpc")), None)
        if base is None:
            raise TypeError(f"{type(servicer).__name__} does not subclass a generated gRPC servicer")
        grpc_module = sys.modules[base.__module__]
        messages_module = importlib.import_module(base.__module__.removesuffix("_grpc"))
        service_name = base.__name__.removesuffix("Servicer")
        full_name = messages_module.DESCRIPTOR.services_by_name[service_name].full_name
        add_to_server = getattr(grpc_module, f"add_{base.__name__}_to_server")
        return cls(full_name, lambda server: add_to_server(servicer, server))


def _run_hooks(hooks: Sequence[Callable[[], None]], kind: str) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:
            log.exception("%s hook failed", kind)


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int
    service_names: Sequence[str]
    # Run after the server stopped (close pools, deregister...), last added first.
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    # Run as soon as stopping starts, while calls are still accepted (leave the load balancer).
    on_draining: list[Callable[[], None]] = field(default_factory=list)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def stop(self, grace: float, *, drain: float = 0.0) -> None:
        """Stop gracefully: NOT_SERVING first, then refuse new calls and finish in-flight ones.

        Health turns NOT_SERVING and the draining hooks run; for ``drain`` seconds calls are
        still served (probes and discovery notice meanwhile); then new calls are refused and
        in-flight calls get ``grace`` seconds to finish; then the stop hooks run.
        """
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.health.enter_graceful_shutdown()
        _run_hooks(self.on_draining, "draining")
        if drain > 0:
            time.sleep(drain)
        self.server.stop(grace).wait()
        _run_hooks(list(reversed(self.on_stop)), "stop")

    def wait(self) -> None:
        self.server.wait_for_termination()


def start_server(
    bindings: Sequence[ServiceBinding],
    *,
    host: str = "0.0.0.0",
    port: int = 0,
    workers: int = 16,
    interceptors: Sequence[grpc.ServerInterceptor] = (),
    max_connection_age: float = MAX_CONNECTION_AGE_SECONDS,
) -> RunningServer:
    """Build and start a server; ``port=0`` picks a free port (tests)."""
    ages = (("grpc.max_connection_age_ms", int(max_connection_age * 1000)),
            ("grpc.max_connection_age_grace_ms", int(MAX_CONNECTION_AGE_GRACE_SECONDS * 1000)))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        interceptors=list(interceptors),
        options=SERVER_OPTIONS + ages,
    )
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for binding in bindings:
        binding.register(server)
    names = [b.full_name for b in bindings]
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}")
    server.start()
    serving = health_pb2.HealthCheckResponse.SERVING
    health_servicer.set("", serving)
    for name in names:
        health_servicer.set(name, serving)
    log.info("gRPC server listening on %s:%d (%s)", host, bound, ", ".join(names))
    return RunningServer(server=server, health=health_servicer, port=bound, service_names=names)


def run_until_signalled(running: RunningServer, grace: float, *, drain: float = 0.0) -> None:
    """Block until SIGTERM or SIGINT, then stop gracefully (Kubernetes sends SIGTERM)."""
    stop_requested = threading.Event()

    def request_stop(signum, _frame):
        log.info("signal %s received: stopping within %.0fs", signal.Signals(signum).name, drain + grace)
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # A timed wait keeps the main thread returning to the interpreter, where signal handlers run.
    while not stop_requested.wait(1.0):
        pass
    running.stop(grace, drain=drain)
    log.info("stopped")
