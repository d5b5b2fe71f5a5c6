"""A stand-in for identity over real gRPC: the DirectoryService a service calls, answered from memory.

Service tests run one so that a service's calls to identity (JWKS, recipients,
organisations, scopes, audiences) cross a real channel without a real identity.
Its JWKS is a :class:`TokenMinter`'s, so tokens minted by the test verify the way
identity's would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import grpc
from google.protobuf import json_format

from protos.identity.v1 import directory_pb2, directory_pb2_grpc, resources_pb2
from services.chassis.server import RunningServer, ServiceBinding, start_server
from services.chassis.testing import TokenMinter


@dataclass
class StandInAccount:
    account_id: str
    phone: str = ""
    email: str = ""
    name: str = ""
    organization_id: str = ""
    role: str = "AGENT"
    scopes: tuple[str, ...] = ()
    # Staff accounts: their agency, and whether they may still be reached.
    agency: str = ""
    active: bool = True


@dataclass
class StandInOrganization:
    id: str
    name: str = ""
    uscc: str = ""
    kind: str = "DOMESTIC"


@dataclass
class IdentityStandIn(directory_pb2_grpc.DirectoryServiceServicer):
    minter: TokenMinter = field(default_factory=TokenMinter)
    accounts: list[StandInAccount] = field(default_factory=list)
    organizations: dict[str, StandInOrganization] = field(default_factory=dict)
    address: str = ""
    # What ListRevocations answers, all of it on every poll; ``down`` makes it fail as an unreachable identity.
    revocations: list[directory_pb2.Revocation] = field(default_factory=list)
    down: bool = False
    _running: RunningServer | None = None

    def start(self) -> IdentityStandIn:
        self._running = start_server([ServiceBinding.of(self)], host="127.0.0.1", port=0, workers=4)
        self.address = f"127.0.0.1:{self._running.port}"
        return self

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop(0)

    def add_organization(self, organization_id: str, name: str = "", uscc: str = "") -> StandInOrganization:
        organization = StandInOrganization(organization_id, name, uscc)
        self.organizations[organization_id] = organization
        return organization

    # --- DirectoryService ---------------------------------------------------------------

    def GetJwks(self, request, context):
        return json_format.ParseDict(self.minter.jwks(), directory_pb2.Jwks(), ignore_unknown_fields=True)

    def ResolveRecipients(self, request, context):
        found: dict[str, StandInAccount] = {}
        for query in request.queries:
            for account in self.accounts:
                if _matches(query, account):
                    found.setdefault(account.account_id, account)
        return directory_pb2.ResolveRecipientsResponse(recipients=[_resolved(a) for a in found.values()])

    def ListAudience(self, request, context):
        start = int(request.page_token or 0)
        size = request.page_size or 100
        chosen = self.accounts[start:start + size]
        following = str(start + size) if start + size < len(self.accounts) else ""
        return directory_pb2.ListAudienceResponse(recipients=[_resolved(a) for a in chosen],
                                                  next_page_token=following)

    def BatchGetOrganizations(self, request, context):
        found = [self.organizations[i] for i in request.ids if i in self.organizations]
        return directory_pb2.BatchGetOrganizationsResponse(organizations=[
            resources_pb2.Organization(id=o.id, name=o.name, uscc=o.uscc, kind=o.kind) for o in found])

    def CheckScope(self, request, context):
        for account in self.accounts:
            if account.account_id == request.account_id and account.organization_id == request.organization_id:
                allowed = account.active and (account.role == "OWNER" or request.scope in account.scopes)
                return directory_pb2.CheckScopeResponse(allowed=allowed, role=account.role,
                                                        reason="" if allowed else "SCOPE_NOT_GRANTED")
        return directory_pb2.CheckScopeResponse(allowed=False, reason="NO_MEMBERSHIP")

    def ListRevocations(self, request, context):
        if self.down:
            context.abort(grpc.StatusCode.UNAVAILABLE, "identity is down")
        return directory_pb2.ListRevocationsResponse(revocations=list(self.revocations),
                                                     as_of_ms=int(time.time() * 1000))


def _resolved(account: StandInAccount):
    return directory_pb2.ResolvedRecipient(account_id=account.account_id, organization_id=account.organization_id,
                                           name=account.name, phone=account.phone, email=account.email)


def _matches(query, account: StandInAccount) -> bool:
    if query.account_id:
        return account.account_id == query.account_id
    if query.agency:
        return account.agency == query.agency and account.active
    in_org = bool(query.organization_id) and account.organization_id == query.organization_id
    return in_org and (account.role == "OWNER" or not query.scope or query.scope in account.scopes)
