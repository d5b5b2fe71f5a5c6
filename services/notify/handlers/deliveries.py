"""Sending one delivery, provider receipts, the stuck-delivery jobs, and the search of what was sent.

Every status change is one guarded UPDATE (``WHERE status IN (the states it may come from)``),
so two workers never send one delivery and a late receipt never reopens a final state.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import InvalidArgument, PermissionDenied, Unauthenticated
from services.chassis.paging import PageRequest
from services.notify import domain
from services.notify.handlers.common import DeliveryTask
from services.notify.models import Delivery
from services.notify.providers import PermanentFailure, TemporaryFailure
from services.notify.runtime import NotifyRuntime

log = logging.getLogger(__name__)

SENT_OUTCOME = "SENT"
RETRY_OUTCOME = "RETRY"
PARK_OUTCOME = "PARK"
SKIPPED_OUTCOME = "SKIPPED"


@dataclass(frozen=True)
class SendOutcome:
    kind: str
    task: DeliveryTask
    # For RETRY: the task to run after ``delay`` seconds.
    retry: DeliveryTask | None = None
    delay: float = 0.0
    reason: str = ""


def _move(runtime: NotifyRuntime, delivery_id: str, target: str, *, extra_guard=None, **values) -> bool:
    """One guarded status change, committed; False when the delivery was not in a state that may move."""
    now = utcnow()
    conditions = [Delivery.id == delivery_id, Delivery.status.in_(domain.sources_of(target))]
    if extra_guard is not None:
        conditions.append(extra_guard)
    with runtime.unit_of_work() as uow:
        result = uow.session.execute(
            update(Delivery).where(*conditions).values(status=target, updated_at=now, **values))
        uow.commit()
    return result.rowcount == 1


def send_delivery(runtime: NotifyRuntime, task: DeliveryTask) -> SendOutcome:
    """Claim the delivery (CREATED or TEMPORARY_FAILURE, still at the attempt the task was made for) and send it."""
    claimed = _move(runtime, task.delivery_id, domain.SENDING,
                    extra_guard=Delivery.attempts == task.attempt,
                    attempts=Delivery.attempts + 1, next_attempt_at=None)
    if not claimed:
        return SendOutcome(SKIPPED_OUTCOME, task)
    with runtime.unit_of_work() as uow:
        delivery = uow.session.get(Delivery, task.delivery_id)
        channel, to, subject, body, attempts = (delivery.channel, delivery.recipient, delivery.subject,
                                                delivery.body, delivery.attempts)
    provider = runtime.providers.get(channel)
    try:
        if provider is None:
            raise PermanentFailure(f"渠道 {channel} 没有可用的发送服务")
        reference = provider.send(to, subject, body)
    except TemporaryFailure as exc:
        return _after_temporary_failure(runtime, task, attempts, str(exc))
    except PermanentFailure as exc:
        _move(runtime, task.delivery_id, domain.PERMANENT_FAILURE, failure_reason=str(exc))
        return SendOutcome(PARK_OUTCOME, task, reason=str(exc))
    except Exception as exc:
        log.exception("provider %s crashed on delivery %s", channel, task.delivery_id)
        reason = f"发送异常：{exc.__class__.__name__}: {exc}"
        _move(runtime, task.delivery_id, domain.TECHNICAL_FAILURE, failure_reason=reason)
        return SendOutcome(PARK_OUTCOME, task, reason=reason)
    _move(runtime, task.delivery_id, domain.SENT, sent_at=utcnow(), provider_reference=reference,
          failure_reason=None)
    return SendOutcome(SENT_OUTCOME, task)


def _after_temporary_failure(runtime: NotifyRuntime, task: DeliveryTask, attempts: int, reason: str) -> SendOutcome:
    if attempts >= runtime.settings.max_attempts:
        final = f"已尝试 {attempts} 次仍失败：{reason}"
        _move(runtime, task.delivery_id, domain.PERMANENT_FAILURE, failure_reason=final)
        return SendOutcome(PARK_OUTCOME, task, reason=final)
    delay = domain.retry_delay(attempts, runtime.settings.retry_base_seconds)
    _move(runtime, task.delivery_id, domain.TEMPORARY_FAILURE, failure_reason=reason,
          next_attempt_at=utcnow() + timedelta(seconds=delay))
    retry = DeliveryTask(task.delivery_id, attempts, task.priority)
    return SendOutcome(RETRY_OUTCOME, task, retry=retry, delay=delay, reason=reason)


# ---- receipts ----

RECEIPT_STATUSES = (domain.DELIVERED, domain.PERMANENT_FAILURE)


def record_receipt(runtime: NotifyRuntime, provider_reference: str, status: str, token: str, reason: str) -> bool:
    expected = runtime.settings.receipt_token
    if not expected or not hmac.compare_digest(expected.encode(), token.encode()):
        raise Unauthenticated("回执令牌无效")
    if status not in RECEIPT_STATUSES:
        raise InvalidArgument.for_field("status", "回执状态只能是 DELIVERED 或 PERMANENT_FAILURE")
    if not provider_reference:
        raise InvalidArgument.for_field("providerReference", "缺少发送编号")
    now = utcnow()
    with runtime.unit_of_work() as uow:
        values = {"status": status, "updated_at": now}
        if status == domain.PERMANENT_FAILURE:
            values["failure_reason"] = reason or "运营商回执：发送失败"
        result = uow.session.execute(update(Delivery).where(
            Delivery.provider_reference == provider_reference,
            Delivery.status.in_(domain.sources_of(status)),
            Delivery.status == domain.SENT).values(**values))
        uow.commit()
    return result.rowcount > 0


# ---- jobs ----

def stuck_in_created(runtime: NotifyRuntime, older_than: float, limit: int = 1000) -> list[DeliveryTask]:
    """Deliveries recorded but never picked up (their ask was lost with a process): ask again."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with runtime.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Delivery.id, Delivery.attempts, Delivery.priority)
            .where(Delivery.status == domain.CREATED, Delivery.updated_at <= cutoff)
            .order_by(Delivery.updated_at).limit(limit)).all()
    return [DeliveryTask(r.id, r.attempts, r.priority) for r in rows]


