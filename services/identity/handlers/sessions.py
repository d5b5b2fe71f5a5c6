"""Login, refresh with rotation and reuse detection, switching organisation, logout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from services.chassis.auth import current_caller, require_authenticated
from services.chassis.db import aware, new_id, utcnow
from services.chassis.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Violations,
)
from services.identity import domain
from services.identity.handlers.codes import CodeCheck, check_code
from services.identity.handlers.common import (
    audit,
    find_account_by_identifier,
    membership_of,
    memberships_of_account,
)
from services.identity.handlers.revocations import millis, revoke_session, revoke_subject
from services.identity.models import Account, LoginFailure, Membership, Organization, RefreshToken, SessionFamily
from services.identity.providers import IdentityContext
from services.identity.secrets import new_refresh_token, token_hash

BAD_CREDENTIALS = "账号或密码错误"


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    refresh_token: str
    expires_in: int
    account: Account
    memberships: list[tuple[Membership, Organization]]
    organization_id: str | None
    entrance: str


def token_claims(session: Session, account: Account, organization_id: str | None,
                 entrance: str = domain.PLATFORM_ENTRANCE) -> dict:
    """The access token's claims; scopes come from the membership as it is now."""
    claims: dict = {"sub": account.id, "kind": account.kind, "org": None, "roles": [], "scopes": [],
                    "agency": None, "name": account.name, "entrance": entrance}
    if account.kind == domain.ADMIN:
        claims["roles"] = [domain.PLATFORM_ADMIN]
    elif account.kind == domain.STAFF:
        claims["roles"] = [domain.STAFF_ROLE, *domain.parse_scopes(account.staff_roles)]
        claims["scopes"] = domain.parse_scopes(account.staff_systems)
        claims["agency"] = account.agency
    elif organization_id:
        membership = membership_of(session, account.id, organization_id)
        if membership is not None and membership.status == domain.ACTIVE:
            claims["org"] = organization_id
            claims["roles"] = [membership.role]
            claims["scopes"] = domain.effective_scopes(membership.role, domain.parse_scopes(membership.scopes))
    return claims


def default_organization(memberships: list[tuple[Membership, Organization]]) -> str | None:
    active = [m for m, _o in memberships if m.status == domain.ACTIVE]
    # OWNER first, then ADMIN, AGENT, SIGNER.
    active.sort(key=lambda m: domain.MEMBER_ROLES.index(m.role))
    return active[0].organization_id if active else None


def _issue(context: IdentityContext, session: Session, account: Account, organization_id: str | None,
           family: SessionFamily) -> IssuedSession:
    now = utcnow()
    refresh = new_refresh_token()
    session.add(RefreshToken(token_hash=token_hash(refresh), family_id=family.id, issued_at=now,
                             expires_at=now + timedelta(seconds=context.config.refresh_token_seconds)))
    ttl = context.config.access_token_seconds
    claims = token_claims(session, account, organization_id, family.entrance)
    # iat_ms: a revocation of the account's tokens "issued before" a moment needs finer than iat's seconds,
    # or a token refreshed in the same second as a role change would be refused with the stale ones.
    claims.update({"sid": family.id, "jti": uuid.uuid4().hex, "iat": int(now.timestamp()),
                   "iat_ms": millis(now), "exp": int(now.timestamp()) + ttl})
    # From the keys in memory: signing never reads the database inside this transaction.
    access = context.providers.keys.sign(claims)
    return IssuedSession(access, refresh, ttl, account, memberships_of_account(session, account.id),
                         claims["org"], family.entrance)


def _new_family(session: Session, account_id: str, organization_id: str | None, entrance: str) -> SessionFamily:
    family = SessionFamily(id=new_id(), account_id=account_id, organization_id=organization_id,
                           entrance=entrance, created_at=utcnow())
    session.add(family)
    session.flush()
    return family


def _revoke(session: Session, reason: str, *where) -> None:
    session.execute(update(SessionFamily).where(*where, SessionFamily.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoked_reason=reason))


def revoke_families(session: Session, account_id: str, reason: str) -> None:
    """End every session of an account (password reset, deletion, the admin disabling it), and its access tokens."""
    _revoke(session, reason, SessionFamily.account_id == account_id)
    revoke_subject(session, account_id, reason)


def _revoke_family(session: Session, family_id: str, reason: str) -> None:
    _revoke(session, reason, SessionFamily.id == family_id)
    revoke_session(session, family_id, reason)


