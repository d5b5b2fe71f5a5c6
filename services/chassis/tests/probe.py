"""A bare gRPC service for chassis tests: methods are plain functions on bytes, no proto needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import grpc

from services.chassis.server import RunningServer, ServiceBinding, start_server
from services.chassis.testing import free_port, wait_until  # noqa: F401 - re-exported for the tests here

SERVICE = "tongban.test.v1.Probe"

Unary = Callable[[bytes, grpc.ServicerContext], bytes]


def binding(unary: Mapping[str, Unary] = (), streams: Mapping[str, Callable] = (),
            full_name: str = SERVICE) -> ServiceBinding:
    """Unary methods take and answer bytes; ``streams`` answer an iterator of bytes (unary -> stream)."""
    handlers = {name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in dict(unary).items()}
    handlers.update({name: grpc.unary_stream_rpc_method_handler(fn) for name, fn in dict(streams).items()})
    generic = grpc.method_handlers_generic_handler(full_name, handlers)
    return ServiceBinding(full_name, lambda server: server.add_generic_rpc_handlers((generic,)))


@contextmanager
def serving(bindings: Sequence[ServiceBinding], interceptors: Sequence[grpc.ServerInterceptor] = (),
            **kwargs) -> Iterator[RunningServer]:
    running = start_server(bindings, host="127.0.0.1", port=0, interceptors=interceptors, **kwargs)
    try:
        yield running
    finally:
        running.stop(0)


def unary(channel: grpc.Channel, method: str, payload: bytes = b"", *, timeout: float = 10.0,
          metadata: Sequence[tuple[str, str]] | None = None, service: str = SERVICE) -> bytes:
    return channel.unary_unary(f"/{service}/{method}")(payload, timeout=timeout, metadata=metadata)


def stream(channel: grpc.Channel, method: str, payload: bytes = b"", *, timeout: float = 10.0,
           metadata: Sequence[tuple[str, str]] | None = None) -> list[bytes]:
    return list(channel.unary_stream(f"/{SERVICE}/{method}")(payload, timeout=timeout, metadata=metadata))




