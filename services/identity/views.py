"""Records -> protobuf messages. ID numbers are decrypted only to be masked here; nothing else leaves."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from protos.identity.v1 import identity_pb2 as pb
from services.chassis.db import utcnow
from services.identity import domain
from services.identity.handlers.common import aware
from services.identity.models import Account, AuditEvent, Membership, Organization
from services.identity.secrets import Secrets


def timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(aware(moment))
    return stamp


def masked_id(secrets: Secrets, blob: bytes | None) -> str:
    return domain.mask_id_number(secrets.decrypt(blob, "id-number")) if blob else ""


def account_pb(account: Account, secrets: Secrets) -> pb.Account:
    locked_until = aware(account.locked_until)
    locked = locked_until is not None and locked_until > utcnow() and account.status == "ACTIVE"
    message = pb.Account(
        id=account.id, login_name=account.login_name or "", kind=account.kind,
        status="LOCKED" if locked else account.status, name=account.name or "", phone=account.phone or "",
        email=account.email or "", id_type=account.id_type or "",
        id_number=masked_id(secrets, account.id_number_encrypted), agency=account.agency or "",
        roles=domain.parse_scopes(account.staff_roles), systems=domain.parse_scopes(account.staff_systems),
        create_time=timestamp(account.created_at))
    if locked:
        message.locked_until.CopyFrom(timestamp(locked_until))
    return message


def organization_pb(organization: Organization, secrets: Secrets) -> pb.Organization:
    uscc = organization.uscc or ""
    return pb.Organization(
        id=organization.id, kind=organization.kind, name=organization.name, uscc=uscc,
        organization_code=domain.organization_code(uscc) if uscc else "",
        legal_person_type=organization.legal_person_type, legal_rep_name=organization.legal_rep_name,
        legal_rep_id_type=organization.legal_rep_id_type,
        legal_rep_id_number=masked_id(secrets, organization.legal_rep_id_encrypted),
        industry=organization.industry, enterprise_size=organization.enterprise_size, holding=organization.holding,
        address=organization.address, postcode=organization.postcode, country=organization.country or "",
        registration_number=organization.registration_number or "", contact_name=organization.contact_name,
        create_time=timestamp(organization.created_at), update_time=timestamp(organization.updated_at))


def membership_pb(membership: Membership, organization: Organization) -> pb.OrganizationMembership:
    return pb.OrganizationMembership(
        organization_id=organization.id, organization_name=organization.name, role=membership.role,
        status=membership.status,
        scopes=domain.effective_scopes(membership.role, domain.parse_scopes(membership.scopes))
        if membership.status == "ACTIVE" else domain.parse_scopes(membership.scopes))


def member_pb(membership: Membership, account: Account) -> pb.Member:
    return pb.Member(account_id=account.id, login_name=account.login_name or "", name=account.name,
                     role=membership.role, status=membership.status, organization_id=membership.organization_id,
                     scopes=domain.effective_scopes(membership.role, domain.parse_scopes(membership.scopes)))


def application_pb(membership: Membership, organization: Organization, applicant: Account) -> pb.AgentApplication:
    return pb.AgentApplication(
        id=membership.id, status=membership.status, organization_id=organization.id,
        organization_name=organization.name, uscc=organization.uscc or "", applicant_account_id=applicant.id,
        applicant_name=applicant.name, applicant_login_name=applicant.login_name or "", reason=membership.reason,
        create_time=timestamp(membership.created_at), decide_time=timestamp(membership.decided_at))


def audit_pb(event: AuditEvent) -> pb.AuditEvent:
    return pb.AuditEvent(id=str(event.id), actor_id=event.actor_id or "", action=event.action,
                         target=event.target or "", result=event.result, time=timestamp(event.at),
                         client_ip=event.client_ip or "", user_agent=event.user_agent or "", detail=event.detail)
