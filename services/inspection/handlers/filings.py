"""Filing (备案管理, manual §1.3): the institution drafts (暂存), fills its sub-tables, applies (申请);
customs accepts it with a filing certificate number, refuses it, or asks for supplements with a notice.

An institution has one live filing at a time. While a not-recognised or rectification disposal is in
force it may not file again, in the manual's words; after its filing was revoked it may.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.chassis.db import contains, new_id, utcnow
from services.chassis.documents.content import AttachmentKind, AttachmentKinds
from services.chassis.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    Violations,
)
from services.chassis.paging import Page, paginate
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.actors import FOREIGN
from services.inspection.domain.fields import certificate_number as certificate_problem
from services.inspection.domain.fields import today
from services.inspection.domain.filings import (
    FILING_FIELDS,
    REFILING_NOT_RECOGNIZED,
    REFILING_RECTIFICATION,
    check_filing,
    normalized,
)
from services.inspection.domain.oversight import NOT_RECOGNIZED, opinion_of
from services.inspection.domain.states import (
    ACCEPTED,
    DRAFT,
    FILING,
    NOT_ACCEPTED,
    PENDING,
    SUBMITTED,
    SUPPLEMENT_REQUIRED,
)
from services.inspection.handlers.access import Viewer, missing, require_customs, require_member, require_viewer
from services.inspection.handlers.attachments import Holder
from services.inspection.handlers.standing import binding_disposal
from services.inspection.models import (
    Certification,
    Department,
    Equipment,
    Filing,
    FilingChange,
    PastInspection,
    ReferenceItem,
)

EDITABLE = (DRAFT, SUPPLEMENT_REQUIRED)
# The sub-tables an application needs at least one row of (近三年检验情况 may be empty for a new institution).
REQUIRED_ROWS = {"departments": (Department, "请填写主要部门情况"), "equipment": (Equipment, "请填写主要检测设备情况"),
                 "certifications": (Certification, "请填写企业质量管理体系认证情况")}


@dataclass(frozen=True)
class FilingView:
    filing: Filing
    departments: list[Department] = field(default_factory=list)
    equipment: list[Equipment] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    inspections: list[PastInspection] = field(default_factory=list)
    pending_change_id: str = ""


def visible_filing(session: Session, viewer: Viewer, filing_id: str, *, lock: bool = False) -> Filing:
    """Customs sees every filing; an institution only its own."""
    filing = session.get(Filing, filing_id, with_for_update=lock) if filing_id else None
    if filing is None or not (viewer.customs or filing.organization_id == viewer.organization_id):
        raise missing("备案申请", "FILING_NOT_FOUND")
    return filing


def editable_filing(session: Session, viewer: Viewer, filing_id: str) -> Filing:
    """The caller's own filing, locked, while it may still be edited (暂存 or 补充材料)."""
    filing = visible_filing(session, viewer, filing_id, lock=True)
    _refuse_unless_editable(filing)
    return filing


def _refuse_unless_editable(filing: Filing) -> None:
    if filing.status not in EDITABLE:
        raise FailedPrecondition(f"当前状态（{FILING.label(filing.status)}）的备案申请不能修改",
                                 reason="FILING_STATE_INVALID", metadata={"status": filing.status})


def _may_change_attachments(viewer: Viewer, filing: Filing, _kind: str) -> None:
    if viewer.customs:
        raise PermissionDenied("仅限检验机构上传或删除备案材料", reason="ORGANIZATION_ONLY")
    _refuse_unless_editable(filing)


FILING_ATTACHMENTS = Holder(
    "filing",
    AttachmentKinds.of([AttachmentKind("REGISTRATION", "注册登记证明"), AttachmentKind("QUALIFICATION", "资质证明材料"),
                        AttachmentKind("OTHER", "其他材料")]),
    lambda session, viewer, filing_id, lock: visible_filing(session, viewer, filing_id, lock=lock),
    _may_change_attachments)


def filing_view(session: Session, filing: Filing) -> FilingView:
    def rows(model: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.filing_id == filing.id)
                                    .order_by(model.created_at, model.id)))

    pending = session.scalar(select(FilingChange.id).where(FilingChange.filing_id == filing.id,
                                                          FilingChange.status == PENDING))
    return FilingView(filing, rows(Department), rows(Equipment), rows(Certification), rows(PastInspection),
                      pending or "")


