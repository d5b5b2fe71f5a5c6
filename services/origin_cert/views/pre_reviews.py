"""Pre-reviews, their value contents and reminders, as protos; and a pre-review request as plain values."""

from __future__ import annotations

from protos.origin_cert.v1 import pre_reviews_pb2 as pb
from services.chassis import wire
from services.origin_cert.domain.values import ValueContent
from services.origin_cert.handlers.pre_reviews import MaterialInput, PreReviewInput, PreReviewView
from services.origin_cert.models import Material, PreReview, Reminder
from services.origin_cert.views.common import amount, decimal_text, history_pb, plain


def pre_review_input(request: pb.SavePreReviewRequest) -> PreReviewInput:
    return PreReviewInput(
        product_name=request.product_name, product_name_en=request.product_name_en.strip(),
        hs_code=request.hs_code.strip(), ecfa=request.ecfa, unit=request.unit.strip(),
        currency=request.currency.strip().upper(), exw_price=amount(request.exw_price, "exwPrice", "EXW价格"),
        fob_price=amount(request.fob_price, "fobPrice", "FOB价格"), wholly_obtained=request.wholly_obtained,
        materials=tuple(MaterialInput(
            name=m.name, hs_code=m.hs_code.strip(), origin_country=m.origin_country.strip().upper(),
            originating=m.originating, unit_price=amount(m.unit_price, f"materials[{i}].unitPrice", "单价"),
            usage_ratio=amount(m.usage_ratio, f"materials[{i}].usageRatio", "用料比例"))
            for i, m in enumerate(request.materials)))


def value_content_pb(content: ValueContent) -> pb.ValueContent:
    return pb.ValueContent(non_originating_value=plain(content.non_originating_value),
                           originating_value=plain(content.originating_value),
                           fob_value_content=decimal_text(content.fob_percent),
                           exw_value_content=decimal_text(content.exw_percent))


def _material_pb(m: Material) -> pb.Material:
    return pb.Material(name=m.name, hs_code=m.hs_code, origin_country=m.origin_country, originating=m.originating,
                       unit_price=plain(m.unit_price), usage_ratio=plain(m.usage_ratio),
                       value=plain(m.unit_price * m.usage_ratio))


def pre_review_pb(view: PreReviewView) -> pb.PreReview:
    p = view.pre_review
    return pb.PreReview(
        id=p.id, number=p.number, version=p.version, previous_id=p.previous_id or "",
        organization_id=p.organization_id, product_name=p.product_name, product_name_en=p.product_name_en,
        hs_code=p.hs_code, ecfa=p.ecfa, unit=p.unit, currency=p.currency,
        exw_price=plain(p.exw_price), fob_price=plain(p.fob_price),
        wholly_obtained=p.wholly_obtained, materials=[_material_pb(m) for m in view.materials],
        value_content=value_content_pb(view.content), status=p.status, rejection_reason=p.rejection_reason,
        void_source=p.void_source, void_reason=p.void_reason, tariff_version=p.tariff_version,
        reviewer_name=p.reviewer_name, history=history_pb(view.steps), create_time=wire.timestamp(p.created_at),
        update_time=wire.timestamp(p.updated_at), submit_time=wire.timestamp(p.submitted_at),
        decide_time=wire.timestamp(p.decided_at))


def reminder_pb(row: tuple[Reminder, PreReview]) -> pb.Reminder:
    r, p = row
    return pb.Reminder(
        id=r.id, kind=r.kind, pre_review_id=r.pre_review_id, pre_review_number=p.number, product_name=p.product_name,
        tariff_version=r.tariff_version, old_hs_code=r.old_hs_code, new_hs_code=r.new_hs_codes, message=r.message,
        status=r.status, follow_up_id=r.follow_up_id, create_time=wire.timestamp(r.created_at),
        handle_time=wire.timestamp(r.handled_at))
