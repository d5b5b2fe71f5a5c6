"""The template set every service's notices use, named ``<system>.<event>``; seeding is idempotent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from services.notify.handlers.templates import TemplateText, save_version
from services.notify.models import Template
from services.notify.runtime import NotifyRuntime

_PURPOSES = {
    "register": "注册账号",
    "login": "登录",
    "reset_password": "重置密码",
    "recover": "找回账号",
    "change_phone": "更换手机号",
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
    # rare earth traceability
    _notice("rare_earth.registration.approved", "企业注册审核通过", "企业注册审核通过",
            "贵单位{organizationName}在稀土产品追溯系统的注册申请已审核通过，可登录办理业务。",
            sms="贵单位在稀土产品追溯系统的注册申请已审核通过。"),
    _notice("rare_earth.registration.rejected", "企业注册审核不通过", "企业注册审核不通过",
            "贵单位{organizationName}在稀土产品追溯系统的注册申请未通过审核。意见：{reason}",
            sms="贵单位在稀土产品追溯系统的注册申请未通过审核，意见：{reason}"),
    _notice("rare_earth.affiliation.requested", "隶属关系申请", "收到隶属关系申请",
            "{organizationName}申请隶属于贵单位，请在稀土产品追溯系统中审核。"),
    _notice("rare_earth.affiliation.decided", "隶属关系审核结果", "隶属关系审核结果",
            "贵单位隶属于{groupName}的申请审核结果：{decision}。{reason}"),
    _notice("rare_earth.quota_plan.issued", "总量控制计划下达", "总量控制计划已下达",
            "{year}年度稀土{planType}总量控制计划已下达，请登录稀土产品追溯系统查看。"),
    _notice("rare_earth.quota_plan.allocated", "总量控制计划分配", "总量控制计划已分配",
            "{groupName}已向贵单位分配{year}年度{planType}计划：{quantity}，请登录查看。"),
    _notice("rare_earth.dictionary.changed", "数据字典变更", "数据字典已更新",
            "稀土产品追溯系统数据字典“{dictionary}”已更新，请在填报时使用最新选项。"),
    _notice("rare_earth.reporting_window.set", "填报时间设置", "填报时间已设置",
            "{period}的{reportType}填报时间为{opensAt}至{closesAt}，请按时填报。",
            sms="稀土产品追溯系统{period}{reportType}填报时间为{opensAt}至{closesAt}，请按时填报。"),
    _notice("rare_earth.supervision_case.assigned", "监管案件分派", "收到监管案件",
            "监管案件{caseNumber}（{subject}）已分派给您处理，请于{dueDate}前办理。"),
    _notice("rare_earth.supervision_case.transferred", "监管案件转办", "监管案件已转办",
            "监管案件{caseNumber}（{subject}）已由{fromAgency}转至{toAgency}办理。"),
    # announcements sent by SMS or e-mail
    TemplateText(code="notify.announcement.published", system="notify", category="announcement", name="平台公告",
                 sms_text="平台公告：{title}，详情请登录通办平台查看。",
                 email_subject="【通办公告】{title}", email_body="{body}\n\n通办平台",
                 inbox_title="{title}", inbox_body="{body}"),
]


def seed_templates(runtime: NotifyRuntime) -> int:
    """Add the templates that do not exist yet; one an admin has edited is left as the admin made it."""
    written = 0
    with runtime.unit_of_work() as uow:
        existing = set(uow.session.execute(select(Template.code).distinct()).scalars())
        for text in TEMPLATES:
            if text.code not in existing:
                save_version(uow.session, text, "seed", runtime.settings.sms_signature)
                written += 1
        uow.commit()
    return written
