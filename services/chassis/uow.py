"""The unit of work: the one place a use case's changes and its messages are committed, together."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import insert
from sqlalchemy.orm import Session

from services.chassis.db import read_only_session, utcnow
from services.chassis.messages import OutboundMessage
from services.chassis.outbox import MessageTables

# Returns the headers to carry with a message (trace context, request id); set by telemetry.
HeaderSource = Callable[[], dict[str, str]]


def _no_headers() -> dict[str, str]:
    return {}


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls everything back.

    Messages recorded with :meth:`publish` are inserted into the outbox inside the
    same transaction as the state change, so either both happen or neither does.

    A ``read_only`` unit of work (queries) does not hold SQLite's write lock and runs
    READ ONLY on PostgreSQL; it cannot commit.
    """

    session: Session

    def __init__(self, session_factory: Callable[[], Session], tables: MessageTables,
                 header_source: HeaderSource = _no_headers, *, read_only: bool = False):
        self._session_factory = session_factory
        self._tables = tables
        self._header_source = header_source
        self.read_only = read_only
        self._pending: list[OutboundMessage] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._pending = []
        if self.read_only:
            read_only_session(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._pending = []

    def publish(self, *messages: OutboundMessage) -> None:
        self._pending.extend(messages)

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._pending:
            headers = json.dumps(self._header_source())
            now = utcnow()
            self.session.execute(
                insert(self._tables.outbox),
                [
                    {
                        "message_id": m.message_id,
                        "exchange": m.exchange,
                        "routing_key": m.routing_key,
                        "payload": json.dumps(m.payload, ensure_ascii=False, default=str),
                        "headers": headers,
                        "priority": m.priority,
                        "created_at": now,
                        "attempts": 0,
                    }
                    for m in self._pending
                ],
            )
            self._pending = []
        self.session.commit()

    def rollback(self) -> None:
        self._pending = []
        self.session.rollback()
