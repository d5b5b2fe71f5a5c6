"""One service over real gRPC for its tests: a fresh database, tokens from a minter, identity stood in.

``harness.call("ApproveRegistration", request, token)`` finds the method among the
gRPC services the server serves, whichever of them declares it; ``harness.refused(...)``
answers the refusal as code, message, reason and bad fields, the way a client sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.rpc import error_details_pb2

from services.chassis.config import ServiceSettings, env_prefix
from services.chassis.context import ServiceContext, ServiceDefinition, build_context
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.testing import TokenMinter
from services.chassis.testing.identity import IdentityStandIn

CALL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Refusal:
    code: grpc.StatusCode
    message: str
    reason: str
    # Field path -> what is wrong with it (google.rpc.BadRequest).
    fields: dict[str, str]
    metadata: dict[str, str]


def refusal_of(error: grpc.RpcError) -> Refusal:
    status = status_from_rpc_error(error)
    reason, fields, metadata = "", {}, {}
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = {v.field: v.description for v in bad.field_violations}
    return Refusal(error.code(), status.message, reason, fields, metadata)


def _bearer(token: str | None) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")] if token else []


class ServiceHarness:
    """Serves ``definition`` on a free port; stop it with :meth:`close`.

    Unless ``identity`` is False, a :class:`IdentityStandIn` answers the service's calls to
    identity, and its JWKS is the minter's, so ``harness.minter.mint(...)`` makes valid tokens.
    """

    def __init__(self, definition: ServiceDefinition, database_url: str, *,
                 environ: Mapping[str, str] | None = None, config: Any = None, providers: Any = None,
                 identity: IdentityStandIn | bool = True, migrate: bool = True):
        from services.chassis.cli import migrate as apply_migrations
        from services.chassis.cli import serve

        self.identity = (IdentityStandIn().start() if identity is True else identity) or None
        self.minter = self.identity.minter if self.identity else TokenMinter()
        environ = {"TONGBAN_ENV": "test", f"{env_prefix(definition.name)}_DATABASE_URL": database_url,
                   **({"IDENTITY_ADDR": self.identity.address} if self.identity else {}), **(environ or {})}
        self.environ = environ
        settings = ServiceSettings.from_env(definition.name, environ)
        self.context: ServiceContext = build_context(definition, settings, environ=environ, config=config,
                                                     providers=providers)
        if migrate:
            apply_migrations(definition, self.context)
        self.running = serve(definition, self.context, port=0)
        self.address = f"127.0.0.1:{self.running.port}"
        self.channel = grpc.insecure_channel(self.address)
        self._methods = self._index(self.running.service_names)

    @staticmethod
    def _index(service_names: list[str] | tuple[str, ...]) -> dict[str, tuple[str, type]]:
        pool = descriptor_pool.Default()
        methods: dict[str, tuple[str, type]] = {}
        for name in service_names:
            for method in pool.FindServiceByName(name).methods:
                if method.name in methods:
                    raise ValueError(f"{method.name} is declared by two services; call it by full path")
                methods[method.name] = (f"/{name}/{method.name}",
                                        message_factory.GetMessageClass(method.output_type))
        return methods

    def call(self, method: str, request: Any, token: str | None = None, *, with_call: bool = False,
             metadata: list[tuple[str, str]] | None = None, timeout: float = CALL_TIMEOUT) -> Any:
        path, response_class = self._methods[method]
        rpc = self.channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                       response_deserializer=response_class.FromString)
        everything = [*_bearer(token), *(metadata or [])]
        if with_call:
            return rpc.with_call(request, metadata=everything, timeout=timeout)
        return rpc(request, metadata=everything, timeout=timeout)

    def refused(self, method: str, request: Any, token: str | None = None) -> Refusal:
        with pytest.raises(grpc.RpcError) as caught:
            self.call(method, request, token)
        return refusal_of(caught.value)

    def close(self) -> None:
        self.channel.close()
        self.running.stop(0)
        if self.identity is not None:
            self.identity.stop()
        self.context.engine.dispose()
