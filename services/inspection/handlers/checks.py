"""监督检查 (manual §1.6). A document check (文件检查) waits for the institution's files; customs passes
them or requires a supplement, as often as it takes. An on-site check (实地检查) starts with customs'
result; when it requires a supplement the institution submits one, and customs decides again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.documents.content import AttachmentKind, AttachmentKinds
from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.chassis.paging import Page
from services.chassis.uow import UnitOfWork
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.fields import check_fields, stripped
from services.inspection.domain.oversight import (
    CHECK_FIELDS,
    CHECK_KINDS,
    DOCUMENT,
    ONSITE,
    OPINION,
    opinion_of,
    submission_of,
)
from services.inspection.domain.states import CHECK, PASSED, PENDING_SUBMISSION, SUBMITTED, SUPPLEMENT_REQUIRED
from services.inspection.handlers.access import Viewer, require_customs, require_member
from services.inspection.handlers.attachments import Holder, uploaded_since
from services.inspection.handlers.oversight import OversightQuery, filed, listed, opened, shown, visible
from services.inspection.models import CheckStep, SupervisionCheck

WHAT, NOT_FOUND = "监督检查", "CHECK_NOT_FOUND"
AWAITING = (PENDING_SUBMISSION, SUPPLEMENT_REQUIRED)
MATERIAL = "MATERIAL"


@dataclass(frozen=True)
class CheckView:
    check: SupervisionCheck
    steps: list[CheckStep] = field(default_factory=list)


def _find(session: Session, viewer: Viewer, check_id: str, lock: bool = False) -> SupervisionCheck:
    return visible(session, viewer, SupervisionCheck, check_id, WHAT, NOT_FOUND, lock=lock)


def _may_change_materials(viewer: Viewer, check: SupervisionCheck, _kind: str) -> None:
    if viewer.customs:
        raise PermissionDenied("检查材料由检验机构提交", reason="INSTITUTION_ONLY")
    if check.status not in AWAITING:
        raise FailedPrecondition(f"当前状态（{CHECK.label(check.status)}）不能修改检查材料",
                                 reason="CHECK_STATE_INVALID", metadata={"status": check.status})


CHECK_ATTACHMENTS = Holder("check", AttachmentKinds.of([AttachmentKind(MATERIAL, "检查材料")]), _find,
                           _may_change_materials)


def _view(session: Session, check: SupervisionCheck) -> CheckView:
    steps = session.scalars(select(CheckStep).where(CheckStep.check_id == check.id).order_by(CheckStep.sequence))
    return CheckView(check, list(steps))


def _step(session: Session, check: SupervisionCheck, action: str, text: str, actor: str) -> None:
    sequence = (session.scalar(select(func.max(CheckStep.sequence)).where(CheckStep.check_id == check.id)) or 0) + 1
    session.add(CheckStep(id=new_id(), check_id=check.id, sequence=sequence, action=action, text=text,
                          actor_id=actor, created_at=utcnow()))


def _params(check: SupervisionCheck) -> dict[str, str]:
    return {"institutionName": check.institution_name, "checkNumber": check.number,
            "checkKind": CHECK_KINDS[check.kind], "title": check.title}


def _tell_institution(uow: UnitOfWork, template: str, check: SupervisionCheck, **extra: str) -> None:
    params = {**_params(check), **extra}
    if template in ("inspection.check.requested", "inspection.check.recorded"):
        params.pop("checkKind")
    uow.publish(events.notice_to_organization(template, check.organization_id, params))


def create_check(context: InspectionContext, filing_id: str, kind: str, values: Mapping[str, str],
                 onsite_passed: bool | None, opinion: str) -> CheckView:
    """A document check asks for files; an on-site check records its result (passed or a supplement)."""
    viewer = require_customs()
    violations = check_fields(CHECK_FIELDS, values)
    if kind not in CHECK_KINDS:
        violations.add("kind", "请选择检查类型：DOCUMENT（文件检查）或 ONSITE（实地检查）")
    if kind == ONSITE and onsite_passed is None:
        violations.add("onsiteResult", "请填写实地检查结果：PASS（通过）或 REQUIRE_SUPPLEMENT（需补充材料）")
    if kind == ONSITE and onsite_passed is False and (problem := OPINION.problem(opinion)):
        violations.add("opinion", problem)
    violations.raise_if_any("监督检查信息有误")
    clean = stripped({name: values.get(name, "") for name in CHECK_FIELDS})
    with context.unit_of_work() as uow:
        session = uow.session
        filing = filed(session, filing_id)
        status = PENDING_SUBMISSION if kind == DOCUMENT else PASSED if onsite_passed else SUPPLEMENT_REQUIRED
        now = utcnow()
        check = opened(SupervisionCheck, numbers.CHECK, filing, viewer, kind=kind, status=status,
                       opinion=opinion.strip(), updated_at=now, passed_at=now if status == PASSED else None, **clean)
        session.add(check)
        session.flush()
        if kind == DOCUMENT:
            _tell_institution(uow, "inspection.check.requested", check, requirements=check.requirements)
        else:
            _step(session, check, "PASS" if onsite_passed else "REQUIRE_SUPPLEMENT", check.opinion,
                  viewer.account_id)
            _tell_institution(uow, "inspection.check.recorded", check,
                              result="通过" if onsite_passed else "需补充材料", opinion=check.opinion)
        uow.commit()
        return _view(session, check)


def submit_check(context: InspectionContext, check_id: str, text: str) -> CheckView:
    """The institution's files (or supplement) and its explanation (反馈说明), for customs to judge."""
    viewer = require_member()
    text = submission_of(text)
    with context.unit_of_work() as uow:
        session = uow.session
        check = _find(session, viewer, check_id, lock=True)
        CHECK.check(check.status, SUBMITTED)
        if not uploaded_since(context, session, CHECK_ATTACHMENTS, check.id, MATERIAL, check.updated_at):
            raise InvalidArgument.for_field("attachments", "请先上传本次提交的检查材料")
        CHECK.move(check, SUBMITTED)
        check.rounds += 1
        check.updated_at = utcnow()
        _step(session, check, "SUBMIT", text, viewer.account_id)
        uow.publish(events.notice_to_agencies("inspection.check.submitted", [check.agency], {
            "institutionName": check.institution_name, "checkNumber": check.number}))
        uow.commit()
        return _view(session, check)


