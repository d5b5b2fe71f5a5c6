"""Registration: legal persons (with their organisation), another user of a registered organisation,
natural persons and overseas institutions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.errors import AlreadyExists, InvalidArgument, NotFound, Violations
from services.chassis.messages import domain_event
from services.chassis.uow import UnitOfWork
from services.identity import domain, events
from services.identity.handlers.applications import manager_ids, tell_managers
from services.identity.handlers.codes import CodeCheck, check_code
from services.identity.handlers.common import (
    audit,
    flush_unique,
    require_login_name_free,
    unique_field_error,
)
from services.identity.models import Account, Membership, Organization
from services.identity.providers import IdentityContext


@dataclass(frozen=True)
class Registered:
    account: Account
    organization: Organization | None


def _today() -> date:
    return utcnow().date()


def _check_account_fields(v: Violations, login_name: str, password: str, phone: str) -> None:
    domain.check(v, "loginName", domain.login_name_problem(login_name))
    domain.check(v, "password", domain.password_problem(password))
    domain.check(v, "phone", domain.phone_problem(phone))


def _check_agreement_and_email_code(v: Violations, agreement_accepted: bool, email_code: str) -> None:
    """What every registration by e-mail takes before anything is looked up: the agreement and a code."""
    if not agreement_accepted:
        v.add("agreementAccepted", "请阅读并同意用户注册协议")
    if not email_code:
        v.add("emailCode", "请输入邮箱验证码")


def _spend_code(context: IdentityContext, uow: UnitOfWork, destination: str, code: str, field_name: str) -> None:
    if wrong := check_code(context.providers.secrets, uow.session,
                           CodeCheck("REGISTER", destination, code, field_name)):
        uow.commit_refusal(wrong)


def register_legal_person(context: IdentityContext, *, login_name: str, password: str, legal_person_type: str,
                          uscc: str, organization_name: str, legal_rep_name: str, legal_rep_id_type: str,
                          legal_rep_id_number: str, industry: str, enterprise_size: str, holding: str, phone: str,
                          email: str, email_code: str, agreement_accepted: bool, address: str = "",
                          postcode: str = "") -> Registered:
    """An enterprise (or other legal person): its OWNER account and its organisation."""
    v = Violations()
    _check_account_fields(v, login_name, password, phone)
    domain.check(v, "legalPersonType", domain.choice_problem(legal_person_type, domain.LEGAL_PERSON_TYPES,
                                                               "法人类型"))
    domain.check(v, "uscc", domain.uscc_problem(uscc))
    domain.check(v, "organizationName", domain.text_problem(organization_name, "单位名称", 200))
    domain.check(v, "legalRepName", domain.text_problem(legal_rep_name, "法定代表人姓名"))
    domain.check(v, "legalRepIdType", domain.choice_problem(legal_rep_id_type, domain.ID_TYPES, "证件类型"))
    if legal_rep_id_type in domain.ID_TYPES:
        domain.check(v, "legalRepIdNumber", domain.id_number_problem(legal_rep_id_type, legal_rep_id_number,
                                                                     _today()))
    domain.check(v, "industry", domain.industry_problem(industry))
    domain.check(v, "enterpriseSize", domain.choice_problem(enterprise_size, domain.ENTERPRISE_SIZES, "企业规模"))
    domain.check(v, "holding", domain.choice_problem(holding, domain.HOLDINGS, "企业控股情况"))
    domain.check(v, "email", domain.email_problem(email))
    domain.check(v, "postcode", domain.postcode_problem(postcode))
    _check_agreement_and_email_code(v, agreement_accepted, email_code)
    v.raise_if_any()
    uscc = domain.normalize_uscc(uscc)
    id_number = domain.normalize_id_number(legal_rep_id_number)
    secrets = context.providers.secrets

    with context.unit_of_work() as uow:
        session = uow.session
        require_login_name_free(session, login_name)
        if session.scalar(select(Organization.id).where(Organization.uscc == uscc)) is not None:
            raise AlreadyExists("该统一社会信用代码已注册", reason="ALREADY_EXISTS", metadata={"field": "uscc"})
        _spend_code(context, uow, email, email_code, "emailCode")
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.LEGAL_PERSON, status=domain.ACTIVE,
                          password_hash=secrets.hash_password(password), name=legal_rep_name.strip(),
                          phone=phone, email=email, created_at=now, updated_at=now)
        organization = Organization(
            id=new_id(), kind="DOMESTIC", name=organization_name.strip(), uscc=uscc,
            legal_person_type=legal_person_type, legal_rep_name=legal_rep_name.strip(),
            legal_rep_id_type=legal_rep_id_type,
            legal_rep_id_encrypted=secrets.encrypt(id_number, "id-number"),
            legal_rep_id_lookup=secrets.lookup_hash(id_number), industry=industry,
            enterprise_size=enterprise_size, holding=holding, address=(address or "").strip(),
            postcode=postcode or "", created_at=now, updated_at=now)
        _found(uow, account, organization, "LEGAL_PERSON", f"LEGAL_PERSON uscc={uscc}", now)
    return Registered(account, organization)


def lookup_organization(context: IdentityContext, uscc: str) -> Organization:
    """The registered organisation whose fields fill another user's registration form (ccc_exemption §1.1)."""
    if problem := domain.uscc_problem(uscc):
        raise InvalidArgument.for_field("uscc", problem)
    with context.unit_of_work(read_only=True) as uow:
        organization = _by_uscc(uow.session, uscc)
        if organization is None:
            raise NotFound("该统一社会信用代码尚未注册，请填写完整的注册资料", reason="ORGANIZATION_NOT_FOUND")
        return organization


