"""业务委托 (manual §2.3): the consignee enterprise's commission — its fields, dropdowns and institution —
saved (暂存), filled with goods lines and documents, and submitted to the institution.

Only an accepted institution under no disposal may be chosen. The enterprise sees its own commissions,
the institution those submitted to it, customs every submitted one; to anyone else a commission is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.chassis.db import contains, new_id, utcnow
from services.chassis.documents.content import MB, AttachmentKind, AttachmentKinds
from services.chassis.errors import Conflict, FailedPrecondition, PermissionDenied, Violations
from services.chassis.paging import Page, paginate
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.actors import FOREIGN
from services.inspection.domain.commissions import (
    CHOICE_LABELS,
    CHOICES,
    COMMISSION_FIELDS,
    ENTERPRISE_KINDS,
    INSTITUTION_KINDS,
)
from services.inspection.domain.fields import check_fields, json_name, stripped, today
from services.inspection.domain.states import ACCEPTED, COMMISSION, DRAFT, IN_PROGRESS, SUBMITTED, SUPPLEMENT
from services.inspection.handlers.access import Viewer, missing, require_member, require_viewer
from services.inspection.handlers.attachments import Holder, count
from services.inspection.handlers.periods import created_between
from services.inspection.handlers.standing import refuse_if_disposed
from services.inspection.models import Commission, Filing, GoodsItem, ReferenceItem

EDITABLE = (DRAFT, SUPPLEMENT)
FIELDS = (*COMMISSION_FIELDS, *CHOICES, "filing_id")


@dataclass(frozen=True)
class CommissionView:
    commission: Commission
    goods: list[GoodsItem] = field(default_factory=list)


@dataclass(frozen=True)
class CommissionQuery:
    """The list queries of both sides: the enterprise's (业务委托) and the institution's (业务受理)."""

    number: str = ""
    consignee: str = ""
    entry_customs: str = ""
    destination: str = ""
    usage: str = ""
    filing_id: str = ""
    enterprise_name: str = ""
    status: str = ""
    # 委托时间: yyyy-mm-dd, both days included (in China).
    created_from: str = ""
    created_to: str = ""


def _visible_query(viewer: Viewer) -> Select[Any]:
    submitted = Commission.status != DRAFT
    if viewer.customs:
        return select(Commission).where(submitted)
    me = viewer.organization_id
    return select(Commission).where(or_(Commission.enterprise_organization_id == me,
                                        (Commission.institution_organization_id == me) & submitted))


def visible_commission(session: Session, viewer: Viewer, commission_id: str, *, lock: bool = False) -> Commission:
    commission = session.get(Commission, commission_id, with_for_update=lock) if commission_id else None
    if commission is None or session.scalar(_visible_query(viewer).where(Commission.id == commission.id)
                                            .with_only_columns(Commission.id)) is None:
        raise missing("业务委托", "COMMISSION_NOT_FOUND")
    return commission


def is_enterprise_of(viewer: Viewer, commission: Commission) -> bool:
    return not viewer.customs and viewer.organization_id == commission.enterprise_organization_id


def is_institution_of(viewer: Viewer, commission: Commission) -> bool:
    return not viewer.customs and viewer.organization_id == commission.institution_organization_id


def refuse_unless_editable(commission: Commission) -> None:
    if commission.status not in EDITABLE:
        raise FailedPrecondition(f"当前状态（{COMMISSION.label(commission.status)}）的业务委托不能修改",
                                 reason="COMMISSION_STATE_INVALID", metadata={"status": commission.status})


def enterprises_commission(session: Session, viewer: Viewer, commission_id: str) -> Commission:
    """The caller's own commission, locked, while it may be edited (暂存 or 补充材料)."""
    commission = visible_commission(session, viewer, commission_id, lock=True)
    if not is_enterprise_of(viewer, commission):
        raise PermissionDenied("仅限委托企业修改业务委托", reason="ENTERPRISE_ONLY")
    refuse_unless_editable(commission)
    return commission


def commission_view(session: Session, commission: Commission) -> CommissionView:
    goods = session.scalars(select(GoodsItem).where(GoodsItem.commission_id == commission.id)
                            .order_by(GoodsItem.created_at, GoodsItem.id))
    return CommissionView(commission, list(goods))


