"""A bare gRPC service for chassis tests: methods are plain functions on bytes, no proto needed."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import grpc

from services.chassis.server import RunningServer, ServiceBinding, start_server

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float = 30.0, interval: float = 0.05) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
