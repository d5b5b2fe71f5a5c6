"""工作质量问题反馈 (manual §1.5): customs records a problem it found against an institution; the
institution answers it with an explanation (回复说明) and materials; customs reads the answer."""

from __future__ import annotations

from collections.abc import Mapping

from services.chassis.db import utcnow
from services.chassis.documents.content import AttachmentKind, AttachmentKinds
from services.chassis.errors import FailedPrecondition, PermissionDenied
from services.chassis.paging import Page
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.fields import check_fields, stripped
from services.inspection.domain.oversight import QUALITY_ISSUE_FIELDS, REPLY_FIELDS
from services.inspection.domain.states import OPEN, QUALITY_ISSUE, REPLIED
from services.inspection.handlers.access import Viewer, require_customs, require_member
from services.inspection.handlers.attachments import Holder
from services.inspection.handlers.oversight import OversightQuery, filed, listed, opened, shown, visible
from services.inspection.models import QualityIssue

WHAT, NOT_FOUND = "质量问题", "QUALITY_ISSUE_NOT_FOUND"


def _find(session, viewer: Viewer, issue_id: str, lock: bool = False) -> QualityIssue:
    return visible(session, viewer, QualityIssue, issue_id, WHAT, NOT_FOUND, lock=lock)


def _may_change_materials(viewer: Viewer, issue: QualityIssue, _kind: str) -> None:
    if viewer.customs:
        raise PermissionDenied("回复材料由检验机构上传", reason="INSTITUTION_ONLY")
    if issue.status != OPEN:
        raise FailedPrecondition("该质量问题已回复，不能再修改材料", reason="QUALITY_ISSUE_STATE_INVALID",
                                 metadata={"status": issue.status})


QUALITY_ATTACHMENTS = Holder("quality_issue", AttachmentKinds.of([AttachmentKind("MATERIAL", "相关材料")]),
                             _find, _may_change_materials)


def raise_issue(context: InspectionContext, filing_id: str, values: Mapping[str, str]) -> QualityIssue:
    """Customs records the problem; the institution is told."""
    viewer = require_customs()
    check_fields(QUALITY_ISSUE_FIELDS, values).raise_if_any("质量问题信息有误")
    clean = stripped({name: values.get(name, "") for name in QUALITY_ISSUE_FIELDS})
    with context.unit_of_work() as uow:
        filing = filed(uow.session, filing_id)
        issue = opened(QualityIssue, numbers.QUALITY_ISSUE, filing, viewer, status=OPEN, **clean)
        uow.session.add(issue)
        uow.publish(events.notice_to_organization("inspection.quality_issue.raised", filing.organization_id, {
            "institutionName": filing.name, "issueNumber": issue.number, "title": issue.title}))
        uow.commit()
        return issue


def reply(context: InspectionContext, issue_id: str, text: str) -> QualityIssue:
    """回复说明, with the materials uploaded before; customs hears of it."""
    viewer = require_member()
    check_fields(REPLY_FIELDS, {"reply": text}).raise_if_any("回复说明有误")
    with context.unit_of_work() as uow:
        issue = _find(uow.session, viewer, issue_id, lock=True)
        QUALITY_ISSUE.move(issue, REPLIED)
        issue.reply, issue.replied_by, issue.replied_at = text.strip(), viewer.account_id, utcnow()
        uow.publish(events.notice_to_agencies("inspection.quality_issue.replied", [issue.agency], {
            "institutionName": issue.institution_name, "issueNumber": issue.number}))
        uow.commit()
        return issue


def get_issue(context: InspectionContext, issue_id: str) -> QualityIssue:
    return shown(context, _find, issue_id)


def list_issues(context: InspectionContext, query: OversightQuery, page_size: int,
                page_token: str) -> Page[QualityIssue]:
    columns = (QualityIssue.title, QualityIssue.description, QualityIssue.reply, QualityIssue.number)
    return listed(context, QualityIssue, columns, query, page_size, page_token)
