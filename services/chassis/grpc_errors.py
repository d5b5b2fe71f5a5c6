"""Domain errors as gRPC statuses with google.rpc details, and back again.

Field violations travel as ``google.rpc.BadRequest`` in ``grpc-status-details-bin``
so the gateway can hand every bad field to the client.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.chassis.errors import (
    MAX_MESSAGE_CHARS,
    DomainError,
    InvalidArgument,
    ResourceExhausted,
    bounded_violations,
    shorten,
)

ERROR_DOMAIN = "tongban.cn"


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def status_from_error(error: DomainError) -> status_pb2.Status:
    """The status of ``error``, bounded to fit the trailers (see ``bounded_violations``)."""
    details = []
    if isinstance(error, InvalidArgument) and error.violations:
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in bounded_violations(error.violations)
        ])))
    if error.reason:
        details.append(_pack(error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)))
    if isinstance(error, ResourceExhausted) and error.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(int(error.retry_after_seconds * 1000))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return status_pb2.Status(code=code_pb2.Code.Value(error.code), message=shorten(error.message, MAX_MESSAGE_CHARS),
                             details=details)


def retry_after_of(status: status_pb2.Status) -> float | None:
    """The RetryInfo delay in a status's details (as ``status_from_error`` packs it), if any."""
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info.retry_delay.ToMilliseconds() / 1000
    return None


def abort_with_error(context: grpc.ServicerContext, error: DomainError) -> None:
    """Ends the call with the error's status; raises, like ``context.abort``."""
    context.abort_with_status(rpc_status.to_status(status_from_error(error)))


def status_from_rpc_error(error: grpc.RpcError) -> status_pb2.Status:
    """The full google.rpc.Status of a failed call, rebuilt from ``grpc-status-details-bin`` when present."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is not None:
        return status
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    return status_pb2.Status(code=code.value[0], message=details or "")
