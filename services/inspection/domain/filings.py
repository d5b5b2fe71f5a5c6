"""An institution's filing (备案管理, manual §1.3): its fields, its four sub-tables, what a change may touch.

The filing certificate number (备案证书编号) is never typed by the institution: it is filled in when
customs accepts the filing.
"""

from __future__ import annotations

from services.chassis.errors import Violations
from services.inspection.domain import fields as f
from services.inspection.domain.fields import Field, check_fields

FILING_FIELDS = {
    "name": Field("检验机构名称", 200),
    "country": Field("国家（地区）", 2),
    "address": Field("地址", 300),
    "legal_representative": Field("法定代表人", 60),
    "contact_name": Field("联系人", 60),
    "phone": Field("联系电话", 30, check=f.phone),
    "email": Field("电子邮件", 100, check=f.email),
    "id_type": Field("证件类型", 16),
    "id_number": Field("证件号码（身份证/护照）", 20),
}
# What a change to an accepted filing may touch (the yellow fields of 备案变更); the name and the
# country identify the filed institution and stay as accepted.
CHANGEABLE = ("address", "legal_representative", "contact_name", "phone", "email", "id_type", "id_number")

# The four sub-tables: their text fields (the numbers and dates are checked where they are parsed).
DEPARTMENT_FIELDS = {
    "name": Field("部门名称", 100),
    "head": Field("负责人", 60),
    "responsibilities": Field("主要职责", 500, multiline=True),
}
EQUIPMENT_FIELDS = {
    "name": Field("设备名称", 100),
    "model": Field("型号规格", 100),
    "purpose": Field("检测项目/用途", 200),
}
CERTIFICATION_FIELDS = {
    "name": Field("认证名称", 100),
    "certificate_number": Field("证书编号", 60),
    "issuer": Field("认证机构", 100),
}
INSPECTION_FIELDS = {
    "goods_category": Field("检验产品类别", 100),
    "destination": Field("主要目的地/委托方", 200, required=False),
}
# 近三年: the year of the filing and the three before it may be listed.
RECENT_YEARS = 3

REFILING_NOT_RECOGNIZED = "不予认可处置期间不予重新备案"
REFILING_RECTIFICATION = "请完成限期整改后重新备案"


def check_filing(values: dict[str, str], countries: set[str]) -> Violations:
    """The filing's fields: required ones present, phone and e-mail in form, the ID number valid for its type."""
    violations = check_fields(FILING_FIELDS, values)
    fields_given = {v.field for v in violations.items}
    country = values.get("country")
    if country is not None and "country" not in fields_given and country.strip() and country not in countries:
        violations.add("country", "请从列表中选择国家（地区）")
    id_type = values.get("id_type")
    if id_type is not None and "idType" not in fields_given and id_type.strip() and id_type not in f.ID_TYPES:
        violations.add("idType", "证件类型须为 ID_CARD（身份证）或 PASSPORT（护照）")
    number = values.get("id_number")
    if number is not None and "idNumber" not in fields_given and number.strip() and id_type in f.ID_TYPES:
        problem = f.id_number_problem(id_type, number)
        if problem:
            violations.add("idNumber", problem)
    return violations


def normalized(values: dict[str, str]) -> dict[str, str]:
    """Stripped; ID numbers upper-cased (a passport's letters, an ID card's X)."""
    clean = f.stripped(values)
    if "id_number" in clean:
        clean["id_number"] = clean["id_number"].upper()
    if "country" in clean:
        clean["country"] = clean["country"].upper()
    return clean
