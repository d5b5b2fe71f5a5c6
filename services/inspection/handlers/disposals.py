"""处置 (manual §1.7): customs imposes not recognised (a period), revokes a filing, or orders rectification
(a deadline). Rectification ends when customs approves the institution's materials and lifts it; a
not-recognised period ends on its last day (the ``jobs`` command) or when customs lifts it early.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.documents.content import AttachmentKind, AttachmentKinds
from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Violations
from services.chassis.paging import Page
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.fields import parse_date, today
from services.inspection.domain.oversight import (
    DISPOSAL_FIELDS,
    DISPOSAL_KINDS,
    NOT_RECOGNIZED,
    RECTIFICATION,
    REVOKE_FILING,
    opinion_of,
    submission_of,
)
from services.inspection.domain.states import (
    DISPOSAL,
    EXECUTED,
    FILING,
    IN_FORCE,
    LIFTED,
    MATERIALS_SUBMITTED,
    REVOKED,
)
from services.inspection.handlers.access import Viewer, require_customs, require_member
from services.inspection.handlers.attachments import Holder, uploaded_since
from services.inspection.handlers.oversight import OversightQuery, filed, listed, opened, shown, visible
from services.inspection.models import Disposal

WHAT, NOT_FOUND = "处置", "DISPOSAL_NOT_FOUND"
MATERIAL = "MATERIAL"


@dataclass(frozen=True)
class DisposalInput:
    filing_id: str
    kind: str
    reason: str
    starts_on: str
    ends_on: str


def _find(session: Session, viewer: Viewer, disposal_id: str, lock: bool = False) -> Disposal:
    return visible(session, viewer, Disposal, disposal_id, WHAT, NOT_FOUND, lock=lock)


def _may_change_materials(viewer: Viewer, disposal: Disposal, _kind: str) -> None:
    if viewer.customs:
        raise PermissionDenied("整改材料由检验机构提交", reason="INSTITUTION_ONLY")
    if disposal.kind != RECTIFICATION or disposal.status != IN_FORCE:
        raise FailedPrecondition("仅限期整改处置中可以上传整改材料", reason="DISPOSAL_STATE_INVALID",
                                 metadata={"status": disposal.status})


DISPOSAL_ATTACHMENTS = Holder("disposal", AttachmentKinds.of([AttachmentKind(MATERIAL, "整改材料")]), _find,
                              _may_change_materials)


def _params(disposal: Disposal) -> dict[str, str]:
    return {"institutionName": disposal.institution_name, "disposalNumber": disposal.number,
            "disposalKind": DISPOSAL_KINDS[disposal.kind]}


def _period(disposal: Disposal) -> str:
    if disposal.kind == NOT_RECOGNIZED:
        return f"处置期间：{disposal.starts_on.isoformat()}至{disposal.ends_on.isoformat()}"
    if disposal.kind == RECTIFICATION:
        return f"整改期限：{disposal.ends_on.isoformat()}前"
    return f"自{disposal.starts_on.isoformat()}起"


def impose(context: InspectionContext, data: DisposalInput) -> Disposal:
    viewer = require_customs()
    violations = Violations()
    if data.kind not in DISPOSAL_KINDS:
        violations.add("kind", "请选择处置类型：" + "、".join(f"{k}（{v}）" for k, v in DISPOSAL_KINDS.items()))
    if problem := DISPOSAL_FIELDS["reason"].problem(data.reason):
        violations.add("reason", problem)
    starts = parse_date(data.starts_on, "startsOn", "处置开始日期", violations, required=False) or today()
    ends = parse_date(data.ends_on, "endsOn", "处置到期日期" if data.kind != RECTIFICATION else "整改期限",
                      violations, required=data.kind in (NOT_RECOGNIZED, RECTIFICATION))
    if ends is not None and (ends < starts or ends < today()):
        violations.add("endsOn", "处置到期日期不能早于开始日期或今天")
    violations.raise_if_any("处置信息有误")
    with context.unit_of_work() as uow:
        session = uow.session
        filing = filed(session, data.filing_id, lock=data.kind == REVOKE_FILING)
        disposal = opened(Disposal, numbers.DISPOSAL, filing, viewer, kind=data.kind,
                          status=EXECUTED if data.kind == REVOKE_FILING else IN_FORCE, reason=data.reason.strip(),
                          starts_on=starts, ends_on=ends if data.kind != REVOKE_FILING else None)
        if data.kind == REVOKE_FILING:
            # 撤销备案: gone from the public query, no commissions; the institution may file anew.
            FILING.move(filing, REVOKED)
            filing.live_organization_id, filing.revoked_at, filing.updated_at = None, utcnow(), utcnow()
            disposal.closed_at = utcnow()
        session.add(disposal)
        uow.publish(events.notice_to_organization("inspection.disposal.imposed", filing.organization_id, {
            **_params(disposal), "period": _period(disposal), "reason": disposal.reason}))
        uow.commit()
        return disposal


def submit_materials(context: InspectionContext, disposal_id: str, text: str) -> Disposal:
    """The institution's rectification materials (整改材料) and its explanation, for customs to judge."""
    viewer = require_member()
    text = submission_of(text)
    with context.unit_of_work() as uow:
        session = uow.session
        disposal = _find(session, viewer, disposal_id, lock=True)
        if disposal.kind != RECTIFICATION:
            raise FailedPrecondition("仅限期整改处置需要提交整改材料", reason="DISPOSAL_STATE_INVALID")
        DISPOSAL.check(disposal.status, MATERIALS_SUBMITTED)
        since = disposal.materials_submitted_at or disposal.created_at
        if not uploaded_since(context, session, DISPOSAL_ATTACHMENTS, disposal.id, MATERIAL, since):
            raise InvalidArgument.for_field("attachments", "请先上传整改材料")
        DISPOSAL.move(disposal, MATERIALS_SUBMITTED)
        disposal.materials, disposal.materials_submitted_at = text, utcnow()
        uow.publish(events.notice_to_agencies("inspection.disposal.materials_submitted", [disposal.agency], {
            "institutionName": disposal.institution_name, "disposalNumber": disposal.number}))
        uow.commit()
        return disposal


