"""Sending deliveries, provider receipts, the stuck-delivery jobs, and the search of what was sent.

Every status change goes through ``domain.DELIVERY`` as one guarded UPDATE (``WHERE status IN
(the states it may come from)``), so two workers never send one delivery and a late receipt
never reopens a final state. Sending is two units of work with the provider calls between:
the claim (CREATED or TEMPORARY_FAILURE -> SENDING) commits before any provider is called, so
a worker that dies mid-send leaves SENDING (timed out later, never sent twice); the outcomes
commit after.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, or_, select
from sqlalchemy.orm import Session

from services.chassis.auth import require_authenticated
from services.chassis.db import is_postgresql, utcnow
from services.chassis.errors import InvalidArgument, PermissionDenied
from services.chassis.paging import Page, paginate
from services.notify import domain, events
from services.notify.bulk import among, unnested
from services.notify.context import NotifyContext
from services.notify.events import DeliveryTask
from services.notify.models import Delivery
from services.notify.providers import Outcome, PermanentFailure, TemporaryFailure, send_batch

log = logging.getLogger(__name__)

SENT_OUTCOME = "SENT"
RETRY_OUTCOME = "RETRY"
PARK_OUTCOME = "PARK"
SKIPPED_OUTCOME = "SKIPPED"


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker moved to SENDING: what it needs to send it, and its attempt now."""

    id: str
    channel: str
    recipient: str
    subject: str
    body: str
    attempts: int
    priority: str

    @property
    def task(self) -> DeliveryTask:
        return DeliveryTask(self.id, self.attempts, self.priority)


@dataclass(frozen=True)
class Claim:
    """A batch of tasks and the deliveries of it this worker holds (the others were claimed or moved on)."""

    tasks: Sequence[DeliveryTask]
    claimed: Sequence[Claimed]

    @property
    def skipped(self) -> int:
        return len({t.delivery_id for t in self.tasks}) - len(self.claimed)


def claim(session: Session, tasks: Sequence[DeliveryTask]) -> Claim:
    """CREATED or TEMPORARY_FAILURE -> SENDING for the tasks still at the attempt they were made for.

    On the caller's unit of work. One guarded UPDATE per attempt number answers the rows it moved;
    a delivery another worker claimed first, or a stale task, is left alone and so is not among them.
    """
    by_attempt: dict[int, set[str]] = {}
    for task in tasks:
        by_attempt.setdefault(task.attempt, set()).add(task.delivery_id)
    now = utcnow()
    claimed: list[Claimed] = []
    for attempt, ids in sorted(by_attempt.items()):
        rows = domain.DELIVERY.update_returning(
            session, Delivery, domain.SENDING, among(session, Delivery.id, sorted(ids)), Delivery.attempts == attempt,
            returning=[Delivery.id, Delivery.channel, Delivery.recipient, Delivery.subject, Delivery.body,
                       Delivery.attempts, Delivery.priority],
            attempts=Delivery.attempts + 1, next_attempt_at=None, updated_at=now)
        claimed += sorted((Claimed(*row) for row in rows), key=lambda c: c.id)
    return Claim(tasks, claimed)


def claim_now(context: NotifyContext, tasks: Sequence[DeliveryTask]) -> Claim:
    """:func:`claim` in a unit of work of its own (a code sent by the worker that accepted it)."""
    with context.unit_of_work() as uow:
        held = claim(uow.session, tasks)
        uow.commit()
    return held


@dataclass(frozen=True)
class _Outcome:
    delivery: Claimed
    status: str
    reference: str | None = None
    reason: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


def _attempts(context: NotifyContext, claimed: Sequence[Claimed]) -> list[_Outcome]:
    """Hand the claimed deliveries to their providers, a batch per channel; each outcome says where it goes next."""
    by_channel: dict[str, list[Claimed]] = {}
    for delivery in claimed:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    outcomes: dict[str, _Outcome] = {}
    for channel, group in by_channel.items():
        provider = context.providers.for_channel(channel)
        results: Sequence[Outcome] = (
            send_batch(provider, [(d.recipient, d.subject, d.body) for d in group]) if provider is not None
            else [PermanentFailure(f"渠道 {channel} 没有可用的发送服务")] * len(group))
        for delivery, result in zip(group, results, strict=True):
            outcomes[delivery.id] = _outcome(context, delivery, result)
    return [outcomes[delivery.id] for delivery in claimed]


