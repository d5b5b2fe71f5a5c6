"""Certificates (manual §2.6): list, view with the write-off figures, the signed PDF, the public check."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.rules import check_text, clean
from services.ccc_exemption.handlers.access import load_certificate, require_viewer, visible_certificates
from services.ccc_exemption.handlers.issue import CERTIFICATE_RECORD, certificate_products
from services.ccc_exemption.handlers.records import china_today
from services.ccc_exemption.models import (
    Application,
    Bureau,
    Certificate,
    CertificateProduct,
    CertificateVersion,
    Modification,
)
from services.chassis.db import contains
from services.chassis.documents.attachments import Download
from services.chassis.documents.certificates.common import CertificateReference, check_code_matches
from services.chassis.documents.store import StoredAttachment
from services.chassis.documents.verification import AMENDED, VALID
from services.chassis.errors import NotFound, Violations
from services.chassis.paging import Page, paginate

EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class CertificateView:
    certificate: Certificate
    application: Application
    bureau: Bureau
    products: list[CertificateProduct]
    check_code: str
    modification_status: str
    pdf: StoredAttachment | None


@dataclass(frozen=True)
class CheckView:
    view: CertificateView
    status: str
    version: int


def certificate_view(context: CccContext, session: Session, certificate: Certificate, *,
                     version: CertificateVersion | None = None) -> CertificateView:
    version = version or session.get(CertificateVersion, certificate.current_version_id)
    modification = session.get(Modification, certificate.id)
    pdf = context.providers.store.find(session, CERTIFICATE_RECORD, certificate.id, version.pdf_attachment_id) \
        if version else None
    return CertificateView(certificate, session.get(Application, certificate.application_id),
                           session.get(Bureau, certificate.bureau_code), certificate_products(session, certificate.id),
                           version.check_code if version else "", modification.status if modification else "", pdf)


def list_certificates(context: CccContext, number: str, applicant: str, page_size: int,
                      page_token: str) -> Page[CertificateView]:
    viewer = require_viewer()
    violations = Violations()
    number = check_text(violations, "number", number, "证明号", 30)
    applicant = check_text(violations, "applicant", applicant, "申请单位", 100)
    violations.raise_if_any("查询条件有误")
    query = visible_certificates(viewer, select(Certificate))
    if number:
        query = query.where(contains(Certificate.number, number))
    if applicant:
        query = query.where(Certificate.application_id.in_(
            select(Application.id).where(contains(Application.applicant_name, applicant))))
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query.order_by(Certificate.issued_at.desc(), Certificate.id), page_size,
                        page_token)
        return Page([certificate_view(context, uow.session, c) for c in page.items], page.next_page_token,
                    page.total_size)


def get_certificate(context: CccContext, certificate_id: str) -> CertificateView:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        return certificate_view(context, uow.session, load_certificate(uow.session, viewer, certificate_id))


def download_certificate(context: CccContext, certificate_id: str) -> Download:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        view = certificate_view(context, session, load_certificate(session, viewer, certificate_id))
        if view.pdf is None:
            raise NotFound("证明文件不存在", reason="CERTIFICATE_PDF_NOT_FOUND")
        return Download(view.pdf, context.providers.store.content(session, view.pdf))


def check_certificate(context: CccContext, number: str, check_code: str) -> CheckView:
    """Public: the number and check code printed on a certificate (its QR code) name that version of it."""
    number, code = clean(number), clean(check_code)
    not_found = NotFound("证明号或查验码不正确", reason="CERTIFICATE_CHECK_FAILED", metadata={"field": "checkCode"})
    if not number or not code or len(number) > 30 or len(code) > 16:
        raise not_found
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        certificate = session.scalars(select(Certificate).where(Certificate.number == number)).first()
        if certificate is None:
            raise not_found
        versions = session.scalars(select(CertificateVersion).where(
            CertificateVersion.certificate_id == certificate.id))
        version = next((v for v in versions if check_code_matches(v.check_code, code)), None)
        if version is None:
            raise not_found
        if version.id != certificate.current_version_id:
            status = AMENDED
        else:
            status = EXPIRED if certificate.valid_until < china_today() else VALID
        return CheckView(certificate_view(context, session, certificate, version=version), status, version.version)


def certificate_status(session: Session, reference: CertificateReference) -> str | None:
    """For verification: the version a PDF names is VALID while it is the current one, AMENDED after."""
    version = session.get(CertificateVersion, reference.record_id)
    if version is None:
        return None
    certificate = session.get(Certificate, version.certificate_id)
    if certificate is None or certificate.number != reference.number:
        return None
    return VALID if certificate.current_version_id == version.id else AMENDED
