"""Server interceptors: the caller from the bearer token, and domain errors as statuses.

A handler's behaviour runs inside a *scope* (a context manager: the caller made
current, errors translated). For streaming responses the scope is entered again
around each step of the response iterator, because the handler's body runs there,
after the handler function itself has returned.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from typing import Any

import grpc

from services.chassis.auth import ANONYMOUS, Caller, TokenVerifier, acting_as
from services.chassis.errors import DomainError, Unauthenticated
from services.chassis.grpc_errors import abort_with_error

log = logging.getLogger(__name__)

Behavior = Callable[[Any, grpc.ServicerContext], Any]
BehaviorWrapper = Callable[[Behavior, grpc.HandlerCallDetails], Behavior]
# Makes the scope a call runs in; called once for the call and once per streamed response.
Scope = Callable[[grpc.ServicerContext], ContextManager[Any]]

_SHAPES = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler, False),
    ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
    ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
    ("stream_stream", grpc.stream_stream_rpc_method_handler, True),
)


def wrap_handler(handler: grpc.RpcMethodHandler | None, details: grpc.HandlerCallDetails,
                 wrapper: BehaviorWrapper) -> grpc.RpcMethodHandler | None:
    """Return ``handler`` with its behaviour wrapped, whatever its streaming shape."""
    if handler is None:
        return None
    for attribute, factory, _streams_responses in _SHAPES:
        behavior = getattr(handler, attribute)
        if behavior is not None:
            return factory(
                wrapper(behavior, details),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
    return handler


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
    for attribute, factory, streams_responses in _SHAPES:
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


class AuthInterceptor(grpc.ServerInterceptor):
    """Verifies ``authorization: Bearer <jwt>`` and makes the caller current for the call.

    A call without a token runs as the anonymous caller; use cases decide whether that
    is allowed. A call with a bad token is refused outright.
    """

    def __init__(self, verifier: TokenVerifier | None):
        self._verifier = verifier

    def intercept_service(self, continuation, handler_call_details):
        metadata = handler_call_details.invocation_metadata
        authorization = metadata_value(metadata, "authorization")
        forwarded_for = metadata_value(metadata, "x-forwarded-for")
        client_ip = forwarded_for.split(",")[0].strip() if forwarded_for else None
        user_agent = metadata_value(metadata, "grpcgateway-user-agent") or metadata_value(metadata, "user-agent")
        verified: list[Caller] = []

        @contextlib.contextmanager
        def as_caller(context):
            if not verified:
                caller = self._caller(authorization, client_ip, user_agent)
                if isinstance(caller, DomainError):
                    abort_with_error(context, caller)
                verified.append(caller)
            with acting_as(verified[0]):
                yield

        return wrap_handler_in_scope(continuation(handler_call_details), handler_call_details, as_caller)

    def _caller(self, authorization: str | None, client_ip: str | None,
                user_agent: str | None) -> Caller | DomainError:
        if not authorization:
            return Caller(client_ip=client_ip, user_agent=user_agent) if client_ip or user_agent else ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Unauthenticated("Authorization 头须为 Bearer 令牌")
        if self._verifier is None:
            return Unauthenticated("此服务不接受访问令牌")
        try:
            claims = self._verifier.verify(token.strip())
        except DomainError as error:
            return error
        return Caller.from_claims(claims, client_ip=client_ip, user_agent=user_agent)


INTERNAL_MESSAGE = "服务内部错误，请稍后重试"
UPSTREAM_UNAVAILABLE_MESSAGE = "依赖的服务暂不可用，请稍后重试"


_UPSTREAM_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _code_of(error: grpc.RpcError) -> grpc.StatusCode | None:
    code = getattr(error, "code", None)
    return code() if callable(code) else None


class ErrorInterceptor(grpc.ServerInterceptor):
    """Turns domain errors into statuses with details, and anything unexpected into INTERNAL.

    ``context.abort(...)`` from a servicer passes through untouched. A failed call to
    another service that was unreachable or too slow becomes UNAVAILABLE (the caller may
    retry); any other failed upstream call is our bug, so INTERNAL.
    """

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method

        @contextlib.contextmanager
        def translated(context):
            try:
                yield
            except DomainError as error:
                abort_with_error(context, error)
            except Exception as error:
                if context.code() is not None:  # context.abort() was called: let it through
                    raise
                if isinstance(error, grpc.RpcError) and _code_of(error) in _UPSTREAM_DOWN:
                    log.warning("upstream call failed in %s: %s", method, error.code())
                    context.abort(grpc.StatusCode.UNAVAILABLE, UPSTREAM_UNAVAILABLE_MESSAGE)
                log.exception("unhandled error in %s", method)
                context.abort(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)

        return wrap_handler_in_scope(continuation(handler_call_details), handler_call_details, translated)
