"""Sending, reviewing and printing certificates (§1.4.2-1.4.4.1): submit only complete, withdraw until a visa
officer starts, approve under a certificate number (the signed PDF with check code and QR code is issued then)
or reject; print once (after an approved lost-reissue, a copy once); preview any certificate but a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.documents.certificates.common import CertificateReference, Marking, check_url, new_check_code
from services.chassis.documents.content import Upload, check_upload
from services.chassis.documents.store import AttachmentStore
from services.chassis.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.chassis.uow import UnitOfWork
from services.origin_cert import events, forms
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import certificates as rules
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import SYSTEM, VISA_OFFICER, Exporter, Officer
from services.origin_cert.handlers.certificates import CHINA_TIME, RECORD, CertificateView, gaps_of, load, view_of
from services.origin_cert.handlers.common import (
    exporter,
    exporter_or_officer,
    next_serial,
    officer,
    record_step,
    require_filing,
)
from services.origin_cert.handlers.documents import CERTIFICATE_KIND, MARKS_KIND
from services.origin_cert.models import Agreement, Branch, Certificate, Country, LostReissue

CHECK_PATH = "/v1/origin/checks"
_NUMBER_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
COPY_MARK = "CERTIFIED TRUE COPY 副本"


def _china_day(moment: datetime | None) -> str:
    return (moment or utcnow()).astimezone(CHINA_TIME).date().isoformat()


def _marks_pictures(session: Session, store: AttachmentStore, certificate: Certificate) -> dict[str, bytes]:
    """The certificate's image shipping marks (its MARKS attachments), by attachment id."""
    marks = store.list(session, RECORD, certificate.id, kind=MARKS_KIND.code)
    return {attachment.id: store.content(session, attachment) for attachment in marks}


def printed_of(session: Session, store: AttachmentStore, view: CertificateView, *, number: str,
               copy: bool = False) -> forms.Printed:
    c = view.certificate
    images = _marks_pictures(session, store, c) if any(g.marks_image_id for g in view.goods) else {}
    agreement = session.get(Agreement, c.certificate_type)
    branch = session.get(Branch, c.branch)
    country = session.get(Country, c.destination_country)
    exporter_box = f"{c.exporter_name}\n{c.exporter_address}".strip()
    if c.intermediary_shown and c.intermediary_name:
        exporter_box += f"\nVIA {c.intermediary_name} {c.intermediary_address}".rstrip()
    importer_country = session.get(Country, c.importer_country) if c.importer_country else country
    remarks = c.remarks
    if copy:
        remarks = f"{COPY_MARK}  Print No. {c.print_number}\n{remarks}".strip()
    place = (branch.name_en.replace("CCPIT ", "").replace(" SUB-COUNCIL", "") if branch else "CHINA")
    currency = next((p.currency for p in view.products.values()), "USD")
    return forms.Printed(
        kind=forms.form_kind(c.certificate_type, agreement.name if agreement else c.certificate_type,
                             agreement.name_en if agreement else c.certificate_type),
        number=number, exporter=exporter_box,
        importer=f"{c.importer_name}\n{c.importer_address}\n{importer_country.name_en if importer_country else ''}"
        .strip(),
        producer=f"{c.producer_name}\n{c.producer_address}".strip(),
        destination=country.name_en if country else c.destination_country, invoice_number=c.invoice_number,
        invoice_date=c.invoice_date, departure_date=c.departure_date,
        transport=forms.transport_text(c.transport_means, c.vessel), port_of_loading=c.port_of_loading,
        port_of_discharge=c.port_of_discharge, remarks=remarks,
        issuing_branch=f"{branch.name} {branch.name_en}" if branch else "",
        declared=f"{c.declaration_place or place}, CHINA  {_china_day(c.submitted_at)}",
        certified=f"{place}, CHINA  {_china_day(c.approved_at)}" if c.approved_at else "", currency=currency,
        lines=[forms.Line(g.marks or ("" if images.get(g.marks_image_id) else "N/M"), g.description,
                          g.hs_code, g.origin_criterion, g.value_content, g.quantity, g.quantity_unit, g.gross_weight,
                          g.fob_value, images.get(g.marks_image_id)) for g in view.goods],
        third_party_invoicing=c.third_party_invoicing, back_to_back=c.back_to_back,
        issued_retroactively=c.issued_retroactively, exhibition=c.exhibition)


