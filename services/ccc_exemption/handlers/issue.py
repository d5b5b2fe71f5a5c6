"""Issuing a certificate (manual §2.6): numbered, its products copied, rendered, signed and kept as a PDF.

Each version (as issued, then each confirmed modification) is a PDF of its own with its own check
code; the PDF names the version's id, so verification can tell the current version from one a
modification replaced.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import EXEMPTION_CLAUSES, SYSTEM, TRADE_MODES
from services.ccc_exemption.handlers.records import china_today, next_serial
from services.ccc_exemption.models import (
    Application,
    Bureau,
    Certificate,
    CertificateProduct,
    CertificateVersion,
    Product,
)
from services.chassis.db import new_id, utcnow
from services.chassis.divisions import divisions
from services.chassis.documents.certificates.ccc import CccExemptionCertificate, ExemptProduct, render_ccc_exemption
from services.chassis.documents.certificates.common import (
    CCC_EXEMPTION,
    CertificateReference,
    Marking,
    check_url,
    new_check_code,
)
from services.chassis.documents.content import MB, PDF, AttachmentKind, Upload, check_upload
from services.chassis.wire import decimal_text

CERTIFICATE_RECORD = "certificate"
CERTIFICATE_KIND = AttachmentKind("CERTIFICATE", "免办证明", max_bytes=16 * MB, types=frozenset({PDF}))
# The public check (where each PDF's QR code leads), under the service's REST area.
CHECK_PATH = "/v1/ccc/certificate-checks"


def place_text(code: str) -> str:
    return f"{divisions().full_name(code)}（{code}）" if code else ""


def quantity_text(value) -> str:
    return decimal_text(value.normalize()) if value is not None else ""


def certificate_products(session: Session, certificate_id: str) -> list[CertificateProduct]:
    return list(session.scalars(select(CertificateProduct).where(CertificateProduct.certificate_id == certificate_id)
                                .order_by(CertificateProduct.sequence)))


def render_version(context: CccContext, session: Session, certificate: Certificate, application: Application,
                   bureau: Bureau) -> CertificateVersion:
    """Render and sign the certificate as it stands now; keep the PDF and make it the current version."""
    version = CertificateVersion(id=new_id(), certificate_id=certificate.id, version=certificate.version,
                                 check_code=new_check_code(), created_at=utcnow())
    products = certificate_products(session, certificate.id)
    document = CccExemptionCertificate(
        number=certificate.number, applicant=application.applicant_name,
        contract_number=application.contract_number, invoice_number=application.invoice_number,
        bill_of_lading_number=application.bill_of_lading_number,
        exemption_clause=EXEMPTION_CLAUSES.get(application.exemption_clause, ""),
        trade_mode=TRADE_MODES.get(application.trade_mode, ""),
        final_use_location=place_text(application.final_use_code),
        valid_from=certificate.valid_from, valid_until=certificate.valid_until, bureau=bureau.name,
        issued_on=china_today(certificate.issued_at), version=certificate.version,
        products=[ExemptProduct(p.name, p.hs_code, p.model, quantity_text(p.quantity), p.quantity_unit, p.brand,
                                p.manufacturer) for p in products])
    config = context.providers.config
    marking = Marking(certificate.number, version.check_code,
                      check_url(config.public_url, CHECK_PATH, certificate.number, version.check_code), bureau.name)
    signed = context.providers.signer.sign(render_ccc_exemption(document, marking),
                                           CertificateReference(SYSTEM, CCC_EXEMPTION, version.id, certificate.number))
    pdf = context.providers.store.add(
        session, record_type=CERTIFICATE_RECORD, record_id=certificate.id, kind=CERTIFICATE_KIND.code,
        file=check_upload(Upload(f"{certificate.number}-v{certificate.version}.pdf", signed), CERTIFICATE_KIND),
        uploaded_by=None, organization_id=certificate.organization_id)
    version.pdf_attachment_id = pdf.id
    session.add(version)
    certificate.current_version_id = version.id
    return version


def issue_certificate(context: CccContext, session: Session, application: Application, bureau: Bureau,
                      valid_from: date, valid_until: date) -> Certificate:
    serial = next_serial(session, f"certificate:{bureau.code}:{valid_from.year}")
    certificate = Certificate(id=new_id(), number=f"MB{valid_from.year}{bureau.code}{serial:04d}",
                              application_id=application.id, organization_id=application.organization_id,
                              bureau_code=bureau.code, version=1, valid_from=valid_from, valid_until=valid_until,
                              issued_at=utcnow(), current_version_id="")
    session.add(certificate)
    session.flush()
    products = session.scalars(select(Product).where(Product.application_id == application.id)
                               .order_by(Product.sequence))
    for product in products:
        session.add(CertificateProduct(
            certificate_id=certificate.id, product_id=product.id, sequence=product.sequence, name=product.name,
            hs_code=product.hs_code, hs_name=product.hs_name, model=product.model, brand=product.brand,
            manufacturer=product.manufacturer, quantity=product.quantity, quantity_unit=product.quantity_unit,
            standard_quantity=product.standard_quantity, standard_unit=product.standard_unit,
            final_use_code=product.final_use_code))
    session.flush()
    render_version(context, session, certificate, application, bureau)
    application.certificate_id, application.certificate_number = certificate.id, certificate.number
    return certificate
