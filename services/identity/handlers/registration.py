"""Registration: legal persons (with their organisation), natural persons and overseas institutions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.chassis.db import new_id, utcnow
from services.chassis.errors import AlreadyExists, Violations
from services.chassis.messages import domain_event
from services.identity import domain, events
from services.identity.handlers.codes import verify_code
from services.identity.handlers.common import IdentityApp, audit, commit_unique, unique_fields
from services.identity.models import Account, Membership, Organization


@dataclass(frozen=True)
class Registered:
    account: Account
    organization: Organization | None


def _today():
    return utcnow().date()


def _check_account_fields(v: Violations, login_name: str, password: str, phone: str) -> None:
    domain.check(v, "loginName", domain.login_name_problem(login_name))
    domain.check(v, "password", domain.password_problem(password))
    domain.check(v, "phone", domain.phone_problem(phone))


def _login_name_free(session, login_name: str) -> None:
    if session.scalar(select(Account.id).where(Account.login_name == login_name)) is not None:
        raise AlreadyExists("登录名已被使用", reason="ALREADY_EXISTS", metadata={"field": "loginName"})


def register_legal_person(app: IdentityApp, r) -> Registered:
    """``r`` has the RegisterLegalPersonRequest fields (snake_case)."""
    v = Violations()
    _check_account_fields(v, r.login_name, r.password, r.phone)
    domain.check(v, "legalPersonType", domain.choice_problem(r.legal_person_type, domain.LEGAL_PERSON_TYPES,
                                                               "法人类型"))
    domain.check(v, "uscc", domain.uscc_problem(r.uscc))
    domain.check(v, "organizationName", domain.text_problem(r.organization_name, "单位名称", 200))
    domain.check(v, "legalRepName", domain.text_problem(r.legal_rep_name, "法定代表人姓名"))
    domain.check(v, "legalRepIdType", domain.choice_problem(r.legal_rep_id_type, domain.ID_TYPES, "证件类型"))
    if r.legal_rep_id_type in domain.ID_TYPES:
        domain.check(v, "legalRepIdNumber", domain.id_number_problem(r.legal_rep_id_type, r.legal_rep_id_number,
                                                                     _today()))
    domain.check(v, "industry", domain.industry_problem(r.industry))
    domain.check(v, "enterpriseSize", domain.choice_problem(r.enterprise_size, domain.ENTERPRISE_SIZES, "企业规模"))
    domain.check(v, "holding", domain.choice_problem(r.holding, domain.HOLDINGS, "企业控股情况"))
    domain.check(v, "email", domain.email_problem(r.email))
    domain.check(v, "postcode", domain.postcode_problem(r.postcode))
    if not r.agreement_accepted:
        v.add("agreementAccepted", "请阅读并同意用户注册协议")
    if not r.email_code:
        v.add("emailCode", "请输入邮箱验证码")
    v.raise_if_any()
    uscc = domain.normalize_uscc(r.uscc)
    id_number = domain.normalize_id_number(r.legal_rep_id_number)

    with unique_fields(), app.unit_of_work() as uow:
        session = uow.session
        _login_name_free(session, r.login_name)
        if session.scalar(select(Organization.id).where(Organization.uscc == uscc)) is not None:
            raise AlreadyExists("该统一社会信用代码已注册", reason="ALREADY_EXISTS", metadata={"field": "uscc"})
        verify_code(app, uow, purpose="REGISTER", destination=r.email, code=r.email_code, field_name="emailCode")
        now = utcnow()
        account = Account(id=new_id(), login_name=r.login_name, kind="LEGAL_PERSON", status="ACTIVE",
                          password_hash=app.secrets.hash_password(r.password), name=r.legal_rep_name.strip(),
                          phone=r.phone, email=r.email, created_at=now, updated_at=now)
        organization = Organization(
            id=new_id(), kind="DOMESTIC", name=r.organization_name.strip(), uscc=uscc,
            legal_person_type=r.legal_person_type, legal_rep_name=r.legal_rep_name.strip(),
            legal_rep_id_type=r.legal_rep_id_type,
            legal_rep_id_encrypted=app.secrets.encrypt(id_number, "id-number"),
            legal_rep_id_lookup=app.secrets.lookup_hash(id_number), industry=r.industry,
            enterprise_size=r.enterprise_size, holding=r.holding, address=(r.address or "").strip(),
            postcode=r.postcode or "", created_at=now, updated_at=now)
        _found(uow, account, organization, "LEGAL_PERSON", f"LEGAL_PERSON uscc={uscc}", now)
    return Registered(account, organization)


def register_natural_person(app: IdentityApp, r) -> Registered:
    v = Violations()
    _check_account_fields(v, r.login_name, r.password, r.phone)
    domain.check(v, "name", domain.text_problem(r.name, "姓名"))
    domain.check(v, "idType", domain.choice_problem(r.id_type, domain.ID_TYPES, "证件类型"))
    if r.id_type in domain.ID_TYPES:
        domain.check(v, "idNumber", domain.id_number_problem(r.id_type, r.id_number, _today()))
    if r.email:
        domain.check(v, "email", domain.email_problem(r.email))
    if not r.sms_code:
        v.add("smsCode", "请输入短信验证码")
    v.raise_if_any()
    id_number = domain.normalize_id_number(r.id_number)
    lookup = app.secrets.lookup_hash(id_number)

    with unique_fields(), app.unit_of_work() as uow:
        session = uow.session
        _login_name_free(session, r.login_name)
        if session.scalar(select(Account.id).where(Account.id_number_lookup == lookup)) is not None:
            raise AlreadyExists("该证件号码已注册", reason="ALREADY_EXISTS", metadata={"field": "idNumber"})
        verify_code(app, uow, purpose="REGISTER", destination=r.phone, code=r.sms_code, field_name="smsCode")
        now = utcnow()
        account = Account(id=new_id(), login_name=r.login_name, kind="NATURAL_PERSON", status="ACTIVE",
                          password_hash=app.secrets.hash_password(r.password), name=r.name.strip(),
                          phone=r.phone, email=r.email or None, id_type=r.id_type,
                          id_number_encrypted=app.secrets.encrypt(id_number, "id-number"),
                          id_number_lookup=lookup, created_at=now, updated_at=now)
        session.add(account)
        audit(session, "REGISTER", target=account.id, actor_id=account.id, detail="NATURAL_PERSON")
        uow.publish(domain_event(events.ACCOUNT_REGISTERED, {"accountId": account.id, "kind": "NATURAL_PERSON"}))
        commit_unique(uow)
    return Registered(account, None)


def register_institution(app: IdentityApp, r) -> Registered:
    v = Violations()
    _check_account_fields(v, r.login_name, r.password, r.phone)
    domain.check(v, "organizationName", domain.text_problem(r.organization_name, "机构名称", 200))
    domain.check(v, "country", domain.country_problem(r.country))
    domain.check(v, "registrationNumber", domain.text_problem(r.registration_number, "机构注册号", 64))
    domain.check(v, "address", domain.text_problem(r.address, "地址", 300))
    domain.check(v, "contactName", domain.text_problem(r.contact_name, "联系人"))
    domain.check(v, "email", domain.email_problem(r.email))
    if not r.agreement_accepted:
        v.add("agreementAccepted", "请阅读并同意用户注册协议")
    if not r.email_code:
        v.add("emailCode", "请输入邮箱验证码")
    v.raise_if_any()
    registration_number = r.registration_number.strip()

    with unique_fields(), app.unit_of_work() as uow:
        session = uow.session
        _login_name_free(session, r.login_name)
        taken = session.scalar(select(Organization.id).where(Organization.country == r.country,
                                                             Organization.registration_number == registration_number))
        if taken is not None:
            raise AlreadyExists("该机构注册号已注册", reason="ALREADY_EXISTS", metadata={"field": "registrationNumber"})
        verify_code(app, uow, purpose="REGISTER", destination=r.email, code=r.email_code, field_name="emailCode")
        now = utcnow()
        account = Account(id=new_id(), login_name=r.login_name, kind="LEGAL_PERSON", status="ACTIVE",
                          password_hash=app.secrets.hash_password(r.password), name=r.contact_name.strip(),
                          phone=r.phone, email=r.email, created_at=now, updated_at=now)
        organization = Organization(id=new_id(), kind="FOREIGN", name=r.organization_name.strip(),
                                    legal_person_type="INSTITUTION", country=r.country,
                                    registration_number=registration_number, address=r.address.strip(),
                                    contact_name=r.contact_name.strip(), created_at=now, updated_at=now)
        _found(uow, account, organization, "INSTITUTION", f"INSTITUTION {r.country}", now)
    return Registered(account, organization)


def _found(uow, account: Account, organization: Organization, kind: str, detail: str, now) -> None:
    """Store a new organisation with its registering account as OWNER holding every system, and commit."""
    session = uow.session
    session.add_all([account, organization])
    session.flush()
    session.add(Membership(id=new_id(), account_id=account.id, organization_id=organization.id, role="OWNER",
                           status="ACTIVE", scopes=domain.format_scopes(list(domain.SCOPES)), created_at=now,
                           decided_at=now, updated_at=now))
    audit(session, "REGISTER", target=account.id, actor_id=account.id, detail=detail)
    uow.publish(domain_event(events.ACCOUNT_REGISTERED,
                             {"accountId": account.id, "kind": kind, "organizationId": organization.id}))
    commit_unique(uow)
