"""Identity over gRPC, written once: keys, recipients, organisations, scopes and audiences.

Answers are plain values, so use cases never see a proto. A call identity could not
answer in time (or at all) becomes :class:`Unavailable`, which callers may retry; any
other refusal is a bug between services and propagates as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format

from services.chassis.clients import call_peer
from services.chassis.grpc_client import DEFAULT_DEADLINE, ChannelFactory
from services.chassis.revocations import SESSION, SUBJECT, Revocation

# An audience page can be large (thousands of accounts); give it longer than a lookup.
AUDIENCE_DEADLINE = 30.0
# A poll of revocations runs every couple of seconds: a slow one must not hold the next back long.
REVOCATIONS_DEADLINE = 2.0
_REVOCATION_KINDS = {1: SESSION, 2: SUBJECT}


@dataclass(frozen=True)
class RecipientQuery:
    """An account; or an organisation's OWNER and members holding ``scope``; or an agency's active staff."""

    account_id: str = ""
    organization_id: str = ""
    scope: str = ""
    agency: str = ""


@dataclass(frozen=True)
class Contact:
    account_id: str = ""
    organization_id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class OrganizationSummary:
    id: str
    name: str
    uscc: str
    kind: str


@dataclass(frozen=True)
class ScopeDecision:
    allowed: bool
    role: str = ""
    reason: str = ""


def _contact(resolved: Any) -> Contact:
    return Contact(account_id=resolved.account_id, organization_id=resolved.organization_id, name=resolved.name,
                   phone=resolved.phone, email=resolved.email)


class IdentityClient:
    def __init__(self, channels: ChannelFactory, *, timeout: float = DEFAULT_DEADLINE):
        self._channels = channels
        self._timeout = timeout

    def _stub(self):
        from protos.identity.v1 import directory_pb2_grpc

        return self._channels.stub("identity", directory_pb2_grpc.DirectoryServiceStub)

    def _call(self, method: str, request: Any, timeout: float | None = None) -> Any:
        return call_peer(getattr(self._stub(), method), request, timeout or self._timeout, title="身份服务",
                         reason="IDENTITY_UNAVAILABLE")

    def jwks(self) -> Mapping[str, Any]:
        """The published signing keys, as a JWKS document."""
        from protos.identity.v1 import directory_pb2

        return json_format.MessageToDict(self._call("GetJwks", directory_pb2.GetJwksRequest()))

    def resolve_recipients(self, queries: Sequence[RecipientQuery]) -> list[Contact]:
        """Contact points, de-duplicated by account; unknown, deleted and disabled accounts left out."""
        from protos.identity.v1 import directory_pb2

        if not queries:
            return []
        request = directory_pb2.ResolveRecipientsRequest(queries=[
            directory_pb2.RecipientQuery(account_id=q.account_id, organization_id=q.organization_id, scope=q.scope,
                                         agency=q.agency)
            for q in queries])
        return [_contact(r) for r in self._call("ResolveRecipients", request).recipients]

    def organizations(self, ids: Sequence[str]) -> list[OrganizationSummary]:
        """The organisations among ``ids`` that exist (no user token needed)."""
        from protos.identity.v1 import directory_pb2

        wanted = [i for i in ids if i]
        if not wanted:
            return []
        found = self._call("BatchGetOrganizations", directory_pb2.BatchGetOrganizationsRequest(ids=wanted))
        return [OrganizationSummary(id=o.id, name=o.name, uscc=o.uscc, kind=o.kind) for o in found.organizations]

    def check_scope(self, account_id: str, organization_id: str, scope: str) -> ScopeDecision:
        """Whether this account, acting for this organisation, is an active member holding ``scope`` now."""
        from protos.identity.v1 import directory_pb2

        answer = self._call("CheckScope", directory_pb2.CheckScopeRequest(
            account_id=account_id, organization_id=organization_id, scope=scope))
        return ScopeDecision(allowed=answer.allowed, role=answer.role, reason=answer.reason)

    def audience(self, kind: str, system: str = "", org_types: Sequence[str] = (),
                 organization_ids: Sequence[str] = (), page_size: int = 0,
                 page_token: str = "") -> tuple[list[Contact], str]:
        """One page of an announcement's audience (ALL, SYSTEM, ORG_TYPES or ORGANIZATIONS) and the next token."""
        from protos.identity.v1 import directory_pb2

        request = directory_pb2.ListAudienceRequest(
            kind=directory_pb2.AudienceKind.Value(kind), system=system, org_types=list(org_types),
            organization_ids=list(organization_ids), page_size=page_size, page_token=page_token)
        answer = self._call("ListAudience", request, timeout=max(self._timeout, AUDIENCE_DEADLINE))
        return [_contact(r) for r in answer.recipients], answer.next_page_token

    def revocations(self, since_ms: int, page_token: str = "") -> tuple[list[Revocation], str, int]:
        """One page of the revocations recorded since ``since_ms``, the next page's token and identity's clock."""
        from protos.identity.v1 import directory_pb2

        answer = self._call("ListRevocations", directory_pb2.ListRevocationsRequest(
            since_ms=since_ms, page_token=page_token), timeout=REVOCATIONS_DEADLINE)
        entries = [Revocation(id=r.id, kind=_REVOCATION_KINDS.get(r.kind, ""), key=r.key,
                              issued_before_ms=r.issued_before_ms, expires_at=r.expires_at_ms / 1000,
                              organization_id=r.organization_id)
                   for r in answer.revocations]
        return entries, answer.next_page_token, answer.as_of_ms
