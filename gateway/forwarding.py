"""Headers to gRPC metadata and back, the grpc-gateway way.

In: ``authorization``, ``grpc-metadata-*`` (prefix stripped), ``x-forwarded-for`` with the
client address appended, ``x-forwarded-host``, ``user-agent`` as ``grpcgateway-user-agent``,
W3C ``traceparent``/``tracestate`` (or the gateway's own span's) and ``x-request-id``. A client ``Grpc-Timeout`` becomes
the deadline, never longer than the gateway's own.

Out: response metadata as ``Grpc-Metadata-<key>`` headers, except the keys a service uses
to choose HTTP details (``x-http-code``, ``content-disposition``), which are applied instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping

from services.chassis.http_metadata import CONTENT_DISPOSITION_KEY, HTTP_CODE_KEY
from services.chassis.telemetry import REQUEST_ID_HEADER

METADATA_PREFIX = "grpc-metadata-"
TRACE_HEADERS = ("traceparent", "tracestate")
# Metadata keys gRPC or the transport own; a client may not set them through grpc-metadata-*.
_RESERVED = re.compile(r"^(grpc-|:|content-type$|te$|host$|connection$|user-agent$)")
_TIMEOUT = re.compile(r"^(\d{1,8})([HMSmun])$")
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
SERVICE_CHOSEN_KEYS = frozenset({HTTP_CODE_KEY, CONTENT_DISPOSITION_KEY})


class BadHeader(ValueError):
    def __init__(self, header: str, message: str):
        super().__init__(message)
        self.header = header
        self.message = message


def parse_grpc_timeout(value: str) -> float:
    """``Grpc-Timeout: 500m`` -> 0.5 seconds (gRPC over HTTP/2 syntax)."""
    match = _TIMEOUT.match(value.strip())
    if not match:
        raise BadHeader("Grpc-Timeout", f"Grpc-Timeout 格式错误：{value!r}（应如 500m、2S）")
    return int(match.group(1)) * _TIMEOUT_UNITS[match.group(2)]


def deadline_for(headers: Mapping[str, str], cap_seconds: float) -> float:
    value = headers.get("Grpc-Timeout")
    if not value:
        return cap_seconds
    return min(parse_grpc_timeout(value), cap_seconds)


def request_metadata(headers: Iterable[tuple[str, str]], *, client_address: str | None, host: str | None,
                     request_id: str, trace_headers: bool = True) -> list[tuple[str, str | bytes]]:
    """The call's metadata; ``trace_headers`` passes the client's trace context on as it came (when the gateway
    makes no spans; with spans, OpenTelemetry's client interceptor writes the gateway's own)."""
    metadata: list[tuple[str, str | bytes]] = []
    forwarded_for = None
    for name, value in headers:
        key = name.lower()
        if key == "authorization":
            metadata.append(("authorization", value))
        elif key.startswith(METADATA_PREFIX):
            metadata.append(_client_metadata(name, key[len(METADATA_PREFIX):], value))
        elif key == "x-forwarded-for":
            forwarded_for = value
        elif key == "user-agent":
            metadata.append(("grpcgateway-user-agent", value))
        elif key in TRACE_HEADERS and trace_headers:
            metadata.append((key, value))
    if client_address:
        forwarded_for = f"{forwarded_for}, {client_address}" if forwarded_for else client_address
    if forwarded_for:
        metadata.append(("x-forwarded-for", forwarded_for))
    if host:
        metadata.append(("x-forwarded-host", host))
    metadata.append((REQUEST_ID_HEADER, request_id))
    return metadata


def _client_metadata(header: str, key: str, value: str) -> tuple[str, str | bytes]:
    if not key or _RESERVED.match(key) or key == REQUEST_ID_HEADER:
        raise BadHeader(header, f"请求头 {header} 不可转发")
    if key.endswith("-bin"):
        try:
            return key, base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except binascii.Error as exc:
            raise BadHeader(header, f"请求头 {header} 须为 base64 编码") from exc
    return key, value


def response_headers(metadata: Iterable[tuple[str, str | bytes]]) -> list[tuple[str, str]]:
    headers = []
    for key, value in metadata:
        if key in SERVICE_CHOSEN_KEYS or key.startswith("grpc-") or key.endswith("-bin") or isinstance(value, bytes):
            continue
        headers.append((f"Grpc-Metadata-{key}", value))
    return headers


def service_choice(key: str, *metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """A service-chosen HTTP detail, from initial or trailing metadata."""
    for items in metadata:
        for k, v in items or ():
            if k == key and isinstance(v, str):
                return v
    return None
