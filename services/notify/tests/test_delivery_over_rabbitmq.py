"""Requests consumed from real RabbitMQ and sent through real providers (SMS log file, aiosmtpd)."""

from __future__ import annotations

from services.chassis.messages import email_recipient, notification_request, phone_recipient
from services.chassis.testing import wait_until
from services.chassis.topology import parking_queue
from services.notify import broker, domain, events
from services.notify.tests.helpers import (
    deliveries_of,
    drain,
    notification,
    publish,
    sms_lines,
    submit,
    unsent_outbox_rows,
)


def code_sms(phone: str, code: str, **overrides):
    params = overrides.pop("params", {"code": code, "minutes": "5"})
    return notification_request(system="identity", category="verification_code",
                                template="identity.verification_code.login", recipients=[phone_recipient(phone)],
                                channels=["SMS"], params=params, high_priority=True, mandatory=True, **overrides)


def notice_email(address: str):
    return notification_request(system="identity", category="verification_code",
                                template="identity.verification_code.register", recipients=[email_recipient(address)],
                                channels=["EMAIL"], params={"code": "246810", "minutes": "10"})


def sent(context, message_id: str):
    rows = deliveries_of(context, message_id)
    return rows if rows and all(d.status == domain.SENT for d in rows) else None


def test_a_request_published_twice_is_delivered_once(notify):
    notify.start_workers()
    request = code_sms("13800000001", "135790")
    sentinel = code_sms("13800000002", "999999")
    publish(notify.amqp_url, request, request, sentinel)

    wait_until(lambda: sent(notify.context, sentinel.message_id), what="the sentinel SMS")
    wait_until(lambda: sent(notify.context, request.message_id), what="the SMS")

    assert len(deliveries_of(notify.context, request.message_id)) == 1
    texts = [line["text"] for line in sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"]) if line["to"] == "13800000001"]
    assert len(texts) == 1
    assert "135790" in texts[0] and texts[0].startswith("【通办】")


def test_smtp_refusing_twice_then_accepting_gets_the_mail_on_the_third_try(notify, smtp):
    smtp.refuse = 2
    notify.start_workers()
    request = notice_email("someone@example.cn")
    publish(notify.amqp_url, request)

    seen: set[str] = set()

    def settled():
        rows = deliveries_of(notify.context, request.message_id)
        seen.update(d.status for d in rows)
        return rows and rows[0].status in domain.DELIVERY.final | {domain.SENT} and rows[0]

    delivery = wait_until(settled, interval=0.02, what="the e-mail to settle")
    assert delivery.status == domain.SENT
    assert delivery.attempts == 3
    assert domain.TEMPORARY_FAILURE in seen
    assert smtp.calls == 3 and len(smtp.accepted) == 1
    assert smtp.accepted[0].rcpt_tos == ["someone@example.cn"]


def test_smtp_always_refusing_ends_in_permanent_failure_and_the_parking_lot_and_nothing_else_is_affected(
        notify, smtp):
    smtp.always = True
    notify.start_workers()
    doomed = notice_email("nobody@example.cn")
    bystander = code_sms("13800000003", "112233")
    publish(notify.amqp_url, doomed, bystander)

    def failed():
        rows = deliveries_of(notify.context, doomed.message_id)
        return rows and rows[0].status == domain.PERMANENT_FAILURE and rows[0]

    delivery = wait_until(failed, what="the e-mail to fail for good")
    assert delivery.attempts == 3
    assert "451" in delivery.failure_reason
    parked = wait_until(lambda: drain(notify.amqp_url, parking_queue(events.DELIVERIES)), what="the parked task")
    assert [payload["deliveryId"] for payload, _headers in parked] == [delivery.id]
    assert "451" in parked[0][0]["reason"]
    assert wait_until(lambda: sent(notify.context, bystander.message_id), what="the bystander SMS")


def test_a_template_missing_a_parameter_fails_that_message_with_the_reason(notify):
    notify.start_workers()
    broken = code_sms("13800000004", "", params={"code": "123456"})
    fine = code_sms("13800000005", "654321")
    publish(notify.amqp_url, broken, fine)

    wait_until(lambda: sent(notify.context, fine.message_id), what="the good SMS")
    failed = wait_until(lambda: notification(notify.context, broken.message_id), what="the broken request")
    assert failed.status == "FAILED"
    assert "minutes" in failed.failure_reason
    [delivery] = deliveries_of(notify.context, broken.message_id)
    assert delivery.status == domain.PERMANENT_FAILURE and "minutes" in delivery.failure_reason
    assert all(line["to"] != "13800000004" for line in sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"]))


def test_a_request_given_over_grpc_and_then_over_rabbitmq_is_accepted_and_sent_once(notify):
    notify.start_workers()
    request = code_sms("13800000006", "246802")
    # SubmitNotification (the relays' entry while no broker answers) and the consumers share one dedupe.
    assert submit(notify, request)
    assert not submit(notify, request)
    sentinel = code_sms("13800000007", "135791")
    publish(notify.amqp_url, request, sentinel)

    wait_until(lambda: sent(notify.context, sentinel.message_id), what="the sentinel SMS")
    wait_until(lambda: sent(notify.context, request.message_id), what="the SMS")
    assert len(deliveries_of(notify.context, request.message_id)) == 1
    texts = [line["text"] for line in sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"]) if line["to"] == "13800000006"]
    assert len(texts) == 1 and "246802" in texts[0]


def test_without_a_broker_the_relay_hands_tasks_straight_to_notify_and_the_mail_is_sent(notify, smtp):
    from services.chassis.relay import Relay

    request = notice_email("offline@example.cn")
    assert submit(notify, request)
    [waiting] = deliveries_of(notify.context, request.message_id)
    assert waiting.status == domain.CREATED, "an ordinary notice waits for its task"
    nobody = "amqp://guest:guest@127.0.0.1:1/%2F"
    relay = Relay(notify.context, direct_deliveries=broker.direct_routes(notify.context), amqp_url=nobody)
    try:
        assert relay.relay_once() == 1
    finally:
        relay.close()
    [delivery] = deliveries_of(notify.context, request.message_id)
    assert delivery.status == domain.SENT
    assert [envelope.rcpt_tos for envelope in smtp.accepted] == [["offline@example.cn"]]


def test_a_code_is_sent_by_the_request_worker_and_its_queued_task_then_does_nothing(notify):
    request = code_sms("13800000009", "112358")
    assert submit(notify, request)
    [delivery] = deliveries_of(notify.context, request.message_id)
    assert delivery.status == domain.SENT and delivery.attempts == 1
    notify.start_workers()  # the relay now publishes the code's task, and a consumer takes it
    wait_until(lambda: not unsent_outbox_rows(notify.context), what="the task to leave the outbox")
    sentinel = code_sms("13800000010", "813213")
    publish(notify.amqp_url, sentinel)
    wait_until(lambda: sent(notify.context, sentinel.message_id), what="the sentinel SMS")
    [again] = deliveries_of(notify.context, request.message_id)
    assert again.status == domain.SENT and again.attempts == 1
    assert [line["to"] for line in sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"])].count("13800000009") == 1
