"""identity's notices: verification codes for every purpose, agents and their authorisation, accounts."""

from __future__ import annotations

from services.notify.handlers.templates import TemplateText
from services.notify.templates import notice

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


TEMPLATES: list[TemplateText] = [
    *_verification_codes(),
    notice("identity.agent.applied", "代理人申请", "收到代理人授权申请",
           "{agentName}申请作为{organizationName}的代理人，办理{systems}业务，请及时审核。",
           sms="{agentName}申请作为贵单位代理人，请登录通办平台审核。"),
    notice("identity.agent.approved", "代理人授权通过", "代理人授权已通过",
           "{organizationName}已同意您作为代理人办理{systems}业务。",
           sms="{organizationName}已同意您的代理人授权申请，可登录通办平台办理业务。"),
    notice("identity.agent.rejected", "代理人授权未通过", "代理人授权未通过",
           "{organizationName}未同意您的代理人授权申请。原因：{reason}",
           sms="{organizationName}未同意您的代理人授权申请，原因：{reason}"),
    notice("identity.signer.created", "手签员账号开通", "手签员账号已开通",
           "{organizationName}已为您开通手签员账号，登录名{loginName}。请向单位管理员获取初始密码，登录后及时修改。",
           sms="{organizationName}已为您开通通办平台手签员账号，登录名{loginName}，初始密码请向单位管理员获取。"),
    notice("identity.admin.transferred", "管理员身份转移", "您已成为单位管理员",
           "{organizationName}的管理员身份已转移给您，您可以管理本单位的手签员。",
           sms="{organizationName}的管理员身份已转移给您，请登录通办平台查看。"),
    notice("identity.account.deleted", "账号已注销", "账号已注销",
           "您的通办平台账号{loginName}已于{deletedAt}注销。如非本人操作，请立即联系平台管理员。",
           sms="您的通办平台账号{loginName}已注销。如非本人操作，请立即联系平台管理员。"),
]
