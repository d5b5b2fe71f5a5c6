"""ccc_exemption's notices: every decision on an application, certificate, modification, write-off and
use record (to the enterprise, in the inbox, by SMS and e-mail), and what waits at a bureau's posts."""

from __future__ import annotations

from services.notify.handlers.templates import TemplateText
from services.notify.templates import notice

SYSTEM = "CCC免办系统"


def _decision(code: str, name: str, body: str) -> TemplateText:
    """An enterprise's notice: the same words in the inbox and by e-mail, and by SMS."""
    return notice(code, name, name, body, sms=f"{SYSTEM}：{body}", category="RECEIVED")


def _bureau(code: str, name: str, body: str) -> TemplateText:
    return notice(code, name, name, body, category="RECEIVED")


TEMPLATES: list[TemplateText] = [
    _bureau("ccc_exemption.application.submitted", "免办申请待处理",
            "{applicantName}提交的免办申请{applicationNumber}已送达{postLabel}，请及时处理。"),
    _decision("ccc_exemption.application.accepted", "免办申请已受理",
              "免办申请{applicationNumber}已由{bureauName}受理，进入初审。"),
    _decision("ccc_exemption.application.refused", "免办申请拒绝受理",
              "免办申请{applicationNumber}被{bureauName}拒绝受理。原因：{reason}"),
    _decision("ccc_exemption.application.returned", "免办申请返回修改",
              "免办申请{applicationNumber}被{bureauName}{postLabel}返回修改，请按意见补正后重新提交。意见：{reason}"),
    _decision("ccc_exemption.application.first_review_passed", "免办申请初审通过",
              "免办申请{applicationNumber}已通过{bureauName}初审，进入终审。"),
    _decision("ccc_exemption.application.first_review_failed", "免办申请初审未通过",
              "免办申请{applicationNumber}未通过{bureauName}初审。原因：{reason}"),
    _decision("ccc_exemption.application.paper_requested", "请送纸质材料",
              "免办申请{applicationNumber}进入文件对比，请按{bureauName}的通知送纸质材料：{notice}"),
    _decision("ccc_exemption.application.comparison_passed", "纸质材料对比通过",
              "免办申请{applicationNumber}的纸质材料已通过{bureauName}对比，审批继续。"),
    _decision("ccc_exemption.application.comparison_failed", "对比材料未通过",
              "免办申请{applicationNumber}的纸质材料未通过{bureauName}对比。原因：{reason}"),
    _decision("ccc_exemption.application.final_review_failed", "免办申请终审未通过",
              "免办申请{applicationNumber}未通过{bureauName}终审。原因：{reason}"),
    _decision("ccc_exemption.application.terminated", "免办申请强制终止流程",
              "免办申请{applicationNumber}已被{bureauName}（{officer}）强制终止流程。原因：{reason}"),
    _decision("ccc_exemption.certificate.issued", "免办证明已签发",
              "免办申请{applicationNumber}已获{bureauName}批准，免办证明{certificateNumber}已签发，"
              "有效期至{validUntil}，可登录查看和打印。"),
    _decision("ccc_exemption.modification.opened", "免办证明可修改",
              "{bureauName}已将免办证明{certificateNumber}返回企业修改，请登录修改证明并提交。说明：{note}"),
    _bureau("ccc_exemption.modification.submitted", "证明修改待确认",
            "{applicantName}已提交免办证明{certificateNumber}的修改，请确认。"),
    _decision("ccc_exemption.modification.confirmed", "证明修改已确认",
              "免办证明{certificateNumber}的修改已由{bureauName}确认，新证明为第{version}版。"),
    _decision("ccc_exemption.modification.sent_back", "请重新修改证明",
              "免办证明{certificateNumber}的修改被{bureauName}退回，请重新修改证明。原因：{reason}"),
    _bureau("ccc_exemption.pre_write_off.submitted", "预核销待确认",
            "{applicantName}在{portName}提交了免办证明{certificateNumber}的预核销申请，请确认。"),
    _decision("ccc_exemption.pre_write_off.confirmed", "预核销已确认",
              "免办证明{certificateNumber}在{portName}的预核销已确认核销。"),
    _decision("ccc_exemption.write_off.recorded", "免办产品已核销",
              "免办证明{certificateNumber}的产品已在{portName}核销（{officer}）。"),
    _bureau("ccc_exemption.use_record.submitted", "产品使用记录待审核",
            "{applicantName}提交了免办证明{certificateNumber}的{kind}，请审核。"),
    _decision("ccc_exemption.use_record.approved", "产品使用记录审核通过",
              "免办证明{certificateNumber}的{kind}已通过{bureauName}审核。"),
    _decision("ccc_exemption.use_record.rejected", "产品使用记录审核不通过",
              "免办证明{certificateNumber}的{kind}未通过{bureauName}审核。意见：{opinion}"),
]
