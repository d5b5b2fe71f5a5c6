"""Product pre-review (产品预审, §1.3.1): create by form or by copy, edit, submit, find; the value contents
are computed from the materials whenever they are saved.

An enterprise sees its own pre-reviews; CCPIT staff those of the enterprises filed with their branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC
from decimal import Decimal

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from services.chassis.db import contains, new_id, utcnow
from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument, Violations
from services.chassis.messages import OutboundMessage
from services.chassis.paging import Page, paginate
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states, values
from services.origin_cert.domain.actors import Exporter, Officer
from services.origin_cert.handlers.common import (
    exporter,
    exporter_or_officer,
    history,
    next_serial,
    not_found,
    record_step,
    require_country,
    require_filing,
)
from services.origin_cert.models import Enterprise, Material, PreReview, RecordStep, TariffVersion

RECORD = "pre_review"
# The HS version products are classified under until the head office records a newer one.
BASE_TARIFF_VERSION = "2022"
MAX_MATERIALS = 200
CURRENCIES = ("USD", "EUR", "JPY", "CNY", "HKD", "GBP", "AUD", "KRW", "SGD")


@dataclass(frozen=True)
class MaterialInput:
    name: str = ""
    hs_code: str = ""
    origin_country: str = ""
    originating: bool = False
    unit_price: Decimal | None = None
    usage_ratio: Decimal | None = None


@dataclass(frozen=True)
class PreReviewInput:
    product_name: str = ""
    product_name_en: str = ""
    hs_code: str = ""
    ecfa: bool = False
    unit: str = ""
    currency: str = ""
    exw_price: Decimal | None = None
    fob_price: Decimal | None = None
    wholly_obtained: bool = False
    materials: tuple[MaterialInput, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PreReviewView:
    pre_review: PreReview
    materials: list[Material]
    steps: list[RecordStep] = field(default_factory=list)

    @property
    def content(self) -> values.ValueContent:
        p = self.pre_review
        return values.value_content(p.fob_price, p.exw_price, domain_materials(self.materials))


def domain_materials(rows: Sequence[Material] | Sequence[MaterialInput]) -> list[values.Material]:
    return [values.Material(m.name, m.hs_code, m.origin_country, m.originating, m.unit_price or Decimal(0),
                            m.usage_ratio or Decimal(0)) for m in rows]


def _problems(data: PreReviewInput) -> Violations:
    """What is wrong with what was filled in; saved drafts meet these too."""
    v = Violations()
    if not data.product_name.strip() or len(data.product_name) > 200:
        v.add("productName", "请填写商品名称（最多200字）")
    if len(data.product_name_en) > 200 or not data.product_name_en.isascii():
        v.add("productNameEn", "英文品名须为英文，最多200个字符")
    if problem := values.product_hs_problem(data.hs_code, data.ecfa):
        v.add("hsCode", problem)
    if len(data.unit) > 20:
        v.add("unit", "计量单位不能超过20个字符")
    if data.currency and data.currency not in CURRENCIES:
        v.add("currency", f"币种可选：{'、'.join(CURRENCIES)}")
    for name, price, label in (("exwPrice", data.exw_price, "EXW价格"), ("fobPrice", data.fob_price, "FOB价格")):
        if price is not None and (problem := values.amount_problem(price, label)):
            v.add(name, problem)
    if len(data.materials) > MAX_MATERIALS:
        v.add("materials", f"原材料最多{MAX_MATERIALS}项")
    for index, m in enumerate(data.materials):
        at = f"materials[{index}]"
        if not m.name.strip() or len(m.name) > 200:
            v.add(f"{at}.name", "请填写原材料名称（最多200字）")
        if problem := values.material_hs_problem(m.hs_code):
            v.add(f"{at}.hsCode", problem)
        if problem := values.country_problem(m.origin_country, "原产国"):
            v.add(f"{at}.originCountry", problem)
        if problem := values.amount_problem(m.unit_price, "单价", positive=False):
            v.add(f"{at}.unitPrice", problem)
        if problem := values.amount_problem(m.usage_ratio, "用料比例", places=6):
            v.add(f"{at}.usageRatio", problem)
    return v


def check_input(data: PreReviewInput) -> PreReviewInput:
    _problems(data).raise_if_any("产品预审信息有误")
    return replace(data, currency=data.currency or "USD", product_name=data.product_name.strip())


def compute(data: PreReviewInput) -> values.ValueContent:
    """The value contents of what was filled in, without saving it (the form shows them as it is filled)."""
    exporter()
    data = check_input(data)
    return values.value_content(data.fob_price, data.exw_price, domain_materials(data.materials))


def submit_gaps(pre_review: PreReview, materials: Sequence[Material]) -> list[tuple[str, str]]:
    gaps = [(name, f"请填写{label}") for name, value, label in (
        ("unit", pre_review.unit, "计量单位"), ("exwPrice", pre_review.exw_price, "EXW价格"),
        ("fobPrice", pre_review.fob_price, "FOB价格")) if value in (None, "")]
    if not materials and not pre_review.wholly_obtained:
        gaps.append(("materials", "请添加原材料（完全获得的产品除外）"))
    return gaps


# ---- reading ----

def _visible_query(viewer: Exporter | Officer) -> Select:
    query = select(PreReview)
    if isinstance(viewer, Officer):
        if not viewer.head_office:
            query = query.join(Enterprise, Enterprise.organization_id == PreReview.organization_id).where(
                Enterprise.branch == viewer.branch)
        return query
    return query.where(PreReview.organization_id == viewer.organization_id)


def load(session: Session, viewer: Exporter | Officer, pre_review_id: str, *, lock: bool = False) -> PreReview:
    """The pre-review if ``viewer`` may see it; NOT_FOUND otherwise, exactly as for one that does not exist."""
    query = _visible_query(viewer).where(PreReview.id == pre_review_id)
    found = session.scalar(query.with_for_update(of=PreReview) if lock else query) if pre_review_id else None
    if found is None:
        raise not_found("产品预审")
    return found


def materials_of(session: Session, pre_review_id: str) -> list[Material]:
    return list(session.scalars(select(Material).where(Material.pre_review_id == pre_review_id)
                                .order_by(Material.position)))


def view_of(session: Session, pre_review: PreReview, *, with_history: bool = True) -> PreReviewView:
    steps = history(session, RECORD, pre_review.id) if with_history else []
    return PreReviewView(pre_review, materials_of(session, pre_review.id), steps)


def get_pre_review(context: OriginCertContext, pre_review_id: str) -> PreReviewView:
    viewer = exporter_or_officer()
    with context.unit_of_work(read_only=True) as uow:
        return view_of(uow.session, load(uow.session, viewer, pre_review_id))


def list_pre_reviews(context: OriginCertContext, *, hs_code: str, name: str, status: str, page_size: int,
                     page_token: str, number: str = "") -> Page[PreReviewView]:
    viewer = exporter_or_officer()
    if status and status not in states.PRE_REVIEW.states:
        raise InvalidArgument.for_field("status", f"备案状态无效，可选：{'、'.join(states.PRE_REVIEW.states)}")
    if hs_code and not hs_code.isdigit():
        raise InvalidArgument.for_field("hsCode", "商品编码须为数字")
    query = _visible_query(viewer)
    if hs_code:
        query = query.where(PreReview.hs_code.startswith(hs_code))
    if name.strip():
        query = query.where(contains(PreReview.product_name, name.strip()))
    if number.strip():
        query = query.where(contains(PreReview.number, number.strip().upper()))
    if status:
        query = query.where(PreReview.status == status)
    query = query.order_by(PreReview.updated_at.desc(), PreReview.id)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query, page_size, page_token)
        items = [view_of(uow.session, p, with_history=False) for p in page.items]
    return Page(items, page.next_page_token, page.total_size)


# ---- writing ----

def current_tariff_version(session: Session) -> str:
    latest = session.scalar(select(TariffVersion.version).order_by(TariffVersion.created_at.desc()).limit(1))
    return latest or BASE_TARIFF_VERSION


def write_content(session: Session, pre_review: PreReview, data: PreReviewInput) -> list[Material]:
    """Put ``data`` on the record, replace its materials and store the value contents they give."""
    for name in ("product_name", "product_name_en", "hs_code", "ecfa", "unit", "currency", "exw_price",
                 "fob_price", "wholly_obtained"):
        setattr(pre_review, name, getattr(data, name))
    session.execute(delete(Material).where(Material.pre_review_id == pre_review.id))
    rows = [Material(pre_review_id=pre_review.id, position=i, name=m.name.strip(), hs_code=m.hs_code,
                     origin_country=m.origin_country, originating=m.originating, unit_price=m.unit_price,
                     usage_ratio=m.usage_ratio) for i, m in enumerate(data.materials)]
    session.add_all(rows)
    content = values.value_content(data.fob_price, data.exw_price, domain_materials(rows))
    pre_review.non_originating_value = content.non_originating_value
    pre_review.fob_value_content, pre_review.exw_value_content = content.fob_percent, content.exw_percent
    pre_review.tariff_version = current_tariff_version(session)
    pre_review.updated_at = utcnow()
    return rows


def new_pre_review(session: Session, member: Exporter, *, number: str = "", version: int = 1,
                   previous_id: str | None = None) -> PreReview:
    if not number:
        now = utcnow().astimezone(UTC)
        number = f"CP{now:%y}{next_serial(session, f'pre_review:{now:%y}'):08d}"
    pre_review = PreReview(id=new_id(), organization_id=member.organization_id, number=number, version=version,
                           previous_id=previous_id, status=states.DRAFT, created_by=member.account_id,
                           created_at=utcnow())
    session.add(pre_review)
    return pre_review


def input_of(pre_review: PreReview, materials: Sequence[Material], **changes: object) -> PreReviewInput:
    """What a pre-review holds, as the input a copy, an adjustment or a re-declaration starts from."""
    data = PreReviewInput(
        product_name=pre_review.product_name, product_name_en=pre_review.product_name_en,
        hs_code=pre_review.hs_code, ecfa=pre_review.ecfa, unit=pre_review.unit, currency=pre_review.currency,
        exw_price=pre_review.exw_price, fob_price=pre_review.fob_price, wholly_obtained=pre_review.wholly_obtained,
        materials=tuple(MaterialInput(m.name, m.hs_code, m.origin_country, m.originating, m.unit_price,
                                      m.usage_ratio) for m in materials))
    return replace(data, **changes)  # type: ignore[arg-type]


def send(uow_session: Session, pre_review: PreReview, materials: Sequence[Material],
         enterprise: Enterprise) -> OutboundMessage:
    """Move to SUBMITTED if complete (every gap named otherwise); answers the notice for the branch."""
    gaps = submit_gaps(pre_review, materials)
    if gaps:
        raise InvalidArgument("产品预审信息不完整，不能提交", [FieldViolation(f, d) for f, d in gaps],
                              reason="PRE_REVIEW_INCOMPLETE")
    before = pre_review.status
    states.PRE_REVIEW.move(pre_review, states.SUBMITTED, f"{states.PRE_REVIEW.label(before)}的产品预审不能提交")
    pre_review.submitted_at = utcnow()
    record_step(uow_session, RECORD, pre_review.id, "SUBMITTED", before, states.SUBMITTED)
    return events.notice_to_agencies("origin_cert.pre_review.submitted", [enterprise.branch], {
        "organizationName": enterprise.name, "number": pre_review.number, "productName": pre_review.product_name})


def create_pre_review(context: OriginCertContext, data: PreReviewInput, *, submit: bool = False) -> PreReviewView:
    member = exporter()
    data = check_input(data)
    with context.unit_of_work() as uow:
        session = uow.session
        enterprise = require_filing(session, member.organization_id)
        for index, m in enumerate(data.materials):
            require_country(session, m.origin_country, f"materials[{index}].originCountry")
        pre_review = new_pre_review(session, member)
        rows = write_content(session, pre_review, data)
        record_step(session, RECORD, pre_review.id, "CREATED", to_state=states.DRAFT)
        if submit:
            uow.publish(send(session, pre_review, rows, enterprise))
        view = view_of(session, pre_review)
        uow.commit()
    return view


def update_pre_review(context: OriginCertContext, pre_review_id: str, data: PreReviewInput, *,
                      submit: bool = False) -> PreReviewView:
    member = exporter()
    data = check_input(data)
    with context.unit_of_work() as uow:
        session = uow.session
        pre_review = load(session, member, pre_review_id, lock=True)
        if pre_review.status not in states.EDITABLE_PRE_REVIEW:
            raise FailedPrecondition(f"{states.PRE_REVIEW.label(pre_review.status)}的产品预审不能编辑",
                                     reason="PRE_REVIEW_STATE_INVALID", metadata={"status": pre_review.status})
        enterprise = require_filing(session, member.organization_id)
        for index, m in enumerate(data.materials):
            require_country(session, m.origin_country, f"materials[{index}].originCountry")
        rows = write_content(session, pre_review, data)
        record_step(session, RECORD, pre_review.id, "SAVED", pre_review.status, pre_review.status)
        if submit:
            uow.publish(send(session, pre_review, rows, enterprise))
        view = view_of(session, pre_review)
        uow.commit()
    return view


def submit_pre_review(context: OriginCertContext, pre_review_id: str) -> PreReviewView:
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        pre_review = load(session, member, pre_review_id, lock=True)
        enterprise = require_filing(session, member.organization_id)
        uow.publish(send(session, pre_review, materials_of(session, pre_review.id), enterprise))
        view = view_of(session, pre_review)
        uow.commit()
    return view


def copy_pre_review(context: OriginCertContext, pre_review_id: str) -> PreReviewView:
    """复制新增: a new DRAFT (its own number) filled from another pre-review of the organisation."""
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        source = load(session, member, pre_review_id)
        require_filing(session, member.organization_id)
        data = input_of(source, materials_of(session, source.id))
        pre_review = new_pre_review(session, member)
        write_content(session, pre_review, data)
        record_step(session, RECORD, pre_review.id, "COPIED", to_state=states.DRAFT, note=f"from {source.number}")
        view = view_of(session, pre_review)
        uow.commit()
    return view