def _decide(context: InspectionContext, disposal_id: str, target: str, opinion: str) -> Disposal:
    """Customs' word on a disposal: lift it, or send the rectification materials back."""
    viewer = require_customs()
    with context.unit_of_work() as uow:
        disposal = _find(uow.session, viewer, disposal_id, lock=True)
        if target == LIFTED and disposal.kind == RECTIFICATION and disposal.status == IN_FORCE:
            raise FailedPrecondition("检验机构尚未提交整改材料，审核通过后方可撤销限期整改处置",
                                     reason="DISPOSAL_STATE_INVALID", metadata={"status": disposal.status})
        DISPOSAL.move(disposal, target)
        disposal.opinion = opinion
        if target == LIFTED:
            disposal.closed_at = utcnow()
            uow.publish(events.notice_to_organization("inspection.disposal.lifted", disposal.organization_id,
                                                      _params(disposal)))
        else:
            uow.publish(events.notice_to_organization("inspection.disposal.supplement_required",
                                                      disposal.organization_id, {
                "institutionName": disposal.institution_name, "disposalNumber": disposal.number,
                "opinion": opinion}))
        uow.commit()
        return disposal


def lift(context: InspectionContext, disposal_id: str, opinion: str) -> Disposal:
    """撤销处置: rectification once its materials are in; not recognised at any time before it ends."""
    return _decide(context, disposal_id, LIFTED, opinion_of(opinion, required=False))


def require_supplement(context: InspectionContext, disposal_id: str, opinion: str) -> Disposal:
    """The rectification materials do not do: the institution supplements them; the disposal stays."""
    return _decide(context, disposal_id, IN_FORCE, opinion_of(opinion, required=True))


def get_disposal(context: InspectionContext, disposal_id: str) -> Disposal:
    return shown(context, _find, disposal_id)


def list_disposals(context: InspectionContext, query: OversightQuery, kind: str, page_size: int,
                   page_token: str) -> Page[Disposal]:
    narrow = select(Disposal).where(Disposal.kind == kind) if kind else None
    return listed(context, Disposal, (Disposal.reason, Disposal.number, Disposal.materials), query, page_size,
                  page_token, narrow=narrow)
