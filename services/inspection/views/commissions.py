"""Commissions and their goods lines as protos."""

from __future__ import annotations

from protos.inspection.v1 import commissions_pb2 as pb
from protos.inspection.v1 import resources_pb2
from services.chassis import wire
from services.chassis.wire import decimal_text
from services.inspection.handlers.commissions import CommissionView
from services.inspection.models import Commission, GoodsItem
from services.inspection.views import day


def _choice(code: str, name: str) -> resources_pb2.Choice:
    return resources_pb2.Choice(code=code, name=name)


def commission(c: Commission, goods: list[GoodsItem] | None = None) -> pb.Commission:
    return pb.Commission(
        id=c.id, number=c.number, status=wire.enum_value(pb.Commission.Status, c.status),
        enterprise_name=c.enterprise_name, consignee=c.consignee, contact_name=c.contact_name,
        contact_phone=c.contact_phone, contact_mobile=c.contact_mobile, contact_email=c.contact_email,
        entry_customs=_choice(c.entry_customs_code, c.entry_customs_name),
        destination=_choice(c.destination_code, c.destination_name),
        destination_customs=_choice(c.destination_customs_code, c.destination_customs_name),
        usage=_choice(c.usage_code, c.usage_name), filing_id=c.filing_id, institution_name=c.institution_name,
        goods=[goods_line(g) for g in goods or ()], total_quantity=decimal_text(c.total_quantity),
        total_amount=decimal_text(c.total_amount), currency=c.currency, return_reason=c.return_reason,
        result_certificate_number=c.result_certificate_number, result_valid_until=day(c.result_valid_until),
        create_time=wire.timestamp(c.created_at), update_time=wire.timestamp(c.updated_at),
        submit_time=wire.timestamp(c.submitted_at), accept_time=wire.timestamp(c.accepted_at),
        complete_time=wire.timestamp(c.completed_at))


def commission_view(view: CommissionView) -> pb.Commission:
    return commission(view.commission, view.goods)


def goods_line(g: GoodsItem) -> pb.Goods:
    return pb.Goods(id=g.id, name=g.name, hs_code=g.hs_code, model=g.model, manufacture_year=g.manufacture_year,
                    quantity=decimal_text(g.quantity), unit=g.unit, unit_price=decimal_text(g.unit_price),
                    currency=g.currency, amount=decimal_text(g.amount))
