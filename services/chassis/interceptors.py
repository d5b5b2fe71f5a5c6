"""Server interceptors: the caller from the bearer token, and domain errors as statuses.

A handler's behaviour runs inside a *scope* (a context manager: the caller made
current, errors translated). For streaming responses the scope is entered again
around each step of the response iterator, because the handler's body runs there,
after the handler function itself has returned.

A service's server runs every call through :func:`chassis_interceptors`: the request id,
the access log line, the caller and the errors folded into one :class:`ChassisInterceptor`
that wraps each method's handler once and reuses it (the call's metadata is read from its
context, not captured per call), and OpenTelemetry's own interceptor in front only when
spans are exported. The single interceptors below stay for servers that want one of them.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import grpc
from google.api import annotations_pb2
from google.protobuf import descriptor_pool
from sqlalchemy.exc import OperationalError

from services.chassis.audience import PUBLIC, Gate, gate_of
from services.chassis.auth import ANONYMOUS, Caller, TokenVerifier, act_as, acting_as, stop_acting
from services.chassis.errors import DomainError, Unauthenticated, Unavailable
from services.chassis.grpc_errors import abort_with_error
from services.chassis.handler_scope import SHAPES, metadata_value, wrap_handler_in_scope
from services.chassis.request_text import request_refusal

log = logging.getLogger(__name__)

Behavior = Callable[[Any, grpc.ServicerContext], Any]

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
        return caller_of(self._verifier, authorization, client_ip, user_agent)


def caller_of(verifier: TokenVerifier | None, authorization: str | None, client_ip: str | None,
              user_agent: str | None) -> Caller | DomainError:
    """The caller an ``authorization`` value stands for, or the error that refuses the call."""
    if not authorization:
        return Caller(client_ip=client_ip, user_agent=user_agent) if client_ip or user_agent else ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthenticated("Authorization 头须为 Bearer 令牌")
    if verifier is None:
        return Unauthenticated("此服务不接受访问令牌")
    try:
        return verifier.caller(token.strip(), client_ip, user_agent)
    except DomainError as error:
        return error


INTERNAL_MESSAGE = "服务内部错误，请稍后重试"
UPSTREAM_UNAVAILABLE_MESSAGE = "依赖的服务暂不可用，请稍后重试"
DATABASE_UNAVAILABLE_MESSAGE = "数据库暂不可用，请稍后重试"


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
            except Exception as error:
                abort_for(error, context, method)

        return wrap_handler_in_scope(continuation(handler_call_details), handler_call_details, translated)


def abort_for(error: Exception, context: grpc.ServicerContext, method: str) -> None:
    """End the call with the status ``error`` stands for; raises (``context.abort``), or re-raises it."""
    if isinstance(error, DomainError):
        abort_with_error(context, error)
    if context.code() is not None:  # context.abort() was called: let it through
        raise error
    if isinstance(error, grpc.RpcError) and _code_of(error) in _UPSTREAM_DOWN:
        log.warning("upstream call failed in %s: %s", method, error.code())
        context.abort(grpc.StatusCode.UNAVAILABLE, UPSTREAM_UNAVAILABLE_MESSAGE)
    if isinstance(error, OperationalError):
        # The database went away, restarts or refuses connections (DB-API's OperationalError): the
        # caller may try again. Only a commit whose answer was lost may have landed, as with any lost answer.
        cause = error.orig if error.orig is not None else error
        log.warning("the database failed in %s: %s: %s", method, type(cause).__name__,
                    (str(cause).splitlines() or [""])[0])
        abort_with_error(context, Unavailable(DATABASE_UNAVAILABLE_MESSAGE, reason="DATABASE_UNAVAILABLE"))
    log.exception("unhandled error in %s", method)
    context.abort(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)


# Told of every finished call: its method, final status and duration in seconds (metrics, say).
CallObserver = Callable[[str, grpc.StatusCode, float], None]

# Told of a unary call refused before its handler ran: its method, request, caller (or the refusal that
# stood for it) and context, whose code is set (the audit trail records such refusals).
RefusalObserver = Callable[[str, Any, "Caller | DomainError", grpc.ServicerContext], None]

_CALL_KEYS = frozenset({"authorization", "x-forwarded-for", "grpcgateway-user-agent", "user-agent", "x-request-id",
                        "traceparent", "tracestate"})


class ChassisInterceptor(grpc.ServerInterceptor):
    """Request id, access log line, caller and error translation of every call, in one wrapper per method.

    What the interceptors RequestIdInterceptor, AccessLogInterceptor, AuthInterceptor and
    ErrorInterceptor do in that order, with one difference: the access line names the caller
    the call ran as (from outside the caller's scope it could only say anonymous). The wrapped
    handler of a method is made once and reused, so a call allocates its own state only. An
    incoming W3C trace context is made current for the call without a span of ours, so logs
    and onward messages still carry its trace id; the spans themselves are OpenTelemetry's
    interceptor's work, in front of this one when they are exported.
    """

    def __init__(self, verifier: TokenVerifier | None, *, observers: Sequence[CallObserver] = (),
                 refusals: Sequence[RefusalObserver] = ()):
        # Imported here: telemetry imports this module.
        from opentelemetry import context as otel_context
        from opentelemetry import propagate

        from services.chassis import telemetry

        self._verifier = verifier
        self._observers = tuple(observers)
        self._refusals = tuple(refusals)
        self._bind_request_id, self._reset_request_id = telemetry.bind_request_id, telemetry.reset_request_id
        self._access_log = telemetry.access_log
        self._extract, self._attach, self._detach = propagate.extract, otel_context.attach, otel_context.detach
        # Method -> (the handler it was made for, the wrapped handler).
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = self._wrap(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        for attribute, factory, streams_responses in SHAPES:
            behavior = getattr(handler, attribute)
            if behavior is not None:
                wrapper = self._streaming if streams_responses else self._unary
                return factory(wrapper(behavior, method, gate_of(method), is_routed(method)),
                               request_deserializer=handler.request_deserializer,
                               response_serializer=handler.response_serializer)
        return handler

    def _read(self, context: grpc.ServicerContext) -> tuple[str, Any, dict[str, str]]:
        """The call's request id (the caller's, or a new one), its trace context (None without one), its metadata."""
        found: dict[str, str] = {}
        for key, value in context.invocation_metadata() or ():
            if key in _CALL_KEYS and key not in found:
                found[key] = value
        trace = self._extract(found) if "traceparent" in found else None
        return found.get("x-request-id") or uuid.uuid4().hex, trace, found

    def _bind(self, request_id: str, trace: Any) -> tuple[Any, Any]:
        return self._bind_request_id(request_id), (self._attach(trace) if trace is not None else None)

    def _unbind(self, tokens: tuple[Any, Any]) -> None:
        if tokens[1] is not None:
            self._detach(tokens[1])
        self._reset_request_id(tokens[0])

    def _caller(self, metadata: dict[str, str], gate: Gate | None) -> Caller | DomainError:
        forwarded_for = metadata.get("x-forwarded-for")
        client_ip = forwarded_for.split(",")[0].strip() if forwarded_for else None
        user_agent = metadata.get("grpcgateway-user-agent") or metadata.get("user-agent")
        caller = caller_of(self._verifier, metadata.get("authorization"), client_ip, user_agent)
        if gate is not None and isinstance(caller, Caller):
            # Before validation: an anonymous call learns nothing of the request's shape.
            return gate.login_refusal(caller) or caller
        return caller

    def _finish(self, context: grpc.ServicerContext, method: str, started: float, caller: Any) -> None:
        """The call's access line (while its request id is bound) and its observers."""
        if not self._observers and not self._access_log.isEnabledFor(logging.INFO):
            return
        code = context.code() or grpc.StatusCode.OK
        seconds = time.perf_counter() - started
        if self._access_log.isEnabledFor(logging.INFO):
            account_id = caller.account_id if isinstance(caller, Caller) else None
            self._access_log.info("%s %s", method, code.name, extra={"fields": {
                "grpcMethod": method, "grpcCode": code.name, "durationMs": round(seconds * 1000, 2),
                "accountId": account_id}})
        for observe in self._observers:
            observe(method, code, seconds)

    def _refused(self, method: str, request: Any, caller: Caller | DomainError,
                 context: grpc.ServicerContext) -> None:
        """Tell the refusal observers (the audit trail) of a unary call refused before its handler."""
        for observe in self._refusals:
            try:
                observe(method, request, caller, context)
            except Exception:
                log.exception("a refusal observer failed for %s", method)

    def _unary(self, behavior: Behavior, method: str, gate: Gate | None, bounded: bool) -> Behavior:
        def call(request, context):
            started = time.perf_counter()
            request_id, trace, metadata = self._read(context)
            tokens = self._bind(request_id, trace)
            caller = None
            try:
                caller = self._caller(metadata, gate)
                try:
                    _admit(caller, request, context, bounded)
                except Exception:
                    self._refused(method, request, caller, context)
                    raise
                caller_token = act_as(caller)
                try:
                    return behavior(request, context)
                except Exception as error:
                    abort_for(error, context, method)
                finally:
                    stop_acting(caller_token)
            finally:
                try:
                    self._finish(context, method, started, caller)
                finally:
                    self._unbind(tokens)

        return call

    def _streaming(self, behavior: Behavior, method: str, gate: Gate | None, bounded: bool) -> Behavior:
        def call(request, context):
            started = time.perf_counter()
            request_id, trace, metadata = self._read(context)
            tokens = self._bind(request_id, trace)
            caller = None
            try:
                caller = self._caller(metadata, gate)
                _admit(caller, request, context, bounded)
                with acting_as(caller):
                    try:
                        responses = iter(behavior(request, context))
                    except Exception as error:
                        abort_for(error, context, method)
            except BaseException:
                self._finish(context, method, started, caller)
                raise
            finally:
                self._unbind(tokens)
            return self._steps(responses, context, method, started, caller, request_id, trace)

        return call

    def _steps(self, responses: Iterator[Any], context: grpc.ServicerContext, method: str, started: float,
               caller: Caller, request_id: str, trace: Any) -> Iterator[Any]:
        """Each response computed as the caller, with the call's request id; the access line once, at the end."""
        try:
            while True:
                tokens = self._bind(request_id, trace)
                caller_token = act_as(caller)
                try:
                    item = next(responses)
                except StopIteration:
                    return
                except Exception as error:
                    abort_for(error, context, method)
                finally:
                    stop_acting(caller_token)
                    self._unbind(tokens)
                yield item
        finally:
            tokens = self._bind(request_id, trace)
            try:
                self._finish(context, method, started, caller)
            finally:
                self._unbind(tokens)


