"""The FTA tariff query (优惠关税查询, §1.7): one of origin and destination is China; the importing country's
MFN rate and each applicable agreement's rate for the HS code, best (lowest) first.

Schedules are kept per importing country and agreement (``MFN`` for the most-favoured-nation rate) at the
length the schedule publishes (6, 8 or 10 digits); a query finds the longest code that begins the one asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from services.chassis.errors import InvalidArgument, Violations
from services.origin_cert.domain.values import country_problem

CHINA = "CN"
MFN = "MFN"
_HS = re.compile(r"\d{4,10}")


@dataclass(frozen=True)
class Rate:
    agreement: str
    hs_code: str
    rate: Decimal
    # As the schedule writes it, e.g. "5%" or "0"; specific duties keep their own wording.
    text: str
    year: int


def check_query(origin: str, destination: str, hs_code: str) -> None:
    v = Violations()
    for name, value, label in (("originCountry", origin, "原产国"), ("destinationCountry", destination, "目的国")):
        if problem := country_problem(value, label):
            v.add(name, problem)
    if origin and destination and CHINA not in (origin, destination):
        v.add("destinationCountry", "原产地和目的地二者必须有一方是中国")
    if origin and origin == destination:
        v.add("destinationCountry", "原产地和目的地不能相同")
    if not _HS.fullmatch(hs_code or ""):
        v.add("hsCode", "请输入4至10位数字的商品海关编码")
    if v:
        raise InvalidArgument("查询条件有误", v.items)


def partner(origin: str, destination: str) -> str:
    """The country that is not China: whose membership decides which agreements apply."""
    return destination if origin == CHINA else origin


def longest_match(rates: Iterable[Rate], hs_code: str) -> dict[str, Rate]:
    """For each agreement, the rate of the longest schedule code that begins ``hs_code``."""
    best: dict[str, Rate] = {}
    for rate in rates:
        if not hs_code.startswith(rate.hs_code):
            continue
        current = best.get(rate.agreement)
        if current is None or len(rate.hs_code) > len(current.hs_code):
            best[rate.agreement] = rate
    return best


def best_first(rates: Iterable[Rate]) -> list[Rate]:
    """Lowest rate first; equal rates by agreement code, so the order is stable."""
    return sorted(rates, key=lambda r: (r.rate, r.agreement))


def saving(mfn: Rate | None, rate: Rate) -> Decimal | None:
    """Percentage points below the MFN rate (优惠幅度)."""
    return None if mfn is None else mfn.rate - rate.rate