def retries_due(runtime: NotifyRuntime, overdue_by: float, limit: int = 1000) -> list[DeliveryTask]:
    """Temporary failures whose retry time has passed by ``overdue_by`` seconds (the delay queue missed them)."""
    cutoff = utcnow() - timedelta(seconds=overdue_by)
    with runtime.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Delivery.id, Delivery.attempts, Delivery.priority)
            .where(Delivery.status == domain.TEMPORARY_FAILURE, Delivery.next_attempt_at <= cutoff)
            .order_by(Delivery.next_attempt_at).limit(limit)).all()
    return [DeliveryTask(r.id, r.attempts, r.priority) for r in rows]


def time_out_sending(runtime: NotifyRuntime, older_than: float) -> int:
    """SENDING for too long: the sender died mid-send and the outcome is unknown, so it is not sent twice."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with runtime.unit_of_work() as uow:
        result = uow.session.execute(
            update(Delivery)
            .where(Delivery.status == domain.SENDING, Delivery.updated_at <= cutoff)
            .values(status=domain.TECHNICAL_FAILURE, updated_at=utcnow(),
                    failure_reason="发送超时：发送进程中断，结果未知，为免重复不再重发"))
        uow.commit()
    return result.rowcount


# ---- search ----

@dataclass(frozen=True)
class DeliveryQuery:
    recipient: str = ""
    template: str = ""
    status: str = ""
    channel: str = ""
    system: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[Delivery]
    next_page_token: str
    total_size: int


def list_deliveries(runtime: NotifyRuntime, query: DeliveryQuery) -> DeliveryPage:
    """The platform admin sees everything; staff see the deliveries of the systems they work in."""
    caller = require_authenticated()
    conditions = []
    if not caller.has_role("PLATFORM_ADMIN"):
        if caller.kind != "STAFF" and not caller.has_role("STAFF"):
            raise PermissionDenied("仅平台管理员和业务人员可以查询发送记录", reason="ROLE_REQUIRED")
        systems = sorted(caller.scopes)
        if not systems:
            raise PermissionDenied("当前账号未获得任何业务系统的授权", reason="SCOPE_REQUIRED")
        conditions.append(Delivery.system.in_(systems))
    page = PageRequest.parse(query.page_size, query.page_token, maximum=100)
    if query.recipient:
        conditions.append(or_(Delivery.recipient == query.recipient, Delivery.account_id == query.recipient))
    for column, value in ((Delivery.template, query.template), (Delivery.status, query.status),
                          (Delivery.channel, query.channel), (Delivery.system, query.system)):
        if value:
            conditions.append(column == value)
    if query.created_after:
        conditions.append(Delivery.created_at >= query.created_after)
    if query.created_before:
        conditions.append(Delivery.created_at < query.created_before)
    where = and_(*conditions) if conditions else True
    with runtime.unit_of_work() as uow:
        total = uow.session.execute(select(func.count()).select_from(Delivery).where(where)).scalar_one()
        rows = list(uow.session.execute(select(Delivery).where(where)
                                        .order_by(Delivery.created_at.desc(), Delivery.id)
                                        .offset(page.offset).limit(page.size)).scalars())
        uow.session.expunge_all()
    return DeliveryPage(rows, page.next_token(total), total)


def visible_body(runtime: NotifyRuntime, delivery: Delivery) -> str:
    """Outside dev and test a verification code is not shown back, even to an admin."""
    if runtime.context.settings.environment == "prod" and ".verification_code." in delivery.template:
        return "（验证码内容不予显示）"
    return delivery.body

