"""Test doubles for notify: a fake identity over real gRPC, an SMTP server that refuses on cue, polling."""

from __future__ import annotations

from dataclasses import dataclass, field

from protos.identity.v1 import identity_pb2, identity_pb2_grpc
from services.chassis.testing import free_port, wait_until  # noqa: F401 - re-exported for the tests here


@dataclass
class FakeAccount:
    account_id: str
    phone: str = ""
    email: str = ""
    organization_id: str = ""
    role: str = "AGENT"
    scopes: tuple[str, ...] = ()
    # Staff accounts: their agency, and whether they may still be reached.
    agency: str = ""
    active: bool = True


@dataclass
class FakeIdentity(identity_pb2_grpc.IdentityServiceServicer):
    """ResolveRecipients and ListAudience over an in-memory account list, the way identity answers them."""

    accounts: list[FakeAccount] = field(default_factory=list)

    def _resolved(self, account: FakeAccount) -> identity_pb2.ResolvedRecipient:
        return identity_pb2.ResolvedRecipient(account_id=account.account_id, organization_id=account.organization_id,
                                              phone=account.phone, email=account.email)

    def ResolveRecipients(self, request, context):
        found: dict[str, FakeAccount] = {}
        for query in request.queries:
            for account in self.accounts:
                if _matches(query, account):
                    found.setdefault(account.account_id, account)
        return identity_pb2.ResolveRecipientsResponse(recipients=[self._resolved(a) for a in found.values()])

    def ListAudience(self, request, context):
        start = int(request.page_token or 0)
        size = request.page_size or 100
        chosen = self.accounts[start:start + size]
        following = str(start + size) if start + size < len(self.accounts) else ""
        return identity_pb2.ListAudienceResponse(recipients=[self._resolved(a) for a in chosen],
                                                 next_page_token=following)


def _matches(query: identity_pb2.RecipientQuery, account: FakeAccount) -> bool:
    if query.account_id:
        return account.account_id == query.account_id
    if query.agency:
        return account.agency == query.agency and account.active
    in_org = bool(query.organization_id) and account.organization_id == query.organization_id
    return in_org and (account.role == "OWNER" or not query.scope or query.scope in account.scopes)


class RefusingSmtpHandler:
    """Answers DATA with 451 for the first ``refuse`` messages (or always), then accepts."""

    def __init__(self, refuse: int = 0, always: bool = False):
        self.refuse = refuse
        self.always = always
        self.calls = 0
        self.accepted: list = []

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.always or self.calls <= self.refuse:
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope)
        return "250 Message accepted for delivery"
