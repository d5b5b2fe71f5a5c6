"""A provider is called only after the message's effects are committed with its inbox row, on every path.

The provider here looks at the database from outside the sending transaction when it is
called: the request, its inbox row and the claimed delivery must already be there for all to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select

from services.chassis.messages import notification_request, phone_recipient
from services.chassis.testing import wait_until
from services.notify import domain
from services.notify.context import NotifyContext
from services.notify.models import Delivery
from services.notify.tests.helpers import deliveries_of, publish, submit


@dataclass
class Witness:
    """An SMS provider that records what the database shows, committed, at the moment it is asked to send."""

    context: NotifyContext
    message_id: str = ""
    seen: list[tuple[bool, str]] = field(default_factory=list)
    name: str = "sms-witness"

    def send(self, to: str, subject: str, body: str) -> str:
        inbox = self.context.tables.inbox
        with self.context.unit_of_work(read_only=True) as uow:
            recorded = uow.session.execute(select(inbox.c.message_id).where(
                inbox.c.message_id == self.message_id)).first() is not None
            status = uow.session.execute(select(Delivery.status).where(Delivery.recipient == to)).scalar_one()
        self.seen.append((recorded, status))
        return f"witness-{len(self.seen)}"


def _code(phone: str):
    return notification_request(system="identity", category="verification_code",
                                template="identity.verification_code.login", recipients=[phone_recipient(phone)],
                                channels=["SMS"], params={"code": "424242", "minutes": "5"}, high_priority=True,
                                mandatory=True)


def _witnessed(notify) -> Witness:
    witness = Witness(notify.context)
    notify.context.providers = replace(notify.context.providers, sms=witness)
    return witness


def test_a_code_submitted_over_grpc_is_sent_once_its_request_is_committed(notify):
    witness = _witnessed(notify)
    request = _code("13800007777")
    witness.message_id = request.message_id
    assert submit(notify, request)
    assert witness.seen == [(True, domain.SENDING)]
    [delivery] = deliveries_of(notify.context, request.message_id)
    assert delivery.status == domain.SENT and delivery.provider_reference == "witness-1"


def test_a_code_consumed_from_rabbitmq_is_sent_once_its_request_is_committed(notify):
    witness = _witnessed(notify)
    request = _code("13800008888")
    witness.message_id = request.message_id
    notify.start_workers()
    publish(notify.amqp_url, request)
    sent = wait_until(lambda: [d for d in deliveries_of(notify.context, request.message_id)
                               if d.status == domain.SENT], what="the code to be sent")
    assert witness.seen == [(True, domain.SENDING)]
    assert [d.attempts for d in sent] == [1]
