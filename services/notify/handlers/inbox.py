"""The in-site inbox of one account: its own notices and the announcements addressed to it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.paging import PageRequest
from services.notify.handlers.common import like_pattern
from services.notify.models import InboxItem
from services.notify.runtime import NotifyRuntime


def _visible_to(account_id: str):
    now = utcnow()
    return (InboxItem.account_id == account_id, InboxItem.visible_from <= now,
            or_(InboxItem.expires_at.is_(None), InboxItem.expires_at > now))


@dataclass(frozen=True)
class InboxPage:
    messages: list[InboxItem]
    next_page_token: str
    total_size: int


def list_inbox(runtime: NotifyRuntime, *, system: str = "", category: str = "", read: str = "", q: str = "",
               page_size: int = 0, page_token: str = "") -> InboxPage:
    caller = require_authenticated()
    page = PageRequest.parse(page_size, page_token, maximum=100)
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
        conditions.append(InboxItem.title.like(like_pattern(q), escape="\\"))
    with runtime.unit_of_work() as uow:
        total = uow.session.execute(select(func.count()).select_from(InboxItem).where(*conditions)).scalar_one()
        rows = list(uow.session.execute(
            select(InboxItem).where(*conditions).order_by(InboxItem.visible_from.desc(), InboxItem.id)
            .offset(page.offset).limit(page.size)).scalars())
        uow.session.expunge_all()
    return InboxPage(rows, page.next_token(total), total)


def unread_count(runtime: NotifyRuntime) -> dict[str, int]:
    caller = require_authenticated()
    with runtime.unit_of_work() as uow:
        rows = uow.session.execute(
            select(InboxItem.system, func.count()).where(*_visible_to(caller.account_id), InboxItem.read_at.is_(None))
            .group_by(InboxItem.system)).all()
    return {system: count for system, count in rows}


def mark_read(runtime: NotifyRuntime, message_id: str) -> InboxItem:
    caller = require_authenticated()
    with runtime.unit_of_work() as uow:
        item = uow.session.execute(
            select(InboxItem).where(InboxItem.id == message_id, *_visible_to(caller.account_id))).scalar_one_or_none()
        if item is None:
            raise NotFound("消息不存在", metadata={"id": message_id})
        uow.session.execute(update(InboxItem).where(InboxItem.id == message_id, InboxItem.read_at.is_(None))
                            .values(read_at=utcnow()))
        uow.commit()
        uow.session.refresh(item)
        uow.session.expunge_all()
        return item


def mark_all_read(runtime: NotifyRuntime, system: str = "") -> int:
    caller = require_authenticated()
    conditions = [*_visible_to(caller.account_id), InboxItem.read_at.is_(None)]
    if system:
        conditions.append(InboxItem.system == system)
    with runtime.unit_of_work() as uow:
        result = uow.session.execute(update(InboxItem).where(*conditions).values(read_at=utcnow()))
        uow.commit()
    return result.rowcount
