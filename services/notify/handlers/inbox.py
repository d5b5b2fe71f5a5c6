"""The in-site inbox of one account: its own notices and the announcements addressed to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update

from services.chassis.auth import require_authenticated
from services.chassis.db import contains, utcnow
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.paging import Page, paginate
from services.notify.context import NotifyContext
from services.notify.models import InboxItem


def _visible_to(account_id: str | None) -> tuple[Any, ...]:
    now = utcnow()
    return (InboxItem.account_id == account_id, InboxItem.visible_from <= now,
            or_(InboxItem.expires_at.is_(None), InboxItem.expires_at > now))


def list_inbox(context: NotifyContext, *, system: str = "", category: str = "", read: str = "", q: str = "",
               page_size: int = 0, page_token: str = "") -> Page[InboxItem]:
    caller = require_authenticated()
    conditions = list(_visible_to(caller.account_id))
    if system:
        conditions.append(InboxItem.system == system)
    if category:
        conditions.append(InboxItem.category == category)
    if read == "true":
        conditions.append(InboxItem.read_at.is_not(None))
    elif read == "false":
        conditions.append(InboxItem.read_at.is_(None))
    elif read:
        raise InvalidArgument.for_field("read", "read 只能是 true 或 false")
    if q:
        conditions.append(contains(InboxItem.title, q))
    query = select(InboxItem).where(*conditions).order_by(InboxItem.visible_from.desc(), InboxItem.id)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query, page_size, page_token, maximum=100)


def unread_count(context: NotifyContext) -> dict[str, int]:
    caller = require_authenticated()
    with context.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(InboxItem.system, func.count()).where(*_visible_to(caller.account_id), InboxItem.read_at.is_(None))
            .group_by(InboxItem.system)).all()
    return {system: count for system, count in rows}


def mark_read(context: NotifyContext, message_id: str) -> InboxItem:
    caller = require_authenticated()
    with context.unit_of_work() as uow:
        # Locked, so two marks at once keep the first time it was read.
        item = uow.session.execute(
            select(InboxItem).where(InboxItem.id == message_id, *_visible_to(caller.account_id))
            .with_for_update()).scalar_one_or_none()
        if item is None:
            raise NotFound("消息不存在", metadata={"id": message_id})
        if item.read_at is None:
            item.read_at = utcnow()
        uow.commit()
    return item


def mark_all_read(context: NotifyContext, system: str = "") -> int:
    caller = require_authenticated()
    conditions = [*_visible_to(caller.account_id), InboxItem.read_at.is_(None)]
    if system:
        conditions.append(InboxItem.system == system)
    with context.unit_of_work() as uow:
        marked = uow.session.execute(update(InboxItem).where(*conditions).values(read_at=utcnow())).rowcount
        uow.commit()
    return marked
