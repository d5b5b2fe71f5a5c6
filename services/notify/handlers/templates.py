"""Templates: versioned zh-CN wording per channel; the platform admin reads and edits them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.chassis.auth import require_role
from services.chassis.db import utcnow
from services.chassis.errors import NotFound
from services.chassis.paging import Page, paginate
from services.notify import domain
from services.notify.context import NotifyContext
from services.notify.models import Template

ADMIN_ROLE = "PLATFORM_ADMIN"


def _latest(session: Session, code: str) -> Template | None:
    return session.execute(
        select(Template).where(Template.code == code).order_by(Template.version.desc()).limit(1)
    ).scalar_one_or_none()


def _wording(template: Template) -> domain.TemplateWording:
    return domain.TemplateWording(template.code, template.version, template.sms_text, template.email_subject,
                                  template.email_body, template.inbox_title, template.inbox_body)


def current_wording(session: Session, code: str) -> domain.TemplateWording | None:
    template = _latest(session, code)
    return _wording(template) if template is not None else None


def placeholders_of(template: Template) -> list[str]:
    return _wording(template).all_placeholders()


def get_template(context: NotifyContext, code: str) -> Template:
    require_role(ADMIN_ROLE)
    with context.unit_of_work(read_only=True) as uow:
        template = _latest(uow.session, code)
    if template is None:
        raise NotFound(f"模板不存在：{code}")
    return template


def list_templates(context: NotifyContext, system: str, page_size: int, page_token: str) -> Page[Template]:
    """The current version of every template (of one system, when given)."""
    require_role(ADMIN_ROLE)
    newest = (select(Template.code, func.max(Template.version).label("version"))
              .group_by(Template.code).subquery())
    query = select(Template).join(newest, (Template.code == newest.c.code) & (Template.version == newest.c.version))
    if system:
        query = query.where(Template.system == system)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query.order_by(Template.code), page_size, page_token, maximum=100)


@dataclass(frozen=True)
class TemplateText:
    code: str
    system: str
    category: str
    name: str
    sms_text: str = ""
    email_subject: str = ""
    email_body: str = ""
    inbox_title: str = ""
    inbox_body: str = ""


def save_version(session: Session, text: TemplateText, author: str, signature: str) -> Template | None:
    """Store ``text`` as the next version; None when the current version already says exactly that."""
    domain.check_template(text.code, text.system, text.sms_text, text.email_subject, text.email_body,
                          text.inbox_title, text.inbox_body, signature)
    current = _latest(session, text.code)
    fields = ("system", "category", "name", "sms_text", "email_subject", "email_body", "inbox_title", "inbox_body")
    if current is not None and all(getattr(current, f) == getattr(text, f) for f in fields):
        return None
    template = Template(code=text.code, version=(current.version + 1) if current else 1,
                        created_at=utcnow(), created_by=author, **{f: getattr(text, f) for f in fields})
    session.add(template)
    return template


def update_template(context: NotifyContext, text: TemplateText) -> Template:
    caller = require_role(ADMIN_ROLE)
    with context.unit_of_work() as uow:
        current = _latest(uow.session, text.code)
        if current is not None:
            # Unset fields keep their wording: an editor sends what it changes.
            names = TemplateText.__dataclass_fields__
            text = TemplateText(**{f: getattr(text, f) or getattr(current, f) for f in names})
        saved = save_version(uow.session, text, caller.account_id or "", context.config.sms_signature)
        uow.commit()
    # Unchanged wording saves nothing, and the current version stands (save_version made one otherwise).
    return saved if saved is not None else current  # type: ignore[return-value]
