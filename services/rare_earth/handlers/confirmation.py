"""Bottom-up confirmation of received quotas (manual §7.1): confirm, modify, delete, yearly statistics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, Conflict, FailedPrecondition, InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.chassis.uow import UnitOfWork
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.quota import (
    PLAN_KINDS,
    check_quota,
    confirmation_status,
    refuse_trade_enterprise,
    tonnes,
    validate_year_batch,
)
from services.rare_earth.domain.states import QUOTA_CONFIRMATION
from services.rare_earth.handlers.access import require_approved_enterprise
from services.rare_earth.models import ConfirmationLine, Enterprise, PlanConfirmation, QuotaAllocation


@dataclass(frozen=True)
class ConfirmationView:
    confirmation: PlanConfirmation
    lines: list[ConfirmationLine]


@dataclass(frozen=True)
class KindTotals:
    kind: str
    allocated: Decimal
    confirmed: Decimal
    confirmed_batches: int


@dataclass(frozen=True)
class Statistics:
    enterprise_id: str
    year: int
    kinds: list[KindTotals]


def _corrections(quotas: list[tuple[str, Decimal]], allowed: set[str]) -> dict[str, Decimal]:
    violations = Violations()
    corrected: dict[str, Decimal] = {}
    for index, (allocation_id, value) in enumerate(quotas):
        quota = check_quota(value, f"quotas[{index}].quota", violations)
        if allocation_id not in allowed:
            violations.add(f"quotas[{index}].allocationId", "该指标不属于本年度批次分配给本单位的指标")
        elif allocation_id in corrected:
            violations.add(f"quotas[{index}].allocationId", "同一指标重复出现")
        corrected[allocation_id] = quota
    violations.raise_if_any("确认的指标有误")
    return corrected


def _apply(uow: UnitOfWork, me: Enterprise, allocation: QuotaAllocation, line: ConfirmationLine, confirmed: Decimal,
           year: int, batch: int) -> None:
    """Set a line's figure; a figure that differs from the allocation is flagged to the allocating unit."""
    previous = line.confirmed_quota
    line.allocated_quota = allocation.quota
    line.confirmed_quota = confirmed
    line.mismatch = confirmed != allocation.quota
    _set_confirmed(allocation, confirmed)
    if line.mismatch and previous != confirmed and allocation.allocating_enterprise_id:
        allocator = uow.session.get(Enterprise, allocation.allocating_enterprise_id)
        uow.publish(events.notice_to_organization("rare_earth.plan_confirmation.mismatch", allocator.organization_id, {
            "enterpriseName": me.enterprise_name, "year": year, "batch": batch, "kind": PLAN_KINDS[allocation.kind],
            "allocatedQuota": tonnes(allocation.quota), "confirmedQuota": tonnes(confirmed)}))


def _set_confirmed(allocation: QuotaAllocation, confirmed: Decimal | None) -> None:
    """Record what the enterprise confirmed of an allocation (None: nothing any more)."""
    allocation.confirmed_quota = confirmed
    QUOTA_CONFIRMATION.move(allocation, confirmation_status(allocation.quota, confirmed),
                            attribute="confirmation_status")
    allocation.updated_at = utcnow()


def _received(session: Session, me: Enterprise, year: int, batch: int) -> list[QuotaAllocation]:
    return list(session.scalars(select(QuotaAllocation).where(
        QuotaAllocation.enterprise_id == me.id, QuotaAllocation.year == year, QuotaAllocation.batch == batch)
        .order_by(QuotaAllocation.kind).with_for_update()))


def _lines(session: Session, confirmation_id: str) -> list[ConfirmationLine]:
    return list(session.scalars(select(ConfirmationLine).where(ConfirmationLine.confirmation_id == confirmation_id)
                                .order_by(ConfirmationLine.kind)))


def create_confirmation(context: RareEarthContext, year: int, batch: int,
                        quotas: list[tuple[str, Decimal]]) -> ConfirmationView:
    violations = Violations()
    validate_year_batch(year, batch, violations)
    violations.raise_if_any("请选择确认生产计划的年份和批次")
    with context.unit_of_work() as uow:
        caller, me = require_approved_enterprise(uow.session)
        refuse_trade_enterprise(me.enterprise_type)
        allocations = _received(uow.session, me, year, batch)
        if not allocations:
            raise FailedPrecondition(f"{year}年第{batch}批没有分配给本单位的指标", reason="NO_ALLOCATION")
        corrected = _corrections(quotas, {a.id for a in allocations})
        if uow.session.scalar(select(PlanConfirmation.id).where(
                PlanConfirmation.enterprise_id == me.id, PlanConfirmation.year == year,
                PlanConfirmation.batch == batch)):
            raise AlreadyExists(f"{year}年第{batch}批计划已确认：如需调整请修改或删除后重新确认",
                                reason="CONFIRMATION_EXISTS")
        now = utcnow()
        confirmation = PlanConfirmation(enterprise_id=me.id, year=year, batch=batch, created_by=caller.account_id,
                                        created_at=now, updated_at=now)
        uow.session.add(confirmation)
        uow.session.flush()
        lines = []
        for allocation in allocations:
            line = ConfirmationLine(confirmation_id=confirmation.id, allocation_id=allocation.id,
                                    kind=allocation.kind, mismatch=False)
            _apply(uow, me, allocation, line, corrected.get(allocation.id, allocation.quota), year, batch)
            uow.session.add(line)
            lines.append(line)
        uow.commit(on_integrity_error=lambda _e: Conflict(f"{year}年第{batch}批计划已确认",
                                                          reason="CONCURRENT_CHANGE"))
        return ConfirmationView(confirmation, lines)


