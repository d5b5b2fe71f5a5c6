"""CCPIT's decisions on pre-reviews and what follows them (§1.3.2): approve, reject, void; the enterprise's
adjustment of an approved one (a new version whose approval voids the old), its own void, re-declaring after a
void, and the reminders it handles (作废提醒, 转版提醒 with 立即调整)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound
from services.chassis.paging import Page, paginate
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import PRE_REVIEWER, Exporter, Officer
from services.origin_cert.handlers.common import exporter, exporter_or_officer, officer, record_step, require_filing
from services.origin_cert.handlers.pre_reviews import (
    RECORD,
    PreReviewView,
    input_of,
    load,
    materials_of,
    new_pre_review,
    view_of,
    write_content,
)
from services.origin_cert.models import PreReview, Reminder

VOID, TARIFF_VERSION = "VOID", "TARIFF_VERSION"
REMINDER_KINDS = (VOID, TARIFF_VERSION)
CCPIT_SOURCE, ENTERPRISE_SOURCE, ADJUSTED_SOURCE = "CCPIT", "ENTERPRISE", "ADJUSTED"
OPEN_VERSIONS = (states.DRAFT, states.SUBMITTED, states.REJECTED)


def _reason(reason: str, label: str) -> str:
    text = reason.strip()
    if not text or len(text) > 500:
        raise InvalidArgument.for_field("reason", f"请填写{label}（最多500字）")
    return text


def approve_pre_review(context: OriginCertContext, pre_review_id: str) -> PreReviewView:
    staff = officer(PRE_REVIEWER)
    with context.unit_of_work() as uow:
        session = uow.session
        pre_review = load(session, staff, pre_review_id, lock=True)
        states.PRE_REVIEW.move(pre_review, states.APPROVED, "只有待审核的产品预审可以审核通过")
        now = utcnow()
        pre_review.decided_at, pre_review.reviewer_id, pre_review.reviewer_name = now, staff.account_id, staff.name
        record_step(session, RECORD, pre_review.id, "APPROVED", states.SUBMITTED, states.APPROVED)
        previous = session.get(PreReview, pre_review.previous_id, with_for_update=True) if pre_review.previous_id \
            else None
        template, params = "origin_cert.pre_review.approved", {"number": pre_review.number,
                                                                "productName": pre_review.product_name}
        if previous is not None and previous.status == states.APPROVED and previous.number == pre_review.number:
            # 调整: the adjusted version replaces the one it adjusts.
            states.PRE_REVIEW.move(previous, states.VOIDED)
            previous.void_source, previous.voided_at = ADJUSTED_SOURCE, now
            previous.void_reason = f"已由第{pre_review.version}版替代"
            record_step(session, RECORD, previous.id, "VOIDED", states.APPROVED, states.VOIDED, previous.void_reason)
            template, params = "origin_cert.pre_review.adjusted", {**params, "version": pre_review.version}
        uow.publish(*events.notice_to_organization(template, pre_review.organization_id, params))
        view = view_of(session, pre_review)
        uow.commit()
    return view


def reject_pre_review(context: OriginCertContext, pre_review_id: str, reason: str) -> PreReviewView:
    staff = officer(PRE_REVIEWER)
    text = _reason(reason, "不通过的原因")
    with context.unit_of_work() as uow:
        session = uow.session
        pre_review = load(session, staff, pre_review_id, lock=True)
        states.PRE_REVIEW.move(pre_review, states.REJECTED, "只有待审核的产品预审可以审核不通过")
        pre_review.rejection_reason, pre_review.decided_at = text, utcnow()
        pre_review.reviewer_id, pre_review.reviewer_name = staff.account_id, staff.name
        record_step(session, RECORD, pre_review.id, "REJECTED", states.SUBMITTED, states.REJECTED, text)
        uow.publish(*events.notice_to_organization("origin_cert.pre_review.rejected", pre_review.organization_id, {
            "number": pre_review.number, "productName": pre_review.product_name, "reason": text}))
        view = view_of(session, pre_review)
        uow.commit()
    return view


def void_pre_review(context: OriginCertContext, pre_review_id: str, reason: str) -> PreReviewView:
    """作废 an APPROVED pre-review: CCPIT's reminds the enterprise to re-declare; an enterprise may void its own."""
    viewer = exporter_or_officer()
    staff = officer(PRE_REVIEWER) if isinstance(viewer, Officer) else None
    text = _reason(reason, "作废原因")
    with context.unit_of_work() as uow:
        session = uow.session
        pre_review = load(session, viewer, pre_review_id, lock=True)
        states.PRE_REVIEW.move(pre_review, states.VOIDED, "只有审核通过的产品预审可以作废")
        pre_review.void_reason, pre_review.voided_at = text, utcnow()
        pre_review.void_source = CCPIT_SOURCE if staff is not None else ENTERPRISE_SOURCE
        record_step(session, RECORD, pre_review.id, "VOIDED", states.APPROVED, states.VOIDED, text)
        if staff is not None:
            session.add(Reminder(organization_id=pre_review.organization_id, pre_review_id=pre_review.id, kind=VOID,
                                 message=f"贸促会已作废产品预审{pre_review.number}：{text}。请重新申报。",
                                 status=states.OPEN, created_at=utcnow()))
            uow.publish(*events.notice_to_organization("origin_cert.pre_review.voided", pre_review.organization_id, {
                "number": pre_review.number, "productName": pre_review.product_name, "reason": text}))
        view = view_of(session, pre_review)
        uow.commit()
    return view


