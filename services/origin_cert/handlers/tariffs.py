"""The FTA tariff query (§1.7), the HS code search, and tariff-version upgrades with their reminders (§1.3.2.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from services.chassis.db import contains, insert_ignoring_duplicates, new_id, utcnow
from services.chassis.errors import AlreadyExists, Violations
from services.chassis.paging import Page, paginate
from services.chassis.uow import UnitOfWork
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states, tariffs
from services.origin_cert.domain.tariffs import MFN, Rate
from services.origin_cert.handlers.common import agreement_rules, head_office, record_step
from services.origin_cert.handlers.pre_review_decisions import TARIFF_VERSION
from services.origin_cert.models import HsCorrelation, HsItem, PreReview, Reminder, TariffRate, TariffVersion

MAX_CORRELATIONS = 20000
# Products listed by name in one organisation's notice; the rest are counted.
LISTED_IN_NOTICE = 10


@dataclass(frozen=True)
class Comparison:
    origin: str
    destination: str
    importing_country: str
    hs_code: str
    description: str
    mfn: Rate | None
    rates: list[Rate]
    names: dict[str, str]


def query_tariffs(context: OriginCertContext, origin: str, destination: str, hs_code: str) -> Comparison:
    """Anyone may ask: the importing country's MFN rate and each agreement's that covers both sides, best first."""
    origin, destination, hs_code = origin.strip().upper(), destination.strip().upper(), hs_code.strip()
    tariffs.check_query(origin, destination, hs_code)
    partner = tariffs.partner(origin, destination)
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        covering = {a.code: a.name for a in agreement_rules(session) if a.preferential and partner in a.members}
        prefixes = [hs_code[:n] for n in range(4, len(hs_code) + 1)]
        rows = session.scalars(select(TariffRate).where(TariffRate.importing_country == destination,
                                                        TariffRate.hs_code.in_(prefixes),
                                                        TariffRate.agreement.in_([MFN, *covering])))
        found = tariffs.longest_match((Rate(r.agreement, r.hs_code, r.rate, r.rate_text, r.year) for r in rows),
                                      hs_code)
        items = session.scalars(select(HsItem).where(HsItem.code.in_(prefixes)).order_by(HsItem.code.desc()))
        item = next(iter(items), None)
    mfn = found.pop(MFN, None)
    return Comparison(origin, destination, destination, hs_code, item.description if item else "", mfn,
                      tariffs.best_first(found.values()), covering)


def search_hs_codes(context: OriginCertContext, query: str, page_size: int, page_token: str) -> Page[HsItem]:
    text = query.strip()
    statement = select(HsItem)
    if text.isdigit():
        statement = statement.where(HsItem.code.startswith(text))
    elif text:
        statement = statement.where(or_(contains(HsItem.description, text), contains(HsItem.description_en, text)))
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, statement.order_by(HsItem.code), page_size, page_token)


@dataclass(frozen=True)
class VersionView:
    version: TariffVersion
    correlation_count: int


def _check_correlations(version: str, correlations: Sequence[tuple[str, str]]) -> None:
    v = Violations()
    if not version.strip() or len(version) > 16 or not version.replace(".", "").replace("-", "").isalnum():
        v.add("version", "请填写税则版本号（如 2027，最多16位）")
    if not correlations:
        v.add("correlations", "请上传新旧税号对应表")
    if len(correlations) > MAX_CORRELATIONS:
        v.add("correlations", f"对应表最多{MAX_CORRELATIONS}行")
    for index, (old, new) in enumerate(correlations[:MAX_CORRELATIONS]):
        for name, code in (("oldCode", old), ("newCode", new)):
            if not code.isdigit() or len(code) not in (4, 6, 8, 10):
                v.add(f"correlations[{index}].{name}", "税号须为4、6、8或10位数字")
    v.raise_if_any("新旧税号对应表有误")


def create_tariff_version(context: OriginCertContext, version: str, title: str,
                          correlations: Sequence[tuple[str, str]]) -> VersionView:
    """Record the version and its correlation table, and remind every approved product whose code changed."""
    staff = head_office()
    version = version.strip()
    _check_correlations(version, correlations)
    mapping: dict[str, set[str]] = {}
    for old, new in correlations:
        mapping.setdefault(old, set()).add(new)
    changed = {old: news for old, news in mapping.items() if news != {old}}
    with context.unit_of_work() as uow:
        session = uow.session
        if session.get(TariffVersion, version) is not None:
            raise AlreadyExists("该税则版本已存在", reason="ALREADY_EXISTS", metadata={"field": "version"})
        record = TariffVersion(version=version, title=title.strip()[:200], created_by=staff.account_id,
                               created_at=utcnow())
        session.add(record)
        session.flush()
        insert_ignoring_duplicates(session, HsCorrelation.__table__, [
            {"version": version, "old_code": old, "new_code": new} for old, news in mapping.items() for new in news])
        affected = _remind(uow, version, changed) if changed else 0
        record.affected_products = affected
        record_step(session, "tariff_version", version, "CREATED", note=f"{len(changed)} codes changed, "
                                                                         f"{affected} products reminded")
        uow.commit(on_integrity_error=lambda _e: AlreadyExists("该税则版本已存在", metadata={"field": "version"}))
    return VersionView(record, sum(len(n) for n in mapping.values()))


def _remind(uow: UnitOfWork, version: str, changed: dict[str, set[str]]) -> int:
    """A 转版提醒 for each approved product under a changed code, and one notice per enterprise."""
    session = uow.session
    lengths = sorted({len(old) for old in changed})
    products = session.scalars(select(PreReview).where(PreReview.status == states.APPROVED).where(
        or_(*(PreReview.hs_code.startswith(old) for old in changed))).order_by(PreReview.organization_id,
                                                                               PreReview.number))
    by_organization: dict[str, list[str]] = {}
    reminders = []
    for product in products:
        old = next((product.hs_code[:n] for n in reversed(lengths) if product.hs_code[:n] in changed), None)
        if old is None:
            continue
        news = " ".join(sorted(changed[old]))
        reminders.append({"id": new_id(), "organization_id": product.organization_id, "pre_review_id": product.id,
                          "kind": TARIFF_VERSION, "tariff_version": version, "old_hs_code": product.hs_code,
                          "new_hs_codes": news, "status": states.OPEN, "created_at": utcnow(), "follow_up_id": "",
                          "message": f"税则版本升级为{version}：产品预审{product.number}（{product.product_name}）"
                                     f"的商品编码{product.hs_code}已调整为{news.replace(' ', '、')}，请立即调整。"})
        by_organization.setdefault(product.organization_id, []).append(
            f"{product.product_name}（{product.hs_code}→{news.replace(' ', '、')}）")
    insert_ignoring_duplicates(session, Reminder.__table__, reminders)
    for organization_id, names in by_organization.items():
        listed = "、".join(names[:LISTED_IN_NOTICE]) + ("等" if len(names) > LISTED_IN_NOTICE else "")
        uow.publish(*events.notice_to_organization("origin_cert.tariff_version.reminder", organization_id, {
            "version": version, "count": len(names), "products": listed}))
    return len(reminders)


def list_tariff_versions(context: OriginCertContext, page_size: int, page_token: str) -> Page[VersionView]:
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        page = paginate(session, select(TariffVersion).order_by(TariffVersion.created_at.desc()), page_size,
                        page_token)
        counts = dict(session.execute(select(HsCorrelation.version, func.count()).where(
            HsCorrelation.version.in_([v.version for v in page.items])).group_by(HsCorrelation.version)).all())
    return Page([VersionView(v, counts.get(v.version, 0)) for v in page.items], page.next_page_token,
                page.total_size)
