"""Agency staff and platform admins, the accounts the admin switches off and on, and the audit log."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import RowMapping, select

from services.chassis.audit import EVENT_PREFIX
from services.chassis.auth import require_role
from services.chassis.db import new_id, utcnow
from services.chassis.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate, paginate_rows
from services.chassis.registry import systems_of_agency
from services.identity import domain
from services.identity.handlers.common import audit, require_login_name_free, unique_field_error
from services.identity.handlers.revocations import revoke_subject
from services.identity.handlers.sessions import revoke_families
from services.identity.models import Account
from services.identity.providers import IdentityContext

_STAFF_ROLE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
# The audit action of each status the admin may set.
_STATUS_ACTIONS = {domain.ACTIVE: "ACCOUNT_ENABLED", domain.DISABLED: "ACCOUNT_DISABLED"}
# What the admin may change of a staff account (request field names, snake_case as in an update mask).
STAFF_FIELDS = ("name", "phone", "agency", "roles")


def _check_staff_fields(v: Violations, *, name: str | None = None, phone: str | None = None,
                        agency: str | None = None, roles: Sequence[str] = ()) -> None:
    """The checks of creation, for the fields given (None: not given)."""
    if name is not None:
        domain.check(v, "name", domain.text_problem(name, "姓名"))
    if phone is not None:
        domain.check(v, "phone", domain.phone_problem(phone))
    if agency is not None:
        domain.check(v, "agency", domain.agency_problem(agency))
    bad_roles = [role for role in roles if not _STAFF_ROLE.fullmatch(role)]
    if bad_roles:
        v.add("roles", f"角色须为大写字母、数字和下划线：{'、'.join(bad_roles)}")


def create_staff(context: IdentityContext, *, login_name: str, password: str, name: str, phone: str, agency: str,
                 email: str = "", roles: Sequence[str] = (), systems: Sequence[str] = ()) -> Account:
    """A staff account of an agency (``LOCAL_AUTHORITY:110000``...), working in its agency's systems unless
    ``systems`` names others."""
    require_role(domain.PLATFORM_ADMIN)
    v = Violations()
    domain.check(v, "loginName", domain.login_name_problem(login_name))
    domain.check(v, "password", domain.password_problem(password))
    _check_staff_fields(v, name=name, phone=phone, agency=agency, roles=roles)
    if email:
        domain.check(v, "email", domain.email_problem(email))
    domain.check(v, "systems", domain.scopes_problem(list(systems)))
    v.raise_if_any()
    systems = systems or systems_of_agency(agency)
    with context.unit_of_work() as uow:
        session = uow.session
        require_login_name_free(session, login_name)
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.STAFF, status=domain.ACTIVE,
                          password_hash=context.providers.secrets.hash_password(password),
                          name=name.strip(), phone=phone, email=email or None,
                          agency=agency, staff_roles=" ".join(roles),
                          staff_systems=domain.format_scopes(systems), created_at=now, updated_at=now)
        session.add(account)
        audit(session, "STAFF_CREATED", target=account.id, detail=f"{agency} roles={' '.join(roles)}")
        uow.commit(on_integrity_error=unique_field_error)
    return account


def update_staff(context: IdentityContext, account_id: str, *, name: str = "", phone: str = "", agency: str = "",
                 roles: Sequence[str] = (), fields: Collection[str] = ()) -> Account:
    """The admin changes a staff account's ``fields`` (the non-empty ones when none are named), checked as at
    creation; the audit log keeps each changed field before and after."""
    require_role(domain.PLATFORM_ADMIN)
    unknown = sorted(set(fields) - set(STAFF_FIELDS))
    if unknown:
        raise InvalidArgument.for_field("updateMask",
                                        f"不能修改的字段：{'、'.join(unknown)}；可修改：{'、'.join(STAFF_FIELDS)}")
    given = {"name": name, "phone": phone, "agency": agency, "roles": tuple(roles)}
    chosen = {key: value for key, value in given.items() if (key in fields if fields else value)}
    if not chosen:
        raise InvalidArgument.for_field("updateMask", "请填写要修改的字段（name、phone、agency、roles）")
    v = Violations()
    _check_staff_fields(v, **{key: chosen[key] for key in ("name", "phone", "agency") if key in chosen},
                        roles=chosen.get("roles", ()))
    v.raise_if_any()
    with context.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, account_id, with_for_update=True) if account_id else None
        if account is None or account.kind != domain.STAFF or account.status == domain.DELETED:
            raise NotFound("工作人员账号不存在", reason="ACCOUNT_NOT_FOUND")
        before = _staff_fields(account)
        if "name" in chosen:
            account.name = chosen["name"].strip()
        if "phone" in chosen:
            account.phone = chosen["phone"]
        if "roles" in chosen:
            account.staff_roles = " ".join(chosen["roles"])
        if "agency" in chosen and chosen["agency"] != account.agency:
            # Systems that came with the old agency follow the new one; systems chosen by hand stay.
            if set(domain.parse_scopes(account.staff_systems)) == set(systems_of_agency(account.agency or "")):
                account.staff_systems = domain.format_scopes(systems_of_agency(chosen["agency"]))
            account.agency = chosen["agency"]
        after = _staff_fields(account)
        changed = {key: {"before": before[key], "after": after[key]} for key in before if before[key] != after[key]}
        if changed:
            account.updated_at = utcnow()
            if _withdrawn(before, after):
                # Staff tokens carry roles, agency and systems: those claiming what was taken away are refused.
                revoke_subject(session, account.id, "STAFF_CHANGED")
            audit(session, "STAFF_UPDATED", target=account.id, detail=json.dumps(changed, ensure_ascii=False))
        uow.commit()
    return account


def _withdrawn(before: dict, after: dict) -> bool:
    """Whether the change took an agency, a role or a system away (what a token signed before would still claim)."""
    return (before["agency"] != after["agency"] or bool(set(before["roles"]) - set(after["roles"]))
            or bool(set(before["systems"]) - set(after["systems"])))


def _staff_fields(account: Account) -> dict:
    return {"name": account.name, "phone": account.phone, "agency": account.agency,
            "roles": domain.parse_scopes(account.staff_roles), "systems": domain.parse_scopes(account.staff_systems)}


def ensure_admin(context: IdentityContext, login_name: str, password: str, phone: str, *,
                 name: str = "平台管理员") -> tuple[Account, bool]:
    """Create the platform admin if no account has that login name; (account, created)."""
    v = Violations()
    domain.check(v, "loginName", domain.admin_login_name_problem(login_name))
    domain.check(v, "password", domain.password_problem(password))
    domain.check(v, "phone", domain.phone_problem(phone))
    v.raise_if_any("管理员信息有误")
    with context.unit_of_work() as uow:
        session = uow.session
        existing = session.scalar(select(Account).where(Account.login_name == login_name))
        if existing is not None:
            if existing.kind != domain.ADMIN:
                raise AlreadyExists("登录名已被非管理员账号使用", metadata={"field": "loginName"})
            return existing, False
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.ADMIN, status=domain.ACTIVE,
                          password_hash=context.providers.secrets.hash_password(password), name=name, phone=phone,
                          created_at=now, updated_at=now)
        session.add(account)
        audit(session, "ADMIN_CREATED", target=account.id, actor_id=account.id, detail="command line")
        uow.commit(on_integrity_error=unique_field_error)
    return account, True


def list_staff(context: IdentityContext, agency: str, page_size: int, page_token: str) -> Page[Account]:
    require_role(domain.PLATFORM_ADMIN)
    query = select(Account).where(Account.kind == domain.STAFF, Account.status != domain.DELETED)
    if agency:
        query = query.where(Account.agency == agency)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query.order_by(Account.agency, Account.login_name), page_size, page_token)


def set_account_status(context: IdentityContext, account_id: str, target: str, reason: str) -> Account:
    """The admin disables (its sessions end) or enables an account; never a deleted one, never its own."""
    caller = require_role(domain.PLATFORM_ADMIN)
    if account_id == caller.account_id:
        # It would lock the platform out.
        raise FailedPrecondition("不能停用或启用自己的账号", reason="SELF_ACTION")
    with context.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.status == domain.DELETED:
            raise NotFound("账号不存在", reason="ACCOUNT_NOT_FOUND")
        if account.status != target:
            domain.ACCOUNT.move(account, target,
                                f"账号当前状态为{domain.ACCOUNT.label(account.status)}，不能执行此操作")
            account.updated_at = utcnow()
            if target == domain.DISABLED:
                revoke_families(session, account.id, "ACCOUNT_DISABLED")
            audit(session, _STATUS_ACTIONS[target], target=account.id, detail=reason[:500])
        uow.commit()
    return account


def list_audit_events(context: IdentityContext, account_id: str, action: str, start: datetime | None,
                      end: datetime | None, page_size: int, page_token: str) -> Page[RowMapping]:
    """Identity's security events, newest first: the event rows of its audit trail (services/chassis/audit.py)."""
    require_role(domain.PLATFORM_ADMIN)
    if start and end and start > end:
        raise InvalidArgument.for_field("endTime", "结束时间不能早于开始时间")
    trail = context.tables.audit
    query = select(trail).order_by(trail.c.sequence.desc())
    if action:
        query = query.where(trail.c.action == EVENT_PREFIX + action.upper())
    else:
        query = query.where(trail.c.action.startswith(EVENT_PREFIX, autoescape=True))
    if account_id:
        query = query.where((trail.c.actor_id == account_id) | (trail.c.record_id == account_id))
    if start:
        query = query.where(trail.c.at >= start)
    if end:
        query = query.where(trail.c.at < end)
    with context.unit_of_work(read_only=True) as uow:
        return paginate_rows(uow.session, query, page_size, page_token)
