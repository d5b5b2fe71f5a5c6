"""待办事项: what waits for whom, by record kind and status, and what the reader is to do about it."""

from __future__ import annotations

from services.inspection.domain.states import (
    DRAFT,
    IN_FORCE,
    IN_PROGRESS,
    MATERIALS_SUBMITTED,
    OPEN,
    PENDING,
    PENDING_SUBMISSION,
    SUBMITTED,
    SUPPLEMENT,
    SUPPLEMENT_REQUIRED,
)

FILING = "FILING"
FILING_CHANGE = "FILING_CHANGE"
COMMISSION = "COMMISSION"
QUALITY_ISSUE = "QUALITY_ISSUE"
CHECK = "CHECK"
DISPOSAL = "DISPOSAL"
ANNUAL_REPORT = "ANNUAL_REPORT"

# (kind, status) -> what the one it waits for is to do.
INSTITUTION_ACTIONS = {
    (FILING, DRAFT): "完善备案信息后提交申请",
    (FILING, SUPPLEMENT_REQUIRED): "按海关通知补充材料后再次申请",
    (COMMISSION, SUBMITTED): "受理或退回业务委托",
    (COMMISSION, IN_PROGRESS): "录入检验结果",
    (QUALITY_ISSUE, OPEN): "回复工作质量问题",
    (CHECK, PENDING_SUBMISSION): "提交监督检查材料",
    (CHECK, SUPPLEMENT_REQUIRED): "提交监督检查补充材料",
    (DISPOSAL, IN_FORCE): "提交整改材料",
    (ANNUAL_REPORT, OPEN): "填写并提交年度报告",
}
ENTERPRISE_ACTIONS = {
    (COMMISSION, DRAFT): "完善业务委托后提交",
    (COMMISSION, SUPPLEMENT): "按退回原因补充材料后再次提交",
}
CUSTOMS_ACTIONS = {
    (FILING, SUBMITTED): "审核备案申请",
    (FILING_CHANGE, PENDING): "审核备案变更",
    (CHECK, SUBMITTED): "审核监督检查材料",
    (DISPOSAL, MATERIALS_SUBMITTED): "审核整改材料",
}
ACTIONS = {**INSTITUTION_ACTIONS, **ENTERPRISE_ACTIONS, **CUSTOMS_ACTIONS}
