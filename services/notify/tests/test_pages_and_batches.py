"""A broadcast's page of deliveries written and settled at once, on SQLite and PostgreSQL; providers sending batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import make_engine, utcnow
from services.notify import domain
from services.notify.bulk import insert_new
from services.notify.handlers import deliveries
from services.notify.models import Base, Delivery, Notification
from services.notify.providers import LogSms, PermanentFailure, TemporaryFailure, send_batch


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request, tmp_path, postgres_database):
    url = f"sqlite:///{tmp_path / 'notify.db'}" if request.param == "sqlite" else postgres_database("notify_pages")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(Notification(id="n1", message_id="m1", system="notify", category="announcement",
                                 template="t", priority=domain.NORMAL, status=domain.ACCEPTED, created_at=utcnow()))
        session.flush()
        yield session
    engine.dispose()


def _delivery(delivery_id: str, recipient: str, **changes) -> dict:
    now = utcnow()
    return {"id": delivery_id, "notification_id": "n1", "channel": "SMS", "account_id": None, "recipient": recipient,
            "system": "notify", "category": "announcement", "template": "t", "priority": domain.NORMAL,
            "status": domain.CREATED, "attempts": 0, "subject": "", "body": "正文", "failure_reason": None,
            "provider_reference": None, "created_at": now, "updated_at": now, "sent_at": None,
            "next_attempt_at": None, **changes}


def test_a_page_of_deliveries_is_written_once_and_answers_only_what_is_new(session):
    first = insert_new(session, Delivery.__table__, [_delivery("d1", "13600000001"), _delivery("d2", "13600000002")],
                       returning=Delivery.id)
    again = insert_new(session, Delivery.__table__, [
        _delivery("d3", "13600000001"),  # the same notification, channel and recipient as d1: not twice
        _delivery("d4", "13600000004", account_id="a4", status=domain.PERMANENT_FAILURE, failure_reason="无模板")],
        returning=Delivery.id)
    assert sorted(first) == ["d1", "d2"] and again == ["d4"]
    stored = {d.id: d for d in session.scalars(select(Delivery))}
    assert sorted(stored) == ["d1", "d2", "d4"]
    assert (stored["d4"].account_id, stored["d4"].failure_reason, stored["d1"].body) == ("a4", "无模板", "正文")


def _claimed(delivery_id: str, attempts: int = 1) -> deliveries.Claimed:
    return deliveries.Claimed(delivery_id, "SMS", "13600000000", "", "正文", attempts, domain.NORMAL)


def test_each_delivery_of_a_batch_is_settled_with_its_own_reference_time_or_reason(session):
    insert_new(session, Delivery.__table__, [_delivery(f"d{i}", f"1360000000{i}", status=domain.SENDING)
                                             for i in range(1, 5)])
    now = utcnow()
    retry_at = now + timedelta(seconds=30)
    deliveries._record(session, [
        deliveries._Outcome(_claimed("d1"), domain.SENT, reference="ref-1", sent_at=now - timedelta(seconds=2)),
        deliveries._Outcome(_claimed("d2"), domain.SENT, reference="ref-2", sent_at=now - timedelta(seconds=1)),
        deliveries._Outcome(_claimed("d3"), domain.TEMPORARY_FAILURE, reason="网关忙", next_attempt_at=retry_at),
        deliveries._Outcome(_claimed("d4"), domain.PERMANENT_FAILURE, reason="号码无效"),
    ], now)
    session.expire_all()
    stored = {d.id: d for d in session.scalars(select(Delivery))}
    assert [(stored[i].status, stored[i].provider_reference) for i in ("d1", "d2")] == [
        (domain.SENT, "ref-1"), (domain.SENT, "ref-2")]
    assert stored["d1"].sent_at < stored["d2"].sent_at
    assert (stored["d3"].status, stored["d3"].failure_reason) == (domain.TEMPORARY_FAILURE, "网关忙")
    assert abs((stored["d3"].next_attempt_at.replace(tzinfo=None) - retry_at.replace(tzinfo=None)).total_seconds()) < 1
    assert (stored["d4"].status, stored["d4"].failure_reason, stored["d4"].next_attempt_at) == (
        domain.PERMANENT_FAILURE, "号码无效", None)


def test_the_log_provider_writes_a_batch_in_one_go_and_a_failed_write_fails_every_message(tmp_path):
    provider = LogSms(str(tmp_path / "sms.jsonl"))
    references = provider.send_batch([("13600000001", "", "一"), ("13600000002", "", "二")])
    assert len(set(references)) == 2
    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert ['"to": "13600000001"' in lines[0], '"text": "二"' in lines[1]] == [True, True]
    (tmp_path / "dir.jsonl").mkdir()
    failed = LogSms(str(tmp_path / "dir.jsonl")).send_batch([("13600000001", "", "一"), ("13600000002", "", "二")])
    assert all(isinstance(outcome, OSError) for outcome in failed) and len(failed) == 2


class _OneByOne:
    name = "one-by-one"

    def send(self, to: str, subject: str, body: str) -> str:
        if to.endswith("1"):
            raise TemporaryFailure("忙")
        if to.endswith("2"):
            raise PermanentFailure("拒绝")
        return f"ok-{to}"


def test_a_provider_without_batches_is_asked_message_by_message_and_one_failure_stops_nothing():
    outcomes = send_batch(_OneByOne(), [("1", "", ""), ("2", "", ""), ("3", "", "")])
    assert [type(o).__name__ if isinstance(o, Exception) else o for o in outcomes] == [
        "TemporaryFailure", "PermanentFailure", "ok-3"]