def _admit(caller: Caller | DomainError, request: Any, context: grpc.ServicerContext, bounded: bool) -> None:
    """Abort a call its caller may not make (see ``_caller``) or whose request the input policy refuses
    (request_text.py; ``bounded``: the whole policy, else control characters alone)."""
    refusal = caller if isinstance(caller, DomainError) else request_refusal(request, bounded=bounded)
    if refusal is not None:
        abort_with_error(context, refusal)


def _http_options(method: str) -> Any:
    """The method's options when it has a REST route (``google.api.http``), else None."""
    try:
        descriptor = descriptor_pool.Default().FindMethodByName(method.strip("/").replace("/", "."))
    except KeyError:
        return None
    options = descriptor.GetOptions()
    return options if options.HasExtension(annotations_pb2.http) else None


def is_routed(method: str) -> bool:
    """Whether ``method`` has a REST route: the surface outside callers reach, held to the whole input policy."""
    return _http_options(method) is not None


def needs_caller(method: str) -> bool:
    """Whether a call of ``method`` (``/pkg.Service/Method``) must carry a token: it has a REST route whose
    declared audience (``tongban.common.v1.audience``, services/chassis/audience.py) is not PUBLIC."""
    gate = gate_of(method)
    return gate is not None and gate.audience != PUBLIC


def chassis_interceptors(verifier: TokenVerifier | None, *, observers: Sequence[CallObserver] = (),
                         tracing: bool | None = None,
                         refusals: Sequence[RefusalObserver] = ()) -> list[grpc.ServerInterceptor]:
    """What a service's server runs every call through: OpenTelemetry's span first, only when spans are
    exported (``tracing`` None: when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set), then the chassis' own work."""
    from services.chassis.telemetry import tracing_exported

    folded = ChassisInterceptor(verifier, observers=observers, refusals=refusals)
    if not (tracing_exported() if tracing is None else tracing):
        return [folded]
    from opentelemetry.instrumentation.grpc import server_interceptor

    return [server_interceptor(), folded]
