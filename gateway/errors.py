"""Error responses: the HTTP status of a gRPC code and the google.rpc.Status JSON body.

The table is google/rpc/code.proto's, as grpc-gateway and Envoy use it. Errors the
gateway makes itself (unknown route, bad JSON, limits) have the same body shape.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2, duration_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2

from services.chassis.errors import MAX_MESSAGE_CHARS, FieldViolation, bounded_violations
from services.chassis.grpc_errors import ERROR_DOMAIN

HTTP_STATUS_BY_CODE = {
    code_pb2.OK: 200,
    code_pb2.CANCELLED: 499,
    code_pb2.UNKNOWN: 500,
    code_pb2.INVALID_ARGUMENT: 400,
    code_pb2.DEADLINE_EXCEEDED: 504,
    code_pb2.NOT_FOUND: 404,
    code_pb2.ALREADY_EXISTS: 409,
    code_pb2.PERMISSION_DENIED: 403,
    code_pb2.UNAUTHENTICATED: 401,
    code_pb2.RESOURCE_EXHAUSTED: 429,
    code_pb2.FAILED_PRECONDITION: 400,
    code_pb2.ABORTED: 409,
    code_pb2.OUT_OF_RANGE: 400,
    code_pb2.UNIMPLEMENTED: 501,
    code_pb2.INTERNAL: 500,
    code_pb2.UNAVAILABLE: 503,
    code_pb2.DATA_LOSS: 500,
}

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def http_status(code: int) -> int:
    return HTTP_STATUS_BY_CODE.get(code, 500)


def code_of(status_code: grpc.StatusCode) -> int:
    return status_code.value[0]


class GatewayError(Exception):
    """An error the gateway answers itself, with the body a service error would have."""

    def __init__(self, code: int, message: str, *, violations: Sequence[tuple[str, str]] = (),
                 reason: str | None = None, retry_after_seconds: float | None = None,
                 http_status_override: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.violations = tuple(violations)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds
        self.http_status = http_status_override or http_status(code)
        self.headers = headers or {}

    def to_status(self) -> status_pb2.Status:
        details = []
        if self.violations:
            # Bounded like a service's: a few dozen, each short, none holding a lone surrogate (no JSON encoder
            # nor protobuf string takes one).
            kept = bounded_violations([FieldViolation(_readable(f), _readable(d)) for f, d in self.violations])
            details.append(_pack(error_details_pb2.BadRequest(field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description) for v in kept
            ])))
        if self.reason:
            details.append(_pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=ERROR_DOMAIN)))
        if self.retry_after_seconds is not None:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(int(self.retry_after_seconds * 1000))
            details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
        return status_pb2.Status(code=self.code, message=_readable(self.message, MAX_MESSAGE_CHARS), details=details)


def _readable(text: str, limit: int = 1000) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def status_json(status: status_pb2.Status) -> bytes:
    """``{"code", "message", "details"}`` with each detail as proto3 JSON Any (``@type``)."""
    document = {"code": status.code, "message": status.message, "details": [_detail_json(d) for d in status.details]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _detail_json(detail: any_pb2.Any) -> dict:
    try:
        return json_format.MessageToDict(detail, always_print_fields_with_no_presence=True)
    except (json_format.SerializeToJsonError, TypeError, KeyError):
        # A detail type this process does not know: still shown, as the proto3 JSON of an unknown Any.
        return {"@type": detail.type_url, "value": base64.b64encode(detail.value).decode()}

