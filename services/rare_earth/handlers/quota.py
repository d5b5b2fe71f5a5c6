"""Production quota plans (manual §6): issued by the office, allocated down the group chain.

The over-allocation guard is one conditional UPDATE on the allocating unit's row
(``allocated_quota + q <= quota``): PostgreSQL row-locks it, so concurrent
allocations from one parent queue behind each other and each re-checks the sum
against the committed figure; SQLite's BEGIN IMMEDIATE serialises writers anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violations,
)
from services.chassis.messages import OutboundMessage
from services.chassis.paging import Page, paginate
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.agencies import OFFICE
from services.rare_earth.domain.enterprises import PARENT_TYPES
from services.rare_earth.domain.quota import (
    OFFICE_UNIT,
    PLAN_KINDS,
    check_quota,
    confirmation_status,
    refuse_trade_enterprise,
    tonnes,
    validate_year_batch,
)
from services.rare_earth.domain.states import QUOTA_CONFIRMATION, UNCONFIRMED
from services.rare_earth.handlers.access import (
    Viewer,
    approved_enterprise,
    check_party,
    enterprise_names,
    is_approved_parent,
    require_staff,
    require_viewer,
    visible_records,
)
from services.rare_earth.models import AllocationRecord, Enterprise, QuotaAllocation, QuotaPlan


@dataclass(frozen=True)
class AllocationView:
    allocation: QuotaAllocation
    enterprise_name: str
    allocating_unit: str


@dataclass(frozen=True)
class RecordView:
    record: AllocationRecord
    allocating_unit: str
    receiving_unit: str


@dataclass(frozen=True)
class PlanView:
    plan: QuotaPlan
    allocations: list[AllocationView]


def _unit(names: dict[str, str], allocating_enterprise_id: str | None) -> str:
    """The allocating unit's name: the parent's, or the office's when the office allocated."""
    return names.get(allocating_enterprise_id, "") if allocating_enterprise_id else OFFICE_UNIT


def allocation_views(session: Session, allocations: list[QuotaAllocation]) -> list[AllocationView]:
    names = enterprise_names(session, [a.enterprise_id for a in allocations]
                             + [a.allocating_enterprise_id for a in allocations])
    return [AllocationView(a, names.get(a.enterprise_id, ""), _unit(names, a.allocating_enterprise_id))
            for a in allocations]


def _receiver(session: Session, enterprise_id: str, field: str, violations: Violations) -> Enterprise | None:
    enterprise = approved_enterprise(session, enterprise_id)
    if enterprise is None:
        violations.add(field, "接收指标的企业不存在或尚未通过注册审核")
    return enterprise


def _grant(session: Session, plan: QuotaPlan, receiver: Enterprise, quota: Decimal, source: QuotaAllocation | None,
           allocator: Enterprise | None, account_id: str) -> tuple[QuotaAllocation, OutboundMessage]:
    """Add ``quota`` to what ``receiver`` holds of ``plan`` and record the act; answers the holding and its notice."""
    now = utcnow()
    source_id = source.id if source else None
    holding = session.scalars(select(QuotaAllocation).where(QuotaAllocation.plan_id == plan.id,
                                                            QuotaAllocation.enterprise_id == receiver.id)
                              .with_for_update()).first()
    if holding is None:
        holding = QuotaAllocation(plan_id=plan.id, year=plan.year, batch=plan.batch, kind=plan.kind,
                                  enterprise_id=receiver.id, source_allocation_id=source_id,
                                  allocating_enterprise_id=allocator.id if allocator else None, quota=quota,
                                  allocated_quota=Decimal("0.000"), confirmation_status=UNCONFIRMED,
                                  created_at=now, updated_at=now)
        session.add(holding)
    elif holding.source_allocation_id != source_id:
        raise FailedPrecondition("该企业已从其他单位获得本计划的指标，不能重复分配", reason="ALLOCATED_ELSEWHERE")
    else:
        holding.quota = holding.quota + quota
        QUOTA_CONFIRMATION.move(holding, confirmation_status(holding.quota, holding.confirmed_quota),
                                attribute="confirmation_status")
        holding.updated_at = now
    session.flush()
    session.add(AllocationRecord(plan_id=plan.id, allocation_id=holding.id, source_allocation_id=source_id,
                                 allocating_enterprise_id=allocator.id if allocator else None,
                                 receiving_enterprise_id=receiver.id, quota=quota, allocated_by=account_id,
                                 allocated_at=now))
    notice = events.notice_to_organization("rare_earth.quota.allocated", receiver.organization_id, {
        "enterpriseName": receiver.enterprise_name,
        "allocatingUnit": allocator.enterprise_name if allocator else OFFICE_UNIT,
        "year": plan.year, "batch": plan.batch, "kind": PLAN_KINDS[plan.kind], "quota": tonnes(quota)})
    return holding, notice


