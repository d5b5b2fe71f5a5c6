"""Verification codes: sent through notify via the outbox, stored hashed, short-lived, rate-limited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.chassis.auth import current_caller
from services.chassis.db import aware, is_postgresql, new_id, utcnow
from services.chassis.errors import InvalidArgument, ResourceExhausted, Violations
from services.chassis.messages import OutboundMessage, email_recipient, notification_request, phone_recipient
from services.identity import domain
from services.identity.handlers.common import find_account_by_identifier
from services.identity.models import Account, VerificationCode
from services.identity.providers import IdentityContext
from services.identity.secrets import Secrets, new_code

# One template per purpose, seeded by notify: identity.verification_code.login, ...
TEMPLATE_PREFIX = "identity.verification_code."


@dataclass(frozen=True)
class CodeSent:
    masked_destination: str
    resend_after_seconds: int
    expires_in_seconds: int


@dataclass(frozen=True)
class CodeCheck:
    """One code a request carries: the newest one sent for ``purpose`` to ``destination``."""

    purpose: str
    destination: str | None
    code: str
    field_name: str


def request_code(context: IdentityContext, channel: str, target: str, purpose: str) -> CodeSent:
    violations = Violations()
    domain.check(violations, "channel", domain.choice_problem(channel, domain.CHANNELS, "发送方式"))
    domain.check(violations, "purpose", domain.choice_problem(purpose, domain.PURPOSES, "验证码用途"))
    target = (target or "").strip()
    caller = current_caller()
    by_account = purpose in domain.IDENTIFIER_PURPOSES
    if not target and not (purpose == "DELETE_ACCOUNT" and caller.is_authenticated):
        violations.add("target", "请输入手机号、邮箱或账号")
    elif not by_account and not violations:
        problem = domain.phone_problem(target) if channel == "SMS" else domain.email_problem(target)
        domain.check(violations, "target", problem)
    violations.raise_if_any()

    secrets = context.providers.secrets
    with context.unit_of_work() as uow:
        session = uow.session
        destination: str | None = target if not by_account else None
        if by_account:
            account = (session.get(Account, caller.account_id) if purpose == "DELETE_ACCOUNT"
                       and caller.is_authenticated else find_account_by_identifier(session, secrets, target))
            if account is not None and account.status != domain.DELETED:
                destination = account.phone if channel == "SMS" else account.email
        # Unknown identifiers get the same answer and the same limits, and nothing is sent.
        decoy = destination is None
        key = f"decoy:{secrets.lookup_hash(purpose + ':' + target)[:40]}" if decoy else destination
        _throttle(session, key, purpose)
        now = utcnow()
        code = new_code()
        row_id = new_id()
        session.add(VerificationCode(id=row_id, purpose=purpose, channel=channel, destination=key,
                                     code_hash=secrets.code_hash(row_id, code), attempts=0, created_at=now,
                                     expires_at=now + domain.CODE_TTL))
        if not decoy:
            uow.publish(_notification(channel, destination, purpose, code))
        uow.commit()
    masked = _decoy_mask(secrets, channel, target) if decoy else (
        domain.mask_phone(destination) if channel == "SMS" else domain.mask_email(destination))
    return CodeSent(masked, int(domain.CODE_RESEND_INTERVAL.total_seconds()), int(domain.CODE_TTL.total_seconds()))


def _notification(channel: str, destination: str, purpose: str, code: str) -> OutboundMessage:
    recipient = phone_recipient(destination) if channel == "SMS" else email_recipient(destination)
    return notification_request(
        system="identity", category="verification_code", template=TEMPLATE_PREFIX + purpose.lower(),
        recipients=[recipient], channels=[channel],
        params={"code": code, "minutes": int(domain.CODE_TTL.total_seconds() // 60)},
        high_priority=True, mandatory=True)


def _decoy_mask(secrets: Secrets, channel: str, target: str) -> str:
    digest = secrets.lookup_hash("mask:" + target)
    digits = "".join(str(int(c, 16) % 10) for c in digest[:6])
    if channel == "SMS":
        return f"1{3 + int(digest[6], 16) % 7}{digits[0]}****{digits[1:5]}"
    domain_name = ("qq.com", "163.com", "outlook.com")[int(digest[8], 16) % 3]
    return f"{chr(ord('a') + int(digest[7], 16) % 26)}***@{domain_name}"


def _throttle(session: Session, key: str, purpose: str) -> None:
    """One code per destination and purpose per 60 s (a new user registers and then logs in at once),
    at most 10 per destination per day; serialised per destination."""
    if is_postgresql(session.get_bind()):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    now = utcnow()
    latest = aware(session.scalar(select(func.max(VerificationCode.created_at))
                                  .where(VerificationCode.destination == key, VerificationCode.purpose == purpose)))
    if latest is not None and now - latest < domain.CODE_RESEND_INTERVAL:
        wait = int((domain.CODE_RESEND_INTERVAL - (now - latest)).total_seconds()) + 1
        raise ResourceExhausted(f"验证码发送过于频繁，请{wait}秒后再试", retry_after_seconds=wait,
                                reason="CODE_RATE_LIMITED", metadata={"retryAfterSeconds": str(wait)})
    today = session.scalar(select(func.count()).select_from(VerificationCode)
                           .where(VerificationCode.destination == key,
                                  VerificationCode.created_at > now - timedelta(days=1))) or 0
    if today >= domain.CODE_DAILY_LIMIT:
        raise ResourceExhausted("今日验证码发送次数已达上限，请明天再试", retry_after_seconds=86400,
                                reason="CODE_DAILY_LIMIT")


def check_code(secrets: Secrets, session: Session, check: CodeCheck, *,
               consume: bool = True) -> InvalidArgument | None:
    """Spend one try of the newest code for (purpose, destination); None when it matches.

    The use case commits even on failure, so a wrong try counts (``UnitOfWork.commit_refusal``). With
    ``consume=False`` a matching code stays usable: a request needing two codes consumes
    neither unless both match (``check_codes``).
    """
    code = (check.code or "").strip()
    if not code:
        return InvalidArgument.for_field(check.field_name, "请输入验证码")
    if len(code) != domain.CODE_LENGTH or not code.isdigit():
        return InvalidArgument.for_field(check.field_name, "验证码须为6位数字")
    if not check.destination:
        return InvalidArgument.for_field(check.field_name, "验证码错误或已过期，请重新获取")
    row = session.scalar(select(VerificationCode)
                         .where(VerificationCode.purpose == check.purpose,
                                VerificationCode.destination == check.destination)
                         .order_by(VerificationCode.created_at.desc()).limit(1).with_for_update())
    now = utcnow()
    if row is None or row.consumed_at is not None or aware(row.expires_at) <= now:
        return InvalidArgument.for_field(check.field_name, "验证码错误或已过期，请重新获取")
    if row.attempts >= domain.CODE_MAX_ATTEMPTS:
        return InvalidArgument.for_field(check.field_name, "验证码错误次数过多，请重新获取")
    if secrets.code_hash(row.id, code) != row.code_hash:
        row.attempts += 1
        left = domain.CODE_MAX_ATTEMPTS - row.attempts
        message = f"验证码错误，还可尝试{left}次" if left else "验证码错误次数过多，请重新获取"
        return InvalidArgument.for_field(check.field_name, message)
    if consume:
        row.consumed_at = now
    return None


def check_codes(secrets: Secrets, session: Session, checks: list[CodeCheck]) -> InvalidArgument | None:
    """Several codes in one request: every wrong one is reported, and none is used unless all match."""
    errors = [e for e in (check_code(secrets, session, c, consume=False) for c in checks) if e is not None]
    if errors:
        return InvalidArgument(errors[0].message, [v for e in errors for v in e.violations])
    for c in checks:
        check_code(secrets, session, c)
    return None
