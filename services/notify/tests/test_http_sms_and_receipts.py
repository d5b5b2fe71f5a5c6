"""The HTTP SMS gateway provider against a small local gateway, and provider receipts over gRPC:
SENT -> DELIVERED, and a late receipt never reopens a final state."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest

from protos.notify.v1 import notify_pb2
from services.chassis.messages import notification_request, phone_recipient
from services.chassis.testing import free_port, wait_until
from services.notify import domain
from services.notify.providers import HttpSms, PermanentFailure, TemporaryFailure
from services.notify.tests.helpers import deliveries_of, publish


class Gateway:
    """A local SMS gateway: records each request and answers from a script (then 200 with an id)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with gateway._lock:
                    gateway.received.append({"body": body, "authorization": self.headers.get("Authorization")})
                    status, answer = (gateway.script.pop(0) if gateway.script
                                      else (200, {"id": f"gw-{len(gateway.received)}"}))
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    running = Gateway()
    yield running
    running.close()


def test_the_gateway_gets_the_number_text_and_token_and_its_id_is_the_reference(gateway):
    provider = HttpSms(gateway.url, "gateway-secret", timeout=5)
    assert provider.send("13800001111", "", "【通办】验证码123456") == "gw-1"
    assert gateway.received == [{"body": {"to": "13800001111", "text": "【通办】验证码123456"},
                                 "authorization": "Bearer gateway-secret"}]


def test_a_busy_gateway_is_a_temporary_failure_and_a_refusal_a_permanent_one(gateway):
    provider = HttpSms(gateway.url, "", timeout=5)
    gateway.script = [(503, {}), (429, {}), (400, {"error": "bad number"})]
    with pytest.raises(TemporaryFailure, match="503"):
        provider.send("13800001111", "", "text")
    with pytest.raises(TemporaryFailure, match="429"):
        provider.send("13800001111", "", "text")
    with pytest.raises(PermanentFailure, match="bad number"):
        provider.send("13800001111", "", "text")
    assert gateway.received[0]["authorization"] is None


def test_an_unreachable_gateway_is_a_temporary_failure():
    provider = HttpSms(f"http://127.0.0.1:{free_port()}/sms", "", timeout=2)
    with pytest.raises(TemporaryFailure):
        provider.send("13800001111", "", "text")


@pytest.fixture
def through_gateway(notify_with, gateway):
    """Notify configured to send SMS through the local gateway, as NOTIFY_SMS_PROVIDER=http does."""
    return notify_with(NOTIFY_SMS_PROVIDER="http", NOTIFY_SMS_HTTP_URL=gateway.url, NOTIFY_SMS_HTTP_TOKEN="gw")


def receipt(notify, reference: str, status: int, token: str = "receipt-secret", reason: str = ""):
    return notify.call("RecordDeliveryReceipt", notify_pb2.RecordDeliveryReceiptRequest(
        provider_reference=reference, status=status, token=token, reason=reason))


def _code(phone: str):
    return notification_request(system="identity", category="verification_code",
                                template="identity.verification_code.login", recipients=[phone_recipient(phone)],
                                channels=["SMS"], params={"code": "864209", "minutes": "5"}, high_priority=True,
                                mandatory=True)


def _sent_through(notify, phone: str):
    notify.start_workers()
    request = _code(phone)
    publish(notify.amqp_url, request)

    def sent():
        rows = deliveries_of(notify.context, request.message_id)
        return rows and rows[0].status == domain.SENT and rows[0]

    return request, wait_until(sent, what="the SMS to be sent through the gateway")


def test_a_receipt_moves_a_sent_sms_to_delivered_and_a_late_failure_receipt_does_not_reopen_it(
        through_gateway, gateway):
    notify = through_gateway
    gateway.script = [(503, {})]
    request, delivery = _sent_through(notify, "13800002222")
    assert delivery.attempts == 2, "the busy gateway's answer was retried"
    assert delivery.provider_reference == "gw-2"
    assert [r["body"]["to"] for r in gateway.received] == ["13800002222", "13800002222"]
    assert "864209" in gateway.received[-1]["body"]["text"]

    assert receipt(notify, "gw-2", notify_pb2.DELIVERED).applied
    [delivered] = deliveries_of(notify.context, request.message_id)
    assert delivered.status == domain.DELIVERED

    late = receipt(notify, "gw-2", notify_pb2.PERMANENT_FAILURE, reason="用户关机")
    assert not late.applied
    assert not receipt(notify, "gw-2", notify_pb2.DELIVERED).applied
    [still] = deliveries_of(notify.context, request.message_id)
    assert still.status == domain.DELIVERED and still.failure_reason is None


def test_a_failure_receipt_is_final_and_a_later_delivered_receipt_is_ignored(through_gateway):
    notify = through_gateway
    request, delivery = _sent_through(notify, "13800003333")
    assert receipt(notify, delivery.provider_reference, notify_pb2.PERMANENT_FAILURE, reason="空号").applied
    assert not receipt(notify, delivery.provider_reference, notify_pb2.DELIVERED).applied
    [failed] = deliveries_of(notify.context, request.message_id)
    assert failed.status == domain.PERMANENT_FAILURE and failed.failure_reason == "空号"


def test_receipts_need_the_shared_token_a_known_reference_and_a_final_status(notify):
    refusal = notify.refused("RecordDeliveryReceipt", notify_pb2.RecordDeliveryReceiptRequest(
        provider_reference="gw-1", status=notify_pb2.DELIVERED, token="guess"))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED
    refusal = notify.refused("RecordDeliveryReceipt", notify_pb2.RecordDeliveryReceiptRequest(
        provider_reference="gw-1", status=notify_pb2.SENT, token="receipt-secret"))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"status"}
    assert not receipt(notify, "no-such-reference", notify_pb2.DELIVERED).applied
