"""Oversight (manual §1.5–1.8): quality issues, supervision checks, disposals and annual reports.

A disposal in force shuts an institution out of new commissions: not recognised (不予认可装运前检验结果)
for its period, rectification (限期整改) until customs approves the materials and lifts it. Revoking a
filing (撤销备案) takes the institution out of the public query; it may file again.
"""

from __future__ import annotations

from datetime import date

from services.chassis.errors import InvalidArgument
from services.inspection.domain.fields import Field
from services.inspection.domain.states import IN_FORCE, MATERIALS_SUBMITTED

NOT_RECOGNIZED = "NOT_RECOGNIZED"
REVOKE_FILING = "REVOKE_FILING"
RECTIFICATION = "RECTIFICATION"
DISPOSAL_KINDS = {NOT_RECOGNIZED: "不予认可装运前检验结果", REVOKE_FILING: "撤销备案", RECTIFICATION: "限期整改"}
# The states in which each kind shuts the institution out (a not-recognised period also by its end date).
BINDING_STATES = {NOT_RECOGNIZED: (IN_FORCE,), RECTIFICATION: (IN_FORCE, MATERIALS_SUBMITTED)}
# What the public query shows for an institution under no disposal.
NORMAL = "正常"

DOCUMENT = "DOCUMENT"
ONSITE = "ONSITE"
CHECK_KINDS = {DOCUMENT: "文件检查", ONSITE: "实地检查"}

QUALITY_ISSUE_FIELDS = {
    "title": Field("问题标题", 200),
    "description": Field("问题描述", 2000, multiline=True),
    "business_number": Field("相关业务编号", 40, required=False),
}
REPLY_FIELDS = {"reply": Field("回复说明", 2000, multiline=True)}
CHECK_FIELDS = {
    "title": Field("检查事项", 200),
    "requirements": Field("检查要求", 2000, multiline=True),
}
OPINION = Field("审核意见", 1000, multiline=True)
SUBMISSION = Field("反馈说明", 2000, multiline=True)
DISPOSAL_FIELDS = {"reason": Field("处置原因", 2000, multiline=True)}
REPORT_FIELDS = {
    "organization_changes": Field("机构变化情况", 2000, required=False, multiline=True),
    "quality_management": Field("质量管理体系运行情况", 2000, required=False, multiline=True),
    "problems_and_improvements": Field("存在问题及改进措施", 2000, required=False, multiline=True),
    "summary": Field("年度工作总结", 4000, multiline=True),
}
REPORT_REQUIREMENTS = Field("填报要求", 2000, required=False, multiline=True)


def shuts_out(kind: str, status: str, end_date: date | None, on: date) -> bool:
    """Whether a disposal keeps its institution from commissions (and from re-filing) on ``on``."""
    if status not in BINDING_STATES.get(kind, ()):
        return False
    return kind != NOT_RECOGNIZED or end_date is None or end_date >= on


def commission_refusal(kind: str, end_date: date | None) -> str:
    """Why a commission to (or by) an institution under a disposal is refused, in the manual's words."""
    if kind == NOT_RECOGNIZED:
        until = f"（处置到期时间：{end_date.isoformat()}）" if end_date else ""
        return f"该装运前检验机构处于“不予认可装运前检验结果”处置期间{until}，在处置时间范围内无法被企业委托受理"
    return "该装运前检验机构处于“限期整改”处置期间，在处置时间范围内无法被企业委托受理"


def opinion_of(opinion: str, *, required: bool) -> str:
    """Customs' opinion, stripped; a 400 naming ``opinion`` when it is required and missing, or malformed."""
    opinion = opinion.strip()
    if (required or opinion) and (problem := OPINION.problem(opinion)):
        raise InvalidArgument.for_field("opinion", problem)
    return opinion


def submission_of(text: str) -> str:
    """The institution's explanation of what it submits (反馈说明), stripped; a 400 naming ``text``."""
    text = text.strip()
    if problem := SUBMISSION.problem(text):
        raise InvalidArgument.for_field("text", problem)
    return text
