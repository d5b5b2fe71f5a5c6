"""Reference data (公共查询, manual §1.2): the lists behind the dropdowns, business rules and regulations.

Customs maintains the business rules and the regulations; the lists are loaded by ``seed-demo``.
"""

from __future__ import annotations

from services.inspection.domain.fields import HS_PREFIX, Field

# The lists a commission's and a filing's dropdowns read (list code -> what it is called).
LISTS = {
    "CUSTOMS": "海关（入境海关、到货地海关）",
    "DESTINATION": "到货地",
    "USAGE": "产品用途",
    "CURRENCY": "币制",
    "COUNTRY": "国家（地区）",
}

REGULATION_KINDS = {"LAW": "法律法规", "REGULATION": "部门规章", "POLICY": "政策文件", "ANNOUNCEMENT": "公告"}


def _web_link(value: str) -> str | None:
    return None if value.startswith(("http://", "https://")) else "原文链接须以 http:// 或 https:// 开头"


def _hs_prefix(value: str) -> str | None:
    return None if HS_PREFIX.fullmatch(value) else "HS编码须为2至10位数字"


RULE_FIELDS = {
    "hs_code": Field("HS编码", 10, check=_hs_prefix),
    "product_name": Field("品名", 100),
    "category": Field("产品类别", 50, required=False),
    "requirement": Field("监管要求", 200),
    "basis": Field("依据文件", 200, required=False),
    "remarks": Field("备注", 1000, required=False, multiline=True),
}

REGULATION_FIELDS = {
    "title": Field("标题", 200),
    "document_number": Field("文号", 60, required=False),
    "issuer": Field("发布机关", 100),
    "summary": Field("内容摘要", 4000, required=False, multiline=True),
    "link": Field("原文链接", 500, required=False, check=_web_link),
}
