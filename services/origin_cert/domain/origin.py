"""Agreements and origin criteria: which certificates a product may have, and why (智能创建, §1.4.1.1).

A certificate type is GENERAL (non-preferential, China's rules of origin) or one agreement's preferential
certificate. Each is reference data (an :class:`Agreement`): its member countries, the criteria it offers, the
value-content threshold and basis, the level at which a change of tariff classification counts, and how many
HS digits the certificate shows. For a product and a destination, a type applies when the agreement covers the
destination and at least one of its criteria holds:

- WO 完全获得: the product is wholly obtained in China (declared in the pre-review), with no non-originating
  material;
- PE 完全由原产材料生产: every raw material originates;
- CTC 税则归类改变: every non-originating material is classified, at the agreement's level (4 digits: a change of
  heading), differently from the product;
- RVC 区域价值成分: the value content on the agreement's basis reaches its threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from services.origin_cert.domain.values import FOB, Material, ValueContent, value_content

GENERAL = "GENERAL"
WO, PE, CTC, RVC = "WO", "PE", "CTC", "RVC"
CRITERIA = (WO, PE, CTC, RVC)
CRITERION_LABELS = {WO: "完全获得", PE: "完全由原产材料生产", CTC: "税则归类改变", RVC: "区域价值成分"}
# GENERAL may show the HS code at any of these lengths (一般证可由企业自主选择商品税则号显示 4、6、8、10 位).
GENERAL_HS_DIGITS = (4, 6, 8, 10)


@dataclass(frozen=True)
class Agreement:
    code: str
    name: str
    name_en: str
    preferential: bool
    members: frozenset[str]
    criteria: tuple[str, ...]
    rvc_threshold: Decimal
    value_basis: str = FOB
    # How many leading HS digits must differ for CTC: 2 chapter, 4 heading, 6 subheading.
    ctc_digits: int = 4
    # HS digits printed on the certificate (GENERAL: chosen per goods line).
    hs_digits: int = 6
    # The pre-review must carry an 8-digit code (ECFA).
    needs_ecfa_code: bool = False
    # The letters its certificate numbers start with.
    number_prefix: str = ""

    def covers(self, country: str) -> bool:
        """GENERAL goes anywhere; a preferential certificate to the agreement's members only (not China)."""
        return not self.preferential or country in self.members


@dataclass(frozen=True)
class Product:
    """What the origin criteria look at: an approved pre-review's product and materials."""

    hs_code: str
    wholly_obtained: bool
    fob_price: Decimal | None
    exw_price: Decimal | None
    materials: Sequence[Material]
    ecfa: bool = False

    # Computed once per product: every agreement's criteria look at the same figures.
    @cached_property
    def values(self) -> ValueContent:
        return value_content(self.fob_price, self.exw_price, self.materials)

    @cached_property
    def non_originating(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if not m.originating)


@dataclass(frozen=True)
class Criterion:
    """One criterion of one agreement, judged for a product: whether it holds, and the reason either way."""

    code: str
    holds: bool
    reason: str
    # RVC only: the value content on the agreement's basis and the threshold it was held against.
    value: Decimal | None = None
    threshold: Decimal | None = None
    basis: str = ""

    @property
    def shown(self) -> str:
        """As box 8/10 prints it: ``RVC 52.50%`` or the code."""
        return f"{RVC} {self.value}%" if self.code == RVC and self.value is not None else self.code


@dataclass(frozen=True)
class Option:
    """A certificate type the product may have for a destination, with the criteria that hold."""

    agreement: Agreement
    applies: bool
    reason: str
    criteria: tuple[Criterion, ...] = field(default_factory=tuple)

    @property
    def holding(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.holds)


def judge(agreement: Agreement, product: Product, code: str) -> Criterion:
    non_originating = product.non_originating
    if code == WO:
        if product.wholly_obtained and not non_originating:
            return Criterion(WO, True, "产品在中国完全获得")
        return Criterion(WO, False, "产品未申报为在中国完全获得" if not product.wholly_obtained
                         else "含非原产材料，不属于完全获得")
    if code == PE:
        if not non_originating:
            return Criterion(PE, True, "全部原材料均为原产材料")
        return Criterion(PE, False, f"含{len(non_originating)}种非原产材料")
    if code == CTC:
        return _change_of_classification(agreement, product, non_originating)
    return _value_content(agreement, product)


def _change_of_classification(agreement: Agreement, product: Product,
                              non_originating: tuple[Material, ...]) -> Criterion:
    digits = agreement.ctc_digits
    level = {2: "章", 4: "品目", 6: "子目"}.get(digits, f"前{digits}位")
    heading = product.hs_code[:digits]
    same = [m.name for m in non_originating if m.hs_code[:digits] == heading]
    if not non_originating:
        return Criterion(CTC, False, "无非原产材料，无需税则归类改变（适用完全由原产材料生产）")
    if same:
        return Criterion(CTC, False, f"非原产材料{'、'.join(same)}与产品同属{level}{heading}，未发生税则归类改变")
    return Criterion(CTC, True, f"全部非原产材料的{level}均与产品（{heading}）不同，发生税则归类改变")


def _value_content(agreement: Agreement, product: Product) -> Criterion:
    basis, threshold = agreement.value_basis, agreement.rvc_threshold
    values = product.values
    shown = values.on(basis)
    if shown is None:
        return Criterion(RVC, False, f"未填写{basis}价格，无法计算价值成分", basis=basis, threshold=threshold)
    holds = values.reaches(basis, threshold)
    verdict = "不低于" if holds else "低于"
    return Criterion(RVC, holds, f"{basis}价值成分{shown}%，{verdict}区域价值成分标准{threshold.normalize()}%",
                     value=shown, threshold=threshold, basis=basis)


def option_for(agreement: Agreement, product: Product, destination: str, country_name: str = "") -> Option:
    """Whether ``agreement``'s certificate applies to the product going to ``destination``, and why."""
    where = country_name or destination
    if not agreement.covers(destination):
        return Option(agreement, False, f"目的国{where}不是{agreement.name}成员")
    if agreement.needs_ecfa_code != product.ecfa:
        if agreement.needs_ecfa_code:
            return Option(agreement, False, "须使用8位税则号的海峡两岸产品预审")
        return Option(agreement, False, "8位税则号的产品预审仅适用于海峡两岸证书")
    criteria = tuple(judge(agreement, product, code) for code in agreement.criteria)
    holding = [c for c in criteria if c.holds]
    if not holding:
        return Option(agreement, False, "不符合任一原产地标准：" + "；".join(c.reason for c in criteria), criteria)
    reach = f"目的国{where}为{agreement.name}成员；" if agreement.preferential else "非优惠原产地证书适用于任何目的国；"
    return Option(agreement, True, reach + "；".join(c.reason for c in holding), criteria)


def smart_options(agreements: Iterable[Agreement], product: Product, destination: str,
                  country_name: str = "") -> list[Option]:
    """Every type judged for the destination: those that apply first (preferential before GENERAL), then the rest."""
    options = [option_for(a, product, destination, country_name) for a in agreements]
    return sorted(options, key=lambda o: (not o.applies, not o.agreement.preferential, o.agreement.code))


def may_copy(source_type: str, target_type: str) -> bool:
    """优惠证可复制新增为一般证或与原证相同类型的优惠证；一般证可复制新增为一般证或所有类型的优惠证。"""
    return source_type == GENERAL or target_type in (GENERAL, source_type)