def _by_uscc(session: Session, uscc: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.uscc == domain.normalize_uscc(uscc),
                                                     Organization.kind == "DOMESTIC"))


def register_organization_user(context: IdentityContext, *, login_name: str, password: str, uscc: str,
                               name: str, phone: str, email: str, email_code: str,
                               agreement_accepted: bool) -> Registered:
    """One more user of an organisation already registered: its own account and contact details, and a
    PENDING membership its OWNER or ADMIN approves or rejects like an agent application.

    The organisation's fields are not taken: they are the organisation's, shared by all its users and
    changed by its manager alone.
    """
    v = Violations()
    _check_account_fields(v, login_name, password, phone)
    domain.check(v, "uscc", domain.uscc_problem(uscc))
    domain.check(v, "name", domain.text_problem(name, "联系人姓名"))
    domain.check(v, "email", domain.email_problem(email))
    _check_agreement_and_email_code(v, agreement_accepted, email_code)
    v.raise_if_any()
    with context.unit_of_work() as uow:
        session = uow.session
        require_login_name_free(session, login_name)
        organization = _by_uscc(session, uscc)
        if organization is None:
            raise InvalidArgument.for_field("uscc", "该统一社会信用代码尚未注册，请先注册单位")
        _spend_code(context, uow, email, email_code, "emailCode")
        managers = manager_ids(session, organization.id)
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.NATURAL_PERSON, status=domain.ACTIVE,
                          password_hash=context.providers.secrets.hash_password(password), name=name.strip(),
                          phone=phone, email=email, created_at=now, updated_at=now)
        session.add(account)
        flush_unique(session)
        session.add(Membership(id=new_id(), account_id=account.id, organization_id=organization.id,
                               role=domain.AGENT, status=domain.PENDING, scopes="", created_at=now,
                               updated_at=now))
        tell_managers(uow, managers, account, organization)
        audit(session, "REGISTER", target=account.id, actor_id=account.id,
              detail=f"ORGANIZATION_USER uscc={organization.uscc}")
        uow.publish(domain_event(events.ACCOUNT_REGISTERED,
                                 {"accountId": account.id, "kind": domain.NATURAL_PERSON}))
        uow.commit(on_integrity_error=unique_field_error)
    return Registered(account, organization)


