"""Handling notify's messages: the effects commit with the inbox row, the provider calls come after.

A message handler records its effects on the consumer's unit of work and never commits:
:func:`services.chassis.consumer.process_message` commits them together with the message's
inbox row. What must not happen inside that transaction (calling an SMS gateway for the
deliveries just claimed) the handler returns as a *follow-up*, run once the commit is done.
A follow-up is best effort: whatever it does not finish, the outbox task or the scheduled
jobs finish (a delivery left CREATED is replayed, one left SENDING times out, never sent twice).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable

from sqlalchemy import event

from services.chassis.consumer import Handler, process_message
from services.chassis.messages import InboundMessage
from services.chassis.uow import UnitOfWork
from services.notify.context import NotifyContext
from services.notify.events import CONSUMER

log = logging.getLogger(__name__)

FollowUp = Callable[[], None]
MessageHandler = Callable[[UnitOfWork, InboundMessage], FollowUp | None]


def _run(follow_up: FollowUp) -> None:
    try:
        follow_up()
    except Exception:
        log.exception("the follow-up of a committed message failed; the scheduled jobs finish its deliveries")


def process(context: NotifyContext, message: InboundMessage, handler: MessageHandler) -> bool:
    """Handle ``message`` once (deduped by message id with every notify consumer), then run its follow-up.

    For the callers that hold the message themselves: the gRPC entry and the relay's direct routes.
    """
    follow_ups: list[FollowUp | None] = []
    processed = process_message(context, CONSUMER, message, lambda uow, inbound: follow_ups.append(
        handler(uow, inbound)))
    for follow_up in follow_ups:
        if follow_up is not None:
            _run(follow_up)
    return processed


def consumed(handler: MessageHandler) -> Handler:
    """``handler`` for the chassis consumer, which acks a message once its unit of work has committed.

    The consumer gives a handler no step of its own after that commit, so the follow-up is hooked
    to it: it runs when the database has committed, and the consumer waits for it before acking
    and taking its next message, as if it ran in the consumer itself. It runs on a thread of its
    own because the consumer's unit of work is still open on this one, and a follow-up opens its
    own (the chassis refuses a second on one thread).
    """

    def handle(uow: UnitOfWork, message: InboundMessage) -> None:
        follow_up = handler(uow, message)
        if follow_up is not None:
            event.listen(uow.session, "after_commit", lambda _session: _run_beside(follow_up), once=True)

    return handle


def _run_beside(follow_up: FollowUp) -> None:
    # The trace and request id of the message go along, so the follow-up's logs and spans carry them.
    carried = contextvars.copy_context()
    thread = threading.Thread(target=carried.run, args=(_run, follow_up), name="notify-follow-up", daemon=True)
    thread.start()
    thread.join()
