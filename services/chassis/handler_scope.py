"""A gRPC method handler run inside a scope, whatever its streaming shape; one metadata lookup.

What every server interceptor of the chassis builds on (the interceptors themselves, the request id
and the access log of :mod:`services.chassis.telemetry`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from typing import Any

import grpc

# Makes the scope a call runs in; called once for the call and once per streamed response.
Scope = Callable[[grpc.ServicerContext], ContextManager[Any]]

SHAPES = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler, False),
    ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
    ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
    ("stream_stream", grpc.stream_stream_rpc_method_handler, True),
)


def _iterate_within(scope: Callable[[], ContextManager[Any]], responses: Iterator[Any]) -> Iterator[Any]:
    """Yield ``responses``, computing each one inside a fresh ``scope`` (never held across a yield)."""
    iterator = iter(responses)
    while True:
        with scope():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def wrap_handler_in_scope(handler: grpc.RpcMethodHandler | None, details: grpc.HandlerCallDetails,
                          scope: Scope) -> grpc.RpcMethodHandler | None:
    """Run ``handler`` inside ``scope(context)``, including every step of a streamed response."""
    if handler is None:
        return None
    for attribute, factory, streams_responses in SHAPES:
        behavior = getattr(handler, attribute)
        if behavior is None:
            continue

        def scoped(request, context, behavior=behavior, streams_responses=streams_responses):
            with scope(context):
                result = behavior(request, context)
            if streams_responses:
                return _iterate_within(lambda: scope(context), result)
            return result

        return factory(scoped, request_deserializer=handler.request_deserializer,
                       response_serializer=handler.response_serializer)
    return handler


def metadata_value(metadata: Any, key: str) -> str | None:
    for item in metadata or ():
        if item[0] == key:
            return item[1]
    return None
