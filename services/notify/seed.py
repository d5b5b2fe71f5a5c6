"""The template set every service's notices use, named ``<system>.<event>``; seeding is idempotent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from services.notify.context import NotifyContext
from services.notify.handlers.templates import TemplateText, save_version
from services.notify.models import Template

_PURPOSES = {
    "register": "注册账号",
    "login": "登录",
    "reset_password": "重置密码",
    "recover": "找回账号",
    "change_phone": "更换手机号",
    "change_email": "更换邮箱",
    "delete_account": "注销账号",
}


def _verification_codes() -> list[TemplateText]:
    return [
        TemplateText(
            code=f"identity.verification_code.{purpose}", system="identity", category="verification_code",
            name=f"验证码（{action}）",
            sms_text=f"您正在{action}，验证码{{code}}，{{minutes}}分钟内有效。如非本人操作，请忽略本短信。",
            email_subject=f"通办平台{action}验证码",
            email_body=(f"您好：\n\n您正在通办平台{action}，验证码为 {{code}}，{{minutes}} 分钟内有效。\n"
                        "请勿将验证码告诉他人。如非本人操作，请忽略本邮件。\n\n通办平台"),
        )
        for purpose, action in _PURPOSES.items()
    ]


def _notice(code: str, name: str, title: str, body: str, *, sms: str = "", category: str = "") -> TemplateText:
    system = code.split(".")[0]
    return TemplateText(
        code=code, system=system, category=category or code.split(".")[1], name=name,
        sms_text=sms, email_subject=f"【通办】{title}", email_body=f"您好：\n\n{body}\n\n通办平台",
        inbox_title=title, inbox_body=body)


TEMPLATES: Sequence[TemplateText] = [
    *_verification_codes(),
    # identity: agents and their authorisation, accounts
    _notice("identity.agent.applied", "代理人申请", "收到代理人授权申请",
            "{agentName}申请作为{organizationName}的代理人，办理{systems}业务，请及时审核。",
            sms="{agentName}申请作为贵单位代理人，请登录通办平台审核。"),
    _notice("identity.agent.approved", "代理人授权通过", "代理人授权已通过",
            "{organizationName}已同意您作为代理人办理{systems}业务。",
            sms="{organizationName}已同意您的代理人授权申请，可登录通办平台办理业务。"),
    _notice("identity.agent.rejected", "代理人授权未通过", "代理人授权未通过",
            "{organizationName}未同意您的代理人授权申请。原因：{reason}",
            sms="{organizationName}未同意您的代理人授权申请，原因：{reason}"),
    _notice("identity.account.deleted", "账号已注销", "账号已注销",
            "您的通办平台账号{loginName}已于{deletedAt}注销。如非本人操作，请立即联系平台管理员。",
            sms="您的通办平台账号{loginName}已注销。如非本人操作，请立即联系平台管理员。"),
    # rare earth traceability: RECEIVED is 我收到的通知, SYSTEM is 系统通知
    _notice("rare_earth.registration.approved", "企业注册审核通过", "企业注册审核通过",
            "贵单位{enterpriseName}在稀土产品追溯系统的注册申请已审核通过，可登录办理业务。",
            sms="{enterpriseName}在稀土产品追溯系统的注册申请已审核通过，可登录办理业务。", category="RECEIVED"),
    _notice("rare_earth.registration.rejected", "企业注册审核不通过", "企业注册审核不通过",
            "贵单位{enterpriseName}在稀土产品追溯系统的注册申请未通过审核。意见：{reason}",
            sms="{enterpriseName}在稀土产品追溯系统的注册申请未通过审核，意见：{reason}", category="RECEIVED"),
    _notice("rare_earth.affiliation.requested", "隶属关系申请", "收到隶属关系申请",
            "{enterpriseName}申请登记为{parentName}的{relation}（持股比例{shareRatio}），请在稀土产品追溯系统中审核。",
            category="RECEIVED"),
    _notice("rare_earth.affiliation.updated", "隶属关系变更", "隶属关系申请已变更",
            "{enterpriseName}将与{parentName}的隶属关系变更为{relation}（持股比例{shareRatio}），请重新审核。",
            category="RECEIVED"),
    _notice("rare_earth.affiliation.approved", "隶属关系审核通过", "隶属关系已确认",
            "{parentName}已确认{enterpriseName}的隶属关系。", category="RECEIVED"),
    _notice("rare_earth.affiliation.rejected", "隶属关系审核不通过", "隶属关系未确认",
            "{parentName}未确认{enterpriseName}的隶属关系。意见：{reason}", category="RECEIVED"),
    _notice("rare_earth.quota.allocated", "总量控制计划下达", "收到总量控制计划",
            "{allocatingUnit}已向{enterpriseName}下达{year}年第{batch}批{kind}总量控制计划：{quota}，请登录确认。",
            category="RECEIVED"),
    _notice("rare_earth.plan_confirmation.mismatch", "计划确认量不一致", "计划确认量与下达量不一致",
            "{enterpriseName}确认的{year}年第{batch}批{kind}计划量为{confirmedQuota}，与下达量{allocatedQuota}不一致，"
            "请核实。", category="RECEIVED"),
    _notice("rare_earth.dictionary.changed", "数据字典变更", "数据字典已更新",
            "数据字典“{dictionary}”{action}：{item}。填报时请使用最新选项。", category="SYSTEM"),
    _notice("rare_earth.reporting_window.set", "填报时间设置", "填报时间已设置",
            "{period}的{reportType}填报时间为{opensAt}至{closesAt}，请按时填报。",
            sms="稀土产品追溯系统{period}{reportType}填报时间为{opensAt}至{closesAt}，请按时填报。", category="SYSTEM"),
    _notice("rare_earth.ledger_override.requested", "台账补报修改申请", "收到台账补报修改申请",
            "{enterpriseName}申请补报修改{month}{kind}，请在稀土产品追溯系统中审核。", category="RECEIVED"),
    _notice("rare_earth.ledger_override.approved", "台账补报修改申请通过", "台账补报修改申请已批准",
            "{enterpriseName}{month}{kind}的补报修改申请已批准，请在规定时间内完成填报。", category="RECEIVED"),
    _notice("rare_earth.ledger_override.rejected", "台账补报修改申请未通过", "台账补报修改申请未批准",
            "{enterpriseName}{month}{kind}的补报修改申请未获批准。意见：{reason}", category="RECEIVED"),
    _notice("rare_earth.case.assigned", "监管案件交办", "收到监管案件",
            "{caseKind}案件{caseNumber}（{enterpriseName}）已交由贵单位办理：{description}",
            sms="{caseKind}案件{caseNumber}已交由贵单位办理，请登录稀土产品追溯系统查看。", category="RECEIVED"),
    _notice("rare_earth.case.transferred", "监管案件转办", "监管案件已转办",
            "{caseKind}案件{caseNumber}（{enterpriseName}）由{fromBody}转至贵单位办理。意见：{opinion}",
            sms="{caseKind}案件{caseNumber}已由{fromBody}转至贵单位办理，请登录稀土产品追溯系统查看。",
            category="RECEIVED"),
    _notice("rare_earth.case.closed", "监管案件办结", "监管案件已办结",
            "{caseKind}案件{caseNumber}（{enterpriseName}）已办结。办结意见：{opinion}", category="RECEIVED"),
    # announcements sent by SMS or e-mail
    TemplateText(code="notify.announcement.published", system="notify", category="announcement", name="平台公告",
                 sms_text="平台公告：{title}，详情请登录通办平台查看。",
                 email_subject="【通办公告】{title}", email_body="{body}\n\n通办平台",
                 inbox_title="{title}", inbox_body="{body}"),
]


SEED_AUTHOR = "seed"


def seed_templates(context: NotifyContext) -> int:
    """Add missing templates and bring seeded wording up to date; one an admin has edited is left as made."""
    written = 0
    with context.unit_of_work() as uow:
        latest_authors = dict(uow.session.execute(
            select(Template.code, Template.created_by).order_by(Template.code, Template.version)).all())
        for text in TEMPLATES:
            if latest_authors.get(text.code, SEED_AUTHOR) != SEED_AUTHOR:
                continue
            if save_version(uow.session, text, SEED_AUTHOR, context.config.sms_signature) is not None:
                written += 1
        uow.commit()
    return written