def marking(context: OriginCertContext, number: str, code: str, issuer: str) -> Marking:
    return Marking(number=number, check_code=code, check_url=check_url(context.config.public_url, CHECK_PATH, number,
                                                                       code), issuer=issuer)


def _signed(context: OriginCertContext, session: Session, view: CertificateView, *, copy: bool = False) -> bytes:
    c = view.certificate
    printed = printed_of(session, context.providers.store, view, number=c.number or "", copy=copy)
    pdf = forms.render(printed, marking(context, c.number or "", c.check_code, "中国国际贸易促进委员会"))
    reference = CertificateReference(SYSTEM, printed.kind, c.id, c.number or "")
    return context.providers.signer.sign(pdf, reference, reason="副本" if copy else "签发原产地证书")


def _keep_pdf(context: OriginCertContext, session: Session, certificate: Certificate, data: bytes, kind: str) -> str:
    checked = check_upload(Upload(f"{certificate.number}{'-copy' if kind != 'CERTIFICATE' else ''}.pdf", data),
                           CERTIFICATE_KIND)
    stored = context.providers.store.add(session, record_type=RECORD, record_id=certificate.id, kind=kind,
                                         file=checked, uploaded_by=None, organization_id=certificate.organization_id)
    return stored.id


# ---- the enterprise ----

def send(uow: UnitOfWork, member: Exporter, certificate: Certificate) -> None:
    """Move an editable certificate to SUBMITTED, refused with every gap named; the branch is told."""
    session = uow.session
    if certificate.status not in states.EDITABLE_CERTIFICATE:
        raise FailedPrecondition(f"{states.CERTIFICATE.label(certificate.status)}的证书不能发送",
                                 reason="CERTIFICATE_STATE_INVALID", metadata={"status": certificate.status})
    enterprise = require_filing(session, member.organization_id)
    certificate.exporter_name, certificate.exporter_address = enterprise.name_en, enterprise.address_en
    view = view_of(session, certificate, with_history=False)
    gaps = gaps_of(session, certificate, view.goods, view.products)
    if gaps:
        raise InvalidArgument("证书信息不完整，草稿状态下的信息不可发送", gaps, reason="CERTIFICATE_INCOMPLETE")
    before = certificate.status
    states.CERTIFICATE.move(certificate, states.SUBMITTED)
    certificate.branch, certificate.submitted_at = enterprise.branch, utcnow()
    certificate.rejection_reason = ""
    record_step(session, RECORD, certificate.id, "SUBMITTED", before, states.SUBMITTED)
    uow.publish(events.notice_to_agencies("origin_cert.certificate.submitted", [certificate.branch], {
        "organizationName": enterprise.name, "certificateType": view.type_name,
        "invoiceNumber": certificate.invoice_number}))


def submit_certificate(context: OriginCertContext, certificate_id: str) -> CertificateView:
    member = exporter()
    with context.unit_of_work() as uow:
        certificate = load(uow.session, member, certificate_id, lock=True)
        send(uow, member, certificate)
        view = view_of(uow.session, certificate)
        uow.commit()
    return view


def withdraw_certificate(context: OriginCertContext, certificate_id: str) -> CertificateView:
    """撤回申报: back to DRAFT, only until a visa officer starts on it."""
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load(session, member, certificate_id, lock=True)
        if certificate.status == states.IN_REVIEW:
            raise FailedPrecondition("签证人员已开始审核，不能撤回", reason="REVIEW_STARTED")
        states.CERTIFICATE.move(certificate, states.DRAFT, "只有待审核的证书可以撤回")
        certificate.updated_at = utcnow()
        record_step(session, RECORD, certificate.id, "WITHDRAWN", states.SUBMITTED, states.DRAFT)
        view = view_of(session, certificate)
        uow.commit()
    return view


# ---- the visa officer ----

def _officer_certificate(session: Session, staff: Officer, certificate_id: str) -> Certificate:
    return load(session, staff, certificate_id, lock=True)


