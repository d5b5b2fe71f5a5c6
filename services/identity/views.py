"""Results -> protobuf messages, and requests -> the plain values use cases take.

ID numbers are decrypted only to be masked here; nothing else leaves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from sqlalchemy import RowMapping

from protos.identity.v1 import (
    accounts_pb2,
    directory_pb2,
    organizations_pb2,
    registration_pb2,
    resources_pb2,
    sessions_pb2,
    staff_pb2,
)
from services.chassis.audit import EVENT_PREFIX
from services.chassis.clients.identity import Contact, RecipientQuery
from services.chassis.db import aware, utcnow
from services.chassis.paging import Page
from services.chassis.wire import page_fields, timestamp
from services.identity import domain
from services.identity.handlers.registration import Registered
from services.identity.handlers.revocations import millis
from services.identity.handlers.sessions import IssuedSession
from services.identity.models import Account, Membership, Organization, TokenRevocation
from services.identity.secrets import Secrets


def recipient_queries(request: directory_pb2.ResolveRecipientsRequest) -> list[RecipientQuery]:
    return [RecipientQuery(q.account_id, q.organization_id, q.scope, q.agency) for q in request.queries]


# ---- records ----

def masked_id(secrets: Secrets, blob: bytes | None) -> str:
    return domain.mask_id_number(secrets.decrypt(blob, "id-number")) if blob else ""


def account_pb(account: Account, secrets: Secrets) -> resources_pb2.Account:
    locked_until = aware(account.locked_until)
    status = domain.shown_account_status(account.status, locked_until, utcnow())
    message = resources_pb2.Account(
        id=account.id, login_name=account.login_name or "", kind=account.kind, status=status,
        name=account.name or "", phone=account.phone or "", email=account.email or "", id_type=account.id_type or "",
        id_number=masked_id(secrets, account.id_number_encrypted), agency=account.agency or "",
        roles=domain.parse_scopes(account.staff_roles), systems=domain.parse_scopes(account.staff_systems),
        create_time=timestamp(account.created_at))
    if status == domain.LOCKED:
        message.locked_until.CopyFrom(timestamp(locked_until))
    return message


def organization_pb(organization: Organization, secrets: Secrets) -> resources_pb2.Organization:
    uscc = organization.uscc or ""
    return resources_pb2.Organization(
        id=organization.id, kind=organization.kind, name=organization.name, uscc=uscc,
        organization_code=domain.organization_code(uscc) if uscc else "",
        legal_person_type=organization.legal_person_type, legal_rep_name=organization.legal_rep_name,
        legal_rep_id_type=organization.legal_rep_id_type,
        legal_rep_id_number=masked_id(secrets, organization.legal_rep_id_encrypted),
        industry=organization.industry, enterprise_size=organization.enterprise_size, holding=organization.holding,
        address=organization.address, postcode=organization.postcode, country=organization.country or "",
        registration_number=organization.registration_number or "", contact_name=organization.contact_name,
        remark=organization.remark or "", create_time=timestamp(organization.created_at),
        update_time=timestamp(organization.updated_at))


def registered_organization_pb(organization: Organization) -> registration_pb2.RegisteredOrganization:
    """What another user's registration form is filled from: the name and the fields all users share."""
    uscc = organization.uscc or ""
    return registration_pb2.RegisteredOrganization(
        organization_id=organization.id, uscc=uscc, organization_code=domain.organization_code(uscc),
        name=organization.name, postcode=organization.postcode, address=organization.address,
        remark=organization.remark or "")


def membership_pb(membership: Membership, organization: Organization) -> resources_pb2.OrganizationMembership:
    return resources_pb2.OrganizationMembership(
        organization_id=organization.id, organization_name=organization.name, role=membership.role,
        status=membership.status, scopes=domain.shown_scopes(membership.role, membership.status, membership.scopes))


def member_pb(membership: Membership, account: Account) -> organizations_pb2.Member:
    return organizations_pb2.Member(
        account_id=account.id, login_name=account.login_name or "", name=account.name, role=membership.role,
        status=membership.status, organization_id=membership.organization_id,
        scopes=domain.effective_scopes(membership.role, domain.parse_scopes(membership.scopes)))


