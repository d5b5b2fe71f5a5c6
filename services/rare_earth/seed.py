"""The data dictionary every deployment starts from: the rare-earth product list and the matching customs codes
(``seed-reference``).

Idempotent: an entry whose code is already present is left as it is, so the office's
edits survive a re-run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from services.rare_earth.config import RareEarthContext
from services.rare_earth.models import CustomsProduct, Product

log = logging.getLogger(__name__)

ORES = "稀土矿产品"
COMPOUNDS = "稀土氧化物及其他化合物"
METALS = "稀土金属及合金"
MATERIALS = "稀土功能材料"

# (category, name, code)
PRODUCTS: tuple[tuple[str, str, str], ...] = (
    (ORES, "离子型稀土原矿", "RE-K-001"),
    (ORES, "离子型稀土精矿（混合碳酸稀土）", "RE-K-002"),
    (ORES, "混合型稀土精矿（氟碳铈矿-独居石）", "RE-K-003"),
    (ORES, "氟碳铈矿精矿", "RE-K-004"),
    (ORES, "独居石精矿", "RE-K-005"),
    (ORES, "磷钇矿精矿", "RE-K-006"),
    (COMPOUNDS, "氧化镧", "RE-H-001"),
    (COMPOUNDS, "氧化铈", "RE-H-002"),
    (COMPOUNDS, "氧化镨", "RE-H-003"),
    (COMPOUNDS, "氧化钕", "RE-H-004"),
    (COMPOUNDS, "氧化镨钕", "RE-H-005"),
    (COMPOUNDS, "氧化钐", "RE-H-006"),
    (COMPOUNDS, "氧化铕", "RE-H-007"),
    (COMPOUNDS, "氧化钆", "RE-H-008"),
    (COMPOUNDS, "氧化铽", "RE-H-009"),
    (COMPOUNDS, "氧化镝", "RE-H-010"),
    (COMPOUNDS, "氧化钬", "RE-H-011"),
    (COMPOUNDS, "氧化铒", "RE-H-012"),
    (COMPOUNDS, "氧化钇", "RE-H-013"),
    (COMPOUNDS, "氧化镥", "RE-H-014"),
    (COMPOUNDS, "氯化稀土", "RE-H-015"),
    (COMPOUNDS, "碳酸稀土", "RE-H-016"),
    (COMPOUNDS, "碳酸镧铈", "RE-H-017"),
    (COMPOUNDS, "氟化镨钕", "RE-H-018"),
    (COMPOUNDS, "氟化镝", "RE-H-019"),
    (COMPOUNDS, "氟化铽", "RE-H-020"),
    (COMPOUNDS, "硝酸铈铵", "RE-H-021"),
    (METALS, "金属镧", "RE-J-001"),
    (METALS, "金属铈", "RE-J-002"),
    (METALS, "镧铈金属", "RE-J-003"),
    (METALS, "镨钕金属", "RE-J-004"),
    (METALS, "金属钕", "RE-J-005"),
    (METALS, "金属镝", "RE-J-006"),
    (METALS, "金属铽", "RE-J-007"),
    (METALS, "金属钇", "RE-J-008"),
    (METALS, "金属钐", "RE-J-009"),
    (METALS, "镝铁合金", "RE-J-010"),
    (METALS, "钆铁合金", "RE-J-011"),
    (METALS, "钬铁合金", "RE-J-012"),
    (METALS, "稀土硅铁合金", "RE-J-013"),
    (METALS, "稀土镁硅铁合金", "RE-J-014"),
    (MATERIALS, "钕铁硼速凝薄片", "RE-C-001"),
    (MATERIALS, "烧结钕铁硼永磁体", "RE-C-002"),
    (MATERIALS, "粘结钕铁硼永磁体", "RE-C-003"),
    (MATERIALS, "钐钴永磁体", "RE-C-004"),
    (MATERIALS, "稀土储氢合金粉", "RE-C-005"),
    (MATERIALS, "稀土荧光粉", "RE-C-006"),
    (MATERIALS, "稀土抛光粉", "RE-C-007"),
    (MATERIALS, "稀土催化材料（机动车尾气净化）", "RE-C-008"),
    (MATERIALS, "稀土分子筛裂化催化剂", "RE-C-009"),
    (MATERIALS, "稀土激光晶体（掺钕钇铝石榴石）", "RE-C-010"),
)

# (10-digit code, name, statutory unit): China's tariff headings for rare-earth products.
CUSTOMS_PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("2530902000", "稀土金属矿", "千克"),
    ("2805301100", "钕（未相互混合或熔合）", "千克"),
    ("2805301200", "镝（未相互混合或熔合）", "千克"),
    ("2805301300", "铽（未相互混合或熔合）", "千克"),
    ("2805301400", "镧（未相互混合或熔合）", "千克"),
    ("2805301500", "铈（未相互混合或熔合）", "千克"),
    ("2805301600", "镨（未相互混合或熔合）", "千克"),
    ("2805301700", "钇（未相互混合或熔合）", "千克"),
    ("2805301800", "钪（未相互混合或熔合）", "千克"),
    ("2805301900", "其他稀土金属（未相互混合或熔合）", "千克"),
    ("2805302100", "电池级的稀土金属、钪及钇（相互混合或熔合）", "千克"),
    ("2805302900", "其他稀土金属、钪及钇（相互混合或熔合）", "千克"),
    ("2846101000", "氧化铈", "千克"),
    ("2846102000", "氢氧化铈", "千克"),
    ("2846103000", "碳酸铈", "千克"),
    ("2846109000", "其他铈的化合物", "千克"),
    ("2846901100", "氧化钇", "千克"),
    ("2846901200", "氧化镧", "千克"),
    ("2846901300", "氧化钕", "千克"),
    ("2846901400", "氧化铕", "千克"),
    ("2846901500", "氧化镝", "千克"),
    ("2846901600", "氧化铽", "千克"),
    ("2846901700", "氧化镨", "千克"),
    ("2846901900", "其他氧化稀土", "千克"),
    ("2846902100", "氯化铽", "千克"),
    ("2846902200", "氯化镝", "千克"),
    ("2846902300", "氯化镧", "千克"),
    ("2846902400", "氯化钕", "千克"),
    ("2846902500", "氯化镨", "千克"),
    ("2846902600", "氯化钇", "千克"),
    ("2846902800", "混合氯化稀土", "千克"),
    ("2846902900", "其他氯化稀土", "千克"),
    ("2846903100", "氟化铽", "千克"),
    ("2846903200", "氟化镝", "千克"),
    ("2846903300", "氟化镧", "千克"),
    ("2846903400", "氟化钕", "千克"),
    ("2846903500", "氟化镨", "千克"),
    ("2846903600", "氟化钇", "千克"),
    ("2846903900", "其他氟化稀土", "千克"),
    ("2846904100", "碳酸镧", "千克"),
    ("2846904200", "碳酸铽", "千克"),
    ("2846904300", "碳酸镝", "千克"),
    ("2846904400", "碳酸钕", "千克"),
    ("2846904500", "碳酸镨", "千克"),
    ("2846904600", "碳酸钇", "千克"),
    ("2846904800", "混合碳酸稀土", "千克"),
    ("2846904900", "其他碳酸稀土", "千克"),
    ("2846909000", "其他稀土金属、钇、钪及其混合物的化合物", "千克"),
    ("7202999100", "钕铁硼合金速凝永磁片", "千克"),
    ("8505111000", "稀土永磁铁及稀土永磁体", "千克"),
)


def seed_dictionary(context: RareEarthContext) -> tuple[int, int]:
    """Insert the entries that are missing; answers how many of each were added."""
    with context.unit_of_work() as uow:
        session = uow.session
        product_codes = set(session.scalars(select(Product.code)))
        taken_names = {(c, n) for c, n in session.execute(select(Product.category, Product.name))}
        products = [Product(category=c, name=n, code=code) for c, n, code in PRODUCTS
                    if code not in product_codes and (c, n) not in taken_names]
        customs_codes = set(session.scalars(select(CustomsProduct.code)))
        customs = [CustomsProduct(code=code, name=name, unit=unit) for code, name, unit in CUSTOMS_PRODUCTS
                   if code not in customs_codes]
        session.add_all([*products, *customs])
        uow.commit()
    return len(products), len(customs)


def seed_reference_command(context: RareEarthContext, _argv: Sequence[str]) -> int:
    added_products, added_customs = seed_dictionary(context)
    log.info("rare_earth dictionary: %d products and %d customs codes added", added_products, added_customs)
    return 0