def start_review(context: OriginCertContext, certificate_id: str) -> CertificateView:
    staff = officer(VISA_OFFICER)
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _officer_certificate(session, staff, certificate_id)
        states.CERTIFICATE.move(certificate, states.IN_REVIEW, "只有待审核的证书可以开始审核")
        certificate.visa_officer_id, certificate.visa_officer_name = staff.account_id, staff.name
        certificate.review_started_at = utcnow()
        record_step(session, RECORD, certificate.id, "REVIEW_STARTED", states.SUBMITTED, states.IN_REVIEW)
        view = view_of(session, certificate)
        uow.commit()
    return view


def _number(session: Session, certificate: Certificate, given: str) -> str:
    if given:
        if not 6 <= len(given) <= 32 or not set(given) <= _NUMBER_CHARACTERS:
            raise InvalidArgument.for_field("certificateNumber", "证书编号须为6-32位大写字母、数字或-")
        if session.scalar(select(Certificate.id).where(Certificate.number == given)) is not None:
            raise AlreadyExists("该证书编号已被使用", reason="ALREADY_EXISTS", metadata={"field": "certificateNumber"})
        return given
    agreement = session.get(Agreement, certificate.certificate_type)
    branch = session.get(Branch, certificate.branch)
    prefix, code = (agreement.number_prefix if agreement else "C"), (branch.serial_code if branch else "0000")
    year = utcnow().year
    return rules.number(prefix, year, code, next_serial(session, f"certificate:{prefix}:{year}:{code}"))


def approve_certificate(context: OriginCertContext, certificate_id: str, certificate_number: str) -> CertificateView:
    staff = officer(VISA_OFFICER)
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _officer_certificate(session, staff, certificate_id)
        before = certificate.status
        states.CERTIFICATE.check(before, states.APPROVED, "只有待审核或审核中的证书可以审核通过")
        number = _number(session, certificate, certificate_number.strip().upper())
        states.CERTIFICATE.move(certificate, states.APPROVED)
        certificate.number, certificate.check_code, certificate.approved_at = number, new_check_code(), utcnow()
        certificate.visa_officer_id, certificate.visa_officer_name = staff.account_id, staff.name
        session.flush()
        view = view_of(session, certificate, with_history=False)
        certificate.pdf_attachment_id = _keep_pdf(context, session, certificate, _signed(context, session, view),
                                                  CERTIFICATE_KIND.code)
        record_step(session, RECORD, certificate.id, "APPROVED", before, states.APPROVED, f"certificate {number}")
        uow.publish(*events.notice_to_organization("origin_cert.certificate.approved", certificate.organization_id, {
            "certificateType": view.type_name, "invoiceNumber": certificate.invoice_number, "number": number}),
            events.certificate_issued(certificate.id, number, certificate.certificate_type,
                                      certificate.organization_id, certificate.branch))
        if certificate.amends_id:
            _void_original(uow, certificate)
        view = view_of(session, certificate)
        uow.commit(on_integrity_error=lambda _e: AlreadyExists("该证书编号已被使用",
                                                               metadata={"field": "certificateNumber"}))
    return view


def _void_original(uow: UnitOfWork, amendment: Certificate) -> None:
    """改证重发审核通过后，原证书作废."""
    session = uow.session
    original = session.get(Certificate, amendment.amends_id, with_for_update=True)
    if original is None or original.status not in states.ISSUED:
        return
    before = original.status
    states.CERTIFICATE.move(original, states.VOIDED)
    original.amended_by_id, original.voided_at = amendment.id, utcnow()
    original.void_reason = f"改证重发：{amendment.amend_reason}（新证书{amendment.number}）"
    record_step(session, RECORD, original.id, "VOIDED", before, states.VOIDED, original.void_reason)
    uow.publish(*events.notice_to_organization("origin_cert.certificate.voided", original.organization_id, {
        "number": original.number or "", "reason": original.void_reason}),
        events.certificate_voided(original.id, original.number or "", amendment.id))


