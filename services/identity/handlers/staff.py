"""Agency staff and platform admins, and the audit log they search."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from services.chassis.auth import require_role
from services.chassis.db import new_id, utcnow
from services.chassis.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.identity import domain
from services.identity.handlers.common import IdentityApp, audit, commit_unique, unique_fields
from services.identity.handlers.sessions import revoke_families
from services.identity.models import Account, AuditEvent

PLATFORM_ADMIN = "PLATFORM_ADMIN"
_STAFF_ROLE = r"[A-Z][A-Z0-9_]{1,31}"


def create_staff(app: IdentityApp, r) -> Account:
    require_role(PLATFORM_ADMIN)
    import re

    v = Violations()
    domain.check(v, "loginName", domain.login_name_problem(r.login_name))
    domain.check(v, "password", domain.password_problem(r.password))
    domain.check(v, "name", domain.text_problem(r.name, "姓名"))
    domain.check(v, "phone", domain.phone_problem(r.phone))
    if r.email:
        domain.check(v, "email", domain.email_problem(r.email))
    domain.check(v, "agency", domain.agency_problem(r.agency))
    bad_roles = [role for role in r.roles if not re.fullmatch(_STAFF_ROLE, role)]
    if bad_roles:
        v.add("roles", f"角色须为大写字母、数字和下划线：{'、'.join(bad_roles)}")
    domain.check(v, "systems", domain.scopes_problem(list(r.systems)))
    v.raise_if_any()
    systems = list(r.systems) or domain.systems_for_agency(r.agency)
    with unique_fields(), app.unit_of_work() as uow:
        session = uow.session
        if session.scalar(select(Account.id).where(Account.login_name == r.login_name)) is not None:
            raise AlreadyExists("登录名已被使用", reason="ALREADY_EXISTS", metadata={"field": "loginName"})
        now = utcnow()
        account = Account(id=new_id(), login_name=r.login_name, kind="STAFF", status="ACTIVE",
                          password_hash=app.secrets.hash_password(r.password), name=r.name.strip(), phone=r.phone,
                          email=r.email or None, agency=r.agency, staff_roles=" ".join(r.roles),
                          staff_systems=domain.format_scopes(systems), created_at=now, updated_at=now)
        session.add(account)
        audit(session, "STAFF_CREATED", target=account.id, detail=f"{r.agency} roles={' '.join(r.roles)}")
        commit_unique(uow)
    return account


def ensure_admin(app: IdentityApp, login_name: str, password: str, phone: str, *,
                 name: str = "平台管理员") -> tuple[Account, bool]:
    """Create the platform admin if no account has that login name; (account, created)."""
    v = Violations()
    domain.check(v, "loginName", domain.admin_login_name_problem(login_name))
    domain.check(v, "password", domain.password_problem(password))
    domain.check(v, "phone", domain.phone_problem(phone))
    v.raise_if_any("管理员信息有误")
    with app.unit_of_work() as uow:
        session = uow.session
        existing = session.scalar(select(Account).where(Account.login_name == login_name))
        if existing is not None:
            if existing.kind != "ADMIN":
                raise AlreadyExists("登录名已被非管理员账号使用", metadata={"field": "loginName"})
            return existing, False
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind="ADMIN", status="ACTIVE",
                          password_hash=app.secrets.hash_password(password), name=name, phone=phone,
                          created_at=now, updated_at=now)
        session.add(account)
        audit(session, "ADMIN_CREATED", target=account.id, actor_id=account.id, detail="command line")
        commit_unique(uow)
    return account, True


def list_staff(app: IdentityApp, agency: str, page_size: int, page_token: str) -> Page:
    require_role(PLATFORM_ADMIN)
    query = select(Account).where(Account.kind == "STAFF", Account.status != "DELETED")
    if agency:
        query = query.where(Account.agency == agency)
    with app.unit_of_work() as uow:
        return paginate(uow.session, query.order_by(Account.agency, Account.login_name), page_size, page_token)


# Who the admin may switch between: never a deleted account, never itself (it would lock the platform out).
_ACCOUNT_SWITCH = {"DISABLED": ("ACTIVE",), "ACTIVE": ("DISABLED",)}


def set_account_status(app: IdentityApp, account_id: str, target: str, reason: str) -> Account:
    caller = require_role(PLATFORM_ADMIN)
    if account_id == caller.account_id:
        raise FailedPrecondition("不能停用或启用自己的账号", reason="SELF_ACTION")
    with app.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.status == "DELETED":
            raise NotFound("账号不存在", reason="ACCOUNT_NOT_FOUND")
        if account.status != target:
            if account.status not in _ACCOUNT_SWITCH[target]:
                raise FailedPrecondition(f"账号当前状态为{account.status}，不能执行此操作", reason="INVALID_STATE")
            account.status = target
            account.updated_at = utcnow()
            if target == "DISABLED":
                revoke_families(session, account.id, "ACCOUNT_DISABLED")
            audit(session, "ACCOUNT_DISABLED" if target == "DISABLED" else "ACCOUNT_ENABLED", target=account.id,
                  detail=reason[:500])
        uow.commit()
    return account


def list_audit_events(app: IdentityApp, account_id: str, action: str, start: datetime | None,
                      end: datetime | None, page_size: int, page_token: str) -> Page:
    require_role(PLATFORM_ADMIN)
    if start and end and start > end:
        raise InvalidArgument.for_field("endTime", "结束时间不能早于开始时间")
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if account_id:
        query = query.where((AuditEvent.actor_id == account_id) | (AuditEvent.target == account_id))
    if action:
        query = query.where(AuditEvent.action == action.upper())
    if start:
        query = query.where(AuditEvent.at >= start)
    if end:
        query = query.where(AuditEvent.at < end)
    with app.unit_of_work() as uow:
        return paginate(uow.session, query, page_size, page_token)
