"""Supervision cases (manual §8): open (staff, jobs, the public), list, view, close or transfer by the holder, flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from services.chassis.auth import current_caller
from services.chassis.db import new_id, utcnow
from services.chassis.divisions import divisions, region_prefix
from services.chassis.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.chassis.messages import OutboundMessage
from services.chassis.paging import Page, paginate
from services.chassis.uow import UnitOfWork
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.agencies import LOCAL_AUTHORITY, OFFICE, OPERATOR
from services.rare_earth.domain.cases import (
    ACTION_TARGETS,
    HOLDERS,
    KINDS,
    NUMBER_PREFIX,
    OPEN_STEP,
    PLATFORM,
    STAFF_KINDS,
    check_opinion,
    check_transfer,
    holder_agencies,
)
from services.rare_earth.domain.enterprises import PHONE
from services.rare_earth.domain.states import APPROVED, CASE, CLOSED, OPEN
from services.rare_earth.domain.texts import check_text_fields
from services.rare_earth.handlers.access import (
    Viewer,
    approved_enterprise,
    in_remit,
    require_staff,
    require_viewer,
)
from services.rare_earth.models import Affiliation, CaseStep, Enterprise, SupervisionCase

AGENCY_NAMES = {OFFICE: "稀土办", OPERATOR: "运营机构"}


@dataclass(frozen=True)
class CaseView:
    case: SupervisionCase
    held_by_caller: bool


@dataclass(frozen=True)
class Opening:
    """What a new case says; the holder is always the enterprise it concerns."""

    kind: str
    enterprise: Enterprise
    description: str
    reporting_unit: str = PLATFORM
    reporting_contact: str = ""
    product_category: str = ""
    product_name: str = ""
    traceability_code: str = ""
    complaint_type: str = ""
    accepting_body: str = ""
    ledger_kind: str = ""
    month: str = ""
    dedupe_key: str | None = None
    actor_id: str = ""
    actor_body: str = PLATFORM


def _number(kind: str) -> str:
    return f"{NUMBER_PREFIX[kind]}{utcnow():%Y%m%d}{new_id()[:8].upper()}"


def open_case(uow: UnitOfWork, opening: Opening) -> SupervisionCase:
    """Add a case held by its enterprise, its first step, and the holder's notice, in the caller's unit of work."""
    enterprise = opening.enterprise
    case = SupervisionCase(
        id=new_id(), number=_number(opening.kind), kind=opening.kind, status=OPEN, dedupe_key=opening.dedupe_key,
        enterprise_id=enterprise.id, enterprise_name=enterprise.enterprise_name, uscc=enterprise.uscc,
        address=enterprise.address, reporting_unit=opening.reporting_unit[:100],
        reporting_contact=opening.reporting_contact[:60], product_category=opening.product_category,
        product_name=opening.product_name, traceability_code=opening.traceability_code,
        description=opening.description[:1000], complaint_type=opening.complaint_type,
        accepting_body=opening.accepting_body, ledger_kind=opening.ledger_kind, month=opening.month,
        holder_type="ENTERPRISE", holder_enterprise_id=enterprise.id, holder_name=enterprise.enterprise_name,
        created_at=utcnow())
    uow.session.add(case)
    uow.session.flush()
    uow.session.add(CaseStep(case_id=case.id, sequence=1, action=OPEN_STEP, actor_id=opening.actor_id,
                             actor_body=opening.actor_body, to_holder_type="ENTERPRISE",
                             to_holder_name=enterprise.enterprise_name, created_at=utcnow()))
    uow.publish(events.notice_to_organization(
        "rare_earth.case.assigned", enterprise.organization_id,
        {"caseNumber": case.number, "caseKind": KINDS[case.kind], "enterpriseName": enterprise.enterprise_name,
         "description": case.description}, channels=("IN_SITE", "SMS")))
    uow.publish(_changed(case))
    return case


def _changed(case: SupervisionCase) -> OutboundMessage:
    return events.case_changed(case.id, case.number, case.kind, case.status, case.holder_type,
                               case.holder_enterprise_id, case.holder_region)


def _body_of(viewer: Viewer) -> str:
    if viewer.enterprise is not None:
        return viewer.enterprise.enterprise_name
    staff = viewer.staff
    if staff.region:
        return f"{divisions().name_of(staff.region) or staff.region}{HOLDERS['LOCAL_AUTHORITY']}"
    return AGENCY_NAMES.get(staff.agency, staff.agency)


def _holds(viewer: Viewer, case: SupervisionCase) -> bool:
    if case.status != OPEN:
        return False
    if case.holder_type in ("ENTERPRISE", "GROUP"):
        return viewer.enterprise is not None and viewer.enterprise.id == case.holder_enterprise_id
    staff = viewer.staff
    if staff is None:
        return False
    if case.holder_type == "OPERATOR":
        return staff.is_operator
    if case.holder_type == "LOCAL_AUTHORITY":
        return bool(staff.region) and case.holder_region.startswith(region_prefix(staff.region))
    return False


def _visible_query(viewer: Viewer) -> Select[Any]:
    """An enterprise sees the cases about it and those it holds; staff the cases of their remit."""
    query = select(SupervisionCase)
    if viewer.enterprise is not None:
        me = viewer.enterprise.id
        return query.where(or_(SupervisionCase.enterprise_id == me, SupervisionCase.holder_enterprise_id == me))
    remit = in_remit(viewer.staff)
    return query if remit is None else query.where(SupervisionCase.enterprise_id.in_(remit))


def _visible(session: Session, viewer: Viewer, case_id: str, *, lock: bool = False) -> SupervisionCase:
    case = session.get(SupervisionCase, case_id, with_for_update=lock)
    if case is None or session.scalar(_visible_query(viewer).where(SupervisionCase.id == case_id)
                                      .with_only_columns(SupervisionCase.id)) is None:
        raise NotFound("异常信息不存在", reason="CASE_NOT_FOUND")
    return case


def list_cases(context: RareEarthContext, kind: str, status: str, page_size: int,
               page_token: str) -> Page[CaseView]:
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        query = _visible_query(viewer)
        if kind:
            query = query.where(SupervisionCase.kind == kind)
        if status:
            query = query.where(SupervisionCase.status == status)
        page = paginate(uow.session, query.order_by(SupervisionCase.created_at.desc(), SupervisionCase.id),
                        page_size, page_token)
        return Page([CaseView(c, _holds(viewer, c)) for c in page.items], page.next_page_token, page.total_size)


def get_case(context: RareEarthContext, case_id: str) -> CaseView:
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        case = _visible(uow.session, viewer, case_id)
        return CaseView(case, _holds(viewer, case))


def flow(context: RareEarthContext, case_id: str) -> list[CaseStep]:
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        _visible(uow.session, viewer, case_id)
        return list(uow.session.scalars(select(CaseStep).where(CaseStep.case_id == case_id)
                                        .order_by(CaseStep.sequence)))


def create_case(context: RareEarthContext, kind: str, enterprise_id: str, description: str, product_category: str,
                product_name: str, traceability_code: str) -> CaseView:
    staff = require_staff(OFFICE, OPERATOR, LOCAL_AUTHORITY)
    violations = check_text_fields({
        "description": (description, "异常描述", 1000, True),
        "productCategory": (product_category, "产品类别", 30, False),
        "productName": (product_name, "产品名称", 50, False),
        "traceabilityCode": (traceability_code, "追溯码", 40, False),
    })
    if kind not in STAFF_KINDS:
        violations.add("kind", "异常类型须为台账上传异常、台账数据异常或追溯数据异常（投诉举报请走投诉入口）")
    if not enterprise_id.strip():
        violations.add("enterpriseId", "请选择异常企业")
    violations.raise_if_any("异常信息有误")
    with context.unit_of_work() as uow:
        viewer = Viewer(staff.caller, staff=staff)
        enterprise = approved_enterprise(uow.session, enterprise_id.strip())
        if enterprise is None or not staff.sees(enterprise):
            raise InvalidArgument.for_field("enterpriseId", "异常企业不存在或不在本机构管辖范围内")
        body = _body_of(viewer)
        case = open_case(uow, Opening(
            kind=kind, enterprise=enterprise, description=description.strip(), reporting_unit=body,
            reporting_contact="", product_category=product_category.strip(), product_name=product_name.strip(),
            traceability_code=traceability_code.strip(), actor_id=staff.caller.account_id or "", actor_body=body))
        uow.commit(on_integrity_error=lambda _e: Conflict("异常编号冲突，请重试", reason="CONCURRENT_CHANGE"))
        return CaseView(case, False)


def create_complaint(context: RareEarthContext, enterprise_id: str, enterprise_name: str, complaint_type: str,
                     product_name: str, traceability_code: str, content: str, contact_name: str,
                     contact_phone: str) -> CaseView:
    """Anyone may complain, signed in or not; the case goes to the enterprise complained about."""
    caller = current_caller()
    violations = check_text_fields({
        "complaintType": (complaint_type, "投诉举报类型", 30, True),
        "content": (content, "投诉内容", 500, True),
        "productName": (product_name, "产品名称", 50, False),
        "traceabilityCode": (traceability_code, "追溯码", 40, False),
        "contactName": (contact_name, "联系人", 30, False),
        "enterpriseName": (enterprise_name, "被投诉企业名称", 100, False),
    })
    if contact_phone.strip() and not PHONE.match(contact_phone.strip()):
        violations.add("contactPhone", "联系电话须为11位手机号码")
    if not enterprise_id.strip() and not enterprise_name.strip():
        violations.add("enterpriseName", "请填写被投诉企业名称")
    violations.raise_if_any("投诉举报信息有误")
    with context.unit_of_work() as uow:
        query = select(Enterprise).where(Enterprise.status == APPROVED)
        if enterprise_id.strip():
            query = query.where(Enterprise.id == enterprise_id.strip())
        else:
            query = query.where(Enterprise.enterprise_name == enterprise_name.strip())
        enterprise = uow.session.scalars(query.limit(1)).first()
        if enterprise is None:
            field = "enterpriseId" if enterprise_id.strip() else "enterpriseName"
            raise InvalidArgument.for_field(field, "未找到被投诉企业，请核对企业名称")
        reporter = contact_name.strip() or "公众"
        case = open_case(uow, Opening(
            kind="COMPLAINT", enterprise=enterprise, description=content.strip(), reporting_unit=reporter,
            reporting_contact=contact_phone.strip(), product_name=product_name.strip(),
            traceability_code=traceability_code.strip(), complaint_type=complaint_type.strip(),
            accepting_body=HOLDERS["OPERATOR"], actor_id=caller.account_id or "", actor_body=reporter))
        uow.commit(on_integrity_error=lambda _e: Conflict("投诉编号冲突，请重试", reason="CONCURRENT_CHANGE"))
        return CaseView(case, False)


def _parent_of(session: Session, enterprise_id: str) -> Enterprise | None:
    """The approved parent (a group before a first-level company) that takes a case transferred to 集团."""
    parents = list(session.scalars(
        select(Enterprise).join(Affiliation, Affiliation.parent_enterprise_id == Enterprise.id)
        .where(Affiliation.enterprise_id == enterprise_id, Affiliation.status == APPROVED)
        .order_by(Affiliation.parent_type.desc(), Affiliation.created_at)))
    return parents[0] if parents else None


def handle_case(context: RareEarthContext, case_id: str, action: str, opinion: str, transfer_to: str) -> CaseView:
    opinion = check_opinion(opinion)
    if action not in ACTION_TARGETS:
        raise InvalidArgument.for_field("action", "请选择处理操作：处理完结或转审处理")
    with context.unit_of_work() as uow:
        session = uow.session
        viewer = require_viewer(session)
        case = _visible(session, viewer, case_id, lock=True)
        CASE.check(case.status, ACTION_TARGETS[action], "该异常已办结")
        if not _holds(viewer, case):
            holder = case.holder_name or HOLDERS[case.holder_type]
            raise PermissionDenied(f"该异常当前由{holder}处理，只有处理单位可以操作", reason="NOT_CASE_HOLDER")
        enterprise = session.get(Enterprise, case.enterprise_id)
        sequence = (session.scalar(select(func.max(CaseStep.sequence)).where(CaseStep.case_id == case.id)) or 0) + 1
        body = _body_of(viewer)
        step = CaseStep(case_id=case.id, sequence=sequence, action=action, actor_id=viewer.caller.account_id or "",
                        actor_body=body, opinion=opinion, created_at=utcnow())
        params = {"caseNumber": case.number, "caseKind": KINDS[case.kind], "enterpriseName": case.enterprise_name}
        if action == "CLOSE":
            CASE.move(case, CLOSED)
            case.closing_opinion, case.closed_at = opinion, utcnow()
            if enterprise is not None and case.holder_enterprise_id != enterprise.id:
                uow.publish(events.notice_to_organization("rare_earth.case.closed", enterprise.organization_id,
                                                          {**params, "opinion": opinion}))
        else:
            check_transfer(case.kind, case.holder_type, transfer_to)
            CASE.move(case, OPEN)
            _move(session, case, enterprise, transfer_to)
            step.to_holder_type, step.to_holder_name = case.holder_type, case.holder_name
            uow.publish(*_notices_to_holder(session, case, "rare_earth.case.transferred",
                                            {**params, "fromBody": body, "opinion": opinion}))
        session.flush()
        session.add(step)
        uow.publish(_changed(case))
        uow.commit()
        return CaseView(case, _holds(viewer, case))


def _notices_to_holder(session: Session, case: SupervisionCase, template: str,
                       params: dict[str, str]) -> list[OutboundMessage]:
    """The holder's notice: its organisation when an enterprise or group holds the case, else its agencies."""
    channels = ("IN_SITE", "SMS")
    if case.holder_enterprise_id:
        holder = session.get(Enterprise, case.holder_enterprise_id)
        return [events.notice_to_organization(template, holder.organization_id, params, channels=channels)]
    agencies = holder_agencies(case.holder_type, case.holder_region)
    return [events.notice_to_agencies(template, agencies, params, channels=channels)] if agencies else []


def _move(session: Session, case: SupervisionCase, enterprise: Enterprise | None, target: str) -> None:
    case.holder_type, case.holder_region = target, ""
    if target == "ENTERPRISE":
        case.holder_enterprise_id, case.holder_name = enterprise.id, enterprise.enterprise_name
    elif target == "GROUP":
        parent = _parent_of(session, case.enterprise_id)
        if parent is None:
            raise FailedPrecondition("该企业没有已通过的上级单位（集团或一级公司），不能转审至集团",
                                     reason="NO_APPROVED_PARENT")
        if parent.id == case.holder_enterprise_id:
            raise InvalidArgument.for_field("transferTo", "该异常已由上级单位处理，请选择其他机构")
        case.holder_enterprise_id, case.holder_name = parent.id, parent.enterprise_name
    elif target == "LOCAL_AUTHORITY":
        region = (enterprise.city_code or enterprise.province_code) if enterprise else ""
        case.holder_enterprise_id, case.holder_region = None, region
        case.holder_name = f"{divisions().name_of(region)}{HOLDERS['LOCAL_AUTHORITY']}"
    else:
        case.holder_enterprise_id, case.holder_name = None, HOLDERS["OPERATOR"]

