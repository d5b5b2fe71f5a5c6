"""Reference data as use cases: branches, countries and certificate types to read; the head office extends the
agreements (reference data, extendable)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import Violations
from services.chassis.paging import Page, paginate
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain.origin import CRITERIA, GENERAL
from services.origin_cert.domain.origin import Agreement as AgreementRule
from services.origin_cert.domain.values import VALUE_BASES
from services.origin_cert.handlers.common import agreement_rule, head_office, record_step
from services.origin_cert.models import Agreement, AgreementMember, Branch, Country


def list_branches(context: OriginCertContext, page_size: int, page_token: str) -> Page[Branch]:
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, select(Branch).order_by(Branch.position, Branch.code), page_size, page_token)


def list_countries(context: OriginCertContext, page_size: int, page_token: str) -> Page[Country]:
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, select(Country).order_by(Country.code), page_size, page_token)


def list_agreements(context: OriginCertContext, page_size: int, page_token: str) -> Page[AgreementRule]:
    require_authenticated()
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        page = paginate(session, select(Agreement).order_by(Agreement.position, Agreement.code), page_size,
                        page_token)
        codes = [a.code for a in page.items]
        members: dict[str, list[str]] = {}
        for code, country in session.execute(select(AgreementMember.agreement_code, AgreementMember.country_code)
                                             .where(AgreementMember.agreement_code.in_(codes))):
            members.setdefault(code, []).append(country)
    return Page([agreement_rule(a, sorted(members.get(a.code, []))) for a in page.items], page.next_page_token,
                page.total_size)


@dataclass(frozen=True)
class AgreementInput:
    code: str
    name: str
    name_en: str
    preferential: bool
    number_prefix: str
    member_countries: Sequence[str]
    criteria: Sequence[str]
    rvc_threshold: Decimal | None
    value_basis: str
    ctc_digits: int
    hs_digits: int
    needs_ecfa_code: bool


def _problems(data: AgreementInput, known_countries: set[str]) -> Violations:
    v = Violations()
    if not data.code.replace("_", "").isalnum() or not data.code.isupper() or len(data.code) > 32:
        v.add("code", "代码须为大写字母、数字或下划线，最多32位")
    if not data.name.strip() or len(data.name) > 100:
        v.add("name", "请填写协定名称（最多100字）")
    if not data.name_en.strip() or len(data.name_en) > 200:
        v.add("nameEn", "请填写协定英文名称（最多200字）")
    if not data.number_prefix.isalpha() or not data.number_prefix.isupper() or len(data.number_prefix) > 4:
        v.add("numberPrefix", "证书编号前缀须为1-4位大写字母")
    unknown = [c for c in data.member_countries if c not in known_countries]
    if unknown or (data.preferential and not data.member_countries) or "CN" in data.member_countries:
        extra = f"；未知的国家：{'、'.join(unknown)}" if unknown else ""
        v.add("memberCountries", "请选择成员国（不含中国）" + extra)
    if not data.criteria or any(c not in CRITERIA for c in data.criteria):
        v.add("criteria", f"原产地标准须从{'、'.join(CRITERIA)}中选择")
    if data.rvc_threshold is None or not Decimal(0) < data.rvc_threshold <= Decimal(100):
        v.add("rvcThreshold", "区域价值成分标准须在0到100之间")
    if data.value_basis not in VALUE_BASES:
        v.add("valueBasis", "价值成分的计算基础须为FOB或EXW")
    if data.ctc_digits not in (2, 4, 6):
        v.add("ctcDigits", "税则归类改变须在2、4或6位上判断")
    if data.hs_digits not in (6, 8, 10):
        v.add("hsDigits", "证书显示的税则号须为6、8或10位")
    if data.code == GENERAL and data.preferential:
        v.add("preferential", "一般原产地证书不是优惠证书")
    return v


def save_agreement(context: OriginCertContext, data: AgreementInput) -> AgreementRule:
    head_office()
    with context.unit_of_work() as uow:
        session = uow.session
        v = _problems(data, set(session.scalars(select(Country.code))))
        if session.scalar(select(Agreement.code).where(Agreement.number_prefix == data.number_prefix,
                                                       Agreement.code != data.code)):
            v.add("numberPrefix", "该证书编号前缀已被其他协定使用")
        v.raise_if_any("协定信息有误")
        row = session.get(Agreement, data.code, with_for_update=True)
        if row is None:
            position = len(session.scalars(select(Agreement.code)).all())
            row = Agreement(code=data.code, position=position)
            session.add(row)
        row.name, row.name_en, row.preferential = data.name.strip(), data.name_en.strip(), data.preferential
        row.number_prefix, row.criteria = data.number_prefix, " ".join(c for c in CRITERIA if c in data.criteria)
        row.rvc_threshold, row.value_basis = data.rvc_threshold, data.value_basis
        row.ctc_digits, row.hs_digits, row.needs_ecfa_code = data.ctc_digits, data.hs_digits, data.needs_ecfa_code
        row.updated_at = utcnow()
        session.execute(delete(AgreementMember).where(AgreementMember.agreement_code == data.code))
        members = sorted(set(data.member_countries)) if data.preferential else []
        session.add_all([AgreementMember(agreement_code=data.code, country_code=c) for c in members])
        record_step(session, "agreement", data.code, "SAVED", note=f"members {' '.join(members)}")
        uow.commit()
    return agreement_rule(row, members)
