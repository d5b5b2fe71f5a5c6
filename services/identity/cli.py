"""Identity's own commands: the first admin, demo logins for the dev stack, signing-key rotation."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from services.chassis.errors import DomainError
from services.identity import seed
from services.identity.handlers.keys import rotate_signing_key
from services.identity.handlers.staff import ensure_admin
from services.identity.providers import IdentityContext

DEV_ADMIN = {"TONGBAN_ADMIN_LOGIN": "admin", "TONGBAN_ADMIN_PASSWORD": "Admin2026",
             "TONGBAN_ADMIN_PHONE": "13800000000"}


def _refused(command: str, error: DomainError) -> int:
    violations = "; ".join(f"{v.field}: {v.description}" for v in getattr(error, "violations", ()))
    print(f"{command}: {error.message} {violations}", file=sys.stderr)
    return 1


def create_admin(context: IdentityContext, argv: Sequence[str]) -> int:
    """Create a platform admin from arguments (the password is asked for when not given)."""
    parser = argparse.ArgumentParser(prog="python -m services.identity create-admin")
    parser.add_argument("--login", required=True)
    parser.add_argument("--phone", required=True)
    parser.add_argument("--name", default="平台管理员")
    parser.add_argument("--password", help="read from the terminal when omitted")
    args = parser.parse_args(argv)
    password = args.password or getpass.getpass("password: ")
    try:
        account, created = ensure_admin(context, args.login, password, args.phone, name=args.name)
    except DomainError as error:
        return _refused("create-admin", error)
    print(f"admin {args.login} {'created' if created else 'already exists'} (id {account.id})")
    return 0


def ensure_admin_from_env(context: IdentityContext, argv: Sequence[str]) -> int:
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
        _account, created = ensure_admin(context, values["TONGBAN_ADMIN_LOGIN"], values["TONGBAN_ADMIN_PASSWORD"],
                                         values["TONGBAN_ADMIN_PHONE"])
    except DomainError as error:
        return _refused("ensure-admin", error)
    state = "created" if created else "exists"
    print(f"platform admin {values['TONGBAN_ADMIN_LOGIN']} ({state}); phone {values['TONGBAN_ADMIN_PHONE']}")
    return 0


def rotate_keys(context: IdentityContext, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.identity rotate-keys")
    parser.add_argument("--now", action="store_true",
                        help="sign with the new key at once instead of after the publication delay")
    args = parser.parse_args(argv)
    key = rotate_signing_key(context, immediately=args.now)
    print(f"new signing key {key.kid}, signing from {key.activates_at.isoformat()}; earlier keys stay published "
          "until their tokens expire")
    return 0


def seed_demo(context: IdentityContext, argv: Sequence[str]) -> int:
    organization = seed.seed_demo(context)
    print(f"demo logins (password for all: {seed.DEMO_PASSWORD}; log in with an SMS code sent to the phone):")
    print(f"  enterprise OWNER   demo_enterprise  phone 13900000001  USCC {seed.DEMO_USCC}  org {organization.id}")
    print("  agent (natural)    demo_agent       phone 13900000002  scopes rare_earth, origin_cert")
    print("  staff              demo_re_office   phone 13900000003  MIIT_RE_OFFICE")
    print("  staff              demo_operator    phone 13900000004  RE_OPERATOR")
    print("  staff              demo_local_auth  phone 13900000005  LOCAL_AUTHORITY:110000")
    print("  staff              demo_ccpit       phone 13900000006  CCPIT:BEIJING (pre-review and visa officer)")
    print("  signer (手签员)    demo_signer      phone 13900000007  SIGNER of the demo enterprise, scope origin_cert")
    print("  staff              demo_customs     phone 13900000008  CUSTOMS:0100 (origin checks, inspection reviews,"
          " CCC write-off)")
    print("  staff              demo_ciq         phone 13900000009  CIQ:310000 (every CCC-exemption post)")
    print("  staff              demo_cnca        phone 13900000010  CNCA")
    print(f"  institution OWNER  demo_institute   phone 13900000011  {seed.DEMO_INSTITUTION} (DE)")
    return 0


COMMANDS = {
    "create-admin": ("create a platform admin: --login --phone [--password] [--name]", create_admin),
    "ensure-admin": ("create the admin from TONGBAN_ADMIN_LOGIN/PASSWORD/PHONE if missing (dev stack)",
                     ensure_admin_from_env),
    "seed-demo": ("create demo logins for the dev stack (idempotent) and print them", seed_demo),
    "rotate-keys": ("add a new token signing key; old keys stay published until their tokens expire",
                    rotate_keys),
}