def _enterprise_name(context: InspectionContext, viewer: Viewer) -> str:
    """The consignee enterprise's name at identity; an institution does not commission."""
    found = context.identity.organizations([viewer.organization_id])
    if not found or found[0].kind == FOREIGN:
        raise PermissionDenied("仅限委托企业办理业务委托：请以企业身份登录", reason="ENTERPRISE_ONLY")
    return found[0].name


def still_chosen(session: Session, commission: Commission) -> Filing:
    """The institution still filed and under no disposal, when the commission is submitted or taken."""
    filing = session.get(Filing, commission.filing_id)
    if filing is None or filing.status != ACCEPTED:
        raise FailedPrecondition("所选装运前检验机构已不在备案状态，请重新选择装运前检验机构",
                                 reason="INSTITUTION_NOT_FILED", metadata={"field": "filingId"})
    refuse_if_disposed(session, filing.organization_id, today())
    return filing


def _apply(session: Session, commission: Commission, values: Mapping[str, str]) -> None:
    """Check the fields (the given ones of a partial update) and the dropdown choices, then set them."""
    violations = check_fields(COMMISSION_FIELDS, values, only_given=True)
    names: dict[str, str] = {}
    for name, list_code in CHOICES.items():
        if name not in values:
            continue
        code = values[name]
        found = session.scalar(select(ReferenceItem.name).where(ReferenceItem.list_code == list_code,
                                                                ReferenceItem.code == code)) if code else None
        if found is None:
            violations.add(json_name(name), f"请从列表中选择{CHOICE_LABELS[name]}")
        names[name] = found or ""
    filing = None
    if "filing_id" in values and (values["filing_id"] != commission.filing_id or not commission.filing_id):
        filing = session.get(Filing, values["filing_id"]) if values["filing_id"] else None
        if filing is None or filing.status != ACCEPTED:
            violations.add("filingId", "请从已备案检验机构中选择装运前检验机构")
    violations.raise_if_any("业务委托信息有误")
    for name in COMMISSION_FIELDS:
        if name in values:
            setattr(commission, name, values[name])
    for name, found in names.items():
        setattr(commission, f"{name}_code", values[name])
        setattr(commission, f"{name}_name", found)
    if filing is not None:
        # 只有已备案且未被处置的机构可以被委托.
        refuse_if_disposed(session, filing.organization_id, today())
        commission.filing_id, commission.institution_organization_id = filing.id, filing.organization_id
        commission.institution_name = filing.name


def create_commission(context: InspectionContext, values: Mapping[str, str]) -> CommissionView:
    """暂存: the commission's fields, checked; the goods lines and documents follow."""
    viewer = require_member()
    enterprise_name = _enterprise_name(context, viewer)
    given = stripped({name: values.get(name, "") for name in FIELDS})
    with context.unit_of_work() as uow:
        session = uow.session
        now = utcnow()
        commission = Commission(id=new_id(), number=numbers.record_number(numbers.COMMISSION), status=DRAFT,
                                enterprise_organization_id=viewer.organization_id, enterprise_name=enterprise_name,
                                filing_id="", created_by=viewer.account_id, created_at=now, updated_at=now)
        _apply(session, commission, given)
        session.add(commission)
        uow.commit(on_integrity_error=lambda _e: Conflict("业务编号冲突，请重试", reason="CONCURRENT_CHANGE"))
        return CommissionView(commission)


def update_commission(context: InspectionContext, commission_id: str, values: Mapping[str, str]) -> CommissionView:
    viewer = require_member()
    with context.unit_of_work() as uow:
        commission = enterprises_commission(uow.session, viewer, commission_id)
        _apply(uow.session, commission, stripped(dict(values)))
        commission.updated_at = utcnow()
        uow.commit()
        return commission_view(uow.session, commission)


def get_commission(context: InspectionContext, commission_id: str) -> CommissionView:
    with context.unit_of_work(read_only=True) as uow:
        return commission_view(uow.session, visible_commission(uow.session, require_viewer(), commission_id))