def _choose_organization(account: Account, memberships: list[tuple[Membership, Organization]],
                         requested: str, entrance: str) -> str | None:
    """The organisation to act for, among those of the entrance's kind (an institution at its own)."""
    if account.kind in domain.STAFF_KINDS:
        return None
    memberships = [(m, o) for m, o in memberships if domain.entrance_admits(entrance, o.kind)]
    if requested:
        if not any(m.organization_id == requested and m.status == domain.ACTIVE for m, _o in memberships):
            raise PermissionDenied("您不是该单位的有效成员", reason="NOT_A_MEMBER",
                                   metadata={"organizationId": requested})
        return requested
    return default_organization(memberships)


def create_session(context: IdentityContext, identifier: str, password: str, sms_code: str,
                   organization_id: str = "", entrance: str = "") -> IssuedSession:
    entrance = entrance or domain.PLATFORM_ENTRANCE
    v = Violations()
    domain.check(v, "entrance", domain.choice_problem(entrance, domain.ENTRANCES, "登录入口"))
    if not identifier.strip():
        v.add("identifier", "请输入登录名、统一社会信用代码或身份证号")
    if not password:
        v.add("password", "请输入密码")
    if not sms_code:
        v.add("smsCode", "请输入短信验证码")
    v.raise_if_any()
    secrets = context.providers.secrets
    with context.unit_of_work() as uow:
        session = uow.session
        account = find_account_by_identifier(session, secrets, identifier)
        if account is None:
            secrets.verify_password(None, password)
            audit(session, "LOGIN", target=None, result="FAILURE", detail="unknown identifier")
            uow.commit_refusal(Unauthenticated(BAD_CREDENTIALS, reason="INVALID_CREDENTIALS"))
        session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
        now = utcnow()
        locked_until = aware(account.locked_until)
        if locked_until is not None and locked_until > now:
            audit(session, "LOGIN", target=account.id, result="FAILURE", actor_id=account.id, detail="locked")
            uow.commit_refusal(_locked(locked_until, now))
        if not secrets.verify_password(account.password_hash, password):
            session.add(LoginFailure(account_id=account.id, at=now))
            session.flush()
            recent = session.scalar(select(func.count()).select_from(LoginFailure).where(
                LoginFailure.account_id == account.id, LoginFailure.at > now - domain.LOCKOUT_WINDOW)) or 0
            decision = domain.lockout_after_failure(recent, now)
            audit(session, "LOGIN", target=account.id, result="FAILURE", actor_id=account.id, detail="bad password")
            if decision.locked:
                account.locked_until = decision.locked_until
                audit(session, "ACCOUNT_LOCKED", target=account.id, actor_id=account.id,
                      detail=f"{recent} failures")
                uow.commit_refusal(_locked(decision.locked_until, now))
            uow.commit_refusal(Unauthenticated(BAD_CREDENTIALS, reason="INVALID_CREDENTIALS"))
        if account.status != domain.ACTIVE:
            audit(session, "LOGIN", target=account.id, result="FAILURE", actor_id=account.id, detail=account.status)
            uow.commit_refusal(PermissionDenied("账号已停用", reason="ACCOUNT_DISABLED"))
        # After the password: the entrance an account belongs at is told only to whoever holds it.
        if refusal := _entrance_refusal(session, account, entrance):
            audit(session, "LOGIN", target=account.id, result="FAILURE", actor_id=account.id,
                  detail=f"wrong entrance {entrance}")
            uow.commit_refusal(PermissionDenied(refusal, reason="WRONG_ENTRANCE",
                                                   metadata={"entrance": entrance}))
        if spent := check_code(secrets, session, CodeCheck("LOGIN", account.phone, sms_code, "smsCode")):
            uow.commit_refusal(spent)
        session.execute(delete(LoginFailure).where(LoginFailure.account_id == account.id))
        account.locked_until = None
        memberships = memberships_of_account(session, account.id)
        chosen = _choose_organization(account, memberships, organization_id, entrance)
        family = _new_family(session, account.id, chosen, entrance)
        issued = _issue(context, session, account, chosen, family)
        audit(session, "LOGIN", target=account.id, actor_id=account.id, detail=f"entrance {entrance}")
        uow.commit()
    return issued


def _entrance_refusal(session: Session, account: Account, entrance: str) -> str | None:
    kinds = session.scalars(select(Organization.kind).join(Membership, Membership.organization_id == Organization.id)
                            .where(Membership.account_id == account.id,
                                   Membership.status.in_(domain.BINDING_STATUSES))).all()
    return domain.entrance_refusal(entrance, account.kind, kinds)


def _locked(until: datetime, now: datetime) -> ResourceExhausted:
    seconds = max(1, int((until - now).total_seconds()))
    return ResourceExhausted(f"登录失败次数过多，账号已锁定至{until.astimezone(domain.CST):%H:%M}，请稍后再试",
                             retry_after_seconds=seconds, reason="ACCOUNT_LOCKED",
                             metadata={"unlockAt": until.isoformat(), "retryAfterSeconds": str(seconds)})


