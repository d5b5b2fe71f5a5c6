"""The echo gRPC service the gateway's tests and benchmarks transcode to.

It runs behind the chassis interceptors (auth, errors), like a real service, and can also
answer identity's ``GetJwks`` from a key source the test controls (key rotation).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from google.api import httpbody_pb2
from google.protobuf import json_format

from protos.identity.v1 import directory_pb2, directory_pb2_grpc
from protos.testing.v1 import echo_pb2, echo_pb2_grpc
from services.chassis.auth import TokenVerifier, current_caller
from services.chassis.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from services.chassis.http_metadata import set_download_filename, set_http_status
from services.chassis.interceptors import AuthInterceptor, ErrorInterceptor
from services.chassis.server import RunningServer, ServiceBinding, start_server

DOWNLOAD_NAME = "稀土产品目录 2026.xlsx"
DOWNLOAD_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_ERRORS: Mapping[str, type[DomainError]] = {
    "NOT_FOUND": NotFound, "ALREADY_EXISTS": AlreadyExists, "FAILED_PRECONDITION": FailedPrecondition,
    "PERMISSION_DENIED": PermissionDenied, "UNAUTHENTICATED": Unauthenticated, "UNAVAILABLE": Unavailable,
}


def _thing(id_: str, shelf: str = "") -> echo_pb2.Thing:
    name = f"shelves/{shelf}/things/{id_}" if shelf else f"things/{id_}"
    return echo_pb2.Thing(id=id_, name=name, shelf=shelf, title=f"thing {id_}", labels=["a", "b"])


class EchoServicer(echo_pb2_grpc.EchoServiceServicer):
    def GetThing(self, request, context):
        if request.id == "missing":
            raise NotFound("没有这个物品", reason="THING_NOT_FOUND")
        return _thing(request.id, request.shelf)

    def ListThings(self, request, context):
        return echo_pb2.ListThingsResponse(things=[_thing("1")], next_page_token="", total_size=1, request=request)

    def CreateThing(self, request, context):
        thing = echo_pb2.Thing()
        thing.CopyFrom(request.thing)
        thing.shelf = request.parent
        thing.id = thing.id or "new"
        thing.comment = request.request_id
        set_http_status(context, 201)
        return thing

    def UpdateThing(self, request, context):
        thing = echo_pb2.Thing()
        thing.CopyFrom(request.thing)
        thing.comment = ",".join(request.update_mask.paths)
        return thing

    def ApproveThing(self, request, context):
        thing = _thing(request.id)
        thing.approved = True
        thing.comment = request.comment
        thing.count = request.version
        return thing

    def DeleteThing(self, request, context):
        return _thing(request.id)

    def GetThingLabels(self, request, context):
        return _thing(request.id)

    def Echo(self, request, context):
        return request

    def Inspect(self, request, context):
        context.send_initial_metadata((("x-served-by", "echo"),))
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        remaining = context.time_remaining()
        caller = current_caller()
        return echo_pb2.InspectResponse(
            metadata=metadata,
            deadline_seconds=remaining if remaining is not None and remaining < 1e6 else 0.0,
            caller_account_id=caller.account_id or "",
            caller_client_ip=caller.client_ip or "",
            caller_user_agent=caller.user_agent or "",
        )

    def Ping(self, request, context):
        return echo_pb2.InspectResponse()

    def DownloadFile(self, request, context):
        set_download_filename(context, DOWNLOAD_NAME)
        return httpbody_pb2.HttpBody(content_type=DOWNLOAD_TYPE, data=f"file:{request.path}".encode())

    def UploadFile(self, request, context):
        return echo_pb2.UploadFileResponse(
            file_name=request.file_name, description=request.description, size=len(request.content),
            sha256=hashlib.sha256(request.content).hexdigest(), attachment_count=len(request.attachments),
            copies=request.copies,
        )

    def UploadDocument(self, request, context):
        return request

    def Fail(self, request, context):
        if request.code == "INVALID_ARGUMENT":
            raise InvalidArgument(request.message or "请求参数有误",
                                  [FieldViolation(f, f"{f} 填写有误") for f in request.fields])
        if request.code == "RESOURCE_EXHAUSTED":
            raise ResourceExhausted(request.message or "太频繁", retry_after_seconds=7)
        error = _ERRORS.get(request.code)
        if error is None:
            raise RuntimeError("unexpected failure requested")
        raise error(request.message or request.code)

    def Slow(self, request, context):
        until = time.monotonic() + request.millis / 1000
        while time.monotonic() < until and context.is_active():
            time.sleep(0.01)
        return echo_pb2.EchoMessage(text="done")


class FakeIdentity(directory_pb2_grpc.DirectoryServiceServicer):
    """Answers GetJwks from ``jwks_source`` (a callable the test can change); counts the fetches."""

    def __init__(self, jwks_source: Callable[[], Mapping[str, Any]]):
        self.jwks_source = jwks_source
        self.fetches = 0
        self._lock = threading.Lock()

    def GetJwks(self, request, context):
        with self._lock:
            self.fetches += 1
        return json_format.ParseDict(dict(self.jwks_source()), directory_pb2.Jwks(), ignore_unknown_fields=True)


def start_echo_server(port: int = 0, verifier: TokenVerifier | None = None,
                      identity: FakeIdentity | None = None) -> RunningServer:
    """The echo service (and, with ``identity``, a JWKS-only identity) behind the chassis interceptors."""
    bindings = [ServiceBinding.of(EchoServicer())]
    if identity is not None:
        bindings.append(ServiceBinding.of(identity))
    return start_server(bindings, host="127.0.0.1", port=port, workers=16,
                        interceptors=[AuthInterceptor(verifier), ErrorInterceptor()])
