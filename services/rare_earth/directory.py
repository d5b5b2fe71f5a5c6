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
    """Asks identity (gRPC ``BatchGetOrganizations``, no user token needed) for the USCC."""

    def __init__(self, channels: ChannelFactory):
        self._channels = channels

    def uscc_of(self, caller: Caller) -> str:
        from protos.identity.v1 import identity_pb2, identity_pb2_grpc

        stub = self._channels.stub("identity", identity_pb2_grpc.IdentityServiceStub)
        try:
            found = stub.BatchGetOrganizations(identity_pb2.BatchGetOrganizationsRequest(
                ids=[caller.organization_id]), timeout=DEFAULT_DEADLINE)
        except grpc.RpcError as error:
            # The registration can still be saved; the USCC is filled in on the next save.
            log.warning("identity BatchGetOrganizations failed: %s", error.code())
            return ""
        return next((o.uscc for o in found.organizations if o.id == caller.organization_id), "")


class StaticDirectory:
    """Organisation id -> USCC, for tests and demo data."""

    def __init__(self, usccs: dict[str, str]):
        self._usccs = usccs

    def uscc_of(self, caller: Caller) -> str:
        return self._usccs.get(caller.organization_id or "", "")