def refresh_session(context: IdentityContext, refresh_token: str) -> IssuedSession:
    if not refresh_token:
        raise InvalidArgument.for_field("refreshToken", "请提供刷新令牌")
    with context.unit_of_work() as uow:
        session = uow.session
        row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
                             .with_for_update())
        if row is None:
            raise Unauthenticated("刷新令牌无效，请重新登录", reason="REFRESH_TOKEN_INVALID")
        family = session.get(SessionFamily, row.family_id)
        now = utcnow()
        if family.revoked_at is not None:
            raise Unauthenticated("会话已失效，请重新登录", reason="SESSION_REVOKED")
        if row.rotated_at is not None:
            _revoke_family(session, family.id, "REFRESH_TOKEN_REUSED")
            audit(session, "REFRESH_TOKEN_REUSED", target=family.account_id, result="FAILURE",
                  actor_id=family.account_id, detail=f"family {family.id} revoked")
            uow.commit_refusal(Unauthenticated("刷新令牌已被使用，会话已全部注销，请重新登录",
                                                  reason="REFRESH_TOKEN_REUSED"))
        if aware(row.expires_at) <= now:
            raise Unauthenticated("会话已过期，请重新登录", reason="SESSION_EXPIRED")
        account = session.get(Account, family.account_id)
        if account is None or account.status != domain.ACTIVE:
            _revoke_family(session, family.id, "ACCOUNT_NOT_ACTIVE")
            uow.commit_refusal(Unauthenticated("账号已停用，请重新登录", reason="ACCOUNT_NOT_ACTIVE"))
        if family.organization_id:
            membership = membership_of(session, account.id, family.organization_id)
            if membership is None or membership.status != domain.ACTIVE:
                _revoke_family(session, family.id, "MEMBERSHIP_NOT_ACTIVE")
                audit(session, "REFRESH", target=account.id, result="FAILURE", actor_id=account.id,
                      detail="membership not active")
                uow.commit_refusal(Unauthenticated("您在该单位的成员资格已停用，请重新登录",
                                                      reason="MEMBERSHIP_NOT_ACTIVE"))
        row.rotated_at = now
        issued = _issue(context, session, account, family.organization_id, family)
        uow.commit()
    return issued


def switch_organization(context: IdentityContext, organization_id: str, refresh_token: str = "") -> IssuedSession:
    caller = require_authenticated()
    if not organization_id:
        raise InvalidArgument.for_field("organizationId", "请选择单位")
    with context.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, caller.account_id)
        if account is None or account.status != domain.ACTIVE:
            raise Unauthenticated("账号已停用，请重新登录", reason="ACCOUNT_NOT_ACTIVE")
        if account.kind in domain.STAFF_KINDS:
            raise FailedPrecondition("工作人员账号不属于任何单位", reason="NOT_A_MEMBER")
        memberships = memberships_of_account(session, account.id)
        # The new session stays at the entrance the current one logged in at.
        entrance = caller.claims.get("entrance") or domain.PLATFORM_ENTRANCE
        chosen = _choose_organization(account, memberships, organization_id, entrance)
        for family_id in _families_to_close(session, account.id, caller.claims.get("sid"), refresh_token):
            _revoke_family(session, family_id, "SWITCHED")
        family = _new_family(session, account.id, chosen, entrance)
        issued = _issue(context, session, account, chosen, family)
        audit(session, "SWITCH_ORGANIZATION", target=chosen)
        uow.commit()
    return issued


def _families_to_close(session: Session, account_id: str, sid: str | None, refresh_token: str) -> list[str]:
    families = [sid] if sid else []
    if refresh_token:
        row = session.get(RefreshToken, token_hash(refresh_token))
        if row is not None:
            family = session.get(SessionFamily, row.family_id)
            if family is not None and family.account_id == account_id:
                families.append(family.id)
    return families


def logout(context: IdentityContext, refresh_token: str = "") -> None:
    caller = current_caller()
    with context.unit_of_work() as uow:
        session = uow.session
        families: list[str] = []
        if caller.is_authenticated:
            families = _families_to_close(session, caller.account_id, caller.claims.get("sid"), refresh_token)
        elif refresh_token:
            row = session.get(RefreshToken, token_hash(refresh_token))
            families = [row.family_id] if row is not None else []
        else:
            # A public route (a logout by refresh token alone): what is missing is that token, not a login.
            raise InvalidArgument.for_field("refreshToken", "请提供刷新令牌")
        for family_id in families:
            _revoke_family(session, family_id, "LOGOUT")
        audit(session, "LOGOUT", target=caller.account_id)
        uow.commit()
