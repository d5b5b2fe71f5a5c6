"""gRPC client channels: one per upstream per process, created lazily so it is made after a fork.

Channels carry the 16 MiB receive limit, keepalive within the servers' limits, a
retry policy on UNAVAILABLE (service-config JSON, so gRPC itself retries with
back-off) and round-robin over every address the service's name resolves to.
Callers pass a deadline on every call; :data:`DEFAULT_DEADLINE` is the norm. Every call
carries the current trace context and request id in its metadata.
"""

from __future__ import annotations

import collections
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import grpc

from services.chassis.server import MAX_MESSAGE_BYTES

DEFAULT_DEADLINE = 5.0

# round_robin: a name that resolves to several pods (a headless Kubernetes Service) gets a
# subchannel per address and spreads calls over all of them; pick_first would pin one pod.
SERVICE_CONFIG = json.dumps({
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [{
        "name": [{}],
        "retryPolicy": {
            "maxAttempts": 4,
            "initialBackoff": "0.1s",
            "maxBackoff": "1s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }],
})

CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.enable_retries", 1),
    ("grpc.service_config", SERVICE_CONFIG),
)

Resolver = Callable[[str], str]
StubT = TypeVar("StubT")


class _ClientCallDetails(
    collections.namedtuple(
        "_ClientCallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


def _with_metadata(details: grpc.ClientCallDetails, extra: Mapping[str, str]) -> grpc.ClientCallDetails:
    metadata = list(details.metadata or ())
    present = {key for key, _value in metadata}
    metadata.extend((key, value) for key, value in extra.items() if key not in present)
    return _ClientCallDetails(details.method, details.timeout, metadata, details.credentials,
                              getattr(details, "wait_for_ready", None), getattr(details, "compression", None))


class _AllShapesInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Rewrites the call details the same way whatever the call's streaming shape."""

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return details

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)


class PropagationInterceptor(_AllShapesInterceptor):
    """Carries the current trace context (``traceparent``) and ``x-request-id`` into outgoing metadata.

    Metadata the caller set explicitly wins over the propagated values.
    """

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        from services.chassis.telemetry import outgoing_headers

        headers = outgoing_headers()
        return _with_metadata(details, headers) if headers else details


class _ForgetOnUnavailable(grpc.UnaryUnaryClientInterceptor):
    """Makes the factory resolve a service again after a call to it found no server (Consul)."""

    def __init__(self, forget: Callable[[], None]):
        self._forget = forget

    def intercept_unary_unary(self, continuation, client_call_details, request):
        outcome = continuation(client_call_details, request)

        def check(call: Any) -> None:
            if call.code() == grpc.StatusCode.UNAVAILABLE:
                self._forget()

        outcome.add_done_callback(check)
        return outcome


def default_interceptors() -> tuple[grpc.UnaryUnaryClientInterceptor, ...]:
    return (PropagationInterceptor(),)


class ChannelFactory:
    """Hands out one channel per upstream service, made on first use in the current process.

    ``resolve`` maps a service name (``identity``) to ``host:port``: static addresses
    from ``<SERVICE>_ADDR`` by default, Consul when it is configured. With
    ``reresolve_on_unavailable`` a call that ends UNAVAILABLE makes the next call
    resolve the service again, so a dead instance found through Consul is left behind.
    """

    def __init__(self, resolve: Resolver, interceptors: Sequence[Any] | None = None, *,
                 options: Sequence[tuple[str, Any]] = CHANNEL_OPTIONS, reresolve_on_unavailable: bool = False):
        self._resolve = resolve
        self._interceptors = tuple(default_interceptors() if interceptors is None else interceptors)
        self._options = tuple(options)
        self._reresolve = reresolve_on_unavailable
        self._channels: dict[str, grpc.Channel] = {}
        self._pid = os.getpid()
        self._lock = threading.Lock()

    @classmethod
    def static(cls, addresses: Mapping[str, str], **kwargs) -> ChannelFactory:
        def resolve(service: str) -> str:
            try:
                return addresses[service]
            except KeyError:
                raise LookupError(f"no address configured for service {service!r}") from None
        return cls(resolve, **kwargs)

    def channel(self, service: str) -> grpc.Channel:
        if os.getpid() != self._pid:
            # A forked child must never use its parent's channels (gRPC's fork rules): start afresh,
            # without closing them, since they belong to the parent.
            with self._lock:
                if os.getpid() != self._pid:
                    self._channels = {}
                    self._pid = os.getpid()
        channel = self._channels.get(service)
        if channel is None:
            with self._lock:
                channel = self._channels.get(service)
                if channel is None:
                    channel = self._open(service)
                    self._channels[service] = channel
        return channel

    def _open(self, service: str) -> grpc.Channel:
        channel = grpc.insecure_channel(self._resolve(service), options=self._options)
        interceptors = self._interceptors
        if self._reresolve:
            holder: list[grpc.Channel] = []
            interceptors = (*interceptors, _ForgetOnUnavailable(lambda: self.forget(service, holder[0])))
            channel = grpc.intercept_channel(channel, *interceptors)
            holder.append(channel)
            return channel
        return grpc.intercept_channel(channel, *interceptors) if interceptors else channel

    def forget(self, service: str, channel: grpc.Channel | None = None) -> None:
        """Drop the cached channel (only if it is still ``channel``); the next call resolves again.

        The channel is not closed: calls still running on it finish, and it closes once unused.
        """
        with self._lock:
            if channel is None or self._channels.get(service) is channel:
                self._channels.pop(service, None)

    def stub(self, service: str, stub_class: Callable[[grpc.Channel], StubT]) -> StubT:
        return stub_class(self.channel(service))

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels = {}