def register_natural_person(context: IdentityContext, *, login_name: str, password: str, name: str, id_type: str,
                            id_number: str, phone: str, sms_code: str, email: str = "",
                            agreement_accepted: bool = False) -> Registered:
    """A person who acts for organisations as their agent (经办人) once one approves."""
    v = Violations()
    _check_account_fields(v, login_name, password, phone)
    domain.check(v, "name", domain.text_problem(name, "姓名"))
    domain.check(v, "idType", domain.choice_problem(id_type, domain.ID_TYPES, "证件类型"))
    if id_type in domain.ID_TYPES:
        domain.check(v, "idNumber", domain.id_number_problem(id_type, id_number, _today()))
    if email:
        domain.check(v, "email", domain.email_problem(email))
    if not sms_code:
        v.add("smsCode", "请输入短信验证码")
    v.raise_if_any()
    secrets = context.providers.secrets
    id_number = domain.normalize_id_number(id_number)
    lookup = secrets.lookup_hash(id_number)

    with context.unit_of_work() as uow:
        session = uow.session
        require_login_name_free(session, login_name)
        if session.scalar(select(Account.id).where(Account.id_number_lookup == lookup)) is not None:
            raise AlreadyExists("该证件号码已注册", reason="ALREADY_EXISTS", metadata={"field": "idNumber"})
        _spend_code(context, uow, phone, sms_code, "smsCode")
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.NATURAL_PERSON, status=domain.ACTIVE,
                          password_hash=secrets.hash_password(password), name=name.strip(),
                          phone=phone, email=email or None, id_type=id_type,
                          id_number_encrypted=secrets.encrypt(id_number, "id-number"),
                          id_number_lookup=lookup, created_at=now, updated_at=now)
        session.add(account)
        audit(session, "REGISTER", target=account.id, actor_id=account.id, detail=domain.NATURAL_PERSON)
        uow.publish(domain_event(events.ACCOUNT_REGISTERED,
                                 {"accountId": account.id, "kind": domain.NATURAL_PERSON}))
        uow.commit(on_integrity_error=unique_field_error)
    return Registered(account, None)


def register_institution(context: IdentityContext, *, login_name: str, password: str, organization_name: str,
                         country: str, registration_number: str, address: str, contact_name: str, phone: str,
                         email: str, email_code: str, agreement_accepted: bool) -> Registered:
    """An overseas inspection institution: an account and a FOREIGN organisation."""
    v = Violations()
    _check_account_fields(v, login_name, password, phone)
    domain.check(v, "organizationName", domain.text_problem(organization_name, "机构名称", 200))
    domain.check(v, "country", domain.country_problem(country))
    domain.check(v, "registrationNumber", domain.text_problem(registration_number, "机构注册号", 64))
    domain.check(v, "address", domain.text_problem(address, "地址", 300))
    domain.check(v, "contactName", domain.text_problem(contact_name, "联系人"))
    domain.check(v, "email", domain.email_problem(email))
    _check_agreement_and_email_code(v, agreement_accepted, email_code)
    v.raise_if_any()
    registration_number = registration_number.strip()
    secrets = context.providers.secrets

    with context.unit_of_work() as uow:
        session = uow.session
        require_login_name_free(session, login_name)
        taken = session.scalar(select(Organization.id).where(Organization.country == country,
                                                             Organization.registration_number == registration_number))
        if taken is not None:
            raise AlreadyExists("该机构注册号已注册", reason="ALREADY_EXISTS", metadata={"field": "registrationNumber"})
        _spend_code(context, uow, email, email_code, "emailCode")
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.LEGAL_PERSON, status=domain.ACTIVE,
                          password_hash=secrets.hash_password(password), name=contact_name.strip(),
                          phone=phone, email=email, created_at=now, updated_at=now)
        organization = Organization(id=new_id(), kind="FOREIGN", name=organization_name.strip(),
                                    legal_person_type="INSTITUTION", country=country,
                                    registration_number=registration_number, address=address.strip(),
                                    contact_name=contact_name.strip(), created_at=now, updated_at=now)
        _found(uow, account, organization, "INSTITUTION", f"INSTITUTION {country}", now)
    return Registered(account, organization)


def _found(uow: UnitOfWork, account: Account, organization: Organization, kind: str, detail: str,
           now: datetime) -> None:
    """Store a new organisation with its registering account as OWNER holding every system, and commit."""
    session = uow.session
    session.add_all([account, organization])
    # The membership refers to both rows, which must be written first (a taken USCC shows here).
    flush_unique(session)
    session.add(Membership(id=new_id(), account_id=account.id, organization_id=organization.id, role=domain.OWNER,
                           status=domain.ACTIVE, scopes=domain.format_scopes(domain.SCOPES), created_at=now,
                           decided_at=now, updated_at=now))
    audit(session, "REGISTER", target=account.id, actor_id=account.id, detail=detail)
    uow.publish(domain_event(events.ACCOUNT_REGISTERED,
                             {"accountId": account.id, "kind": kind, "organizationId": organization.id}))
    uow.commit(on_integrity_error=unique_field_error)