def _outcome(context: NotifyContext, delivery: Claimed, result: Outcome) -> _Outcome:
    settings = context.config
    if isinstance(result, TemporaryFailure):
        if delivery.attempts >= settings.max_attempts:
            return _Outcome(delivery, domain.PERMANENT_FAILURE,
                            reason=f"已尝试 {delivery.attempts} 次仍失败：{result}")
        delay = domain.retry_delay(delivery.attempts, settings.retry_base_seconds)
        return _Outcome(delivery, domain.TEMPORARY_FAILURE, reason=str(result),
                        next_attempt_at=utcnow() + timedelta(seconds=delay))
    if isinstance(result, PermanentFailure):
        return _Outcome(delivery, domain.PERMANENT_FAILURE, reason=str(result))
    if isinstance(result, Exception):
        log.error("provider %s crashed on delivery %s", delivery.channel, delivery.id, exc_info=result)
        return _Outcome(delivery, domain.TECHNICAL_FAILURE,
                        reason=f"发送异常：{result.__class__.__name__}: {result}")
    return _Outcome(delivery, domain.SENT, reference=result, sent_at=utcnow())


def _per_row(column: Any, values: Mapping[str, Any]) -> Any:
    """``CASE id WHEN ... THEN ... END``: one UPDATE gives each row its own value (a reference, a reason)."""
    return case({key: literal(value, column.type) for key, value in values.items()}, value=Delivery.id)


def _record(session: Session, outcomes: Sequence[_Outcome], now: datetime) -> None:
    """One guarded UPDATE per status reached, each row given its own values: on PostgreSQL from the page of
    outcomes joined as arrays (bulk.unnested), elsewhere through a CASE on the id."""
    postgresql = is_postgresql(session.get_bind())
    for status in {o.status for o in outcomes}:
        reached = {o.delivery.id: o for o in outcomes if o.status == status}
        if status == domain.SENT:
            own = {"sent_at": {i: o.sent_at for i, o in reached.items()},
                   "provider_reference": {i: o.reference for i, o in reached.items()}}
        else:
            own = {"failure_reason": {i: (o.reason or "")[:2000] for i, o in reached.items()}}
            if status == domain.TEMPORARY_FAILURE:
                own["next_attempt_at"] = {i: o.next_attempt_at for i, o in reached.items()}
        values: dict[str, Any] = {"updated_at": now}
        if status == domain.SENT:
            values["failure_reason"] = None
        elif status != domain.TEMPORARY_FAILURE:
            values["next_attempt_at"] = None
        if postgresql:
            page = unnested(Delivery.__table__, [{"id": i, **{name: own[name][i] for name in own}} for i in reached])
            where = Delivery.id == page.c.id
            values.update({name: page.c[name] for name in own})
        else:
            where = Delivery.id.in_(list(reached))
            values.update({name: _per_row(getattr(Delivery, name), by_id) for name, by_id in own.items()})
        domain.DELIVERY.update(session, Delivery, status, where, **values)


def send_claimed(context: NotifyContext, held: Claim, *,
                 before_record: Callable[[], None] | None = None) -> dict[str, int]:
    """Send what was claimed, then record the outcomes, retries and parked deliveries in one unit of work.

    ``before_record`` runs between the two (a broadcast giving way to a verification code).
    """
    outcomes = _attempts(context, held.claimed)
    if before_record is not None:
        before_record()
    retries: dict[tuple[str, float], list[DeliveryTask]] = {}
    parked = [o for o in outcomes if o.status in (domain.PERMANENT_FAILURE, domain.TECHNICAL_FAILURE)]
    for o in outcomes:
        if o.status == domain.TEMPORARY_FAILURE:
            delay = domain.retry_delay(o.delivery.attempts, context.config.retry_base_seconds)
            retries.setdefault((o.delivery.priority, delay), []).append(o.delivery.task)
    if outcomes:
        with context.unit_of_work() as uow:
            _record(uow.session, outcomes, utcnow())
            for (_priority, delay), waiting in retries.items():
                uow.publish(*events.retry_message(waiting, delay))
            for o in parked:
                log.warning("delivery %s failed for good: %s", o.delivery.id, o.reason)
                uow.publish(events.parked_message(o.delivery.task, o.reason or ""))
            uow.commit()
    return {SKIPPED_OUTCOME: held.skipped, SENT_OUTCOME: sum(1 for o in outcomes if o.status == domain.SENT),
            RETRY_OUTCOME: sum(len(waiting) for waiting in retries.values()), PARK_OUTCOME: len(parked)}


