"""Who a notification reaches: identity resolves accounts, organisations and agencies to contact points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import grpc

from protos.identity.v1 import identity_pb2, identity_pb2_grpc
from services.chassis.errors import Unavailable
from services.chassis.grpc_client import DEFAULT_DEADLINE, ChannelFactory

TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                   grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED)


@dataclass(frozen=True)
class Contact:
    account_id: str = ""
    organization_id: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class RecipientQuery:
    account_id: str = ""
    organization_id: str = ""
    scope: str = ""
    agency: str = ""


class Directory(Protocol):
    def resolve(self, queries: Sequence[RecipientQuery]) -> list[Contact]: ...

    def audience(self, kind: str, system: str, org_types: Sequence[str], organization_ids: Sequence[str],
                 page_size: int, page_token: str) -> tuple[list[Contact], str]: ...


def _contact(resolved: identity_pb2.ResolvedRecipient) -> Contact:
    return Contact(account_id=resolved.account_id, organization_id=resolved.organization_id,
                   phone=resolved.phone, email=resolved.email)


class IdentityDirectory:
    """Identity over gRPC; a transient failure becomes Unavailable so the message is tried again."""

    def __init__(self, channels: ChannelFactory, timeout: float = DEFAULT_DEADLINE):
        self._channels = channels
        self._timeout = timeout

    def _stub(self) -> identity_pb2_grpc.IdentityServiceStub:
        return self._channels.stub("identity", identity_pb2_grpc.IdentityServiceStub)

    def resolve(self, queries: Sequence[RecipientQuery]) -> list[Contact]:
        if not queries:
            return []
        request = identity_pb2.ResolveRecipientsRequest(queries=[
            identity_pb2.RecipientQuery(account_id=q.account_id, organization_id=q.organization_id, scope=q.scope,
                                        agency=q.agency)
            for q in queries
        ])
        try:
            response = self._stub().ResolveRecipients(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise _as_domain_error(exc) from exc
        return [_contact(r) for r in response.recipients]

    def audience(self, kind: str, system: str, org_types: Sequence[str], organization_ids: Sequence[str],
                 page_size: int, page_token: str) -> tuple[list[Contact], str]:
        request = identity_pb2.ListAudienceRequest(
            kind=identity_pb2.AudienceKind.Value(kind), system=system, org_types=list(org_types),
            organization_ids=list(organization_ids), page_size=page_size, page_token=page_token)
        try:
            response = self._stub().ListAudience(request, timeout=max(self._timeout, 30.0))
        except grpc.RpcError as exc:
            raise _as_domain_error(exc) from exc
        return [_contact(r) for r in response.recipients], response.next_page_token


def _as_domain_error(exc: grpc.RpcError) -> Exception:
    code = exc.code() if hasattr(exc, "code") else None
    if code in TRANSIENT_CODES:
        return Unavailable(f"身份服务暂时不可用：{code.name}")
    details = exc.details() if hasattr(exc, "details") else ""
    return RuntimeError(f"identity refused the recipient query: {code} {details}")
