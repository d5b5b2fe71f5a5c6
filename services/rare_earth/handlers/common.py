"""What the use cases share: committing with a clear answer when a concurrent change won."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflict
from services.chassis.runtime import ServiceContext
from services.chassis.uow import UnitOfWork


def commit(uow: UnitOfWork, conflict_message: str = "数据已被同时修改，请刷新后重试") -> None:
    """Commit; a unique-key race with another request becomes ABORTED so the client may retry."""
    try:
        uow.commit()
    except IntegrityError as error:
        uow.rollback()
        raise Conflict(conflict_message, reason="CONCURRENT_CHANGE") from error


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with the wildcards in it taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@contextmanager
def unit_of_work(context: ServiceContext) -> Iterator[UnitOfWork]:
    """The context's unit of work, whose records stay readable after it closes.

    Use cases answer the records they touched; detaching them on the way out keeps the
    closing rollback from expiring what the servicer is about to read.
    """
    with context.unit_of_work() as uow:
        yield uow
        uow.session.expunge_all()