def send(context: NotifyContext, tasks: Sequence[DeliveryTask]) -> dict[str, int]:
    """Claim, send and record, in batches, in this process (a code at once; the jobs without a broker)."""
    totals: dict[str, int] = {}
    for start in range(0, len(tasks), events.TASK_BATCH):
        counts = send_claimed(context, claim_now(context, tasks[start:start + events.TASK_BATCH]))
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
    return totals


# ---- receipts ----

def record_receipt(context: NotifyContext, provider_reference: str, status: str, token: str, reason: str) -> bool:
    """An SMS gateway settles a SENT message; False when it was settled already (a late receipt)."""
    expected = context.config.receipt_token
    if not expected or not hmac.compare_digest(expected.encode(), token.encode()):
        # A public route: the secret is the body's, not a login, so a wrong one is refused, not "log in first".
        raise PermissionDenied("回执令牌无效", reason="BAD_RECEIPT_TOKEN")
    if status not in domain.RECEIPT_STATUSES:
        raise InvalidArgument.for_field("status", "回执状态只能是 DELIVERED 或 PERMANENT_FAILURE")
    if not provider_reference:
        raise InvalidArgument.for_field("providerReference", "缺少发送编号")
    values: dict[str, Any] = {"updated_at": utcnow()}
    if status == domain.PERMANENT_FAILURE:
        values["failure_reason"] = reason or "运营商回执：发送失败"
    with context.unit_of_work() as uow:
        # Only a SENT delivery takes a receipt, though PERMANENT_FAILURE may also be reached from others.
        moved = domain.DELIVERY.update(uow.session, Delivery, status, Delivery.provider_reference == provider_reference,
                                       Delivery.status == domain.SENT, **values)
        uow.commit()
    return moved > 0


# ---- jobs ----

def _waiting(context: NotifyContext, status: str, clock: Any, cutoff: datetime, limit: int) -> list[DeliveryTask]:
    with context.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(Delivery.id, Delivery.attempts, Delivery.priority)
            .where(Delivery.status == status, clock <= cutoff).order_by(clock).limit(limit)).all()
    return [DeliveryTask(r.id, r.attempts, r.priority) for r in rows]


def stuck_in_created(context: NotifyContext, older_than: float, limit: int = 1000) -> list[DeliveryTask]:
    """Deliveries recorded but never picked up (their ask was lost with a process): ask again."""
    return _waiting(context, domain.CREATED, Delivery.updated_at, utcnow() - timedelta(seconds=older_than), limit)


def retries_due(context: NotifyContext, overdue_by: float, limit: int = 1000) -> list[DeliveryTask]:
    """Temporary failures whose retry time has passed by ``overdue_by`` seconds (the delay queue missed them)."""
    return _waiting(context, domain.TEMPORARY_FAILURE, Delivery.next_attempt_at,
                    utcnow() - timedelta(seconds=overdue_by), limit)


def time_out_sending(context: NotifyContext, older_than: float) -> int:
    """SENDING for too long: the sender died mid-send and the outcome is unknown, so it is not sent twice."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with context.unit_of_work() as uow:
        moved = domain.DELIVERY.update(uow.session, Delivery, domain.TECHNICAL_FAILURE,
                                       Delivery.status == domain.SENDING, Delivery.updated_at <= cutoff,
                                       updated_at=utcnow(),
                                       failure_reason="发送超时：发送进程中断，结果未知，为免重复不再重发")
        uow.commit()
    return moved


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


def list_deliveries(context: NotifyContext, query: DeliveryQuery) -> Page[Delivery]:
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
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, select(Delivery).where(*conditions).order_by(Delivery.created_at.desc(),
                                                                                  Delivery.id),
                        query.page_size, query.page_token, maximum=100)
