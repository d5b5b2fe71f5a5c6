"""The bureau's posts deciding an application (manual §2.2–2.5): acceptance, first review, paper
comparison, final review (which issues the certificate), and forced termination.

Order of refusals: a record the caller may not see is a 404; a post acting outside its post a 403;
an application not at that post (or already decided) a 400 that says where it is.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from services.ccc_exemption import events
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import (
    ACCEPTANCE,
    CIQ,
    DEFAULT_VALIDITY_MONTHS,
    FINAL_REVIEW,
    FIRST_REVIEW,
    POSTS,
    REVIEW_POSTS,
)
from services.ccc_exemption.domain.rules import check_reason, parse_day
from services.ccc_exemption.domain.states import (
    ACCEPTING,
    APPLICATION,
    COMPARISON_FAILED,
    FINAL_REVIEW_FAILED,
    FIRST_REVIEW_FAILED,
    ISSUED,
    PAPER_COMPARISON,
    REJECTED,
    RETURNED,
    TERMINATED,
)
from services.ccc_exemption.handlers.access import Staff, load_application, require_viewer
from services.ccc_exemption.handlers.applications import ApplicationView, view_of
from services.ccc_exemption.handlers.issue import issue_certificate
from services.ccc_exemption.handlers.records import china_today, record_step
from services.ccc_exemption.models import Application, Bureau
from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Violations

PASS, FAIL, RETURN, PAPER = "PASS", "FAIL", "RETURN", "PAPER_COMPARISON"
COMPARISON = "COMPARISON"


@dataclass(frozen=True)
class Outcome:
    status: str
    # The post it waits at next (None: it stays where it is).
    post: str | None
    template: str
    needs_reason: bool = False


# (step, decision) -> what follows. A return and a paper request keep the post, which takes it back.
OUTCOMES: dict[tuple[str, str], Outcome] = {
    (ACCEPTANCE, PASS): Outcome(ACCEPTING, FIRST_REVIEW, "ccc_exemption.application.accepted"),
    (ACCEPTANCE, FAIL): Outcome(REJECTED, None, "ccc_exemption.application.refused", True),
    (ACCEPTANCE, RETURN): Outcome(RETURNED, None, "ccc_exemption.application.returned", True),
    (FIRST_REVIEW, PASS): Outcome(ACCEPTING, FINAL_REVIEW, "ccc_exemption.application.first_review_passed"),
    (FIRST_REVIEW, FAIL): Outcome(FIRST_REVIEW_FAILED, None, "ccc_exemption.application.first_review_failed", True),
    (FIRST_REVIEW, RETURN): Outcome(RETURNED, None, "ccc_exemption.application.returned", True),
    (FIRST_REVIEW, PAPER): Outcome(PAPER_COMPARISON, None, "ccc_exemption.application.paper_requested"),
    (COMPARISON, PASS): Outcome(ACCEPTING, None, "ccc_exemption.application.comparison_passed"),
    (COMPARISON, FAIL): Outcome(COMPARISON_FAILED, None, "ccc_exemption.application.comparison_failed", True),
    (FINAL_REVIEW, PASS): Outcome(ISSUED, None, "ccc_exemption.certificate.issued"),
    (FINAL_REVIEW, FAIL): Outcome(FINAL_REVIEW_FAILED, None, "ccc_exemption.application.final_review_failed", True),
    (FINAL_REVIEW, RETURN): Outcome(RETURNED, None, "ccc_exemption.application.returned", True),
    (FINAL_REVIEW, PAPER): Outcome(PAPER_COMPARISON, None, "ccc_exemption.application.paper_requested"),
}
STEP_LABELS = {ACCEPTANCE: "受理", FIRST_REVIEW: "初审", FINAL_REVIEW: "终审", COMPARISON: "材料对比"}


@dataclass(frozen=True)
class Decision:
    decision: str
    reason: str = ""
    paper_notice: str = ""
    valid_from: str = ""
    valid_until: str = ""


def _bureau_staff(application: Application, post: str) -> Staff:
    """The caller is of the application's bureau and holds ``post``; the record was already found visible."""
    staff = require_viewer().staff
    if staff is None or staff.kind != CIQ or staff.code != application.bureau_code:
        raise PermissionDenied("仅限受理该申请的检验检疫局操作", reason="BUREAU_ONLY")
    if not staff.holds(post):
        raise PermissionDenied(f"仅限{POSTS[post]}操作", reason="POST_REQUIRED", metadata={"post": post})
    return staff


