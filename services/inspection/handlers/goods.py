"""货物详细信息: a commission's goods lines, added one at a time and removed by ticking them; every change
recomputes the commission's total quantity and total amount (总数量、总金额, never typed)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.errors import FailedPrecondition, Violations
from services.inspection.config import InspectionContext
from services.inspection.domain.commissions import MAX_GOODS, GoodsInput, check_goods, currency_problem, totals
from services.inspection.handlers.access import missing, require_member
from services.inspection.handlers.commissions import enterprises_commission
from services.inspection.models import Commission, GoodsItem, ReferenceItem


def _retotal(session: Session, commission: Commission) -> None:
    session.flush()
    lines = session.execute(select(GoodsItem.quantity, GoodsItem.amount, GoodsItem.currency)
                            .where(GoodsItem.commission_id == commission.id).order_by(GoodsItem.created_at)).all()
    summed = totals([(q, a, c) for q, a, c in lines])
    commission.total_quantity, commission.total_amount, commission.currency = (
        summed.quantity, summed.amount, summed.currency)
    commission.updated_at = utcnow()


def add_goods(context: InspectionContext, commission_id: str, goods: GoodsInput) -> tuple[GoodsItem, Commission]:
    """One goods line, its amount computed; answers it and the commission with its new totals."""
    viewer = require_member()
    with context.unit_of_work() as uow:
        session = uow.session
        commission = enterprises_commission(session, viewer, commission_id)
        currencies = set(session.scalars(select(ReferenceItem.code).where(ReferenceItem.list_code == "CURRENCY")))
        violations = Violations()
        line = check_goods(goods, currencies, violations)
        existing = list(session.scalars(select(GoodsItem.currency).where(GoodsItem.commission_id == commission.id)))
        if line is not None and (problem := currency_problem(line.currency, existing)):
            violations.add("currency", problem)
        violations.raise_if_any("货物信息有误")
        if len(existing) >= MAX_GOODS:
            raise FailedPrecondition(f"一笔业务委托最多{MAX_GOODS}条货物信息", reason="TOO_MANY_GOODS")
        item = GoodsItem(id=new_id(), commission_id=commission.id, created_at=utcnow(), **asdict(line))
        session.add(item)
        _retotal(session, commission)
        uow.commit()
        return item, commission


def delete_goods(context: InspectionContext, commission_id: str, goods_ids: list[str]) -> Commission:
    """Remove the ticked lines; answers the commission with its new totals."""
    viewer = require_member()
    with context.unit_of_work() as uow:
        session = uow.session
        commission = enterprises_commission(session, viewer, commission_id)
        wanted = set(goods_ids)
        found = list(session.scalars(select(GoodsItem).where(GoodsItem.commission_id == commission.id,
                                                             GoodsItem.id.in_(wanted))))
        if not wanted or len(found) != len(wanted):
            raise missing("货物信息", "GOODS_NOT_FOUND", "goodsId")
        for item in found:
            session.delete(item)
        _retotal(session, commission)
        uow.commit()
        return commission
