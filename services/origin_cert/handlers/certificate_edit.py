"""Editing a certificate (§1.4.2): the invoice first, then the parties, transport and goods; saved as a DRAFT
with gaps, each gap named on the certificate. Importers, producers and special clauses of the enterprise's own
(制单资料) fill their fields; goods lines come from its approved pre-reviews under a criterion that holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import certificates as rules
from services.origin_cert.domain import origin, states, words
from services.origin_cert.domain.actors import Exporter
from services.origin_cert.handlers.certificates import (
    RECORD,
    CertificateView,
    load,
    product_of,
    view_of,
)
from services.origin_cert.handlers.common import exporter, record_step, require_agreement
from services.origin_cert.handlers.pre_reviews import load as load_pre_review
from services.origin_cert.models import ATTACHMENTS, Certificate, CertificateGood, Party, PreReview

IMPORTER, PRODUCER, SPECIAL_CLAUSE = "IMPORTER", "PRODUCER", "SPECIAL_CLAUSE"


@dataclass(frozen=True)
class LineInput:
    line: rules.GoodsLine
    autofill: bool = False


@dataclass(frozen=True)
class EditInput:
    fields: rules.CertificateFields
    lines: tuple[LineInput, ...] = ()
    importer_party_id: str = ""
    producer_party_id: str = ""
    special_clause_ids: tuple[str, ...] = field(default_factory=tuple)


def _party(session: Session, member: Exporter, party_id: str, kind: str, field_name: str) -> Party:
    found = session.get(Party, party_id)
    if found is None or found.organization_id != member.organization_id or found.kind != kind:
        raise InvalidArgument.for_field(field_name, "所选的制单资料不存在")
    return found


def _with_parties(session: Session, member: Exporter, data: EditInput) -> rules.CertificateFields:
    fields = data.fields
    if data.importer_party_id:
        party = _party(session, member, data.importer_party_id, IMPORTER, "importerPartyId")
        fields = replace(fields, importer_name=party.name, importer_address=party.address,
                         importer_country=party.country or fields.importer_country)
    if data.producer_party_id:
        party = _party(session, member, data.producer_party_id, PRODUCER, "producerPartyId")
        fields = replace(fields, producer_name=party.name, producer_address=party.address)
    clauses = [_party(session, member, clause_id, SPECIAL_CLAUSE, f"specialClauseIds[{i}]").text
               for i, clause_id in enumerate(dict.fromkeys(data.special_clause_ids))]
    missing = [text for text in clauses if text not in fields.remarks]
    if missing:
        fields = replace(fields, remarks="\n".join(part for part in (fields.remarks, *missing) if part))
    return fields


def _marks_images(session: Session, certificate_id: str) -> set[str]:
    table = ATTACHMENTS.attachments
    return set(session.scalars(select(table.c.id).where(table.c.record_type == RECORD,
                                                        table.c.record_id == certificate_id,
                                                        table.c.kind == "MARKS")))


def _goods(session: Session, member: Exporter, certificate: Certificate, agreement: origin.Agreement,
           lines: Sequence[LineInput]) -> list[CertificateGood]:
    """The goods lines as stored: each from an approved pre-review, its criterion checked for the agreement."""
    problems: list[FieldViolation] = []
    images = _marks_images(session, certificate.id)
    rows = []
    for index, given in enumerate(lines):
        at, line = f"goods[{index}]", given.line
        value = None
        if line.pre_review_id:
            pre_review = _pre_review(session, member, line.pre_review_id, f"{at}.preReviewId", problems)
            if pre_review is not None:
                value = _criterion_value(session, pre_review, agreement, certificate, line, at, problems)
                if line.hs_code and not _hs_agrees(line.hs_code, pre_review.hs_code, agreement):
                    problems.append(FieldViolation(f"{at}.hsCode", f"税则号须与产品预审的{pre_review.hs_code}一致"
                                                   + ("" if agreement.preferential else "（可显示4、6、8或10位）")))
                if not line.hs_code:
                    line = replace(line, hs_code=pre_review.hs_code[:agreement.hs_digits]
                                   if agreement.preferential else pre_review.hs_code)
        if line.marks_image_id and line.marks_image_id not in images:
            problems.append(FieldViolation(f"{at}.marksImageId", "图片唛头须先作为本证书的MARKS附件上传"))
        description = words.described(line.description, line.package_quantity, line.package_unit) \
            if given.autofill else line.description.strip()
        rows.append(CertificateGood(
            id=new_id(), certificate_id=certificate.id, position=index, pre_review_id=line.pre_review_id,
            origin_criterion=line.origin_criterion if agreement.preferential or line.origin_criterion else "",
            value_content=value, marks=line.marks.strip(), marks_image_id=line.marks_image_id,
            description=description, package_quantity=line.package_quantity, package_unit=line.package_unit.strip(),
            hs_code=line.hs_code, quantity=line.quantity, quantity_unit=line.quantity_unit.strip(),
            gross_weight=line.gross_weight, fob_value=line.fob_value))
    if problems:
        raise InvalidArgument("商品信息有误", problems)
    return rows


def _pre_review(session: Session, member: Exporter, pre_review_id: str, at: str,
                problems: list[FieldViolation]) -> PreReview | None:
    try:
        found = load_pre_review(session, member, pre_review_id)
    except NotFound:  # another organisation's or a missing one: named as a bad field, not a 404 of the certificate
        problems.append(FieldViolation(at, "所选的产品预审不存在"))
        return None
    if found.status != states.APPROVED:
        problems.append(FieldViolation(at, "须选择审核通过的产品预审"))
        return None
    return found


def _criterion_value(session: Session, pre_review: PreReview, agreement: origin.Agreement, certificate: Certificate,
                     line: rules.GoodsLine, at: str, problems: list[FieldViolation]) -> Decimal | None:
    option = origin.option_for(agreement, product_of(session, pre_review), certificate.destination_country)
    if not option.applies:
        problems.append(FieldViolation(f"{at}.preReviewId", option.reason))
        return None
    if not line.origin_criterion:
        return None
    criterion = next((c for c in option.criteria if c.code == line.origin_criterion), None)
    if criterion is None or not criterion.holds:
        why = criterion.reason if criterion else f"{agreement.name}不适用该原产地标准"
        problems.append(FieldViolation(f"{at}.originCriterion", why))
        return None
    return criterion.value


def _hs_agrees(given: str, filed: str, agreement: origin.Agreement) -> bool:
    if agreement.preferential:
        return given == filed[:agreement.hs_digits]
    return given.startswith(filed) or filed.startswith(given)


def update_certificate(context: OriginCertContext, certificate_id: str, data: EditInput) -> CertificateView:
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load(session, member, certificate_id, lock=True)
        if certificate.status not in states.EDITABLE_CERTIFICATE:
            raise FailedPrecondition(f"{states.CERTIFICATE.label(certificate.status)}的证书不能编辑",
                                     reason="CERTIFICATE_STATE_INVALID", metadata={"status": certificate.status})
        _row, agreement = require_agreement(session, certificate.certificate_type)
        fields = _with_parties(session, member, data)
        problems = rules.format_problems(replace(fields, goods=tuple(li.line for li in data.lines)),
                                         certificate.certificate_type)
        if certificate.amends_id:
            original = session.get(Certificate, certificate.amends_id)
            if original is not None and fields.invoice_number != original.invoice_number:
                problems.append(FieldViolation("invoiceNumber", "改证重发不可修改发票号"))
        if problems:
            raise InvalidArgument("证书信息有误", problems)
        rows = _goods(session, member, certificate, agreement, data.lines)
        for name in ("invoice_number", "invoice_date", "importer_name", "importer_address", "importer_country",
                     "producer_name", "producer_address", "departure_date", "transport_means", "vessel",
                     "port_of_loading", "port_of_discharge", "remarks", "declaration_place", "intermediary_name",
                     "intermediary_address", "intermediary_shown", "third_party_invoicing", "back_to_back",
                     "issued_retroactively", "exhibition"):
            value = getattr(fields, name)
            setattr(certificate, name, value.strip() if isinstance(value, str) else value)
        certificate.importer_country = certificate.importer_country or certificate.destination_country
        certificate.updated_at = utcnow()
        session.execute(delete(CertificateGood).where(CertificateGood.certificate_id == certificate.id))
        session.add_all(rows)
        record_step(session, RECORD, certificate.id, "SAVED", certificate.status, certificate.status)
        session.flush()
        view = view_of(session, certificate)
        uow.commit()
    return view


def delete_certificate(context: OriginCertContext, certificate_id: str) -> CertificateView:
    """A DRAFT that was never sent, with its documents."""
    member = exporter()
    store = context.providers.store
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load(session, member, certificate_id, lock=True)
        if certificate.status != states.DRAFT or certificate.submitted_at is not None:
            raise FailedPrecondition("只有从未发送的草稿可以删除", reason="CERTIFICATE_NOT_DELETABLE")
        view = view_of(session, certificate, with_history=False)
        store.remove_record(session, RECORD, certificate.id)
        session.delete(certificate)
        uow.commit()
    return view
