"""Scheduled work, idempotent (``python -m services.rare_earth jobs``): after a reporting window closes,

- one UPLOAD_MISSING case per enterprise and ledger it should have reported and did not;
- purchases reconciled against sales: a code nobody sold, a sale made out to another buyer,
  more bought under a code than was sold, each a TRACE_DATA case for the buyer;
- each product's opening inventory checked against the previous month's closing (a rule no
  single upload can check), a LEDGER_DATA case where they differ;
- unconfirmed uploads older than a week expire and their staged rows go.

Each case carries a dedupe key, so running the jobs again opens nothing new.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, select

from services.chassis.db import single_run, utcnow
from services.chassis.uow import UnitOfWork
from services.rare_earth.config import RareEarthContext, today_for
from services.rare_earth.domain.cases import UPLOAD_MISSING_TEXT
from services.rare_earth.domain.ledgers import KINDS, required_kinds
from services.rare_earth.domain.states import APPROVED, CONFIRMED, EXPIRED, LEDGER_IMPORT, VALID
from services.rare_earth.domain.windows import month_key, parse_month, previous_months
from services.rare_earth.handlers.cases import Opening, open_case
from services.rare_earth.handlers.staging import drop_staged
from services.rare_earth.handlers.windows import window_for
from services.rare_earth.models import Enterprise, LedgerImport, SupervisionCase, ledger_rows

LOOKBACK_MONTHS = 3
# A closed window older than this is not looked at again unless a month is named.
LOOKBACK_DAYS = 45
STAGING_KEPT = timedelta(days=7)


@dataclass
class JobReport:
    months: list[str] = field(default_factory=list)
    upload_missing: int = 0
    trace_data: int = 0
    ledger_data: int = 0
    expired_imports: int = 0


def due_months(context: RareEarthContext, on: date) -> list[tuple[int, int]]:
    """Months whose window closed before ``on`` and not longer than LOOKBACK_DAYS ago."""
    with context.unit_of_work(read_only=True) as uow:
        return [(y, m) for y, m in previous_months(on, LOOKBACK_MONTHS)
                if window_for(uow.session, y, m).has_closed(on)
                and window_for(uow.session, y, m).closes_on >= on - timedelta(days=LOOKBACK_DAYS)]


def run(context: RareEarthContext, on: date, months: Sequence[tuple[int, int]] | None = None) -> JobReport:
    """Each step below is a use case of its own: one unit of work, committed (or not) on its own."""
    report = JobReport()
    for year, month in (months if months is not None else due_months(context, on)):
        with context.unit_of_work(read_only=True) as uow:
            if not window_for(uow.session, year, month).has_closed(on):
                continue
        report.months.append(month_key(year, month))
        report.upload_missing += _open_missing_uploads(context, year, month)
        report.trace_data += _reconcile(context, year, month)
        report.ledger_data += _inventory_continuity(context, year, month)
    report.expired_imports = _expire_staging(context)
    return report


def _open_fresh(uow: UnitOfWork, prefix: str, openings: list[Opening]) -> int:
    """Open the cases whose dedupe key is not taken yet, in the caller's unit of work."""
    existing = set(uow.session.scalars(select(SupervisionCase.dedupe_key)
                                       .where(SupervisionCase.dedupe_key.startswith(prefix))))
    fresh = [o for o in openings if o.dedupe_key not in existing]
    for opening in fresh:
        open_case(uow, opening)
    return len(fresh)


def _open_missing_uploads(context: RareEarthContext, year: int, month: int) -> int:
    key = month_key(year, month)
    with context.unit_of_work() as uow:
        session = uow.session
        reported = {(enterprise_id, kind) for enterprise_id, kind in session.execute(
            select(LedgerImport.enterprise_id, LedgerImport.kind).where(
                LedgerImport.year == year, LedgerImport.month == month, LedgerImport.status == CONFIRMED)
            .distinct())}
        enterprises = list(session.scalars(select(Enterprise).where(Enterprise.status == APPROVED)
                                           .order_by(Enterprise.id)))
        opened = _open_fresh(uow, f"UPLOAD_MISSING:{key}:", [
            Opening(kind="UPLOAD_MISSING", enterprise=e, description=UPLOAD_MISSING_TEXT.format(ledger=KINDS[kind]),
                    ledger_kind=kind, month=key, dedupe_key=f"UPLOAD_MISSING:{key}:{e.id}:{kind}")
            for e in enterprises for kind in required_kinds(e.enterprise_type) if (e.id, kind) not in reported])
        # A run racing this one fails here on the dedupe key and changes nothing; the next run is a no-op.
        uow.commit()
        return opened


