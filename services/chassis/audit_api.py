"""The audit trail at the edges: which calls are audited, a refused call's row, the search, the commands.

:class:`AuditInterceptor` runs inside the chassis interceptor (the caller is current, the request id
bound) and makes each routed mutating call current for the units of work it opens (services/chassis/
uow.py writes the OK row with the change). A call that ends refused or failed without a committed row
gets its row here, in a transaction of its own, after the use case's unit of work has closed; one the
chassis interceptor refused before the handler is told of by it (:meth:`AuditInterceptor.admission_refused`).
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.api import annotations_pb2
from google.protobuf import descriptor_pool
from sqlalchemy import Table, and_, select
from sqlalchemy.orm import Session

from protos.common.v1 import audit_pb2
from services.chassis import audit
from services.chassis.auth import Caller, acting_as, current_caller
from services.chassis.errors import DomainError, InvalidArgument, PermissionDenied, Unauthenticated
from services.chassis.paging import paginate_rows
from services.chassis.registry import ServiceSpec
from services.chassis.server import ServiceBinding
from services.chassis.wire import moment, timestamp

log = logging.getLogger(__name__)

# Methods named so only read, whatever their HTTP verb (a search posted with a body, a public check).
READ_PREFIXES = ("Get", "List", "Search", "Trace", "Check", "Query", "Verify", "Lookup", "Export", "Download",
                 "Preview", "Count")
_ADMIN_ROLE = "PLATFORM_ADMIN"
_UPSTREAM_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def is_audited(method: str) -> bool:
    """Whether ``method`` (``/pkg.Service/Method``) is a routed mutation: a REST route not a GET, not a read."""
    try:
        descriptor = descriptor_pool.Default().FindMethodByName(method.strip("/").replace("/", "."))
    except KeyError:
        return False
    options = descriptor.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return False
    if options.Extensions[annotations_pb2.http].WhichOneof("pattern") == "get":
        return False
    return not descriptor.name.startswith(READ_PREFIXES)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def record_of(method: str, request: Any) -> tuple[str, str]:
    """The record a request names: its ``id``, else its first ``*_id``, else its ``name``; and the record's type
    (the ``*_id`` field's stem, else the gRPC service's resource, ``CaseService`` -> ``case``)."""
    service = method.strip("/").split("/")[0].rsplit(".", 1)[-1].removesuffix("Service")
    names = [f.name for f in request.DESCRIPTOR.fields]
    # ``request_id`` is an idempotency key, not a record.
    ordered = [n for n in names if n == "id"] + [n for n in names if n.endswith("_id") and n != "request_id"] + \
        [n for n in names if n == "name"]
    for name in ordered:
        value = getattr(request, name)
        if isinstance(value, str) and value:
            return (name.removesuffix("_id") if name.endswith("_id") else _snake(service)), value
    return _snake(service), ""


def _status_of(error: Exception, context: grpc.ServicerContext) -> tuple[str, str, str]:
    """The code, reason and message a call ends with after ``error`` (as ErrorInterceptor will answer)."""
    if isinstance(error, DomainError):
        return error.code, error.reason or "", error.message
    code = context.code()
    if code is not None:
        details = getattr(context, "details", None)
        return code.name, "", (details() if callable(details) else "") or ""
    upstream = getattr(error, "code", None)
    if isinstance(error, grpc.RpcError) and callable(upstream) and upstream() in _UPSTREAM_DOWN:
        return "UNAVAILABLE", "", ""
    return "INTERNAL", "", ""


class AuditInterceptor(grpc.ServerInterceptor):
    """Makes every routed mutating call current for the audit trail; writes the row of one refused or failed."""

    def __init__(self, session_factory: Callable[[], Session], table: Table):
        self._session_factory = session_factory
        self._table = table
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}
        self._methods: dict[str, bool] = {}

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = self._wrap(handler, method) if is_audited(method) else handler
        # The chassis interceptor caches by the handler answered here: the same object each call.
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        behavior = handler.unary_unary

        def call(request, context):
            record_type, record_id = record_of(method, request)
            current = audit.AuditCall(method, record_type, record_id)
            token = audit.begin_call(current)
            try:
                try:
                    response = behavior(request, context)
                except Exception as error:
                    self.refused(current, *_status_of(error, context))
                    raise
                code = context.code()
                if code not in (None, grpc.StatusCode.OK):
                    self.refused(current, code.name, "", "")
                return response
            finally:
                audit.end_call(token)

        return grpc.unary_unary_rpc_method_handler(call, request_deserializer=handler.request_deserializer,
                                                   response_serializer=handler.response_serializer)

    def admission_refused(self, method: str, request: Any, caller: Caller | DomainError,
                          context: grpc.ServicerContext) -> None:
        """The row of a call the chassis interceptor refused before its handler (no or a bad token, outside
        the route's audience, the input policy). A refusal standing for the caller leaves only its address."""
        if not self._audited(method):
            return
        if isinstance(caller, Caller):
            who, reason = caller, ""
        else:
            forwarded = dict(context.invocation_metadata() or ()).get("x-forwarded-for")
            who, reason = Caller(client_ip=forwarded.split(",")[0].strip() if forwarded else None), caller.reason
        code = context.code()
        record_type, record_id = record_of(method, request)
        with acting_as(who):
            self.refused(audit.AuditCall(method, record_type, record_id),
                         code.name if code is not None else "UNKNOWN", reason or "", "")

    def _audited(self, method: str) -> bool:
        known = self._methods.get(method)
        if known is None:
            known = self._methods[method] = is_audited(method)
        return known

    def refused(self, call: audit.AuditCall, code: str, reason: str, message: str) -> None:
        """The row of a call that ended ``code``; never fails the call itself."""
        if call.written:
            return
        session = self._session_factory()
        try:
            audit.append(session, self._table, audit.refused_entry(call, code, reason, message))
            session.commit()
            call.written = True
        except Exception:
            log.exception("could not write the audit row of a refused %s", call.method)
        finally:
            session.close()


def may_view(spec: ServiceSpec) -> None:
    """The platform admin and staff of the service's agencies see its trail; anyone else is refused."""
    caller = current_caller()
    if not caller.is_authenticated:
        raise Unauthenticated("请先登录", reason="LOGIN_REQUIRED")
    if _ADMIN_ROLE in caller.roles:
        return
    kinds = {agency.kind for agency in spec.agencies}
    if caller.agency and caller.agency.split(":", 1)[0] in kinds:
        return
    raise PermissionDenied("仅限平台管理员或本系统主管部门工作人员查询审计日志", reason="AUDIT_NOT_VISIBLE")


def _event(row: Any) -> audit_pb2.AuditTrailEvent:
    return audit_pb2.AuditTrailEvent(
        sequence=row["sequence"], time=timestamp(row["at"]), actor_id=row["actor_id"] or "",
        actor_kind=row["actor_kind"] or "", actor_roles=[r for r in row["actor_roles"].split(",") if r],
        organization_id=row["organization_id"] or "", agency=row["agency"] or "",
        client_ip=row["client_ip"] or "", request_id=row["request_id"] or "", action=row["action"],
        record_type=row["record_type"], record_id=row["record_id"], result_code=row["result_code"],
        result_reason=row["result_reason"], detail=row["detail"], previous_hash=row["previous_hash"],
        hash=row["hash"])


class AuditTrailServicer:
    """``ListAuditTrail`` of one service's ``AuditService``; mixed into that package's generated servicer."""

    def __init__(self, context: Any, spec: ServiceSpec):
        self._context = context
        self._spec = spec

    def ListAuditTrail(self, request: audit_pb2.ListAuditTrailRequest, _grpc_context: Any) -> Any:
        may_view(self._spec)
        table = self._context.tables.audit
        start, end = moment(request, "start_time"), moment(request, "end_time")
        if start and end and end < start:
            raise InvalidArgument.for_field("endTime", "结束时间不能早于开始时间")
        conditions = []
        if request.actor_id:
            conditions.append(table.c.actor_id == request.actor_id)
        if request.record_type:
            conditions.append(table.c.record_type == request.record_type)
        if request.record_id:
            conditions.append(table.c.record_id == request.record_id)
        if request.action:
            conditions.append(table.c.action == request.action if "/" in request.action
                              else table.c.action.endswith("/" + request.action, autoescape=True))
        if start:
            conditions.append(table.c.at >= start)
        if end:
            conditions.append(table.c.at < end)
        query = select(table).where(and_(True, *conditions)).order_by(table.c.sequence.desc())
        with self._context.unit_of_work(read_only=True) as uow:
            page = paginate_rows(uow.session, query, request.page_size, request.page_token)
        return audit_pb2.ListAuditTrailResponse(events=[_event(r) for r in page.items], total_size=page.total_size,
                                                next_page_token=page.next_page_token)


def audit_bindings(name: str, context: Any) -> list[ServiceBinding]:
    """The service's ``AuditService`` (protos/<name>/v1/audit.proto) served by the chassis, if it declares one."""
    try:
        module = importlib.import_module(f"protos.{name}.v1.audit_pb2_grpc")
    except ModuleNotFoundError:
        return []
    if context.tables.audit is None:
        return []
    from services.chassis.registry import spec

    servicer_class = type("AuditServicer", (AuditTrailServicer, module.AuditServiceServicer), {})
    return [ServiceBinding.of(servicer_class(context, spec(name)))]


def verify_command(context: Any, _argv: Sequence[str]) -> int:
    """``verify-audit``: walk the chain; non-zero, naming the first broken sequence, when it does not hold."""
    with context.unit_of_work(read_only=True) as uow:
        verdict = audit.verify(uow.session, context.tables.audit)
    if verdict.ok:
        print(f"audit trail of {context.settings.service}: {verdict.rows} rows, the chain holds")
        return 0
    print(f"audit trail of {context.settings.service} broken at sequence {verdict.broken_at}: {verdict.reason}",
          file=sys.stderr)
    return 1


def purge_command(context: Any, _argv: Sequence[str]) -> int:
    """``purge-audit``: delete rows older than AUDIT_RETENTION_DAYS, recording where the kept chain starts."""
    days = context.settings.audit_retention_days
    with context.unit_of_work() as uow:
        removed = audit.purge(uow.session, context.tables.audit, days)
        uow.commit()
    print(json.dumps({"service": context.settings.service, "purged": removed, "retentionDays": days}))
    return 0
