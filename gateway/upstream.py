"""The gRPC services behind the gateway: which modules it routes, where they run, how to call them.

The upstream of proto package ``tongban.<svc>.v1`` is service ``<svc>``; its address comes
from the channel factory (``<SERVICE>_ADDR``, or Consul). Channels are made on first use,
so under gunicorn (no preload) each worker makes its own after the fork.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import grpc
from google.protobuf import descriptor, message_factory
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.transcoder import Route
from services.chassis.grpc_client import ChannelFactory
from services.chassis.registry import SERVICES

log = logging.getLogger(__name__)

# /readyz reports each upstream's health beside its own; a slow one must not slow the probe.
HEALTH_CHECK_TIMEOUT = 1.0


def default_modules(services: Sequence[str] = SERVICES) -> list[ModuleType]:
    """Every ``protos.<svc>.v1.*_pb2`` module of the platform's services."""
    modules = []
    for service in services:
        package = importlib.import_module(f"protos.{service}.v1")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.endswith("_pb2"):
                modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return modules


def upstream_of(service: descriptor.ServiceDescriptor) -> str:
    """``tongban.rare_earth.v1.RareEarthService`` -> ``rare_earth``."""
    parts = service.file.package.split(".")
    if len(parts) != 3 or parts[0] != "tongban":
        raise ValueError(f"{service.full_name}: package {service.file.package!r} is not tongban.<service>.v1")
    return parts[1]


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


class Upstreams:
    """The callables of every routed method, made once per channel; optionally traced as CLIENT spans."""

    def __init__(self, channels: ChannelFactory, services: Iterable[descriptor.ServiceDescriptor], *,
                 traced: bool = False):
        self._channels = channels
        self._traced = traced
        self.services_by_upstream: dict[str, list[str]] = {}
        for service in services:
            self.services_by_upstream.setdefault(upstream_of(service), []).append(service.full_name)
        self._callables: dict[str, tuple[grpc.Channel, Any]] = {}

    def _callable(self, route: Route) -> Any:
        channel = self._channels.channel(upstream_of(route.service))
        cached = self._callables.get(route.full_method)
        if cached is not None and cached[0] is channel:
            return cached[1]
        response_class = message_factory.GetMessageClass(route.response_type)
        target = channel
        if self._traced:
            from opentelemetry.instrumentation.grpc import client_interceptor, grpcext

            # OpenTelemetry's own interceptor: a CLIENT span per call, its context in the call's metadata.
            target = grpcext.intercept_channel(channel, client_interceptor())
        multicallable = target.unary_unary(
            route.full_method,
            request_serializer=_serialize,
            response_deserializer=response_class.FromString,
        )
        self._callables[route.full_method] = (channel, multicallable)
        return multicallable

    def call(self, route: Route, request: Message, *, timeout: float,
             metadata: Sequence[tuple[str, str | bytes]]) -> tuple[Message, grpc.Call]:
        """The response and the finished call (its metadata); raises ``grpc.RpcError``."""
        return self._callable(route).with_call(request, timeout=timeout, metadata=metadata)

    def readiness(self, timeout: float = HEALTH_CHECK_TIMEOUT) -> dict[str, dict[str, str]]:
        """Every upstream's gRPC health, per service name: ``{"identity": {"tongban...": "SERVING"}}``."""
        upstreams = sorted(self.services_by_upstream)
        if not upstreams:
            return {}
        with ThreadPoolExecutor(max_workers=len(upstreams)) as pool:
            results = pool.map(lambda upstream: self._check_upstream(upstream, timeout), upstreams)
            return dict(zip(upstreams, results, strict=True))

    def _check_upstream(self, upstream: str, timeout: float) -> dict[str, str]:
        statuses = {}
        try:
            stub = health_pb2_grpc.HealthStub(self._channels.channel(upstream))
        except LookupError:
            return dict.fromkeys(self.services_by_upstream[upstream], "NO_ADDRESS")
        for name in self.services_by_upstream[upstream]:
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=timeout)
                statuses[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
            except grpc.RpcError as error:
                statuses[name] = error.code().name
        return statuses


class IdentityKeys:
    """Identity's JWKS as the gateway's token verifier fetches it, remembering that it has it.

    The gateway is ready once it holds the keys: after that no call needs identity until
    a token names a key it has not seen. :meth:`ensure` fetches them the first time (the
    readiness probe) and hands that document to the verifier's first fetch within a minute,
    so identity is not asked twice.
    """

    PRIMED_SECONDS = 60.0

    def __init__(self, fetch: Callable[[], Mapping[str, Any]]):
        self._fetch = fetch
        self._primed: tuple[float, Mapping[str, Any]] | None = None
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, Any]:
        with self._lock:
            primed, self._primed = self._primed, None
        fresh = primed is not None and time.monotonic() - primed[0] < self.PRIMED_SECONDS
        document = primed[1] if primed is not None and fresh else self._fetch()
        self.count = len(document.get("keys", []))
        return document

    def ensure(self) -> bool:
        """Whether the keys are here, fetching them when they never were; False while identity cannot answer."""
        if self.count:
            return True
        try:
            document = self._fetch()
        except Exception as error:  # Unavailable, or identity not yet reachable at all
            log.warning("identity's keys are not available yet: %s", error)
            return False
        with self._lock:
            self._primed = (time.monotonic(), document)
        self.count = len(document.get("keys", []))
        return self.count > 0
