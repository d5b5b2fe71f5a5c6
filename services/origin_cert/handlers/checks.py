"""Checking a certificate (原产地证书查验, §1.6): the public by number and check code (a wrong code answers exactly
as an unknown number), customs users with more fields; and what a signed PDF's record stands as now."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.auth import current_caller
from services.chassis.documents.certificates.common import CertificateReference, check_code_matches
from services.chassis.documents.verification import AMENDED, VALID, VOIDED
from services.chassis.errors import InvalidArgument, NotFound
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states
from services.origin_cert.handlers.certificates import CertificateView, view_of
from services.origin_cert.handlers.common import is_customs
from services.origin_cert.models import Certificate

CHECKED = (*states.ISSUED, states.VOIDED)
_MESSAGES = {VALID: "证书真实有效", AMENDED: "该证书已改证重发，原证书作废", VOIDED: "该证书已作废"}
# One answer for an unknown number and for a wrong check code, so a guess learns nothing.
UNKNOWN = "未查到该证书，请核对证书编号和查验码"


def record_status(certificate: Certificate) -> str:
    if certificate.status in states.ISSUED:
        return VALID
    return AMENDED if certificate.amended_by_id else VOIDED


@dataclass(frozen=True)
class CheckView:
    view: CertificateView
    status: str
    message: str
    detailed: bool
    amended_by_number: str


def check_certificate(context: OriginCertContext, number: str, check_code: str) -> CheckView:
    detailed = is_customs(current_caller())
    number = number.strip().upper()
    if not number:
        raise InvalidArgument.for_field("number", "请输入证书编号")
    if not detailed and not check_code.strip():
        raise InvalidArgument.for_field("checkCode", "请输入证书上的查验码")
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        certificate = session.scalar(select(Certificate).where(Certificate.number == number,
                                                               Certificate.status.in_(CHECKED)))
        if certificate is None or not (detailed or check_code_matches(certificate.check_code, check_code)):
            raise NotFound(UNKNOWN, reason="CERTIFICATE_NOT_FOUND")
        amended_by = session.get(Certificate, certificate.amended_by_id) if certificate.amended_by_id else None
        status = record_status(certificate)
        return CheckView(view_of(session, certificate, with_history=False), status, _MESSAGES[status], detailed,
                         (amended_by.number or "") if amended_by is not None and detailed else "")


def certificate_status(session: Session, reference: CertificateReference) -> str | None:
    """For ``documents:verify``: the signed PDF's record as it stands now, or None for one this system lacks."""
    certificate = session.get(Certificate, reference.record_id)
    if certificate is None or certificate.number != reference.number or certificate.status not in CHECKED:
        return None
    return record_status(certificate)
