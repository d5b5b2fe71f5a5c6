"""inspection's notices: filings and their changes, commissions, quality issues, supervision checks,
disposals and annual reports (进口旧机电产品装运前检验监督管理系统)."""

from __future__ import annotations

from services.notify.handlers.templates import TemplateText
from services.notify.templates import notice

SYSTEM = "进口旧机电产品装运前检验监督管理系统"
LOGIN = f"请登录{SYSTEM}查看。"


def _notice(code: str, title: str, body: str, sms: str) -> TemplateText:
    return notice(code, title, title, body, sms=sms, category="RECEIVED")


TEMPLATES: list[TemplateText] = [
    # To the institution.
    _notice("inspection.filing.accepted", "备案申请已受理",
            "{institutionName}的备案申请{applicationNumber}已受理，备案证书编号：{certificateNumber}。",
            "{institutionName}的备案申请{applicationNumber}已受理，备案证书编号{certificateNumber}。"),
    _notice("inspection.filing.not_accepted", "备案申请不予受理",
            "{institutionName}的备案申请{applicationNumber}不予受理。原因：{reason}",
            "{institutionName}的备案申请{applicationNumber}不予受理，原因：{reason}"),
    _notice("inspection.filing.supplement_required", "备案申请补充材料",
            "{institutionName}的备案申请{applicationNumber}需补充材料：{notice}。请修改后再次提交申请。",
            "{institutionName}的备案申请{applicationNumber}需补充材料，" + LOGIN),
    _notice("inspection.filing_change.approved", "备案变更审核通过",
            "{institutionName}（备案证书编号{certificateNumber}）的备案变更已审核通过，备案信息已更新。",
            "{institutionName}的备案变更已审核通过，备案信息已更新。"),
    _notice("inspection.filing_change.rejected", "备案变更审核不通过",
            "{institutionName}（备案证书编号{certificateNumber}）的备案变更审核不通过，备案信息保持不变。原因：{reason}",
            "{institutionName}的备案变更审核不通过，备案信息保持不变。原因：{reason}"),
    _notice("inspection.commission.received", "收到业务委托",
            "{enterpriseName}向{institutionName}提交了业务委托{commissionNumber}，请在业务受理中处理。",
            "{enterpriseName}提交了业务委托{commissionNumber}，" + LOGIN),
    _notice("inspection.quality_issue.raised", "工作质量问题反馈",
            "海关对{institutionName}反馈了工作质量问题{issueNumber}：{title}。请填写回复说明并上传相关材料。",
            "海关反馈了工作质量问题{issueNumber}：{title}，" + LOGIN),
    _notice("inspection.check.requested", "文件检查要求",
            "海关对{institutionName}发起文件检查{checkNumber}：{title}。检查要求：{requirements}。请按要求提交文件。",
            "海关发起文件检查{checkNumber}：{title}，请按要求提交文件，" + LOGIN),
    _notice("inspection.check.recorded", "实地检查结果",
            "海关对{institutionName}的实地检查{checkNumber}（{title}）结果：{result}。{opinion}",
            "实地检查{checkNumber}结果：{result}，" + LOGIN),
    _notice("inspection.check.supplement_required", "监督检查需补充材料",
            "{institutionName}的{checkKind}{checkNumber}（{title}）审核不通过，需提交补充材料。意见：{opinion}",
            "{checkKind}{checkNumber}需提交补充材料，" + LOGIN),
    _notice("inspection.check.passed", "监督检查通过",
            "{institutionName}的{checkKind}{checkNumber}（{title}）已审核通过，检查要求已完成。",
            "{checkKind}{checkNumber}已审核通过。"),
    _notice("inspection.disposal.imposed", "处置通知",
            "海关对{institutionName}作出“{disposalKind}”处置{disposalNumber}（{period}）。原因：{reason}",
            "海关对{institutionName}作出“{disposalKind}”处置{disposalNumber}（{period}），" + LOGIN),
    _notice("inspection.disposal.supplement_required", "整改材料需补充",
            "{institutionName}提交的处置{disposalNumber}整改材料审核未通过，请补充后再次提交。意见：{opinion}",
            "处置{disposalNumber}的整改材料需补充，" + LOGIN),
    _notice("inspection.disposal.lifted", "处置已撤销",
            "海关已撤销对{institutionName}的“{disposalKind}”处置{disposalNumber}，可正常进行委托受理。",
            "“{disposalKind}”处置{disposalNumber}已撤销，可正常进行委托受理。"),
    _notice("inspection.disposal.ended", "处置期满",
            "{institutionName}的“{disposalKind}”处置{disposalNumber}已于{endsOn}到期。",
            "“{disposalKind}”处置{disposalNumber}已于{endsOn}到期。"),
    _notice("inspection.annual_report.opened", "年度报告填报要求",
            "海关要求{institutionName}填写{year}年度工作报告{reportNumber}，截止日期：{dueOn}。",
            "请填写{year}年度工作报告{reportNumber}（截止{dueOn}），" + LOGIN),
    # To the enterprise.
    _notice("inspection.commission.accepted", "业务委托已受理",
            "{institutionName}已接受{enterpriseName}的业务委托{commissionNumber}，状态：受理中。",
            "{institutionName}已接受业务委托{commissionNumber}，状态：受理中。"),
    _notice("inspection.commission.returned", "业务委托被退回",
            "{institutionName}退回了{enterpriseName}的业务委托{commissionNumber}，请修改补充材料后再次提交。退回原因：{reason}",
            "业务委托{commissionNumber}被退回，原因：{reason}，" + LOGIN),
    _notice("inspection.commission.completed", "检验完成",
            "{institutionName}已完成{enterpriseName}的业务委托{commissionNumber}的装运前检验，证书编号：{certificateNumber}，"
            "证书有效期至{validUntil}。",
            "业务委托{commissionNumber}检验完成，证书编号{certificateNumber}，有效期至{validUntil}。"),
    # To customs.
    _notice("inspection.filing.submitted", "备案申请待审核",
            "{institutionName}提交了备案申请{applicationNumber}，请审核。",
            "{institutionName}提交了备案申请{applicationNumber}，请审核。"),
    _notice("inspection.filing_change.submitted", "备案变更待审核",
            "{institutionName}（备案证书编号{certificateNumber}）提交了备案变更，请审核。",
            "{institutionName}提交了备案变更，请审核。"),
    _notice("inspection.quality_issue.replied", "质量问题已回复",
            "{institutionName}已回复工作质量问题{issueNumber}，请查看。",
            "{institutionName}已回复质量问题{issueNumber}。"),
    _notice("inspection.check.submitted", "监督检查材料待审核",
            "{institutionName}提交了监督检查{checkNumber}的材料，请审核。",
            "{institutionName}提交了检查{checkNumber}的材料。"),
    _notice("inspection.disposal.materials_submitted", "整改材料待审核",
            "{institutionName}提交了处置{disposalNumber}的整改材料，请审核。",
            "{institutionName}提交了整改材料。"),
    _notice("inspection.annual_report.submitted", "年度报告已提交",
            "{institutionName}已提交{year}年度工作报告{reportNumber}，请查看。",
            "{institutionName}已提交{year}年度工作报告。"),
]
