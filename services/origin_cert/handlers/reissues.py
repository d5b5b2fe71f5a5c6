"""Amend and reissue (改证重发) and lost and reissue (失证重发), §1.4.4, as the manual's rules say:

- 改证重发: an approved certificate, with a reason, becomes a new DRAFT of the same type and invoice number
  (neither may change); it may be sent at once or saved and previewed; its approval voids the original.
- 失证重发: an approved and printed certificate, with a reason, decided by a visa officer; once approved only a copy
  prints, under the same certificate and print numbers, once; an amendment may follow; once an amendment is
  approved the original can no longer be reissued as lost (the amended one can).
"""

from __future__ import annotations

from sqlalchemy import select

from services.chassis.db import new_id, utcnow
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.paging import Page, paginate
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import certificates as rules
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import VISA_OFFICER
from services.origin_cert.handlers.certificate_flow import send
from services.origin_cert.handlers.certificates import RECORD, CertificateView, goods_of, load, view_of
from services.origin_cert.handlers.common import (
    exporter,
    exporter_or_officer,
    listed_for,
    officer,
    record_step,
    require_filing,
)
from services.origin_cert.models import Certificate, CertificateGood, LostReissue

_AMENDED = ("importer_name", "importer_address", "importer_country", "producer_name", "producer_address",
            "departure_date", "transport_means", "vessel", "port_of_loading", "port_of_discharge", "remarks",
            "declaration_place", "intermediary_name", "intermediary_address", "intermediary_shown",
            "third_party_invoicing", "back_to_back", "issued_retroactively", "exhibition", "invoice_number",
            "invoice_date", "destination_country", "certificate_type")


def _reason(reason: str, label: str) -> str:
    text = reason.strip()
    if not text or len(text) > 500:
        raise InvalidArgument.for_field("reason", f"请填写{label}（最多500字）")
    return text


def amend_certificate(context: OriginCertContext, certificate_id: str, reason: str, submit: bool) -> CertificateView:
    member = exporter()
    text = _reason(reason, "改证原因")
    with context.unit_of_work() as uow:
        session = uow.session
        original = load(session, member, certificate_id, lock=True)
        open_amendment = session.scalar(select(Certificate.id).where(
            Certificate.amends_id == original.id, Certificate.status.notin_((states.VOIDED,)),
            Certificate.approved_at.is_(None)))
        rules.check_amendable(original.status, open_amendment is not None)
        enterprise = require_filing(session, member.organization_id)
        amendment = Certificate(
            id=new_id(), organization_id=original.organization_id, branch=enterprise.branch, status=states.DRAFT,
            print_status=states.NOT_PRINTED, exporter_name=enterprise.name_en, exporter_address=enterprise.address_en,
            amends_id=original.id, amend_reason=text, created_by=member.account_id, created_at=utcnow(),
            updated_at=utcnow(), **{name: getattr(original, name) for name in _AMENDED})
        session.add(amendment)
        for line in goods_of(session, original.id):
            values = {c.key: getattr(line, c.key) for c in CertificateGood.__table__.columns}
            session.add(CertificateGood(**{**values, "id": new_id(), "certificate_id": amendment.id}))
        record_step(session, RECORD, amendment.id, "AMENDING", to_state=states.DRAFT,
                    note=f"amends {original.number}: {text}")
        record_step(session, RECORD, original.id, "AMENDMENT_STARTED", original.status, original.status, text)
        session.flush()
        if submit:
            # 直接发送至贸促会 (or 保存后预览: left as a draft that may be previewed).
            send(uow, member, amendment)
        view = view_of(session, amendment)
        uow.commit()
    return view


def create_lost_reissue(context: OriginCertContext, certificate_id: str, reason: str) -> LostReissue:
    member = exporter()
    text = _reason(reason, "失证原因")
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load(session, member, certificate_id, lock=True)
        before = list(session.scalars(select(LostReissue.status).where(LostReissue.certificate_id == certificate.id)))
        rules.check_lost_reissuable(certificate.status, certificate.amended_by_id is not None, before)
        reissue = LostReissue(id=new_id(), certificate_id=certificate.id, organization_id=certificate.organization_id,
                              branch=certificate.branch, reason=text, status=states.PENDING,
                              requested_by=member.account_id, created_at=utcnow())
        session.add(reissue)
        record_step(session, RECORD, certificate.id, "LOST_REISSUE_REQUESTED", certificate.status,
                    certificate.status, text)
        enterprise = require_filing(session, member.organization_id)
        uow.publish(events.notice_to_agencies("origin_cert.lost_reissue.requested", [certificate.branch], {
            "organizationName": enterprise.name, "number": certificate.number or ""}))
        uow.commit()
    return reissue


def list_lost_reissues(context: OriginCertContext, status: str, page_size: int,
                       page_token: str) -> Page[tuple[LostReissue, str]]:
    query = listed_for(exporter_or_officer(), LostReissue, states.LOST_REISSUE, status).order_by(
        LostReissue.created_at.desc(), LostReissue.id)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query, page_size, page_token)
        numbers = dict(uow.session.execute(select(Certificate.id, Certificate.number).where(
            Certificate.id.in_([r.certificate_id for r in page.items]))).all())
    return Page([(r, numbers.get(r.certificate_id) or "") for r in page.items], page.next_page_token, page.total_size)


def decide_lost_reissue(context: OriginCertContext, reissue_id: str, approve: bool,
                        note: str) -> tuple[LostReissue, str]:
    staff = officer(VISA_OFFICER)
    if not approve and not note.strip():
        raise InvalidArgument.for_field("note", "请填写不通过的原因")
    with context.unit_of_work() as uow:
        session = uow.session
        reissue = session.get(LostReissue, reissue_id, with_for_update=True) if reissue_id else None
        if reissue is None or not staff.covers(reissue.branch):
            raise NotFound("失证重发申请不存在或无权查看", reason="NOT_FOUND", metadata={"field": "id"})
        target = states.APPROVED if approve else states.REJECTED
        states.LOST_REISSUE.move(reissue, target, "该失证重发申请已处理")
        reissue.decided_by, reissue.decided_by_name = staff.account_id, staff.name
        reissue.decision_note, reissue.decided_at = note.strip()[:500], utcnow()
        certificate = session.get(Certificate, reissue.certificate_id)
        assert certificate is not None
        record_step(session, RECORD, certificate.id, f"LOST_REISSUE_{target}", certificate.status, certificate.status,
                    note)
        number = certificate.number or ""
        if approve:
            uow.publish(*events.notice_to_organization("origin_cert.lost_reissue.approved", reissue.organization_id,
                                                       {"number": number}))
        else:
            uow.publish(*events.notice_to_organization("origin_cert.lost_reissue.rejected", reissue.organization_id,
                                                       {"number": number, "reason": note.strip()}))
        uow.commit()
    return reissue, number