def _reconcile(context: RareEarthContext, year: int, month: int) -> int:
    key = month_key(year, month)
    purchases = ledger_rows.alias("p")
    sales = ledger_rows.alias("s")
    this_month = and_(purchases.c.kind == "PURCHASE", purchases.c.year == year, purchases.c.month == month,
                      purchases.c.traceability_code != "")
    with context.unit_of_work() as uow:
        session = uow.session
        sold = select(sales.c.traceability_code).where(sales.c.kind == "SALES",
                                                       sales.c.traceability_code == purchases.c.traceability_code)
        unknown = session.execute(
            select(purchases.c.enterprise_id, purchases.c.traceability_code, func.min(purchases.c.row_number),
                   func.min(purchases.c.product_category), func.min(purchases.c.product_name))
            .where(this_month, ~sold.exists())
            .group_by(purchases.c.enterprise_id, purchases.c.traceability_code)).all()
        buyer = Enterprise.__table__.alias("e")
        mismatched = session.execute(
            select(purchases.c.enterprise_id, purchases.c.traceability_code, func.min(sales.c.counterparty_uscc),
                   func.min(buyer.c.uscc), func.min(purchases.c.product_category), func.min(purchases.c.product_name))
            .join(sales, and_(sales.c.kind == "SALES", sales.c.traceability_code == purchases.c.traceability_code))
            .join(buyer, buyer.c.id == purchases.c.enterprise_id)
            .where(this_month, sales.c.counterparty_uscc != "", sales.c.counterparty_uscc != buyer.c.uscc)
            .group_by(purchases.c.enterprise_id, purchases.c.traceability_code)).all()
        codes = select(purchases.c.traceability_code).where(this_month).distinct().subquery()
        bought = (select(ledger_rows.c.traceability_code.label("code"), func.sum(ledger_rows.c.quantity).label("kg"))
                  .where(ledger_rows.c.kind == "PURCHASE", ledger_rows.c.traceability_code.in_(select(codes)))
                  .group_by(ledger_rows.c.traceability_code).subquery())
        sold_kg = (select(ledger_rows.c.traceability_code.label("code"), func.sum(ledger_rows.c.quantity).label("kg"))
                   .where(ledger_rows.c.kind == "SALES", ledger_rows.c.traceability_code.in_(select(codes)))
                   .group_by(ledger_rows.c.traceability_code).subquery())
        over = session.execute(
            select(purchases.c.enterprise_id, purchases.c.traceability_code, bought.c.kg, sold_kg.c.kg,
                   func.min(purchases.c.product_category), func.min(purchases.c.product_name))
            .join(bought, bought.c.code == purchases.c.traceability_code)
            .join(sold_kg, sold_kg.c.code == purchases.c.traceability_code)
            .where(this_month, bought.c.kg > sold_kg.c.kg)
            .group_by(purchases.c.enterprise_id, purchases.c.traceability_code, bought.c.kg, sold_kg.c.kg)).all()
        involved = {r[0] for r in (*unknown, *mismatched, *over)}
        enterprises = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(involved)))}
        openings: list[Opening] = []

        def add(problem: str, enterprise_id: str, code: str, category: str, name: str, text: str) -> None:
            openings.append(Opening(
                kind="TRACE_DATA", enterprise=enterprises[enterprise_id], description=text,
                product_category=category, product_name=name, traceability_code=code, ledger_kind="PURCHASE",
                month=key, dedupe_key=f"TRACE_DATA:{key}:{problem}:{enterprise_id}:{code}"[:200]))

        for enterprise_id, code, row, category, name in unknown:
            add("UNKNOWN_CODE", enterprise_id, code, category, name,
                f"{year}年{month}月采购台账第{row}行引用的追溯码{code}在任何企业的销售台账中都不存在")
        for enterprise_id, code, sold_to, uscc, category, name in mismatched:
            add("BUYER_MISMATCH", enterprise_id, code, category, name,
                f"追溯码{code}的销售台账客户统一社会信用代码为{sold_to}，与采购企业（{uscc}）不一致")
        for enterprise_id, code, bought_kg, sold_total, category, name in over:
            add("OVER_PURCHASED", enterprise_id, code, category, name,
                f"追溯码{code}的采购数量合计{bought_kg}千克，超过销售数量{sold_total}千克")
        opened = _open_fresh(uow, f"TRACE_DATA:{key}:", openings)
        uow.commit()
        return opened