def decide_check(context: InspectionContext, check_id: str, passed: bool, opinion: str) -> CheckView:
    """Customs passes what was submitted, or requires a supplement (with its opinion)."""
    viewer = require_customs()
    opinion = opinion_of(opinion, required=not passed)
    with context.unit_of_work() as uow:
        session = uow.session
        check = _find(session, viewer, check_id, lock=True)
        CHECK.move(check, PASSED if passed else SUPPLEMENT_REQUIRED)
        now = utcnow()
        check.opinion, check.updated_at = opinion, now
        if passed:
            check.passed_at = now
            _tell_institution(uow, "inspection.check.passed", check)
        else:
            _tell_institution(uow, "inspection.check.supplement_required", check, opinion=opinion)
        _step(session, check, "PASS" if passed else "REQUIRE_SUPPLEMENT", opinion, viewer.account_id)
        uow.commit()
        return _view(session, check)


def get_check(context: InspectionContext, check_id: str) -> CheckView:
    return shown(context, lambda session, viewer, record_id: _view(session, _find(session, viewer, record_id)),
                 check_id)


def list_checks(context: InspectionContext, query: OversightQuery, kind: str, page_size: int,
                page_token: str) -> Page[SupervisionCheck]:
    narrow = select(SupervisionCheck).where(SupervisionCheck.kind == kind) if kind else None
    columns = (SupervisionCheck.title, SupervisionCheck.requirements, SupervisionCheck.number)
    return listed(context, SupervisionCheck, columns, query, page_size, page_token, narrow=narrow)
