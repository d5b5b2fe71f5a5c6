"""rare_earth's notices: registration, affiliation, quota plans, the dictionary, ledgers, cases."""

from __future__ import annotations

from services.notify.handlers.templates import TemplateText
from services.notify.templates import notice

TEMPLATES: list[TemplateText] = [
    notice("rare_earth.registration.approved", "企业注册审核通过", "企业注册审核通过",
           "贵单位{enterpriseName}在稀土产品追溯系统的注册申请已审核通过，可登录办理业务。",
           sms="{enterpriseName}在稀土产品追溯系统的注册申请已审核通过，可登录办理业务。", category="RECEIVED"),
    notice("rare_earth.registration.rejected", "企业注册审核不通过", "企业注册审核不通过",
           "贵单位{enterpriseName}在稀土产品追溯系统的注册申请未通过审核。意见：{reason}",
           sms="{enterpriseName}在稀土产品追溯系统的注册申请未通过审核，意见：{reason}", category="RECEIVED"),
    notice("rare_earth.affiliation.requested", "隶属关系申请", "收到隶属关系申请",
           "{enterpriseName}申请登记为{parentName}的{relation}（持股比例{shareRatio}），请在稀土产品追溯系统中审核。",
           category="RECEIVED"),
    notice("rare_earth.affiliation.updated", "隶属关系变更", "隶属关系申请已变更",
           "{enterpriseName}将与{parentName}的隶属关系变更为{relation}（持股比例{shareRatio}），请重新审核。",
           category="RECEIVED"),
    notice("rare_earth.affiliation.approved", "隶属关系审核通过", "隶属关系已确认",
           "{parentName}已确认{enterpriseName}的隶属关系。", category="RECEIVED"),
    notice("rare_earth.affiliation.rejected", "隶属关系审核不通过", "隶属关系未确认",
           "{parentName}未确认{enterpriseName}的隶属关系。意见：{reason}", category="RECEIVED"),
    notice("rare_earth.quota.allocated", "总量控制计划下达", "收到总量控制计划",
           "{allocatingUnit}已向{enterpriseName}下达{year}年第{batch}批{kind}总量控制计划：{quota}，请登录确认。",
           category="RECEIVED"),
    notice("rare_earth.plan_confirmation.mismatch", "计划确认量不一致", "计划确认量与下达量不一致",
           "{enterpriseName}确认的{year}年第{batch}批{kind}计划量为{confirmedQuota}，与下达量{allocatedQuota}不一致，"
           "请核实。", category="RECEIVED"),
    notice("rare_earth.dictionary.changed", "数据字典变更", "数据字典已更新",
           "数据字典“{dictionary}”{action}：{item}。填报时请使用最新选项。", category="SYSTEM"),
    notice("rare_earth.reporting_window.set", "填报时间设置", "填报时间已设置",
           "{period}的{reportType}填报时间为{opensAt}至{closesAt}，请按时填报。",
           sms="稀土产品追溯系统{period}{reportType}填报时间为{opensAt}至{closesAt}，请按时填报。", category="SYSTEM"),
    notice("rare_earth.ledger_override.requested", "台账补报修改申请", "收到台账补报修改申请",
           "{enterpriseName}申请补报修改{month}{kind}，请在稀土产品追溯系统中审核。", category="RECEIVED"),
    notice("rare_earth.ledger_override.approved", "台账补报修改申请通过", "台账补报修改申请已批准",
           "{enterpriseName}{month}{kind}的补报修改申请已批准，请在规定时间内完成填报。", category="RECEIVED"),
    notice("rare_earth.ledger_override.rejected", "台账补报修改申请未通过", "台账补报修改申请未批准",
           "{enterpriseName}{month}{kind}的补报修改申请未获批准。意见：{reason}", category="RECEIVED"),
    notice("rare_earth.case.assigned", "监管案件交办", "收到监管案件",
           "{caseKind}案件{caseNumber}（{enterpriseName}）已交由贵单位办理：{description}",
           sms="{caseKind}案件{caseNumber}已交由贵单位办理，请登录稀土产品追溯系统查看。", category="RECEIVED"),
    notice("rare_earth.case.transferred", "监管案件转办", "监管案件已转办",
           "{caseKind}案件{caseNumber}（{enterpriseName}）由{fromBody}转至贵单位办理。意见：{opinion}",
           sms="{caseKind}案件{caseNumber}已由{fromBody}转至贵单位办理，请登录稀土产品追溯系统查看。",
           category="RECEIVED"),
    notice("rare_earth.case.closed", "监管案件办结", "监管案件已办结",
           "{caseKind}案件{caseNumber}（{enterpriseName}）已办结。办结意见：{opinion}", category="RECEIVED"),
]
