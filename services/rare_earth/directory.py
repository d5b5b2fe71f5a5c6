"""The caller's organisation as identity knows it: the USCC shown on a registration."""

from __future__ import annotations

import logging
from typing import Protocol

import grpc

from services.chassis.auth import Caller
from services.chassis.grpc_client import DEFAULT_DEADLINE, ChannelFactory

log = logging.getLogger(__name__)


class OrganizationDirectory(Protocol):
    def uscc_of(self, caller: Caller) -> str: ...


class IdentityDirectory:
    """Asks identity's ``GetOrganization`` (gRPC) for the USCC; a ``uscc`` claim in the token wins."""

    def __init__(self, channels: ChannelFactory):
        self._channels = channels

    def uscc_of(self, caller: Caller) -> str:
        claimed = caller.claims.get("uscc")
        if claimed:
            return str(claimed)
        from protos.identity.v1 import identity_pb2, identity_pb2_grpc

        service = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"]
        if "GetOrganization" not in service.methods_by_name:
            return ""
        request_type = service.methods_by_name["GetOrganization"].input_type
        request_class = getattr(identity_pb2, request_type.name)
        key = "id" if "id" in request_type.fields_by_name else "organization_id"
        stub = self._channels.stub("identity", identity_pb2_grpc.IdentityServiceStub)
        try:
            organization = stub.GetOrganization(request_class(**{key: caller.organization_id}),
                                                timeout=DEFAULT_DEADLINE)
        except grpc.RpcError as error:
            # The registration can still be saved; the USCC is filled in on the next save.
            log.warning("identity GetOrganization failed: %s", error.code())
            return ""
        return getattr(organization, "uscc", "") or ""


class StaticDirectory:
    """Organisation id -> USCC, for tests and demo data."""

    def __init__(self, usccs: dict[str, str]):
        self._usccs = usccs

    def uscc_of(self, caller: Caller) -> str:
        return self._usccs.get(caller.organization_id or "", "")
