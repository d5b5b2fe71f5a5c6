"""Certificates of origin (§1.4.1-1.4.3): smart creation from an approved pre-review, copy, find and read.

An enterprise sees its own certificates; CCPIT staff those of their branch once sent (never a draft that was not).
Editing lives in :mod:`.certificate_edit`, review and printing in :mod:`.certificate_flow`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.chassis.db import contains, new_id, utcnow
from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument
from services.chassis.paging import Page, paginate
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import certificates as rules
from services.origin_cert.domain import origin, states
from services.origin_cert.domain.actors import Exporter, Officer
from services.origin_cert.handlers.common import (
    agreement_rules,
    branch_names,
    country_names,
    exporter,
    exporter_or_officer,
    filing,
    history,
    not_found,
    record_step,
    require_agreement,
    require_country,
    require_filing,
)
from services.origin_cert.handlers.pre_reviews import domain_materials, materials_of
from services.origin_cert.handlers.pre_reviews import load as load_pre_review
from services.origin_cert.models import (
    Agreement,
    Certificate,
    CertificateGood,
    Enterprise,
    LostReissue,
    PreReview,
    RecordStep,
)

RECORD = "certificate"
CHINA = "CN"
STALE_PRE_REVIEW = "该产品预审已作废或未审核通过，请重新选择备案商品"
CHINA_TIME = timezone(timedelta(hours=8), "CST")
COPY_RULE = "优惠证可复制新增为一般证或与原证相同类型的优惠证；一般证可复制新增为一般证或所有类型的优惠证"


@dataclass(frozen=True)
class CertificateView:
    certificate: Certificate
    goods: list[CertificateGood]
    products: dict[str, PreReview]
    type_name: str
    branch_name: str
    country_names: dict[str, str]
    gaps: list[FieldViolation] = field(default_factory=list)
    lost_reissue: LostReissue | None = None
    steps: list[RecordStep] = field(default_factory=list)


# ---- reading ----

def visible_query(viewer: Exporter | Officer) -> Select:
    if isinstance(viewer, Officer):
        query = select(Certificate).where(Certificate.submitted_at.is_not(None))
        return query if viewer.head_office else query.where(Certificate.branch == viewer.branch)
    return select(Certificate).where(Certificate.organization_id == viewer.organization_id)


def load(session: Session, viewer: Exporter | Officer, certificate_id: str, *, lock: bool = False) -> Certificate:
    query = visible_query(viewer).where(Certificate.id == certificate_id)
    found = session.scalar(query.with_for_update() if lock else query) if certificate_id else None
    if found is None:
        raise not_found("原产地证书")
    return found


def goods_of(session: Session, certificate_id: str) -> list[CertificateGood]:
    return list(session.scalars(select(CertificateGood).where(CertificateGood.certificate_id == certificate_id)
                                .order_by(CertificateGood.position)))


def fields_of(certificate: Certificate, goods: list[CertificateGood]) -> rules.CertificateFields:
    c = certificate
    return rules.CertificateFields(
        invoice_number=c.invoice_number, invoice_date=c.invoice_date, importer_name=c.importer_name,
        importer_address=c.importer_address, importer_country=c.importer_country, producer_name=c.producer_name,
        producer_address=c.producer_address, departure_date=c.departure_date, transport_means=c.transport_means,
        vessel=c.vessel, port_of_loading=c.port_of_loading, port_of_discharge=c.port_of_discharge,
        remarks=c.remarks, declaration_place=c.declaration_place, intermediary_name=c.intermediary_name,
        intermediary_address=c.intermediary_address, intermediary_shown=c.intermediary_shown,
        third_party_invoicing=c.third_party_invoicing, back_to_back=c.back_to_back,
        issued_retroactively=c.issued_retroactively, exhibition=c.exhibition,
        goods=tuple(rules.GoodsLine(
            pre_review_id=g.pre_review_id, origin_criterion=g.origin_criterion, marks=g.marks,
            marks_image_id=g.marks_image_id, description=g.description, package_quantity=g.package_quantity,
            package_unit=g.package_unit, hs_code=g.hs_code, quantity=g.quantity, quantity_unit=g.quantity_unit,
            gross_weight=g.gross_weight, fob_value=g.fob_value) for g in goods))


def gaps_of(session: Session, certificate: Certificate, goods: list[CertificateGood],
            products: dict[str, PreReview]) -> list[FieldViolation]:
    """What must still be filled, and goods whose pre-review no longer stands (作废后须重新选择)."""
    enterprise = filing(session, certificate.organization_id)
    agreement = session.get(Agreement, certificate.certificate_type)
    found = rules.gaps(fields_of(certificate, goods), certificate.certificate_type,
                       exporter_ready=bool(enterprise and enterprise.name_en and enterprise.address_en),
                       hs_digits=agreement.hs_digits if agreement else 6)
    for index, line in enumerate(goods):
        product = products.get(line.pre_review_id)
        if line.pre_review_id and (product is None or product.status != states.APPROVED):
            found.append(FieldViolation(f"goods[{index}].preReviewId", STALE_PRE_REVIEW))
    return found


def view_of(session: Session, certificate: Certificate, *, with_history: bool = True,
            names: tuple[dict[str, str], dict[str, str]] | None = None) -> CertificateView:
    """The certificate with its goods, products, names and gaps; ``names`` (branches, countries) once per page."""
    goods = goods_of(session, certificate.id)
    ids = [g.pre_review_id for g in goods if g.pre_review_id]
    products = {p.id: p for p in session.scalars(select(PreReview).where(PreReview.id.in_(ids)))} if ids else {}
    agreement = session.get(Agreement, certificate.certificate_type)
    editable = certificate.status in states.EDITABLE_CERTIFICATE
    reissue = session.scalar(select(LostReissue).where(LostReissue.certificate_id == certificate.id)
                             .order_by(LostReissue.created_at.desc()).limit(1))
    branches, countries = names or (branch_names(session), country_names(session))
    return CertificateView(
        certificate, goods, products, agreement.name if agreement else certificate.certificate_type,
        branches.get(certificate.branch, ""), countries,
        gaps_of(session, certificate, goods, products) if editable else [], reissue,
        history(session, RECORD, certificate.id) if with_history else [])


def get_certificate(context: OriginCertContext, certificate_id: str) -> CertificateView:
    viewer = exporter_or_officer()
    with context.unit_of_work(read_only=True) as uow:
        return view_of(uow.session, load(uow.session, viewer, certificate_id))


@dataclass(frozen=True)
class CertificateQuery:
    certificate_type: str = ""
    invoice_number: str = ""
    number: str = ""
    created_from: date | None = None
    created_to: date | None = None
    destination_country: str = ""
    status: str = ""
    print_status: str = ""
    visa_officer: str = ""
    importer: str = ""


def list_certificates(context: OriginCertContext, query: CertificateQuery, page_size: int,
                      page_token: str) -> Page[CertificateView]:
    viewer = exporter_or_officer()
    if query.status and query.status not in states.CERTIFICATE.states:
        raise InvalidArgument.for_field("status", f"申报状态可选：{'、'.join(states.CERTIFICATE.states)}")
    if query.print_status and query.print_status not in states.CERTIFICATE_PRINT.states:
        raise InvalidArgument.for_field("printStatus", f"打印状态可选：{'、'.join(states.CERTIFICATE_PRINT.states)}")
    statement = visible_query(viewer)
    for column, value in ((Certificate.certificate_type, query.certificate_type),
                          (Certificate.destination_country, query.destination_country),
                          (Certificate.status, query.status), (Certificate.print_status, query.print_status)):
        if value:
            statement = statement.where(column == value)
    if query.invoice_number:
        statement = statement.where(contains(Certificate.invoice_number, query.invoice_number))
    if query.number:
        statement = statement.where(contains(Certificate.number, query.number))
    if query.importer:
        statement = statement.where(contains(Certificate.importer_name, query.importer))
    if query.visa_officer:
        statement = statement.where(or_(Certificate.visa_officer_id == query.visa_officer,
                                        contains(Certificate.visa_officer_name, query.visa_officer)))
    # 制单日期, taken as days in China.
    if query.created_from:
        statement = statement.where(Certificate.created_at >= _china_midnight(query.created_from))
    if query.created_to:
        statement = statement.where(Certificate.created_at < _china_midnight(query.created_to + timedelta(days=1)))
    statement = statement.order_by(Certificate.created_at.desc(), Certificate.id)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, statement, page_size, page_token)
        names = branch_names(uow.session), country_names(uow.session)
        items = [view_of(uow.session, c, with_history=False, names=names) for c in page.items]
    return Page(items, page.next_page_token, page.total_size)


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA_TIME)


# ---- smart creation ----

@dataclass(frozen=True)
class OptionsView:
    pre_review: PreReview
    destination: str
    destination_name: str
    hs_code: str
    options: list[origin.Option]


def product_of(session: Session, pre_review: PreReview) -> origin.Product:
    return origin.Product(hs_code=pre_review.hs_code, wholly_obtained=pre_review.wholly_obtained,
                          fob_price=pre_review.fob_price, exw_price=pre_review.exw_price,
                          materials=domain_materials(materials_of(session, pre_review.id)), ecfa=pre_review.ecfa)


def approved_pre_review(session: Session, member: Exporter, pre_review_id: str, field_name: str) -> PreReview:
    if not pre_review_id:
        raise InvalidArgument.for_field(field_name, "请选择审核通过的产品预审（备案商品）")
    found = load_pre_review(session, member, pre_review_id)
    if found.status != states.APPROVED:
        raise InvalidArgument.for_field(field_name, "须选择审核通过的产品预审（非优惠证和优惠证均需产品预审）")
    return found


def _options(session: Session, member: Exporter, pre_review_id: str, destination: str, hs_code: str) -> OptionsView:
    pre_review = approved_pre_review(session, member, pre_review_id, "preReviewId")
    if destination == CHINA:
        raise InvalidArgument.for_field("destinationCountry", "目的国不能是中国")
    country = require_country(session, destination, "destinationCountry")
    if hs_code and not (hs_code.startswith(pre_review.hs_code) or pre_review.hs_code.startswith(hs_code)):
        raise InvalidArgument.for_field("hsCode", f"税则号与产品预审的商品编码{pre_review.hs_code}不一致")
    options = origin.smart_options(agreement_rules(session), product_of(session, pre_review), destination,
                                   country.name)
    return OptionsView(pre_review, destination, country.name, hs_code or pre_review.hs_code, options)


def certificate_options(context: OriginCertContext, pre_review_id: str, destination: str,
                        hs_code: str) -> OptionsView:
    member = exporter()
    with context.unit_of_work(read_only=True) as uow:
        return _options(uow.session, member, pre_review_id, destination.strip().upper(), hs_code.strip())


def new_certificate(session: Session, member: Exporter, enterprise: Enterprise, certificate_type: str,
                    destination: str, **copied: object) -> Certificate:
    values = {"importer_country": destination, **copied}
    certificate = Certificate(id=new_id(), organization_id=member.organization_id, branch=enterprise.branch,
                              certificate_type=certificate_type, status=states.DRAFT, print_status=states.NOT_PRINTED,
                              destination_country=destination, exporter_name=enterprise.name_en,
                              exporter_address=enterprise.address_en, created_by=member.account_id,
                              created_at=utcnow(), updated_at=utcnow(), **values)
    session.add(certificate)
    return certificate


def goods_line(certificate: Certificate, position: int, pre_review: PreReview, agreement: origin.Agreement,
               criterion: origin.Criterion | None) -> CertificateGood:
    digits = agreement.hs_digits if agreement.preferential else len(pre_review.hs_code)
    return CertificateGood(id=new_id(), certificate_id=certificate.id, position=position, pre_review_id=pre_review.id,
                           origin_criterion=criterion.code if criterion else "",
                           value_content=criterion.value if criterion else None,
                           description=(pre_review.product_name_en or pre_review.product_name).upper(),
                           hs_code=pre_review.hs_code[:digits], quantity_unit=pre_review.unit)


def create_certificate(context: OriginCertContext, *, pre_review_id: str, destination_country: str, hs_code: str,
                       certificate_type: str, origin_criterion: str) -> CertificateView:
    """智能创建: a DRAFT of a type that applies, its first goods line from the pre-review under the chosen criterion."""
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        enterprise = require_filing(session, member.organization_id)
        offered = _options(session, member, pre_review_id, destination_country.strip().upper(), hs_code.strip())
        _row, agreement = require_agreement(session, certificate_type)
        option = next(o for o in offered.options if o.agreement.code == agreement.code)
        if not option.applies:
            raise InvalidArgument.for_field("certificateType", option.reason)
        holding = {c.code: c for c in option.holding}
        if agreement.preferential and origin_criterion not in holding:
            why = f"请选择成立的原产地标准：{'、'.join(holding)}" if holding else option.reason
            raise InvalidArgument.for_field("originCriterion", why)
        chosen = holding.get(origin_criterion) or next(iter(holding.values()), None)
        certificate = new_certificate(session, member, enterprise, agreement.code, offered.destination)
        session.add(goods_line(certificate, 0, offered.pre_review, agreement, chosen))
        record_step(session, RECORD, certificate.id, "CREATED", to_state=states.DRAFT,
                    note=f"{agreement.code} to {offered.destination}: {option.reason}")
        session.flush()
        view = view_of(session, certificate)
        uow.commit()
    return view


_CLEARED_ON_SAME_TYPE = {"invoice_number": "", "invoice_date": None}
_COPIED = ("importer_name", "importer_address", "importer_country", "producer_name", "producer_address",
           "departure_date", "transport_means", "vessel", "port_of_loading", "port_of_discharge", "remarks",
           "declaration_place", "third_party_invoicing", "back_to_back", "issued_retroactively", "exhibition",
           "invoice_number", "invoice_date")


def copy_certificate(context: OriginCertContext, certificate_id: str, certificate_type: str) -> CertificateView:
    """复制新增: same type clears the invoice, marks and documents; another type clears the goods."""
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        source = load(session, member, certificate_id)
        enterprise = require_filing(session, member.organization_id)
        target = certificate_type or source.certificate_type
        _row, agreement = require_agreement(session, target)
        if not origin.may_copy(source.certificate_type, target):
            raise FailedPrecondition(COPY_RULE, reason="COPY_NOT_ALLOWED")
        if not agreement.covers(source.destination_country):
            raise InvalidArgument.for_field("certificateType", f"目的国不是{agreement.name}成员")
        same = target == source.certificate_type
        copied = {name: getattr(source, name) for name in _COPIED}
        if same:
            copied.update(_CLEARED_ON_SAME_TYPE)
        if target == origin.GENERAL and source.certificate_type == origin.GENERAL:
            copied.update(intermediary_name=source.intermediary_name, intermediary_address=source.intermediary_address,
                          intermediary_shown=source.intermediary_shown)
        certificate = new_certificate(session, member, enterprise, target, source.destination_country,
                                      copied_from_id=source.id, **copied)
        if same:
            for line in goods_of(session, source.id):
                session.add(CertificateGood(**{**_line_values(line), "id": new_id(), "certificate_id": certificate.id,
                                               "marks": "", "marks_image_id": ""}))
        record_step(session, RECORD, certificate.id, "COPIED", to_state=states.DRAFT,
                    note=f"from {source.number or source.id} ({'same type' if same else 'goods cleared'})")
        session.flush()
        view = view_of(session, certificate)
        uow.commit()
    return view


def _line_values(line: CertificateGood) -> dict[str, object]:
    return {column.key: getattr(line, column.key) for column in CertificateGood.__table__.columns}
