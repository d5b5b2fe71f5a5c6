"""Identity's own commands: the first admin, demo logins for the dev stack, signing-key rotation."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from sqlalchemy import select

from services.chassis.db import new_id, utcnow
from services.chassis.errors import DomainError
from services.chassis.runtime import ServiceContext
from services.identity import domain
from services.identity.handlers.common import IdentityApp, audit
from services.identity.handlers.staff import ensure_admin
from services.identity.models import Account, Membership, Organization

DEV_ADMIN = {"TONGBAN_ADMIN_LOGIN": "admin", "TONGBAN_ADMIN_PASSWORD": "Admin2026",
             "TONGBAN_ADMIN_PHONE": "13800000000"}


def create_admin(context: ServiceContext, argv: Sequence[str]) -> int:
    """Create a platform admin from arguments (the password is asked for when not given)."""
    parser = argparse.ArgumentParser(prog="python -m services.identity create-admin")
    parser.add_argument("--login", required=True)
    parser.add_argument("--phone", required=True)
    parser.add_argument("--name", default="平台管理员")
    parser.add_argument("--password", help="read from the terminal when omitted")
    args = parser.parse_args(argv)
    password = args.password or getpass.getpass("password: ")
    try:
        account, created = ensure_admin(IdentityApp.for_context(context), args.login, password, args.phone,
                                        name=args.name)
    except DomainError as error:
        print(f"create-admin: {error.message} {_violations(error)}", file=sys.stderr)
        return 1
    print(f"admin {args.login} {'created' if created else 'already exists'} (id {account.id})")
    return 0


def ensure_admin_from_env(context: ServiceContext, argv: Sequence[str]) -> int:
    """Idempotently create the admin named by TONGBAN_ADMIN_* (dev defaults only in dev)."""
    values = {}
    missing = []
    for name, default in DEV_ADMIN.items():
        value = os.environ.get(name) or (default if context.settings.is_dev else "")
        if not value:
            missing.append(name)
        values[name] = value
    if missing:
        print(f"ensure-admin: {', '.join(missing)} must be set outside dev", file=sys.stderr)
        return 2
    try:
        _account, created = ensure_admin(IdentityApp.for_context(context), values["TONGBAN_ADMIN_LOGIN"],
                                        values["TONGBAN_ADMIN_PASSWORD"], values["TONGBAN_ADMIN_PHONE"])
    except DomainError as error:
        print(f"ensure-admin: {error.message} {_violations(error)}", file=sys.stderr)
        return 1
    state = "created" if created else "exists"
    print(f"platform admin {values['TONGBAN_ADMIN_LOGIN']} ({state}); phone {values['TONGBAN_ADMIN_PHONE']}")
    return 0


def rotate_keys(context: ServiceContext, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.identity rotate-keys")
    parser.add_argument("--now", action="store_true",
                        help="sign with the new key at once instead of after the publication delay")
    args = parser.parse_args(argv)
    app = IdentityApp.for_context(context)
    app.keys.ensure_key()
    with app.unit_of_work() as uow:
        key = app.keys.rotate(uow.session, immediately=args.now)
        audit(uow.session, "KEY_ROTATED", target=key.kid, detail=f"activates {key.activates_at.isoformat()}")
        uow.commit()
    print(f"new signing key {key.kid}, signing from {key.activates_at.isoformat()}; earlier keys stay published "
          "until their tokens expire")
    return 0


# Demo logins for the dev stack: everything passes the same validation as real registrations.
DEMO_PASSWORD = "Demo2026"
DEMO_USCC = domain.uscc_with_check_character("91110108MA01ABCD2")
DEMO_REP_ID = "110101199003077777"
DEMO_AGENT_ID = "110101199204051238"
DEMO_ACCOUNTS = (
    # login, kind, name, phone, agency, staff roles
    ("demo_enterprise", "LEGAL_PERSON", "张三", "13900000001", None, ()),
    ("demo_agent", "NATURAL_PERSON", "李四", "13900000002", None, ()),
    ("demo_re_office", "STAFF", "稀土办审核员", "13900000003", "MIIT_RE_OFFICE", ("REVIEWER",)),
    ("demo_operator", "STAFF", "运营机构人员", "13900000004", "RE_OPERATOR", ("OPERATOR",)),
    ("demo_local_auth", "STAFF", "地方主管部门", "13900000005", "LOCAL_AUTHORITY:110000", ("REVIEWER",)),
)


def _id_with_check(first_17: str) -> str:
    from stdnum.cn import ric

    return first_17 + ric.calc_check_digit(first_17 + "0")


def seed_demo(context: ServiceContext, argv: Sequence[str]) -> int:
    app = IdentityApp.for_context(context)
    rep_id = _id_with_check(DEMO_REP_ID[:17])
    agent_id = _id_with_check(DEMO_AGENT_ID[:17])
    with app.unit_of_work() as uow:
        session = uow.session
        now = utcnow()
        accounts: dict[str, Account] = {}
        for login, kind, name, phone, agency, roles in DEMO_ACCOUNTS:
            account = session.scalar(select(Account).where(Account.login_name == login))
            if account is None:
                account = Account(id=new_id(), login_name=login, kind=kind, status="ACTIVE",
                                  password_hash=app.secrets.hash_password(DEMO_PASSWORD), name=name, phone=phone,
                                  email=f"{login}@example.com", agency=agency, staff_roles=" ".join(roles),
                                  staff_systems=domain.format_scopes(domain.systems_for_agency(agency or "")),
                                  created_at=now, updated_at=now)
                if kind == "NATURAL_PERSON":
                    account.id_type = "RESIDENT_ID"
                    account.id_number_encrypted = app.secrets.encrypt(agent_id, "id-number")
                    account.id_number_lookup = app.secrets.lookup_hash(agent_id)
                session.add(account)
            accounts[login] = account
        organization = session.scalar(select(Organization).where(Organization.uscc == DEMO_USCC))
        if organization is None:
            organization = Organization(
                id=new_id(), kind="DOMESTIC", name="北京通办稀土示范有限公司", uscc=DEMO_USCC,
                legal_person_type="ENTERPRISE", legal_rep_name="张三", legal_rep_id_type="RESIDENT_ID",
                legal_rep_id_encrypted=app.secrets.encrypt(rep_id, "id-number"),
                legal_rep_id_lookup=app.secrets.lookup_hash(rep_id), industry="C32", enterprise_size="MEDIUM",
                holding="PRIVATE", address="北京市海淀区示范路1号", postcode="100080", created_at=now, updated_at=now)
            session.add(organization)
        session.flush()
        for login, role, scopes in (("demo_enterprise", "OWNER", list(domain.SCOPES)),
                                    ("demo_agent", "AGENT", ["rare_earth", "origin_cert"])):
            account = accounts[login]
            membership = session.scalar(select(Membership).where(Membership.account_id == account.id,
                                                                 Membership.organization_id == organization.id))
            if membership is None:
                session.add(Membership(id=new_id(), account_id=account.id, organization_id=organization.id,
                                       role=role, status="ACTIVE", scopes=domain.format_scopes(scopes),
                                       created_at=now, decided_at=now, updated_at=now))
        uow.commit()
    print(f"demo logins (password for all: {DEMO_PASSWORD}; log in with an SMS code sent to the phone):")
    print(f"  enterprise OWNER   demo_enterprise  phone 13900000001  USCC {DEMO_USCC}  org {organization.id}")
    print("  agent (natural)    demo_agent       phone 13900000002  scopes rare_earth, origin_cert")
    print("  staff              demo_re_office   phone 13900000003  MIIT_RE_OFFICE")
    print("  staff              demo_operator    phone 13900000004  RE_OPERATOR")
    print("  staff              demo_local_auth  phone 13900000005  LOCAL_AUTHORITY:110000")
    return 0


def _violations(error: DomainError) -> str:
    return "; ".join(f"{v.field}: {v.description}" for v in getattr(error, "violations", ()))


COMMANDS = {
    "create-admin": ("create a platform admin: --login --phone [--password] [--name]", create_admin),
    "ensure-admin": ("create the admin from TONGBAN_ADMIN_LOGIN/PASSWORD/PHONE if missing (dev stack)",
                     ensure_admin_from_env),
    "seed-demo": ("create demo logins for the dev stack (idempotent) and print them", seed_demo),
    "rotate-keys": ("add a new token signing key; old keys stay published until their tokens expire",
                    rotate_keys),
}
