"""Demo logins for the dev stack (`make run`): idempotent, and every value passes the real validation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.registry import systems_of_agency
from services.identity import domain
from services.identity.models import Account, Membership, Organization
from services.identity.providers import IdentityContext

DEMO_PASSWORD = "Demo2026"
DEMO_USCC = domain.uscc_with_check_character("91110108MA01ABCD2")
DEMO_REP_ID = "110101199003077777"
DEMO_AGENT_ID = "110101199204051238"
DEMO_ORGANIZATION = "北京通办稀土示范有限公司"


DEMO_ACCOUNTS = (
    # login, kind, name, phone, agency, staff roles
    ("demo_enterprise", domain.LEGAL_PERSON, "张三", "13900000001", None, ()),
    ("demo_agent", domain.NATURAL_PERSON, "李四", "13900000002", None, ()),
    ("demo_re_office", domain.STAFF, "稀土办审核员", "13900000003", "MIIT_RE_OFFICE", ("REVIEWER",)),
    ("demo_operator", domain.STAFF, "运营机构人员", "13900000004", "RE_OPERATOR", ("OPERATOR",)),
    ("demo_local_auth", domain.STAFF, "地方主管部门", "13900000005", "LOCAL_AUTHORITY:110000", ("REVIEWER",)),
    # A CCPIT Beijing officer who both pre-reviews products and signs certificates (签证).
    ("demo_ccpit", domain.STAFF, "贸促会签证员", "13900000006", "CCPIT:BEIJING", ("PRE_REVIEWER", "VISA_OFFICER")),
    ("demo_signer", domain.NATURAL_PERSON, "王手签", "13900000007", None, ()),
    # Checks certificates of origin, reviews inspection filings and writes CCC exemptions off at its port.
    ("demo_customs", domain.STAFF, "海关查验员", "13900000008", "CUSTOMS:0100", ("CHECKER", "WRITE_OFF")),
    # The Shanghai CIQ bureau, holding every post of the CCC-exemption approval.
    ("demo_ciq", domain.STAFF, "上海检验检疫局免办审批", "13900000009", "CIQ:310000",
     ("ACCEPTANCE", "FIRST_REVIEW", "FINAL_REVIEW", "CERT_CHANGE", "WRITE_OFF", "FOLLOW_UP")),
    ("demo_cnca", domain.STAFF, "认监委", "13900000010", "CNCA", ()),
    # The owner of an overseas pre-shipment inspection institution.
    ("demo_institute", domain.LEGAL_PERSON, "Eva Weber", "13900000011", None, ()),
)
DEMO_INSTITUTION = "汉堡示范装运前检验有限公司"
DEMO_INSTITUTION_REGISTRATION = ("DE", "HRB-DEMO-0001")
# The demo organisation's members: login, role, granted scopes.
DEMO_MEMBERS = (("demo_enterprise", domain.OWNER, domain.SCOPES),
                ("demo_agent", domain.AGENT, ("rare_earth", "origin_cert")),
                ("demo_signer", domain.SIGNER, domain.SIGNER_SYSTEMS))


def _id_with_check(first_17: str) -> str:
    from stdnum.cn import ric

    return first_17 + ric.calc_check_digit(first_17 + "0")


def _demo_account(context: IdentityContext, session: Session, login: str, kind: str, name: str, phone: str,
                  agency: str | None, roles: tuple[str, ...]) -> Account:
    account = session.scalar(select(Account).where(Account.login_name == login))
    if account is not None:
        return account
    secrets = context.providers.secrets
    now = utcnow()
    account = Account(id=new_id(), login_name=login, kind=kind, status=domain.ACTIVE,
                      password_hash=secrets.hash_password(DEMO_PASSWORD), name=name, phone=phone,
                      email=f"{login}@example.com", agency=agency, staff_roles=" ".join(roles),
                      staff_systems=domain.format_scopes(systems_of_agency(agency or "")),
                      created_at=now, updated_at=now)
    if login == "demo_agent":
        agent_id = _id_with_check(DEMO_AGENT_ID[:17])
        account.id_type = "RESIDENT_ID"
        account.id_number_encrypted = secrets.encrypt(agent_id, "id-number")
        account.id_number_lookup = secrets.lookup_hash(agent_id)
    session.add(account)
    return account


def _demo_organization(context: IdentityContext, session: Session) -> Organization:
    organization = session.scalar(select(Organization).where(Organization.uscc == DEMO_USCC))
    if organization is not None:
        return organization
    secrets = context.providers.secrets
    rep_id = _id_with_check(DEMO_REP_ID[:17])
    now = utcnow()
    organization = Organization(
        id=new_id(), kind="DOMESTIC", name=DEMO_ORGANIZATION, uscc=DEMO_USCC, legal_person_type="ENTERPRISE",
        legal_rep_name="张三", legal_rep_id_type="RESIDENT_ID",
        legal_rep_id_encrypted=secrets.encrypt(rep_id, "id-number"), legal_rep_id_lookup=secrets.lookup_hash(rep_id),
        industry="C32", enterprise_size="MEDIUM", holding="PRIVATE", address="北京市海淀区示范路1号", postcode="100080",
        created_at=now, updated_at=now)
    session.add(organization)
    return organization


def _demo_institute(session: Session) -> Organization:
    country, number = DEMO_INSTITUTION_REGISTRATION
    organization = session.scalar(select(Organization).where(Organization.country == country,
                                                             Organization.registration_number == number))
    if organization is not None:
        return organization
    now = utcnow()
    organization = Organization(id=new_id(), kind="FOREIGN", name=DEMO_INSTITUTION, legal_person_type="INSTITUTION",
                                country=country, registration_number=number, address="Hafenstraße 5, 20457 Hamburg",
                                contact_name="Eva Weber", created_at=now, updated_at=now)
    session.add(organization)
    return organization


def seed_demo(context: IdentityContext) -> Organization:
    """The demo accounts, organisation and memberships, made once; answers the organisation."""
    with context.unit_of_work() as uow:
        session = uow.session
        accounts = {demo[0]: _demo_account(context, session, *demo) for demo in DEMO_ACCOUNTS}
        organization = _demo_organization(context, session)
        institution = _demo_institute(session)
        # Memberships refer to both; write them first.
        session.flush()
        now = utcnow()
        members = [(organization, *member) for member in DEMO_MEMBERS]
        members.append((institution, "demo_institute", domain.OWNER, domain.SCOPES))
        for member_of, login, role, scopes in members:
            account = accounts[login]
            membership = session.scalar(select(Membership).where(Membership.account_id == account.id,
                                                                 Membership.organization_id == member_of.id))
            if membership is None:
                session.add(Membership(id=new_id(), account_id=account.id, organization_id=member_of.id,
                                       role=role, status=domain.ACTIVE, scopes=domain.format_scopes(scopes),
                                       created_at=now, decided_at=now, updated_at=now))
        uow.commit()
    return organization