def members_pb(page: Page[tuple[Membership, Account]]) -> organizations_pb2.ListMembersResponse:
    return organizations_pb2.ListMembersResponse(members=[member_pb(m, a) for m, a in page.items],
                                                 **page_fields(page))


def application_pb(membership: Membership, organization: Organization,
                   applicant: Account) -> organizations_pb2.AgentApplication:
    return organizations_pb2.AgentApplication(
        id=membership.id, status=membership.status, organization_id=organization.id,
        organization_name=organization.name, uscc=organization.uscc or "", applicant_account_id=applicant.id,
        applicant_name=applicant.name, applicant_login_name=applicant.login_name or "", reason=membership.reason,
        create_time=timestamp(membership.created_at), decide_time=timestamp(membership.decided_at))


def applications_pb(page: Page[tuple[Membership, Organization, Account]]
                    ) -> organizations_pb2.ListAgentApplicationsResponse:
    return organizations_pb2.ListAgentApplicationsResponse(
        agent_applications=[application_pb(*row) for row in page.items], **page_fields(page))


def audit_pb(row: RowMapping) -> staff_pb2.AuditEvent:
    """An event row of the audit trail (services/chassis/audit.py) as identity's AuditEvent."""
    detail = json.loads(row["detail"] or "{}")
    return staff_pb2.AuditEvent(id=str(row["sequence"]), actor_id=row["actor_id"] or "",
                                action=row["action"].removeprefix(EVENT_PREFIX), target=row["record_id"],
                                result="SUCCESS" if row["result_code"] == "OK" else "FAILURE",
                                time=timestamp(row["at"]), client_ip=row["client_ip"] or "",
                                user_agent=detail.get("userAgent", ""), detail=detail.get("detail", ""))


# ---- answers ----

def registration_pb(registered: Registered, secrets: Secrets,
                    organization_id: str = "") -> registration_pb2.Registration:
    response = registration_pb2.Registration(account_id=registered.account.id, organization_id=organization_id,
                                             account=account_pb(registered.account, secrets))
    if registered.organization is not None:
        response.organization_id = registered.organization.id
        response.organization.CopyFrom(organization_pb(registered.organization, secrets))
    return response


def session_pb(issued: IssuedSession, secrets: Secrets) -> sessions_pb2.Session:
    return sessions_pb2.Session(access_token=issued.access_token, refresh_token=issued.refresh_token,
                                expires_in=issued.expires_in, token_type="Bearer",
                                account=account_pb(issued.account, secrets),
                                organizations=[membership_pb(m, o) for m, o in issued.memberships],
                                organization_id=issued.organization_id or "", entrance=issued.entrance)


def me_pb(account: Account, memberships: list[tuple[Membership, Organization]], entrance: str,
          secrets: Secrets) -> accounts_pb2.Me:
    return accounts_pb2.Me(account=account_pb(account, secrets),
                           organizations=[membership_pb(m, o) for m, o in memberships], entrance=entrance)


def jwks_pb(jwks: Mapping[str, Any]) -> directory_pb2.Jwks:
    return json_format.ParseDict(jwks, directory_pb2.Jwks(), ignore_unknown_fields=True)


def recipient_pb(contact: Contact) -> directory_pb2.ResolvedRecipient:
    return directory_pb2.ResolvedRecipient(account_id=contact.account_id, organization_id=contact.organization_id,
                                           name=contact.name, phone=contact.phone, email=contact.email)


def revocation_pb(revocation: TokenRevocation, expires_at_ms: int) -> directory_pb2.Revocation:
    return directory_pb2.Revocation(
        id=str(revocation.id), kind=directory_pb2.RevocationKind.Value(f"REVOKED_{revocation.kind}"),
        key=revocation.key, issued_before_ms=revocation.issued_before_ms, expires_at_ms=expires_at_ms,
        recorded_at_ms=millis(revocation.recorded_at), organization_id=revocation.organization_id or "")
