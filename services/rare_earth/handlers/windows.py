"""Reporting windows and data-override applications (数据覆盖申请): when a ledger may be uploaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext, today_for
from services.rare_earth.domain.agencies import OFFICE
from services.rare_earth.domain.ledgers import KINDS, validate_period
from services.rare_earth.domain.states import APPROVED, OVERRIDE, PENDING, REJECTED
from services.rare_earth.domain.texts import check_text_fields
from services.rare_earth.domain.windows import Window, default_window, month_key, parse_month
from services.rare_earth.handlers.access import enterprise_names, require_staff, require_viewer, visible_records
from services.rare_earth.models import Enterprise, LedgerOverride, ReportingWindow


def window_for(session: Session, year: int, month: int) -> Window:
    key = month_key(year, month)
    row = session.get(ReportingWindow, key)
    if row is not None:
        return Window(key, row.opens_on, row.closes_on, True)
    return default_window(year, month)


def override_approved(session: Session, enterprise_id: str, kind: str, year: int, month: int) -> bool:
    return session.scalar(select(LedgerOverride.id).where(
        LedgerOverride.enterprise_id == enterprise_id, LedgerOverride.kind == kind, LedgerOverride.year == year,
        LedgerOverride.month == month, LedgerOverride.status == APPROVED).limit(1)) is not None


def check_upload_allowed(context: RareEarthContext, session: Session, enterprise_id: str, kind: str, year: int,
                         month: int) -> None:
    """Inside the month's window, or covered by an approved override; refused with the window's dates otherwise."""
    window = window_for(session, year, month)
    now = today_for(context)
    if window.is_open(now) or override_approved(session, enterprise_id, kind, year, month):
        return
    metadata = {"month": window.month, "opensOn": window.opens_on.isoformat(),
                "closesOn": window.closes_on.isoformat()}
    if now < window.opens_on:
        raise FailedPrecondition(f"{year}年{month}月台账报送尚未开始（{window.opens_on.isoformat()}起）",
                                 reason="REPORTING_WINDOW_NOT_OPEN", metadata=metadata)
    raise FailedPrecondition(
        f"报送时间已截止（{year}年{month}月台账报送截止于{window.closes_on.isoformat()}）；如需修改历史数据，请提交数据覆盖申请",
        reason="REPORTING_WINDOW_CLOSED", metadata=metadata)


@dataclass(frozen=True)
class WindowView:
    window: Window
    open: bool
    updated_at: datetime | None = None


def get_window(context: RareEarthContext, month: str) -> WindowView:
    year, number = parse_month(month)
    with context.unit_of_work(read_only=True) as uow:
        require_viewer(uow.session)
        window = window_for(uow.session, year, number)
        row = uow.session.get(ReportingWindow, window.month)
        return WindowView(window, window.is_open(today_for(context)), row.updated_at if row else None)


def _dates(opens_on: str, closes_on: str) -> tuple[date, date]:
    violations = Violations()
    dates: dict[str, date] = {}
    for field, text in (("opensOn", opens_on), ("closesOn", closes_on)):
        try:
            dates[field] = date.fromisoformat(text.strip())
        except ValueError:
            violations.add(field, "日期格式应为YYYY-MM-DD")
    if len(dates) == 2 and dates["opensOn"] > dates["closesOn"]:
        violations.add("closesOn", "截止日期不能早于开始日期")
    violations.raise_if_any("报送时间设置有误")
    return dates["opensOn"], dates["closesOn"]


def set_window(context: RareEarthContext, month: str, opens_on: str, closes_on: str) -> WindowView:
    staff = require_staff(OFFICE)
    year, number = parse_month(month)
    opens, closes = _dates(opens_on, closes_on)
    with context.unit_of_work() as uow:
        key = month_key(year, number)
        row = uow.session.get(ReportingWindow, key, with_for_update=True)
        if row is None:
            row = ReportingWindow(month=key, opens_on=opens, closes_on=closes, set_by=staff.caller.account_id)
            uow.session.add(row)
        row.opens_on, row.closes_on = opens, closes
        row.set_by, row.updated_at = staff.caller.account_id, utcnow()
        organizations = list(uow.session.scalars(select(Enterprise.organization_id)
                                                 .where(Enterprise.status == APPROVED)
                                                 .order_by(Enterprise.organization_id)))
        uow.publish(*events.system_notice_to_all(
            "rare_earth.reporting_window.set", organizations,
            {"period": f"{year}年{number}月", "reportType": "台账数据", "opensAt": opens.isoformat(),
             "closesAt": closes.isoformat()}))
        uow.commit(on_integrity_error=lambda _e: Conflict("该月报送时间正被同时设置，请刷新后重试",
                                                          reason="CONCURRENT_CHANGE"))
        window = Window(key, row.opens_on, row.closes_on, True)
        return WindowView(window, window.is_open(today_for(context)), row.updated_at)


# --- Data-override applications -------------------------------------------------------


@dataclass(frozen=True)
class OverrideView:
    override: LedgerOverride
    enterprise_name: str


def create_override(context: RareEarthContext, kind: str, year: int, month: int, reason: str) -> OverrideView:
    violations = Violations()
    if kind not in KINDS:
        violations.add("kind", "请选择台账类型：采购、生产、销售或库存")
    validate_period(year, month, violations)
    reason = reason.strip()
    check_text_fields({"reason": (reason, "申请原因", 500, True)}, violations)
    violations.raise_if_any("数据覆盖申请信息有误")
    with context.unit_of_work() as uow:
        viewer = require_viewer(uow.session)
        if viewer.enterprise is None:
            raise FailedPrecondition("仅企业用户可提交数据覆盖申请", reason="ENTERPRISE_ONLY")
        override = LedgerOverride(enterprise_id=viewer.enterprise.id, kind=kind, year=year, month=month,
                                  reason=reason, status=PENDING, created_by=viewer.caller.account_id)
        uow.session.add(override)
        uow.session.flush()
        uow.publish(events.notice_to_agencies("rare_earth.ledger_override.requested", [OFFICE], _override_params(
            viewer.enterprise, override)))
        uow.commit()
        return OverrideView(override, viewer.enterprise.enterprise_name)


def list_overrides(context: RareEarthContext, status: str, page_size: int, page_token: str) -> Page[OverrideView]:
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        query = visible_records(viewer, select(LedgerOverride), LedgerOverride.enterprise_id,
                                LedgerOverride.enterprise_id, as_counterpart=False)
        if status:
            query = query.where(LedgerOverride.status == status)
        page = paginate(uow.session, query.order_by(LedgerOverride.created_at.desc(), LedgerOverride.id),
                        page_size, page_token)
        names = enterprise_names(uow.session, [o.enterprise_id for o in page.items])
        return Page([OverrideView(o, names.get(o.enterprise_id, "")) for o in page.items], page.next_page_token,
                    page.total_size)


def review_override(context: RareEarthContext, override_id: str, approve: bool, reason: str = "") -> OverrideView:
    staff = require_staff(OFFICE)
    target = APPROVED if approve else REJECTED
    if not approve and not reason.strip():
        raise InvalidArgument.for_field("reason", "请填写不通过的原因")
    with context.unit_of_work() as uow:
        override = uow.session.get(LedgerOverride, override_id, with_for_update=True)
        if override is None:
            raise NotFound("数据覆盖申请不存在", reason="OVERRIDE_NOT_FOUND")
        OVERRIDE.move(override, target, "该申请已审核，不能重复审核")
        override.rejection_reason = reason.strip()[:200]
        override.reviewed_by, override.reviewed_at = staff.caller.account_id, utcnow()
        enterprise = uow.session.get(Enterprise, override.enterprise_id)
        params = _override_params(enterprise, override)
        if not approve:
            params["reason"] = override.rejection_reason
        uow.publish(events.notice_to_organization(f"rare_earth.ledger_override.{target.lower()}",
                                                  enterprise.organization_id, params))
        uow.commit()
        return OverrideView(override, enterprise.enterprise_name)


def _override_params(enterprise: Enterprise, override: LedgerOverride) -> dict[str, str]:
    return {"enterpriseName": enterprise.enterprise_name, "month": f"{override.year}年{override.month}月",
            "kind": KINDS[override.kind]}