def create_quota_plan(context: RareEarthContext, year: int, batch: int, kind: str,
                      allocations: list[tuple[str, Decimal]]) -> PlanView:
    staff = require_staff(OFFICE)
    violations = Violations()
    validate_year_batch(year, batch, violations)
    if kind not in PLAN_KINDS:
        violations.add("kind", "请选择计划类型：开采或冶炼分离")
    with context.unit_of_work() as uow:
        session = uow.session
        receivers: list[tuple[Enterprise, Decimal]] = []
        seen: set[str] = set()
        for index, (enterprise_id, value) in enumerate(allocations):
            field = f"allocations[{index}]"
            quota = check_quota(value, f"{field}.quota", violations)
            receiver = _receiver(session, enterprise_id, f"{field}.enterpriseId", violations)
            if receiver is None:
                continue
            if receiver.enterprise_type not in PARENT_TYPES:
                violations.add(f"{field}.enterpriseId", "生产总量控制计划只下达给集团和一级公司")
            elif receiver.id in seen:
                violations.add(f"{field}.enterpriseId", "同一企业在计划中重复出现")
            seen.add(receiver.id)
            receivers.append((receiver, quota))
        violations.raise_if_any("计划信息有误")
        if session.scalar(select(QuotaPlan.id).where(QuotaPlan.year == year, QuotaPlan.batch == batch,
                                                     QuotaPlan.kind == kind)):
            raise AlreadyExists(f"{year}年第{batch}批{PLAN_KINDS[kind]}计划已下达，请在该计划下追加分配",
                                reason="QUOTA_PLAN_EXISTS")
        plan = QuotaPlan(year=year, batch=batch, kind=kind, created_by=staff.caller.account_id)
        session.add(plan)
        session.flush()
        holdings = []
        for receiver, quota in receivers:
            holding, notice = _grant(session, plan, receiver, quota, None, None, staff.caller.account_id)
            holdings.append(holding)
            uow.publish(notice)
        uow.commit(on_integrity_error=lambda _e: Conflict(f"{year}年第{batch}批计划已下达",
                                                          reason="CONCURRENT_CHANGE"))
        return PlanView(plan, allocation_views(session, holdings))


def list_quota_plans(context: RareEarthContext, year: int, batch: int, page_size: int,
                     page_token: str) -> Page[PlanView]:
    require_staff(OFFICE)
    query = select(QuotaPlan)
    if year:
        query = query.where(QuotaPlan.year == year)
    if batch:
        query = query.where(QuotaPlan.batch == batch)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query.order_by(QuotaPlan.year.desc(), QuotaPlan.batch.desc(), QuotaPlan.kind),
                        page_size, page_token)
        plans = []
        for plan in page.items:
            office_allocations = list(uow.session.scalars(
                select(QuotaAllocation).where(QuotaAllocation.plan_id == plan.id,
                                              QuotaAllocation.source_allocation_id.is_(None))
                .order_by(QuotaAllocation.created_at)))
            plans.append(PlanView(plan, allocation_views(uow.session, office_allocations)))
        return Page(plans, page.next_page_token, page.total_size)


def _source_of(session: Session, viewer: Viewer, plan: QuotaPlan, receiver: Enterprise,
               quota: Decimal) -> QuotaAllocation | None:
    """What the allocating unit hands on from (None: the office, which issues), taken from it already."""
    if viewer.staff is not None:
        if not viewer.staff.is_office:
            raise PermissionDenied("只有稀土办可以下达计划指标", reason="OFFICE_ONLY")
        if receiver.enterprise_type not in PARENT_TYPES:
            raise InvalidArgument.for_field("toEnterpriseId", "稀土办只向集团和一级公司下达计划指标")
        return None
    allocator = viewer.enterprise
    if allocator.enterprise_type not in PARENT_TYPES:
        raise PermissionDenied("只有集团和一级公司可以向下级企业分配指标", reason="PARENT_ONLY")
    if not is_approved_parent(session, allocator.id, receiver.id):
        raise FailedPrecondition("只能向隶属关系已审核通过的下级企业分配指标", reason="NOT_A_SUBSIDIARY")
    refuse_trade_enterprise(receiver.enterprise_type)
    source = session.scalars(select(QuotaAllocation).where(QuotaAllocation.plan_id == plan.id,
                                                           QuotaAllocation.enterprise_id == allocator.id)).first()
    if source is None:
        raise FailedPrecondition("本单位未获得该计划的指标，无法分配", reason="NO_QUOTA_TO_ALLOCATE")
    _take_from(session, source, quota)
    return source