def _mine(session: Session, me: Enterprise, confirmation_id: str) -> PlanConfirmation:
    confirmation = session.get(PlanConfirmation, confirmation_id, with_for_update=True)
    if confirmation is None or confirmation.enterprise_id != me.id:
        # Another enterprise's record is as absent as one that never was.
        raise NotFound("计划确认记录不存在", reason="CONFIRMATION_NOT_FOUND")
    return confirmation


def update_confirmation(context: RareEarthContext, confirmation_id: str,
                        quotas: list[tuple[str, Decimal]]) -> ConfirmationView:
    if not quotas:
        raise InvalidArgument.for_field("quotas", "请填写要修改的指标")
    with context.unit_of_work() as uow:
        _caller, me = require_approved_enterprise(uow.session)
        refuse_trade_enterprise(me.enterprise_type)
        confirmation = _mine(uow.session, me, confirmation_id)
        lines = {line.allocation_id: line for line in _lines(uow.session, confirmation.id)}
        corrected = _corrections(quotas, set(lines))
        for allocation_id, quota in corrected.items():
            allocation = uow.session.get(QuotaAllocation, allocation_id, with_for_update=True)
            _apply(uow, me, allocation, lines[allocation_id], quota, confirmation.year, confirmation.batch)
        confirmation.updated_at = utcnow()
        uow.commit()
        return ConfirmationView(confirmation, sorted(lines.values(), key=lambda line: line.kind))


def delete_confirmation(context: RareEarthContext, confirmation_id: str) -> None:
    with context.unit_of_work() as uow:
        _caller, me = require_approved_enterprise(uow.session)
        refuse_trade_enterprise(me.enterprise_type)
        confirmation = _mine(uow.session, me, confirmation_id)
        for line in _lines(uow.session, confirmation.id):
            _set_confirmed(uow.session.get(QuotaAllocation, line.allocation_id, with_for_update=True), None)
            uow.session.delete(line)
        uow.session.delete(confirmation)
        uow.commit()


def list_confirmations(context: RareEarthContext, year: int, batch: int, page_size: int,
                       page_token: str) -> Page[ConfirmationView]:
    with context.unit_of_work(read_only=True) as uow:
        _caller, me = require_approved_enterprise(uow.session)
        refuse_trade_enterprise(me.enterprise_type)
        query = select(PlanConfirmation).where(PlanConfirmation.enterprise_id == me.id)
        if year:
            query = query.where(PlanConfirmation.year == year)
        if batch:
            query = query.where(PlanConfirmation.batch == batch)
        page = paginate(uow.session, query.order_by(PlanConfirmation.year.desc(), PlanConfirmation.batch.desc()),
                        page_size, page_token)
        views = [ConfirmationView(c, _lines(uow.session, c.id)) for c in page.items]
        return Page(views, page.next_page_token, page.total_size)


def statistics(context: RareEarthContext, year: int) -> Statistics:
    violations = Violations()
    validate_year_batch(year, 1, violations)
    violations.raise_if_any("请选择统计年份")
    with context.unit_of_work(read_only=True) as uow:
        _caller, me = require_approved_enterprise(uow.session)
        refuse_trade_enterprise(me.enterprise_type)
        allocated: dict[str, Decimal] = defaultdict(Decimal)
        confirmed: dict[str, Decimal] = defaultdict(Decimal)
        batches: dict[str, set[int]] = defaultdict(set)
        for allocation in uow.session.scalars(select(QuotaAllocation).where(
                QuotaAllocation.enterprise_id == me.id, QuotaAllocation.year == year)):
            allocated[allocation.kind] += allocation.quota
            if allocation.confirmed_quota is not None:
                confirmed[allocation.kind] += allocation.confirmed_quota
                batches[allocation.kind].add(allocation.batch)
        kinds = [KindTotals(kind, allocated[kind], confirmed[kind], len(batches[kind]))
                 for kind in PLAN_KINDS if kind in allocated]
        return Statistics(me.id, year, kinds)