def _inventory_continuity(context: RareEarthContext, year: int, month: int) -> int:
    key = month_key(year, month)
    before_year, before_month = (year - 1, 12) if month == 1 else (year, month - 1)
    current, previous = ledger_rows.alias("cur"), ledger_rows.alias("prev")
    with context.unit_of_work() as uow:
        session = uow.session
        gaps = session.execute(
            select(current.c.enterprise_id, current.c.product_category, current.c.product_name, current.c.opening,
                   previous.c.closing)
            .join(previous, and_(previous.c.enterprise_id == current.c.enterprise_id, previous.c.kind == "INVENTORY",
                                 previous.c.year == before_year, previous.c.month == before_month,
                                 previous.c.product_category == current.c.product_category,
                                 previous.c.product_name == current.c.product_name))
            .where(current.c.kind == "INVENTORY", current.c.year == year, current.c.month == month,
                   current.c.opening != previous.c.closing)).all()
        ids = {gap[0] for gap in gaps}
        enterprises = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}
        opened = _open_fresh(uow, f"LEDGER_DATA:{key}:", [
            Opening(kind="LEDGER_DATA", enterprise=enterprises[enterprise_id], product_category=category,
                    product_name=name, ledger_kind="INVENTORY", month=key,
                    description=(f"{year}年{month}月库存台账中“{name}”的期初库存{opening}千克，"
                                 f"与上月期末库存{closing}千克不一致"),
                    dedupe_key=f"LEDGER_DATA:{key}:INVENTORY_GAP:{enterprise_id}:{category}:{name}"[:200])
            for enterprise_id, category, name, opening, closing in gaps])
        uow.commit()
        return opened


def _expire_staging(context: RareEarthContext) -> int:
    cutoff = utcnow() - STAGING_KEPT
    with context.unit_of_work() as uow:
        session = uow.session
        # Locked, so an upload being confirmed meanwhile waits, then finds it expired (or the reverse).
        stale = list(session.scalars(select(LedgerImport.id).where(
            LedgerImport.status == VALID, LedgerImport.created_at < cutoff).with_for_update()))
        if stale:
            LEDGER_IMPORT.update(session, LedgerImport, EXPIRED, LedgerImport.id.in_(stale))
            drop_staged(session, stale)
        uow.commit()
        return len(stale)


def jobs_command(context: RareEarthContext, argv: Sequence[str]) -> int:
    """``jobs [yyyy-mm ...] [--today yyyy-mm-dd]``; RARE_EARTH_TODAY also pins today in dev and test."""
    parser = argparse.ArgumentParser(prog="jobs", description="open upload-missing and trace-data cases")
    parser.add_argument("month", nargs="*", help="yyyy-mm; default: the months whose window closed lately")
    parser.add_argument("--today", default=None, help="yyyy-mm-dd, honoured in dev and test only")
    args = parser.parse_args([a for a in argv if a != "--"])
    environment = context.settings.environment
    on = date.fromisoformat(args.today) if args.today and environment in ("dev", "test") else today_for(context)
    months = [parse_month(m) for m in args.month] if args.month else None
    with single_run(context.engine, "rare_earth.jobs") as mine:
        if not mine:
            print(json.dumps({"skipped": "another run of the rare-earth jobs is in progress"}, ensure_ascii=False))
            return 0
        report = run(context, on, months)
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return 0
