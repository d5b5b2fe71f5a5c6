"""Verifying an uploaded certificate PDF: is the signature intact, who signed it and when, which record, its status.

The record's status is the owning service's to say (:data:`StatusLookup`), read in one
read-only unit of work. A PDF is valid only when it is signed by this system, not one
byte has changed or been added since, and its record still stands.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy.orm import Session

from services.chassis.context import ServiceContext
from services.chassis.documents.certificates.common import CertificateReference
from services.chassis.documents.content import PDF, detect_content_type
from services.chassis.documents.signing import REFERENCE_FIELDS, REFERENCE_KEY, SigningTrust
from services.chassis.errors import InvalidArgument

log = logging.getLogger(__name__)

VALID = "VALID"
AMENDED = "AMENDED"
WITHDRAWN = "WITHDRAWN"
VOIDED = "VOIDED"
UNKNOWN_RECORD = "UNKNOWN_RECORD"
RECORD_STATUSES = (VALID, AMENDED, WITHDRAWN, VOIDED, UNKNOWN_RECORD)
_STATUS_WORDS = {AMENDED: "已被修改后的新版本取代", WITHDRAWN: "已撤回", VOIDED: "已作废",
                 UNKNOWN_RECORD: "在本系统中没有对应的证书记录"}

# The owning service's answer for a record: one of RECORD_STATUSES, None for a record it does not have.
StatusLookup = Callable[[Session, CertificateReference], str | None]


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool = False
    intact: bool = False
    trusted: bool = False
    signer: str = ""
    signing_time: datetime | None = None
    # The signing time is a trusted time-stamping authority's, not the signer's own clock.
    timestamped: bool = False
    reference: CertificateReference | None = None
    problem: str = ""


@dataclass(frozen=True)
class Verification:
    signature: SignatureCheck
    record_status: str = ""
    valid: bool = False
    message: str = ""


def check_signature(data: bytes, trust: SigningTrust) -> SignatureCheck:
    """What the PDF's last signature says, judged against ``trust``; never raises for a damaged file."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # a damaged file is an answer, not a failure
        log.info("unreadable PDF: %s", error)
        return SignatureCheck(problem="文件已损坏，无法读取")
    if not signatures:
        return SignatureCheck(problem="文件没有电子签名")
    signature = signatures[-1]
    try:
        claimed = signature.self_reported_timestamp
        context = ValidationContext(trust_roots=list(trust.roots), moment=claimed, allow_fetching=False)
        # A token is checked against the authority's roots only: this system's own roots do not vouch for time.
        tsa_context = ValidationContext(trust_roots=list(trust.tsa_roots), allow_fetching=False) \
            if trust.tsa_roots else None
        status = validate_pdf_signature(signature, context, ts_validation_context=tsa_context)
        reference = _reference(reader, signature.signed_revision)
    except Exception as error:
        log.info("signature cannot be validated: %s", error)
        return SignatureCheck(signed=True, problem="签名无法验证，文件可能已被篡改")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid and whole and _padding_untouched(signature))
    problem = ""
    if not intact:
        problem = "签名之后文件被追加了内容" if status.intact and status.valid else "文件内容在签名后被改动"
    if intact and not status.trusted:
        problem = "签名者不是本系统的签章证书"
    token = status.timestamp_validity
    timestamped = bool(tsa_context and token and token.intact and token.valid and token.trusted)
    moment = token.timestamp if timestamped else status.signer_reported_dt
    return SignatureCheck(signed=True, intact=intact, trusted=bool(status.trusted),
                          signer=status.signing_cert.subject.human_friendly,
                          signing_time=moment.astimezone(UTC) if moment else None, timestamped=timestamped,
                          reference=reference, problem=problem)


def _padding_untouched(signature: EmbeddedPdfSignature) -> bool:
    """The zeros reserved after the CMS blob in /Contents are outside the digest: they must still be zeros."""
    raw = bytes(signature.sig_object["/Contents"])
    if len(raw) < 2 or raw[0] != 0x30:
        return False
    if raw[1] < 0x80:
        end = 2 + raw[1]
    else:
        size = raw[1] & 0x7F
        end = 2 + size + int.from_bytes(raw[2:2 + size], "big")
    return not any(raw[end:])


def _reference(reader: PdfFileReader, revision: int) -> CertificateReference | None:
    """The reference as it was in the signed revision (a later update cannot change what was signed)."""
    entry = reader.get_historical_root(revision).get(REFERENCE_KEY)
    if entry is None:
        return None
    entry = entry.get_object()
    values = {attribute: str(entry.get(key, "")) for key, attribute in REFERENCE_FIELDS.items()}
    return CertificateReference(**values)


def judge(check: SignatureCheck, system: str, record_status: str | None) -> Verification:
    """The overall answer and its sentence, from the signature check and the record's status."""
    if not check.signed or not check.intact or not check.trusted:
        return Verification(check, message=check.problem or "签名无效")
    reference = check.reference
    if reference is None or reference.system != system:
        return Verification(replace(check, trusted=False), message="该文件不是本系统签发的证书")
    status = record_status or UNKNOWN_RECORD
    if status != VALID:
        return Verification(check, status, message=f"签名完好，但证书 {reference.number} {_STATUS_WORDS[status]}")
    return Verification(check, status, valid=True, message=f"证书 {reference.number} 真实有效")


def verify_certificate(context: ServiceContext, trust: SigningTrust, status_of: StatusLookup, data: bytes,
                       field: str = "file") -> Verification:
    """The use case: check an uploaded PDF, then ask the owning service for its record's status now."""
    if not data:
        raise InvalidArgument.for_field(field, "请上传要验证的证书 PDF 文件")
    if detect_content_type(data) != PDF:
        raise InvalidArgument.for_field(field, "只能验证 PDF 格式的证书文件")
    check = check_signature(data, trust)
    status = None
    if check.intact and check.reference is not None and check.reference.system == trust.system:
        with context.unit_of_work(read_only=True) as uow:
            status = status_of(uow.session, check.reference)
        if status is not None and status not in RECORD_STATUSES:
            raise ValueError(f"status lookup answered {status!r}, not one of {RECORD_STATUSES}")
    return judge(check, trust.system, status)