def countries(session: Session) -> set[str]:
    return set(session.scalars(select(ReferenceItem.code).where(ReferenceItem.list_code == "COUNTRY")))


def _require_institution(context: InspectionContext, viewer: Viewer) -> None:
    """Only an overseas inspection institution (a FOREIGN organisation at identity) files here."""
    found = context.identity.organizations([viewer.organization_id])
    if not found or found[0].kind != FOREIGN:
        raise PermissionDenied("仅限境外装运前检验机构办理备案：请以检验机构身份登录", reason="INSTITUTION_ONLY")


def refuse_refiling(session: Session, organization_id: str) -> None:
    """不予认可处置期间不予重新备案 / 请完成限期整改后重新备案."""
    disposal = binding_disposal(session, organization_id, today())
    if disposal is not None:
        message = REFILING_NOT_RECOGNIZED if disposal.kind == NOT_RECOGNIZED else REFILING_RECTIFICATION
        raise FailedPrecondition(message, reason="REFILING_REFUSED", metadata={"disposalKind": disposal.kind})


def create_filing(context: InspectionContext, values: Mapping[str, str]) -> FilingView:
    """暂存: a new filing with its fields checked; the sub-tables follow."""
    viewer = require_member()
    _require_institution(context, viewer)
    clean = normalized(dict(values))
    with context.unit_of_work() as uow:
        session = uow.session
        check_filing(clean, countries(session)).raise_if_any("备案信息有误")
        refuse_refiling(session, viewer.organization_id)
        live = session.scalars(select(Filing).where(Filing.live_organization_id == viewer.organization_id)).first()
        if live is not None:
            raise _already_filed(live)
        now = utcnow()
        filing = Filing(id=new_id(), application_number=numbers.record_number(numbers.FILING),
                        organization_id=viewer.organization_id, live_organization_id=viewer.organization_id,
                        status=DRAFT, **{name: clean.get(name, "") for name in FILING_FIELDS},
                        created_by=viewer.account_id, created_at=now, updated_at=now)
        session.add(filing)
        uow.commit(on_integrity_error=lambda _e: Conflict("本机构已有备案申请，请刷新后重试", reason="FILING_EXISTS"))
        return FilingView(filing)


def _already_filed(live: Filing) -> AlreadyExists:
    if live.status == ACCEPTED:
        return AlreadyExists(f"本机构已备案（备案证书编号{live.certificate_number}），如需修改请提交备案变更",
                             reason="FILING_EXISTS", metadata={"filingId": live.id})
    return AlreadyExists(f"本机构已有未完成的备案申请（{live.application_number}），请继续办理",
                         reason="FILING_EXISTS", metadata={"filingId": live.id})


def update_filing(context: InspectionContext, filing_id: str, values: Mapping[str, str]) -> FilingView:
    """Edit a draft, or a filing sent back for supplements: the fields given replace theirs."""
    viewer = require_member()
    given = normalized(dict(values))
    with context.unit_of_work() as uow:
        session = uow.session
        filing = editable_filing(session, viewer, filing_id)
        merged = {**{name: getattr(filing, name) for name in FILING_FIELDS}, **given}
        check_filing(merged, countries(session)).raise_if_any("备案信息有误")
        for name, value in given.items():
            setattr(filing, name, value)
        filing.updated_at = utcnow()
        uow.commit()
        return filing_view(session, filing)


def get_filing(context: InspectionContext, filing_id: str) -> FilingView:
    with context.unit_of_work(read_only=True) as uow:
        return filing_view(uow.session, visible_filing(uow.session, require_viewer(), filing_id))


def list_filings(context: InspectionContext, status: str, certificate_number: str, name: str,
                 page_size: int, page_token: str) -> Page[Filing]:
    """备案申请 list: an institution's own applications; customs every one, by status or name."""
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        query = select(Filing)
        if not viewer.customs:
            query = query.where(Filing.organization_id == viewer.organization_id)
        if status:
            query = query.where(Filing.status == status)
        if certificate_number.strip():
            query = query.where(contains(Filing.certificate_number, certificate_number.strip()))
        if name.strip():
            query = query.where(contains(Filing.name, name.strip()))
        return paginate(uow.session, query.order_by(Filing.created_at.desc(), Filing.id), page_size, page_token)


