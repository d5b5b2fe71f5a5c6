"""gRPC client channels: one per upstream per process, created lazily so it is made after a fork.

Channels carry the 16 MiB receive limit, keepalive within the servers' limits and a
retry policy on UNAVAILABLE (service-config JSON, so gRPC itself retries with
back-off). Callers pass a deadline on every call; :data:`DEFAULT_DEADLINE` is the norm.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

import grpc

from services.chassis.server import MAX_MESSAGE_BYTES

DEFAULT_DEADLINE = 5.0

RETRY_SERVICE_CONFIG = json.dumps({
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
    ("grpc.service_config", RETRY_SERVICE_CONFIG),
)

Resolver = Callable[[str], str]
StubT = TypeVar("StubT")


class ChannelFactory:
    """Hands out one channel per upstream service, made on first use in the current process.

    ``resolve`` maps a service name (``identity``) to ``host:port``: static addresses
    from ``<SERVICE>_ADDR`` by default, Consul when it is configured.
    """

    def __init__(self, resolve: Resolver, interceptors: tuple[grpc.UnaryUnaryClientInterceptor, ...] = ()):
        self._resolve = resolve
        self._interceptors = interceptors
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
            # A forked child must never use its parent's channels (gRPC's fork rules).
            self._channels = {}
            self._pid = os.getpid()
        channel = self._channels.get(service)
        if channel is None:
            with self._lock:
                channel = self._channels.get(service)
                if channel is None:
                    channel = grpc.insecure_channel(self._resolve(service), options=CHANNEL_OPTIONS)
                    if self._interceptors:
                        channel = grpc.intercept_channel(channel, *self._interceptors)
                    self._channels[service] = channel
        return channel

    def stub(self, service: str, stub_class: Callable[[grpc.Channel], StubT]) -> StubT:
        return stub_class(self.channel(service))

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels = {}
