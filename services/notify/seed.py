"""Seeding the templates every service's notices use (``services/notify/templates/``); idempotent."""

from __future__ import annotations

from sqlalchemy import select

from services.notify.context import NotifyContext
from services.notify.handlers.templates import save_version
from services.notify.models import Template
from services.notify.templates import all_templates

SEED_AUTHOR = "seed"


def seed_templates(context: NotifyContext) -> int:
    """Add missing templates and bring seeded wording up to date; one an admin has edited is left as made."""
    written = 0
    templates = all_templates()
    with context.unit_of_work() as uow:
        latest_authors = dict(uow.session.execute(
            select(Template.code, Template.created_by).order_by(Template.code, Template.version)).all())
        for text in templates:
            if latest_authors.get(text.code, SEED_AUTHOR) != SEED_AUTHOR:
                continue
            if save_version(uow.session, text, SEED_AUTHOR, context.config.sms_signature) is not None:
                written += 1
        uow.commit()
    return written
