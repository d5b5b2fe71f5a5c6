"""Supervision cases (manual §8): kinds, numbering, holders and who may transfer to whom. No I/O."""

from __future__ import annotations

from services.chassis.divisions import regions_over
from services.chassis.errors import InvalidArgument
from services.rare_earth.domain.agencies import OPERATOR, local_authority
from services.rare_earth.domain.states import CLOSED, OPEN

KINDS = {"UPLOAD_MISSING": "台账上传异常", "LEDGER_DATA": "台账数据异常", "TRACE_DATA": "追溯数据异常",
         "COMPLAINT": "投诉举报"}
NUMBER_PREFIX = {"UPLOAD_MISSING": "SC", "LEDGER_DATA": "SJ", "TRACE_DATA": "ZS", "COMPLAINT": "TS"}
HOLDERS = {"ENTERPRISE": "企业", "LOCAL_AUTHORITY": "地方主管部门", "GROUP": "集团", "OPERATOR": "运营机构"}
# 转审机构类型 per kind (manual §8.1–8.4): the enterprise itself only for trace data.
TRANSFER_TARGETS = {
    "UPLOAD_MISSING": ("LOCAL_AUTHORITY", "GROUP", "OPERATOR"),
    "LEDGER_DATA": ("LOCAL_AUTHORITY", "GROUP", "OPERATOR"),
    "TRACE_DATA": ("LOCAL_AUTHORITY", "GROUP", "OPERATOR", "ENTERPRISE"),
    "COMPLAINT": ("LOCAL_AUTHORITY", "GROUP", "OPERATOR"),
}
# Staff open these by hand; the jobs open UPLOAD_MISSING and TRACE_DATA; complaints have their own route.
STAFF_KINDS = ("LEDGER_DATA", "TRACE_DATA", "UPLOAD_MISSING")
OPINION_LIMIT = 500
PLATFORM = "稀土产品追溯信息系统"

# The first step of every case's flow; the others are the actions below.
OPEN_STEP = "OPEN"
# What each way of handling a case leaves it as: a transfer keeps it open with another holder.
ACTION_TARGETS = {"CLOSE": CLOSED, "TRANSFER": OPEN}

UPLOAD_MISSING_TEXT = "未如期上传【{ledger}】数据"


def check_opinion(opinion: str) -> str:
    opinion = opinion.strip()
    if not opinion:
        raise InvalidArgument.for_field("opinion", "请填写处理意见")
    if len(opinion) > OPINION_LIMIT:
        raise InvalidArgument.for_field("opinion", f"处理意见最多{OPINION_LIMIT}个字符")
    return opinion


def check_transfer(kind: str, current_holder: str, target: str) -> None:
    allowed = TRANSFER_TARGETS[kind]
    if target not in allowed:
        names = "、".join(HOLDERS[t] for t in allowed)
        raise InvalidArgument.for_field("transferTo", f"{KINDS[kind]}只能转审至：{names}")
    if target == current_holder and target != "GROUP":
        raise InvalidArgument.for_field("transferTo", f"该异常已由{HOLDERS[target]}处理，请选择其他机构")


def holder_agencies(holder_type: str, holder_region: str) -> list[str]:
    """The agencies whose staff may act on a case held by ``holder_type``; none when an enterprise holds it.

    A local authority case is held by the authority of the enterprise's region and of the province
    over it (either may handle it), so both are told.
    """
    if holder_type == "OPERATOR":
        return [OPERATOR]
    if holder_type == "LOCAL_AUTHORITY":
        return [local_authority(region) for region in regions_over(holder_region)]
    return []
