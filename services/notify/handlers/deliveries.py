"""Sending one delivery, provider receipts, the stuck-delivery jobs, and the search of what was sent.

Every status change is one guarded UPDATE (``WHERE status IN (the states it may come from)``),
so two workers never send one delivery and a late receipt never reopens a final state.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import InvalidArgument, PermissionDenied, Unauthenticated
from services.chassis.paging import PageRequest
from services.chassis.uow import UnitOfWork
from services.notify import domain, queues
from services.notify.handlers.common import DeliveryTask
from services.notify.models import Delivery
from services.notify.providers import PermanentFailure, TemporaryFailure
from services.notify.runtime import NotifyRuntime

log = logging.getLogger(__name__)

SENT_OUTCOME = "SENT"
RETRY_OUTCOME = "RETRY"
PARK_OUTCOME = "PARK"
SKIPPED_OUTCOME = "SKIPPED"

_DELIVERIES = Delivery.__table__


@dataclass(frozen=True)
class _Claimed:
    id: str
    channel: str
    recipient: str
    subject: str
    body: str
    attempts: int
    priority: str


def claim(session: Session, tasks: Sequence[DeliveryTask]) -> list[_Claimed]:
    """CREATED or TEMPORARY_FAILURE -> SENDING for the tasks still at the attempt they were made for.

    One guarded ``UPDATE ... RETURNING`` per attempt number: a delivery another worker claimed,
    or a stale task, is simply not returned.
    """
    by_attempt: dict[int, list[str]] = {}
    for task in tasks:
        by_attempt.setdefault(task.attempt, []).append(task.delivery_id)
    now = utcnow()
    claimed: list[_Claimed] = []
    for attempt, ids in sorted(by_attempt.items()):
        rows = session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_(sorted(set(ids))), _DELIVERIES.c.status.in_(domain.sources_of(domain.SENDING)),
                   _DELIVERIES.c.attempts == attempt)
            .values(status=domain.SENDING, attempts=_DELIVERIES.c.attempts + 1, next_attempt_at=None, updated_at=now)
            .returning(_DELIVERIES.c.id, _DELIVERIES.c.channel, _DELIVERIES.c.recipient, _DELIVERIES.c.subject,
                       _DELIVERIES.c.body, _DELIVERIES.c.attempts, _DELIVERIES.c.priority)).all()
        claimed += [_Claimed(*row) for row in rows]
    return claimed


def send_batch(runtime: NotifyRuntime, uow: UnitOfWork, tasks: Sequence[DeliveryTask]) -> dict[str, int]:
    """Claim, send and record a batch of deliveries; returns how many ended each way.

    The claim is committed before any provider is called, so a worker that dies mid-send
    leaves SENDING (timed out later, never sent twice) rather than a delivery to send again.
    The outcomes, the retries and the parked deliveries are left on ``uow`` for the caller's commit.
    """
    claimed = claim(uow.session, tasks)
    uow.commit()
    counts = {SKIPPED_OUTCOME: len({t.delivery_id for t in tasks}) - len(claimed)}
    sent: list[dict] = []
    failed: list[dict] = []
    retries: dict[tuple[str, float], list[DeliveryTask]] = {}
    parked: list[tuple[DeliveryTask, str]] = []
    for delivery in claimed:
        provider = runtime.providers.get(delivery.channel)
        try:
            if provider is None:
                raise PermanentFailure(f"渠道 {delivery.channel} 没有可用的发送服务")
            reference = provider.send(delivery.recipient, delivery.subject, delivery.body)
        except TemporaryFailure as exc:
            if delivery.attempts >= runtime.settings.max_attempts:
                reason = f"已尝试 {delivery.attempts} 次仍失败：{exc}"
                failed.append(_failure(delivery, domain.PERMANENT_FAILURE, reason))
                parked.append((_task(delivery), reason))
                continue
            delay = domain.retry_delay(delivery.attempts, runtime.settings.retry_base_seconds)
            failed.append(_failure(delivery, domain.TEMPORARY_FAILURE, str(exc),
                                   next_attempt_at=utcnow() + timedelta(seconds=delay)))
            retries.setdefault((delivery.priority, delay), []).append(_task(delivery))
            continue
        except PermanentFailure as exc:
            failed.append(_failure(delivery, domain.PERMANENT_FAILURE, str(exc)))
            parked.append((_task(delivery), str(exc)))
            continue
        except Exception as exc:
            log.exception("provider %s crashed on delivery %s", delivery.channel, delivery.id)
            reason = f"发送异常：{exc.__class__.__name__}: {exc}"
            failed.append(_failure(delivery, domain.TECHNICAL_FAILURE, reason))
            parked.append((_task(delivery), reason))
            continue
        sent.append({"b_id": delivery.id, "b_sent_at": utcnow(), "b_reference": reference})
    now = utcnow()
    if sent:
        uow.session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id == bindparam("b_id"), _status_in(domain.sources_of(domain.SENT)))
            .values(status=domain.SENT, sent_at=bindparam("b_sent_at"), provider_reference=bindparam("b_reference"),
                    failure_reason=None, updated_at=now), sent)
    for target in {f["b_status"] for f in failed}:
        uow.session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id == bindparam("b_id"), _status_in(domain.sources_of(target)))
            .values(status=target, failure_reason=bindparam("b_reason"), next_attempt_at=bindparam("b_next"),
                    updated_at=now),
            [f for f in failed if f["b_status"] == target])
    for (_priority, delay), waiting in retries.items():
        uow.publish(*queues.retry_message(waiting, delay))
    for task, reason in parked:
        log.warning("delivery %s failed for good: %s", task.delivery_id, reason)
        uow.publish(queues.parked_message(task, reason))
    counts[SENT_OUTCOME] = len(sent)
    counts[RETRY_OUTCOME] = sum(len(waiting) for waiting in retries.values())
    counts[PARK_OUTCOME] = len(parked)
    return counts


def _status_in(statuses: Sequence[str]):
    # Written out rather than bound: an expanding IN cannot be part of an executemany.
    return _DELIVERIES.c.status.in_([literal_column(f"'{status}'") for status in statuses])


def _task(delivery: _Claimed) -> DeliveryTask:
    return DeliveryTask(delivery.id, delivery.attempts, delivery.priority)


def _failure(delivery: _Claimed, status: str, reason: str, next_attempt_at: datetime | None = None) -> dict:
    return {"b_id": delivery.id, "b_status": status, "b_reason": reason[:2000], "b_next": next_attempt_at}


def send_now(runtime: NotifyRuntime, tasks: Sequence[DeliveryTask]) -> dict[str, int]:
    """Send in this process, in batches, each its own unit of work (the jobs without a broker)."""
    totals: dict[str, int] = {}
    for start in range(0, len(tasks), queues.TASK_BATCH):
        with runtime.unit_of_work() as uow:
            counts = send_batch(runtime, uow, tasks[start:start + queues.TASK_BATCH])
            uow.commit()
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
    return totals


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