def _at_post(application: Application, step: str) -> str:
    """The post that takes this step, once the application is where that step is taken."""
    if step == COMPARISON:
        if application.status != PAPER_COMPARISON:
            raise FailedPrecondition(
                f"该申请不在文件对比中（状态：{APPLICATION.label(application.status)}），无需对比纸质材料",
                reason="NOT_AT_POST", metadata={"status": application.status})
        return application.post or FIRST_REVIEW
    if application.status != ACCEPTING or application.post != step:
        where = f"，{POSTS.get(application.post or '', '')}" if application.status == ACCEPTING else ""
        raise FailedPrecondition(
            f"该申请当前不在{POSTS[step]}（状态：{APPLICATION.label(application.status)}{where}）",
            reason="NOT_AT_POST", metadata={"status": application.status, "post": application.post or ""})
    return step


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _validity(decision: Decision, violations: Violations) -> tuple[date, date]:
    start = parse_day(violations, "validFrom", decision.valid_from, "有效期起始日") or china_today()
    end = parse_day(violations, "validUntil", decision.valid_until, "有效期截止日") \
        or add_months(start, DEFAULT_VALIDITY_MONTHS) - timedelta(days=1)
    if end < start:
        violations.add("validUntil", "有效期截止日不能早于起始日")
    return start, end


def review(context: CccContext, application_id: str, step: str, decision: Decision) -> ApplicationView:
    outcome = OUTCOMES.get((step, decision.decision))
    if outcome is None:
        choices = "、".join(d for s, d in OUTCOMES if s == step)
        raise InvalidArgument.for_field("decision", f"{STEP_LABELS[step]}的处理结果只能是：{choices}")
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        application = load_application(session, viewer, application_id, lock=True)
        post = (application.post or FIRST_REVIEW) if step == COMPARISON else step
        staff = _bureau_staff(application, post)
        _at_post(application, step)
        violations = Violations()
        reason = (check_reason(violations, "reason", decision.reason) if outcome.needs_reason
                  else decision.reason.strip())
        notice = ""
        if outcome.status == PAPER_COMPARISON:
            notice = check_reason(violations, "paperNotice", decision.paper_notice, "纸质材料对比通知")
        validity = _validity(decision, violations) if outcome.status == ISSUED else None
        violations.raise_if_any("处理意见有误")
        bureau = session.get(Bureau, application.bureau_code)
        before = application.status
        APPLICATION.move(application, outcome.status)
        if outcome.post:
            application.post = outcome.post
        application.reason = reason[:500]
        if notice:
            application.paper_notice = notice
        application.updated_at = utcnow()
        params = {"applicationNumber": application.number, "bureauName": bureau.name}
        if outcome.status == ISSUED:
            certificate = issue_certificate(context, session, application, bureau, *validity)  # type: ignore[misc]
            params |= {"certificateNumber": certificate.number, "validUntil": certificate.valid_until.isoformat()}
            uow.publish(events.certificate_issued(certificate.id, certificate.number, application.id, bureau.code, 1))
        elif outcome.template.endswith("returned"):
            params |= {"postLabel": POSTS[post], "reason": reason}
        elif outcome.needs_reason:
            params["reason"] = reason
        elif outcome.status == PAPER_COMPARISON:
            params["notice"] = notice
        record_step(session, application, f"{step}_{decision.decision}", actor_id=staff.caller.account_id,
                    actor_name=staff.name, from_state=before, note=notice or reason)
        uow.publish(events.to_enterprise(outcome.template, application.organization_id, params))
        uow.commit()
        return view_of(session, viewer, application)


def terminate(context: CccContext, application_id: str, reason: str) -> ApplicationView:
    """强制终止流程: any review post of the bureau, while the application is still in its hands."""
    viewer = require_viewer()
    violations = Violations()
    reason = check_reason(violations, "reason", reason, "终止原因")
    violations.raise_if_any("终止原因有误")
    with context.unit_of_work() as uow:
        session = uow.session
        application = load_application(session, viewer, application_id, lock=True)
        staff = viewer.staff
        if staff is None or staff.code != application.bureau_code or not any(map(staff.holds, REVIEW_POSTS)):
            raise PermissionDenied("仅限受理该申请的检验检疫局审批岗位操作", reason="POST_REQUIRED")
        before = application.status
        APPLICATION.move(application, TERMINATED,
                         f"该申请已办结（状态：{APPLICATION.label(application.status)}），不能终止")
        bureau = session.get(Bureau, application.bureau_code)
        application.terminated_by, application.terminated_at = staff.name, utcnow()
        application.reason = reason
        record_step(session, application, "TERMINATED", actor_id=staff.caller.account_id, actor_name=staff.name,
                    from_state=before, note=reason)
        uow.publish(events.to_enterprise("ccc_exemption.application.terminated", application.organization_id, {
            "applicationNumber": application.number, "bureauName": bureau.name, "officer": staff.name,
            "reason": reason}))
        uow.commit()
        return view_of(session, viewer, application)
