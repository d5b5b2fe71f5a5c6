"""Reference data (``seed-reference``, idempotent; demo-sized until the official lists replace it): the HS
catalogue, the CIQ bureaus, the delegation table (division -> bureau) and customs districts with their ports.

A row already there stays as it is. Bureaus and ports are made up in the shape of the real ones
(a bureau per province and the five directly under the former AQSIQ; customs districts and ports
with four-digit codes); the CNCA's own tables replace them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from services.ccc_exemption.catalogue import entries
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.models import Bureau, Delegation, HsCode, Port
from services.chassis.db import insert_ignoring_duplicates
from services.chassis.divisions import divisions

# Bureaus directly under the former AQSIQ beside the provincial ones: (city code, name).
CITY_BUREAUS = (("440300", "深圳"), ("330200", "宁波"), ("350200", "厦门"), ("370200", "青岛"), ("210200", "大连"))
# (port code, port name, district code, district name, bureau code)
PORTS = (
    ("0101", "首都机场海关", "0100", "北京海关", "110000"), ("0102", "北京朝阳海关", "0100", "北京海关", "110000"),
    ("0202", "天津新港海关", "0200", "天津海关", "120000"), ("0209", "天津东疆海关", "0200", "天津海关", "120000"),
    ("2202", "吴淞海关", "2200", "上海海关", "310000"), ("2233", "浦东国际机场海关", "2200", "上海海关", "310000"),
    ("2248", "洋山海关", "2200", "上海海关", "310000"), ("2301", "南京海关新生圩办事处", "2300", "南京海关", "320000"),
    ("2305", "张家港海关", "2300", "南京海关", "320000"), ("2901", "杭州萧山机场海关", "2900", "杭州海关", "330000"),
    ("3104", "北仑海关", "3100", "宁波海关", "330200"), ("3701", "东渡海关", "3700", "厦门海关", "350200"),
    ("4201", "青岛大港海关", "4200", "青岛海关", "370200"), ("0901", "大连港湾海关", "0900", "大连海关", "210200"),
    ("5141", "广州白云机场海关", "5100", "广州海关", "440000"), ("5201", "黄埔老港海关", "5200", "黄埔海关", "440000"),
    ("5301", "皇岗海关", "5300", "深圳海关", "440300"), ("5304", "蛇口海关", "5300", "深圳海关", "440300"),
    ("8001", "成都双流机场海关", "7900", "成都海关", "510000"),
    ("8012", "重庆江北机场海关", "8000", "重庆海关", "500000"),
)
BATCH = 1000


def bureau_rows() -> list[dict[str, str]]:
    places = divisions()
    rows = []
    for province in places.children(""):
        short = province.name.removesuffix("省").removesuffix("市").removesuffix("自治区")
        rows.append({"code": province.code, "name": f"{province.name}出入境检验检疫局",
                     "contact_name": f"{short}免办受理岗", "contact_phone": f"0{province.code[:2]}0-12365",
                     "address": f"{province.name}检验检疫大厦"})
    for code, name in CITY_BUREAUS:
        rows.append({"code": code, "name": f"{name}出入境检验检疫局", "contact_name": f"{name}免办受理岗",
                     "contact_phone": f"0{code[:4]}-12365", "address": f"{places.full_name(code)}检验检疫大厦"})
    return rows


def delegation_rows() -> list[dict[str, str]]:
    """A province's divisions go to its bureau, a city with a bureau of its own to that one."""
    rows = [{"division_prefix": p.code[:2], "bureau_code": p.code} for p in divisions().children("")]
    rows += [{"division_prefix": code[:4], "bureau_code": code} for code, _name in CITY_BUREAUS]
    return rows


def _insert(context: CccContext, table, rows: Sequence[dict]) -> None:
    with context.unit_of_work() as uow:
        for start in range(0, len(rows), BATCH):
            insert_ignoring_duplicates(uow.session, table, rows[start:start + BATCH])
        uow.commit()


def seed_reference(context: CccContext) -> int:
    """Loads everything missing; answers how many catalogue codes there are."""
    catalogue = [{"code": e.code, "name": e.name, "standard_unit": e.standard_unit,
                  "characteristics": json.dumps(e.characteristics, ensure_ascii=False),
                  "quantity_units": json.dumps(e.quantity_units, ensure_ascii=False)} for e in entries()]
    _insert(context, HsCode.__table__, catalogue)
    _insert(context, Bureau.__table__, bureau_rows())
    _insert(context, Delegation.__table__, delegation_rows())
    _insert(context, Port.__table__, [{"code": c, "name": n, "district_code": dc, "district_name": dn,
                                       "bureau_code": b} for c, n, dc, dn, b in PORTS])
    return len(catalogue)


def seed_reference_command(context: CccContext, argv: Sequence[str]) -> int:
    seed_reference(context)
    return 0
