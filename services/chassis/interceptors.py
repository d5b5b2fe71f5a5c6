"""Server interceptors: the caller from the bearer token, and domain errors as statuses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import grpc

from services.chassis.auth import ANONYMOUS, Caller, TokenVerifier, acting_as
from services.chassis.errors import DomainError, Unauthenticated
from services.chassis.grpc_errors import abort_with_error

log = logging.getLogger(__name__)

Behavior = Callable[[Any, grpc.ServicerContext], Any]
BehaviorWrapper = Callable[[Behavior, grpc.HandlerCallDetails], Behavior]


def wrap_handler(handler: grpc.RpcMethodHandler | None, details: grpc.HandlerCallDetails,
                 wrapper: BehaviorWrapper) -> grpc.RpcMethodHandler | None:
    """Return ``handler`` with its behaviour wrapped, whatever its streaming shape."""
    if handler is None:
        return None
    for attribute, factory in (
        ("unary_unary", grpc.unary_unary_rpc_method_handler),
        ("unary_stream", grpc.unary_stream_rpc_method_handler),
        ("stream_unary", grpc.stream_unary_rpc_method_handler),
        ("stream_stream", grpc.stream_stream_rpc_method_handler),
    ):
        behavior = getattr(handler, attribute)
        if behavior is not None:
            return factory(
                wrapper(behavior, details),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
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

        def wrapper(behavior: Behavior, _details) -> Behavior:
            def authenticated(request, context):
                caller = self._caller(authorization, client_ip, user_agent)
                if isinstance(caller, DomainError):
                    abort_with_error(context, caller)
                with acting_as(caller):
                    return behavior(request, context)
            return authenticated

        return wrap_handler(continuation(handler_call_details), handler_call_details, wrapper)

    def _caller(self, authorization: str | None, client_ip: str | None,
                user_agent: str | None) -> Caller | DomainError:
        if not authorization:
            return Caller(client_ip=client_ip, user_agent=user_agent) if client_ip or user_agent else ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return Unauthenticated("Authorization 头须为 Bearer 令牌")
        if self._verifier is None:
            return Unauthenticated("此服务不接受访问令牌")
        try:
            claims = self._verifier.verify(token.strip())
        except DomainError as error:
            return error
        return Caller.from_claims(claims, client_ip=client_ip, user_agent=user_agent)


class ErrorInterceptor(grpc.ServerInterceptor):
    """Turns domain errors into statuses with details, and anything unexpected into INTERNAL."""

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method

        def wrapper(behavior: Behavior, _details) -> Behavior:
            def guarded(request, context):
                try:
                    return behavior(request, context)
                except DomainError as error:
                    abort_with_error(context, error)
                except Exception:
                    if context.code() is not None:  # context.abort() was called: let it through
                        raise
                    log.exception("unhandled error in %s", method)
                    context.abort(grpc.StatusCode.INTERNAL, "服务内部错误，请稍后重试")
            return guarded

        return wrap_handler(continuation(handler_call_details), handler_call_details, wrapper)
