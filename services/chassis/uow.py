"""The unit of work: the one place a use case's changes and its messages are committed, together.

A use case opens exactly one. A second one opened on the same thread while the first
is open would be a second transaction the first knows nothing of; on SQLite it waits
for the write lock its own caller holds. So it is refused: :class:`NestedUnitOfWork`
in dev and test (a test finds it), a logged error in production.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import NoReturn

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.chassis import audit
from services.chassis.db import read_only_session, utcnow
from services.chassis.errors import DomainError
from services.chassis.messages import OutboundMessage
from services.chassis.outbox import MessageTables

log = logging.getLogger(__name__)

# Returns the headers to carry with a message (trace context, request id); set by telemetry.
HeaderSource = Callable[[], dict[str, str]]


def _no_headers() -> dict[str, str]:
    return {}


class NestedUnitOfWork(RuntimeError):
    """A unit of work was opened on a thread that already has one open."""


_open = threading.local()


def open_unit_of_work() -> UnitOfWork | None:
    """The unit of work open on this thread, if any."""
    return getattr(_open, "current", None)


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit discards everything.

    Messages recorded with :meth:`publish` are inserted into the outbox inside the
    same transaction as the state change, so either both happen or neither does; so is
    the audit row of the routed mutating call it commits in (services/chassis/audit.py).

    A ``read_only`` unit of work (queries) does not hold SQLite's write lock and runs
    READ ONLY on PostgreSQL; it cannot commit.

    Records loaded in it stay readable after it closes (their loaded attributes; not
    relationships that were never loaded): closing detaches them without expiring them.
    """

    session: Session

    def __init__(self, session_factory: Callable[[], Session], tables: MessageTables,
                 header_source: HeaderSource = _no_headers, *, read_only: bool = False,
                 strict: bool = True):
        self._session_factory = session_factory
        self._tables = tables
        self._header_source = header_source
        self.read_only = read_only
        self._strict = strict
        self._pending: list[OutboundMessage] = []
        self._outer: UnitOfWork | None = None

    def __enter__(self) -> UnitOfWork:
        outer = open_unit_of_work()
        if outer is not None:
            message = "a unit of work is already open on this thread: a use case opens exactly one"
            if self._strict:
                raise NestedUnitOfWork(message)
            log.error(message, stack_info=True)
        self._outer = outer
        self.session = self._session_factory()
        self._pending = []
        if self.read_only:
            read_only_session(self.session)
        _open.current = self
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _open.current = self._outer
        self._pending = []
        # close() ends the transaction (what was not committed is discarded) and detaches the
        # records without expiring them, so the caller can still read what the use case answers.
        self.session.close()

    def publish(self, *messages: OutboundMessage) -> None:
        self._pending.extend(messages)

    def commit(self, *, on_integrity_error: Callable[[IntegrityError], DomainError] | None = None) -> None:
        """Commit the changes and the messages together.

        A unique-key race with another transaction surfaces as an ``IntegrityError`` here;
        ``on_integrity_error`` turns it into the domain error the caller should hear
        (ALREADY_EXISTS naming a field, ABORTED to retry), after rolling back.
        """
        try:
            self._commit()
        except IntegrityError as error:
            if on_integrity_error is None:
                raise
            self.rollback()
            raise on_integrity_error(error) from error

    def commit_refusal(self, error: DomainError) -> NoReturn:
        """Commit what a refusal must leave behind (a spent code try, a login failure), then raise ``error``.

        The call's audit row, and any failed event recorded with it, carry the refusal's code and reason:
        a plain commit would write the call as done.
        """
        self._commit(refusal=error)
        raise error

    def _commit(self, refusal: DomainError | None = None) -> None:
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
        # A routed mutating call's change and its audit rows commit together, or none does.
        events = audit.pending_events(self.session)
        call = audit.current_call() if self._tables.audit is not None else None
        if self._tables.audit is not None:
            outcome = (refusal.code, refusal.reason or "") if refusal is not None else None
            for event in events:
                audit.append(self.session, self._tables.audit, audit.event_entry(event, outcome))
            if call is not None and not call.written:
                entry = (audit.entry_of(call) if refusal is None else
                         audit.refused_entry(call, refusal.code, refusal.reason or "", refusal.message))
                audit.append(self.session, self._tables.audit, entry)
        self.session.commit()
        if call is not None:
            call.written = True

    def rollback(self) -> None:
        self._pending = []
        audit.pending_events(self.session)
        self.session.rollback()