def _next_version(session: Session, member: Exporter, source: PreReview, **changes: object) -> PreReview:
    """A new DRAFT version of ``source``'s product, filled from it, refused while another is still open."""
    open_version = session.scalar(select(PreReview.id).where(PreReview.number == source.number,
                                                             PreReview.status.in_(OPEN_VERSIONS)))
    if open_version is not None:
        raise FailedPrecondition("该产品已有未完成的调整或重新申报，请先处理", reason="VERSION_OPEN",
                                 metadata={"preReviewId": open_version})
    version = (session.scalar(select(func.max(PreReview.version)).where(PreReview.number == source.number)) or 0) + 1
    data = input_of(source, materials_of(session, source.id), **changes)
    successor = new_pre_review(session, member, number=source.number, version=version, previous_id=source.id)
    write_content(session, successor, data)
    return successor


@dataclass(frozen=True)
class _Successor:
    """What makes a pre-review take a next version: the status it must be in, and how the step is written."""

    status: str
    refusal: str
    reason: str
    action: str
    note: str
    # The open reminders of this kind the new version handles.
    handles: str = ""


ADJUST = _Successor(states.APPROVED, "只有审核通过的产品预审可以调整", "PRE_REVIEW_NOT_APPROVED", "ADJUSTING",
                    "adjusts v{version}")
REDECLARE = _Successor(states.VOIDED, "只有已作废的产品预审可以重新申报", "PRE_REVIEW_NOT_VOIDED", "REDECLARING",
                       "re-declares v{version}", handles=VOID)


def _successor(context: OriginCertContext, pre_review_id: str, how: _Successor) -> PreReviewView:
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        source = load(session, member, pre_review_id, lock=True)
        require_filing(session, member.organization_id)
        if source.status != how.status:
            raise FailedPrecondition(how.refusal, reason=how.reason, metadata={"status": source.status})
        successor = _next_version(session, member, source)
        if how.handles:
            _handle(_open_reminders(session, source.id, how.handles), successor)
        record_step(session, RECORD, successor.id, how.action, to_state=states.DRAFT,
                    note=how.note.format(version=source.version))
        view = view_of(session, successor)
        uow.commit()
    return view


def adjust_pre_review(context: OriginCertContext, pre_review_id: str) -> PreReviewView:
    """调整 (申报端发起作废): a new DRAFT version; the approved one stands until the new one is approved."""
    return _successor(context, pre_review_id, ADJUST)


def redeclare_pre_review(context: OriginCertContext, pre_review_id: str) -> PreReviewView:
    """重新申报 after a void: a new DRAFT version filled from the voided one; its void reminder is handled."""
    return _successor(context, pre_review_id, REDECLARE)


def _handle(reminders: list[Reminder], follow_up: PreReview) -> None:
    for reminder in reminders:
        states.REMINDER.move(reminder, states.HANDLED)
        reminder.handled_at, reminder.follow_up_id = utcnow(), follow_up.id


def _open_reminders(session: Session, pre_review_id: str, kind: str) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(Reminder.pre_review_id == pre_review_id, Reminder.kind == kind,
                                                       Reminder.status == states.OPEN).with_for_update()))


def list_reminders(context: OriginCertContext, kind: str, status: str, page_size: int,
                   page_token: str) -> Page[tuple[Reminder, PreReview]]:
    member = exporter()
    if kind and kind not in REMINDER_KINDS:
        raise InvalidArgument.for_field("kind", "提醒类型可选：VOID（作废提醒）、TARIFF_VERSION（转版提醒）")
    if status and status not in states.REMINDER.states:
        raise InvalidArgument.for_field("status", "状态可选：OPEN、HANDLED")
    query = select(Reminder).where(Reminder.organization_id == member.organization_id)
    if kind:
        query = query.where(Reminder.kind == kind)
    if status:
        query = query.where(Reminder.status == status)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query.order_by(Reminder.created_at.desc(), Reminder.id), page_size, page_token)
        rows = [(r, uow.session.get(PreReview, r.pre_review_id)) for r in page.items]
    return Page(rows, page.next_page_token, page.total_size)  # type: ignore[arg-type]


def adjust_from_reminder(context: OriginCertContext, reminder_id: str) -> PreReviewView:
    """立即调整: the adjusted DRAFT under the new tariff version, the new HS code filled in when there is one."""
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        reminder = session.get(Reminder, reminder_id, with_for_update=True) if reminder_id else None
        if reminder is None or reminder.organization_id != member.organization_id:
            raise NotFound("提醒不存在或无权查看", reason="NOT_FOUND", metadata={"field": "id"})
        if reminder.kind != TARIFF_VERSION:
            raise FailedPrecondition("作废提醒请通过重新申报处理", reason="USE_REDECLARE")
        if reminder.status != states.OPEN:
            raise FailedPrecondition("该提醒已处理", reason="PRE_REVIEW_REMINDER_STATE_INVALID")
        source = load(session, member, reminder.pre_review_id, lock=True)
        if source.status != states.APPROVED:
            raise FailedPrecondition("该产品预审已不是审核通过状态，不能调整", reason="PRE_REVIEW_NOT_APPROVED")
        candidates = reminder.new_hs_codes.split()
        changes = {"hs_code": candidates[0]} if len(candidates) == 1 else {}
        successor = _next_version(session, member, source, **changes)
        _handle([reminder], successor)
        record_step(session, RECORD, successor.id, "ADJUSTING", to_state=states.DRAFT,
                    note=f"tariff version {reminder.tariff_version}: {reminder.old_hs_code} -> {reminder.new_hs_codes}")
        view = view_of(session, successor)
        uow.commit()
    return view