def allocate_quota(context: RareEarthContext, plan_id: str, to_enterprise_id: str, value: Decimal) -> AllocationView:
    violations = Violations()
    quota = check_quota(value, "quota", violations)
    if not to_enterprise_id:
        violations.add("toEnterpriseId", "请选择接收指标的企业")
    violations.raise_if_any("分配信息有误")
    with context.unit_of_work() as uow:
        session = uow.session
        viewer = require_viewer(session)
        plan = session.get(QuotaPlan, plan_id)
        if plan is None:
            raise NotFound("生产总量控制计划不存在", reason="QUOTA_PLAN_NOT_FOUND")
        receiver = _receiver(session, to_enterprise_id, "toEnterpriseId", violations)
        violations.raise_if_any("分配信息有误")
        source = _source_of(session, viewer, plan, receiver, quota)
        holding, notice = _grant(session, plan, receiver, quota, source, viewer.enterprise if source else None,
                                 viewer.caller.account_id)
        uow.publish(notice)
        uow.commit()
        session.refresh(holding)
        return allocation_views(session, [holding])[0]


def _take_from(session: Session, source: QuotaAllocation, quota: Decimal) -> None:
    taken = session.execute(
        update(QuotaAllocation)
        .where(QuotaAllocation.id == source.id, QuotaAllocation.allocated_quota + quota <= QuotaAllocation.quota)
        .values(allocated_quota=QuotaAllocation.allocated_quota + quota, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.refresh(source)
        remaining = tonnes(source.quota - source.allocated_quota)
        raise FailedPrecondition(f"分配指标超过本单位剩余可分配指标（剩余{remaining}吨）",
                                 reason="QUOTA_EXCEEDED", metadata={"remainingQuota": remaining})


def list_quota_allocations(context: RareEarthContext, year: int, batch: int, side: str, page_size: int,
                           page_token: str) -> Page[AllocationView]:
    if side not in ("", "received", "allocated"):
        raise InvalidArgument.for_field("as", "as 只能是 received 或 allocated")
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        query = visible_records(viewer, select(QuotaAllocation), QuotaAllocation.enterprise_id,
                                QuotaAllocation.allocating_enterprise_id, as_counterpart=side == "allocated")
        if year:
            query = query.where(QuotaAllocation.year == year)
        if batch:
            query = query.where(QuotaAllocation.batch == batch)
        query = query.order_by(QuotaAllocation.year.desc(), QuotaAllocation.batch.desc(), QuotaAllocation.created_at,
                               QuotaAllocation.id)
        page = paginate(uow.session, query, page_size, page_token)
        return Page(allocation_views(uow.session, page.items), page.next_page_token, page.total_size)


def list_allocation_records(context: RareEarthContext, allocation_id: str, page_size: int,
                            page_token: str) -> Page[RecordView]:
    """How the quota reached this allocation, and every act that handed part of it on."""
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        viewer = require_viewer(session)
        allocation = session.get(QuotaAllocation, allocation_id)
        missing = NotFound("指标分配不存在", reason="ALLOCATION_NOT_FOUND")
        if allocation is None:
            raise missing
        check_party(session, viewer, allocation.enterprise_id, allocation.allocating_enterprise_id, missing)
        query = (select(AllocationRecord)
                 .where(or_(AllocationRecord.allocation_id == allocation.id,
                            AllocationRecord.source_allocation_id == allocation.id))
                 .order_by(AllocationRecord.allocated_at, AllocationRecord.id))
        page = paginate(session, query, page_size, page_token)
        names = enterprise_names(session, [r.receiving_enterprise_id for r in page.items]
                                 + [r.allocating_enterprise_id for r in page.items])
        views = [RecordView(r, _unit(names, r.allocating_enterprise_id), names.get(r.receiving_enterprise_id, ""))
                 for r in page.items]
        return Page(views, page.next_page_token, page.total_size)
