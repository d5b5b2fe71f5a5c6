"""Verification of an issued certificate (原产地证书核查, §1.5): CCPIT records the request, the enterprise uploads
evidence (上传佐证) and answers, CCPIT closes it with a result or asks for more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.documents.attachments import AttachmentRules
from services.chassis.documents.content import AttachmentKind, AttachmentKinds
from services.chassis.documents.store import StoredAttachment
from services.chassis.errors import FailedPrecondition, InvalidArgument, Violations
from services.chassis.paging import Page, paginate
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import Exporter, Officer
from services.origin_cert.handlers.common import (
    exporter,
    exporter_or_officer,
    filing,
    history,
    listed_for,
    not_found,
    officer,
    record_step,
)
from services.origin_cert.models import Certificate, RecordStep, Verification

RECORD = "verification"
RESULTS = {"CONFIRMED": "原产地真实", "NOT_CONFIRMED": "原产地未能证实"}


@dataclass(frozen=True)
class VerificationView:
    verification: Verification
    evidence: list[StoredAttachment] = field(default_factory=list)
    steps: list[RecordStep] = field(default_factory=list)


def _load(session: Session, viewer: Exporter | Officer, verification_id: str, *, lock: bool = False) -> Verification:
    found = session.get(Verification, verification_id, with_for_update=lock) if verification_id else None
    if found is None:
        raise not_found("核查")
    if isinstance(viewer, Officer):
        if not viewer.covers(found.branch):
            raise not_found("核查")
    elif found.organization_id != viewer.organization_id:
        raise not_found("核查")
    return found


def _evidence_access(session: Session, record_id: str, *, change: bool) -> None:
    viewer = exporter() if change else exporter_or_officer()
    found = _load(session, viewer, record_id)
    if change and found.status != states.OPEN:
        raise FailedPrecondition("核查已提交或已结束，不能再修改佐证资料", reason="RECORD_NOT_EDITABLE")


EVIDENCE = AttachmentRules(RECORD, AttachmentKinds.of([
    AttachmentKind("INVOICE", "发票"), AttachmentKind("CONTRACT", "合同"), AttachmentKind("BILL_OF_LADING", "提/运单"),
    AttachmentKind("PRODUCTION_RECORD", "生产记录"), AttachmentKind("PURCHASE_RECORD", "采购记录"),
    AttachmentKind("OTHER", "其他佐证资料")]), _evidence_access)


def _view(context: OriginCertContext, session: Session, verification: Verification) -> VerificationView:
    return VerificationView(verification, context.providers.store.list(session, RECORD, verification.id),
                            history(session, RECORD, verification.id))


def create_verification(context: OriginCertContext, *, certificate_id: str, certificate_number: str, requester: str,
                        questions: str, due_date: date | None) -> VerificationView:
    staff = officer()
    v = Violations()
    if not certificate_id and not certificate_number:
        v.add("certificateId", "请指定要核查的证书（证书ID或证书编号）")
    if not questions.strip() or len(questions) > 2000:
        v.add("questions", "请填写核查内容（最多2000字）")
    if len(requester) > 200:
        v.add("requester", "核查请求方不能超过200字")
    if due_date is not None and due_date < utcnow().date():
        v.add("dueDate", "答复期限不能早于今天")
    v.raise_if_any("核查请求有误")
    with context.unit_of_work() as uow:
        session = uow.session
        query = select(Certificate).where(Certificate.id == certificate_id) if certificate_id else select(
            Certificate).where(Certificate.number == certificate_number.strip().upper())
        certificate = session.scalar(query)
        if certificate is None or not staff.covers(certificate.branch) or certificate.status not in states.ISSUED:
            raise InvalidArgument.for_field("certificateId", "须为本贸促会签发且有效的证书")
        open_one = session.scalar(select(Verification.id).where(Verification.certificate_id == certificate.id,
                                                                Verification.status != states.CLOSED))
        if open_one is not None:
            raise FailedPrecondition("该证书已有未结束的核查", reason="VERIFICATION_OPEN")
        verification = Verification(
            id=new_id(), certificate_id=certificate.id, certificate_number=certificate.number or "",
            organization_id=certificate.organization_id, branch=certificate.branch, requester=requester.strip(),
            questions=questions.strip(), due_date=due_date, status=states.OPEN, opened_by=staff.account_id,
            created_at=utcnow())
        session.add(verification)
        record_step(session, RECORD, verification.id, "OPENED", to_state=states.OPEN, note=questions.strip())
        uow.publish(*events.notice_to_organization("origin_cert.verification.opened", certificate.organization_id, {
            "number": verification.certificate_number, "questions": verification.questions,
            "dueDate": due_date.isoformat() if due_date else "规定期限"}))
        session.flush()
        view = _view(context, session, verification)
        uow.commit()
    return view


def list_verifications(context: OriginCertContext, status: str, page_size: int,
                       page_token: str) -> Page[Verification]:
    query = listed_for(exporter_or_officer(), Verification, states.VERIFICATION, status)
    # 待处理 first: what waits for the enterprise, then what waits for CCPIT, then the closed ones.
    waiting = case((Verification.status == states.OPEN, 0), (Verification.status == states.EVIDENCE_SUBMITTED, 1),
                   else_=2)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query.order_by(waiting, Verification.created_at.desc(), Verification.id),
                        page_size, page_token)


def get_verification(context: OriginCertContext, verification_id: str) -> VerificationView:
    viewer = exporter_or_officer()
    with context.unit_of_work(read_only=True) as uow:
        return _view(context, uow.session, _load(uow.session, viewer, verification_id))


def respond(context: OriginCertContext, verification_id: str, note: str) -> VerificationView:
    member = exporter()
    if len(note) > 2000:
        raise InvalidArgument.for_field("note", "说明不能超过2000字")
    with context.unit_of_work() as uow:
        session = uow.session
        verification = _load(session, member, verification_id, lock=True)
        if not context.providers.store.list(session, RECORD, verification.id):
            raise InvalidArgument.for_field("evidence", "请先上传佐证资料")
        states.VERIFICATION.move(verification, states.EVIDENCE_SUBMITTED, "该核查不在待处理状态")
        verification.response_note, verification.responded_at = note.strip(), utcnow()
        record_step(session, RECORD, verification.id, "ANSWERED", states.OPEN, states.EVIDENCE_SUBMITTED, note)
        enterprise = filing(session, verification.organization_id)
        uow.publish(events.notice_to_agencies("origin_cert.verification.answered", [verification.branch], {
            "organizationName": enterprise.name if enterprise else verification.organization_id,
            "number": verification.certificate_number}))
        view = _view(context, session, verification)
        uow.commit()
    return view


def decide(context: OriginCertContext, verification_id: str, *, close: bool, result: str,
           note: str) -> VerificationView:
    """CCPIT closes with a result and conclusion, or reopens asking for more (a note says what)."""
    staff = officer()
    if close and result not in RESULTS:
        choices = "、".join(f"{code}（{label}）" for code, label in RESULTS.items())
        raise InvalidArgument.for_field("result", f"核查结果可选：{choices}")
    if not note.strip() or len(note) > 2000:
        raise InvalidArgument.for_field("note", "请填写核查结论或需补充的内容（最多2000字）")
    with context.unit_of_work() as uow:
        session = uow.session
        verification = _load(session, staff, verification_id, lock=True)
        before = verification.status
        if close:
            states.VERIFICATION.move(verification, states.CLOSED, "该核查已结束")
            verification.result, verification.conclusion = result, note.strip()
            verification.closed_at = utcnow()
            uow.publish(*events.notice_to_organization("origin_cert.verification.closed", verification.organization_id,
                                                       {"number": verification.certificate_number,
                                                        "result": RESULTS[result], "conclusion": note.strip()}))
        else:
            states.VERIFICATION.move(verification, states.OPEN, "只有已上传佐证的核查可以要求补充")
            uow.publish(*events.notice_to_organization("origin_cert.verification.reopened",
                                                       verification.organization_id,
                                                       {"number": verification.certificate_number,
                                                        "note": note.strip()}))
        record_step(session, RECORD, verification.id, "CLOSED" if close else "REOPENED", before, verification.status,
                    note)
        view = _view(context, session, verification)
        uow.commit()
    return view