def list_commissions(context: InspectionContext, query: CommissionQuery, page_size: int,
                     page_token: str) -> Page[Commission]:
    viewer = require_viewer()
    select_ = created_between(_visible_query(viewer), Commission.created_at, query.created_from, query.created_to,
                              "委托时间")
    exact = {"number": Commission.number, "entry_customs": Commission.entry_customs_code,
             "destination": Commission.destination_code, "usage": Commission.usage_code,
             "filing_id": Commission.filing_id, "status": Commission.status}
    for name, column in exact.items():
        if getattr(query, name).strip():
            select_ = select_.where(column == getattr(query, name).strip())
    if query.consignee.strip():
        select_ = select_.where(contains(Commission.consignee, query.consignee.strip()))
    if query.enterprise_name.strip():
        select_ = select_.where(contains(Commission.enterprise_name, query.enterprise_name.strip()))
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, select_.order_by(Commission.created_at.desc(), Commission.id), page_size,
                        page_token)


def notice_params(commission: Commission) -> dict[str, str]:
    return {"enterpriseName": commission.enterprise_name, "commissionNumber": commission.number,
            "institutionName": commission.institution_name}


def publish_to_enterprise(uow: Any, template: str, commission: Commission, **extra: str) -> None:
    uow.publish(events.notice_to_organization(template, commission.enterprise_organization_id,
                                              {**notice_params(commission), **extra}))


# --- documents ------------------------------------------------------------------------------------


def _may_change_documents(viewer: Viewer, commission: Commission, kind: str) -> None:
    """The enterprise's documents while it edits; the institution's results while it inspects."""
    if kind in INSTITUTION_KINDS:
        if not is_institution_of(viewer, commission):
            raise PermissionDenied("检验结果及检验随附单据由检验机构上传", reason="INSTITUTION_ONLY")
        if commission.status != IN_PROGRESS:
            raise FailedPrecondition("仅受理中的业务可以上传检验结果", reason="COMMISSION_STATE_INVALID",
                                     metadata={"status": commission.status})
        return
    if not is_enterprise_of(viewer, commission):
        raise PermissionDenied("随附单据由委托企业上传", reason="ENTERPRISE_ONLY")
    refuse_unless_editable(commission)


COMMISSION_ATTACHMENTS = Holder(
    "commission",
    AttachmentKinds.of([AttachmentKind("CONTRACT", "合同"), AttachmentKind("INVOICE", "发票"),
                        AttachmentKind("PACKING_LIST", "装箱单"), AttachmentKind("BILL_OF_LADING", "提/运单"),
                        AttachmentKind("OTHER", "其他随附单据"),
                        AttachmentKind("RESULT", "检验结果", max_bytes=20 * MB),
                        AttachmentKind("INSPECTION_DOCUMENT", "检验随附单据", max_bytes=20 * MB)]),
    lambda session, viewer, commission_id, lock: visible_commission(session, viewer, commission_id, lock=lock),
    _may_change_documents)


def submit_commission(context: InspectionContext, commission_id: str) -> CommissionView:
    """提交: with its goods and documents, to an institution still filed and under no disposal."""
    viewer = require_member()
    with context.unit_of_work() as uow:
        session = uow.session
        commission = visible_commission(session, viewer, commission_id, lock=True)
        if not is_enterprise_of(viewer, commission):
            raise PermissionDenied("仅限委托企业提交业务委托", reason="ENTERPRISE_ONLY")
        COMMISSION.check(commission.status, SUBMITTED)
        violations = Violations()
        if not session.scalar(select(GoodsItem.id).where(GoodsItem.commission_id == commission.id).limit(1)):
            violations.add("goods", "请填写货物详细信息")
        if not count(context, session, COMMISSION_ATTACHMENTS, commission.id, ENTERPRISE_KINDS):
            violations.add("attachments", "请上传申请材料（随附单据）")
        violations.raise_if_any("业务委托尚未填写完整")
        still_chosen(session, commission)
        COMMISSION.move(commission, SUBMITTED)
        commission.submitted_at = commission.updated_at = utcnow()
        uow.publish(events.notice_to_organization("inspection.commission.received",
                                                  commission.institution_organization_id, {
            "institutionName": commission.institution_name, "commissionNumber": commission.number,
            "enterpriseName": commission.enterprise_name}))
        uow.commit()
        return commission_view(session, commission)