def submit_filing(context: InspectionContext, filing_id: str) -> FilingView:
    """申请: the draft (or the supplemented filing) goes to customs."""
    viewer = require_member()
    with context.unit_of_work() as uow:
        session = uow.session
        filing = visible_filing(session, viewer, filing_id, lock=True)
        FILING.check(filing.status, SUBMITTED)
        refuse_refiling(session, filing.organization_id)
        violations = Violations()
        for json_field, (model, message) in REQUIRED_ROWS.items():
            if not session.scalar(select(func.count()).select_from(model).where(model.filing_id == filing.id)):
                violations.add(json_field, message)
        violations.raise_if_any("备案申请尚未填写完整")
        FILING.move(filing, SUBMITTED)
        filing.submitted_at = filing.updated_at = utcnow()
        uow.publish(events.notice_to_agencies("inspection.filing.submitted", [context.config.review_agency], {
            "institutionName": filing.name, "applicationNumber": filing.application_number}))
        uow.commit()
        return filing_view(session, filing)


# --- customs' review ------------------------------------------------------------------------------


def _review(context: InspectionContext, filing_id: str, target: str, opinion: str, *, opinion_required: bool,
            template: str, params: Callable[[Filing, str], dict[str, str]],
            certificate_number: str = "") -> FilingView:
    viewer = require_customs()
    if certificate_number and (problem := certificate_problem(certificate_number)):
        raise InvalidArgument.for_field("certificateNumber", problem)
    opinion = opinion_of(opinion, required=opinion_required)
    with context.unit_of_work() as uow:
        session = uow.session
        filing = visible_filing(session, viewer, filing_id, lock=True)
        FILING.move(filing, target)
        now = utcnow()
        filing.review_opinion, filing.reviewed_by, filing.reviewed_at, filing.updated_at = (
            opinion, viewer.account_id, now, now)
        if target == ACCEPTED:
            filing.certificate_number = certificate_number or _next_certificate_number(session)
            filing.accepted_at = now
        elif target == NOT_ACCEPTED:
            filing.live_organization_id = None
        uow.publish(events.notice_to_organization(template, filing.organization_id, {
            "institutionName": filing.name, "applicationNumber": filing.application_number,
            **params(filing, opinion)}))

        def taken(_error: Exception) -> Exception:
            if certificate_number:
                return AlreadyExists("该备案证书编号已被使用", reason="CERTIFICATE_NUMBER_TAKEN",
                                     metadata={"field": "certificateNumber"})
            return Conflict("备案证书编号冲突，请重试", reason="CONCURRENT_CHANGE")

        uow.commit(on_integrity_error=taken)
        return filing_view(session, filing)


def _next_certificate_number(session: Session) -> str:
    year = today().year
    prefix = numbers.certificate_prefix(year)
    latest = session.scalar(select(func.max(Filing.certificate_number))
                            .where(Filing.certificate_number.startswith(prefix)))
    sequence = int(latest[len(prefix):]) + 1 if latest and latest[len(prefix):].isdigit() else 1
    return numbers.certificate_number(year, sequence)


def accept_filing(context: InspectionContext, filing_id: str, certificate_number: str, opinion: str) -> FilingView:
    """已受理: the certificate number is the one given, or the next of the year (ZJB20260001)."""
    return _review(context, filing_id, ACCEPTED, opinion, opinion_required=False,
                   template="inspection.filing.accepted",
                   params=lambda filing, _opinion: {"certificateNumber": filing.certificate_number or ""},
                   certificate_number=certificate_number.strip().upper())


def refuse_filing(context: InspectionContext, filing_id: str, reason: str) -> FilingView:
    """不予受理, with the reason; the institution may file anew."""
    return _review(context, filing_id, NOT_ACCEPTED, reason, opinion_required=True,
                   template="inspection.filing.not_accepted", params=lambda _filing, opinion: {"reason": opinion})


def request_supplement(context: InspectionContext, filing_id: str, notice: str) -> FilingView:
    """补充材料: the institution hears the notice, edits the filing and applies again."""
    return _review(context, filing_id, SUPPLEMENT_REQUIRED, notice, opinion_required=True,
                   template="inspection.filing.supplement_required",
                   params=lambda _filing, opinion: {"notice": opinion})
