"""Notice templates, one module per system that sends notices: ``<system>.<event>`` codes and their wording.

A service's templates live in ``templates/<system>.py`` as a ``TEMPLATES`` list, so a new service
adds its own module; :func:`all_templates` gathers every module of a system in the registry.
"""

from __future__ import annotations

import importlib
import importlib.util

from services.chassis.registry import NOTICE_SYSTEMS
from services.notify.handlers.templates import TemplateText


def notice(code: str, name: str, title: str, body: str, *, sms: str = "", category: str = "") -> TemplateText:
    """An in-site notice with the same words by e-mail, and an SMS when ``sms`` is given."""
    system = code.split(".")[0]
    return TemplateText(
        code=code, system=system, category=category or code.split(".")[1], name=name,
        sms_text=sms, email_subject=f"【通办】{title}", email_body=f"您好：\n\n{body}\n\n通办平台",
        inbox_title=title, inbox_body=body)


# notify's own: announcements sent by SMS or e-mail.
ANNOUNCEMENT = TemplateText(
    code="notify.announcement.published", system="notify", category="announcement", name="平台公告",
    sms_text="平台公告：{title}，详情请登录通办平台查看。", email_subject="【通办公告】{title}",
    email_body="{body}\n\n通办平台", inbox_title="{title}", inbox_body="{body}")


def all_templates() -> list[TemplateText]:
    """Every system's templates (each module's ``TEMPLATES``) and notify's own."""
    found: list[TemplateText] = []
    for system in NOTICE_SYSTEMS:
        name = f"{__name__}.{system}"
        if importlib.util.find_spec(name) is not None:
            found += importlib.import_module(name).TEMPLATES
    return [*found, ANNOUNCEMENT]