def reject_certificate(context: OriginCertContext, certificate_id: str, reason: str) -> CertificateView:
    staff = officer(VISA_OFFICER)
    text = reason.strip()
    if not text or len(text) > 500:
        raise InvalidArgument.for_field("reason", "请填写不通过的原因（最多500字）")
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _officer_certificate(session, staff, certificate_id)
        before = certificate.status
        states.CERTIFICATE.move(certificate, states.REJECTED, "只有待审核或审核中的证书可以审核不通过")
        certificate.rejection_reason = text
        certificate.visa_officer_id, certificate.visa_officer_name = staff.account_id, staff.name
        record_step(session, RECORD, certificate.id, "REJECTED", before, states.REJECTED, text)
        view = view_of(session, certificate)
        uow.publish(*events.notice_to_organization("origin_cert.certificate.rejected", certificate.organization_id, {
            "certificateType": view.type_name, "invoiceNumber": certificate.invoice_number, "reason": text}))
        uow.commit()
    return view


# ---- printing and preview ----

@dataclass(frozen=True)
class Pdf:
    file_name: str
    content: bytes


def print_certificate(context: OriginCertContext, certificate_id: str) -> Pdf:
    """打印: the signed original once; after an approved lost-reissue, a copy once, under the same numbers."""
    viewer = exporter_or_officer()
    store = context.providers.store
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load(session, viewer, certificate_id, lock=True)
        if certificate.status == states.APPROVED:
            states.CERTIFICATE.move(certificate, states.PRINTED)
            states.CERTIFICATE_PRINT.move(certificate, states.PRINTED, attribute="print_status")
            year = utcnow().year
            certificate.print_number = f"{year % 100:02d}{next_serial(session, f'print:{year}'):010d}"
            certificate.printed_at = utcnow()
            record_step(session, RECORD, certificate.id, "PRINTED", states.APPROVED, states.PRINTED,
                        f"print {certificate.print_number}")
            attachment = store.find(session, RECORD, certificate.id, certificate.pdf_attachment_id)
            assert attachment is not None
            pdf = Pdf(f"{certificate.number}.pdf", store.content(session, attachment))
        elif certificate.status == states.PRINTED:
            pdf = _print_copy(context, session, certificate)
        else:
            raise FailedPrecondition("只有审核通过的证书可以打印", reason="CERTIFICATE_NOT_APPROVED",
                                     metadata={"status": certificate.status})
        uow.commit()
    return pdf


def _print_copy(context: OriginCertContext, session: Session, certificate: Certificate) -> Pdf:
    approved = session.scalar(select(LostReissue.id).where(LostReissue.certificate_id == certificate.id,
                                                           LostReissue.status == states.APPROVED))
    if approved is None:
        raise FailedPrecondition("证书已打印，不可重新打印；证书遗失请申请失证重发", reason="ALREADY_PRINTED")
    if certificate.print_status == states.COPY_PRINTED:
        raise FailedPrecondition("失证重发后只可打印一次副本，不可再次打印", reason="COPY_ALREADY_PRINTED")
    states.CERTIFICATE_PRINT.move(certificate, states.COPY_PRINTED, attribute="print_status")
    certificate.copy_printed_at = utcnow()
    data = _signed(context, session, view_of(session, certificate, with_history=False), copy=True)
    _keep_pdf(context, session, certificate, data, "COPY")
    record_step(session, RECORD, certificate.id, "COPY_PRINTED", states.PRINTED, states.PRINTED,
                f"copy of print {certificate.print_number}")
    return Pdf(f"{certificate.number}-copy.pdf", data)


def preview_certificate(context: OriginCertContext, certificate_id: str) -> Pdf:
    """预览: the signed PDF once issued; before that an unsigned rendering. A draft is not previewed (save an
    amendment and it may be: 保存后，在证书列表中预览证书)."""
    viewer = exporter_or_officer()
    store = context.providers.store
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        certificate = load(session, viewer, certificate_id)
        if certificate.status == states.DRAFT and not certificate.amends_id:
            raise FailedPrecondition("状态为草稿的证书不可预览", reason="DRAFT_NOT_PREVIEWABLE")
        if certificate.pdf_attachment_id:
            attachment = store.find(session, RECORD, certificate.id, certificate.pdf_attachment_id)
            if attachment is not None:
                return Pdf(f"{certificate.number}.pdf", store.content(session, attachment))
        view = view_of(session, certificate, with_history=False)
        printed = printed_of(session, store, view, number="PREVIEW 预览")
        return Pdf(f"preview-{certificate.id}.pdf",
                   forms.render(printed, Marking("PREVIEW 预览", "-", f"{context.config.public_url}{CHECK_PATH}",
                                                 "中国国际贸易促进委员会")))
