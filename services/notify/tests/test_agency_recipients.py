"""A notice addressed to an agency reaches each of its active staff, and an agency with nobody is done with."""

from __future__ import annotations

import grpc

from services.chassis.messages import agency_recipient, notification_request
from services.chassis.testing import wait_until
from services.chassis.testing.identity import StandInAccount
from services.notify import domain
from services.notify.tests.helpers import as_proto, deliveries_of, notification, publish, submit

PARAMS = {"caseKind": "追溯数据", "caseNumber": "RE-2026-0001", "enterpriseName": "甲稀土公司",
          "fromBody": "工业和信息化部稀土办公室", "opinion": "请属地核查"}


def transferred_to(agency: str, channels=("IN_SITE", "SMS")):
    return notification_request(system="rare_earth", category="RECEIVED", template="rare_earth.case.transferred",
                                recipients=[agency_recipient(agency)], channels=list(channels), params=PARAMS)


def test_an_agency_notice_gives_each_active_staff_member_one_delivery_per_channel(notify):
    notify.identity.accounts = [
        StandInAccount("staff_a", phone="13955550001", agency="LOCAL_AUTHORITY:110000"),
        StandInAccount("staff_b", phone="13955550002", agency="LOCAL_AUTHORITY:110000"),
        StandInAccount("staff_gone", phone="13955550003", agency="LOCAL_AUTHORITY:110000", active=False),
        StandInAccount("staff_elsewhere", phone="13955550004", agency="LOCAL_AUTHORITY:120000"),
        StandInAccount("member", phone="13955550005", organization_id="org1", role="OWNER"),
    ]
    notify.start_workers()
    request = transferred_to("LOCAL_AUTHORITY:110000")
    publish(notify.amqp_url, request)

    def all_done():
        rows = deliveries_of(notify.context, request.message_id)
        return len(rows) == 4 and all(d.status in (domain.SENT, domain.DELIVERED) for d in rows) and rows

    rows = wait_until(all_done, what="the agency's deliveries")
    assert sorted((d.account_id, d.channel) for d in rows) == [
        ("staff_a", "IN_SITE"), ("staff_a", "SMS"), ("staff_b", "IN_SITE"), ("staff_b", "SMS")]
    assert {d.recipient for d in rows if d.channel == "SMS"} == {"13955550001", "13955550002"}
    assert all("RE-2026-0001" in d.body for d in rows)


def test_an_agency_without_active_staff_is_recorded_as_having_nobody_and_a_repeat_is_dropped(notify):
    notify.identity.accounts = [StandInAccount("staff_gone", phone="13955550003", agency="RE_OPERATOR", active=False)]
    notify.start_workers()
    request = transferred_to("RE_OPERATOR")
    publish(notify.amqp_url, request)

    recorded = wait_until(lambda: notification(notify.context, request.message_id), what="the recorded request")
    assert recorded.status == "NO_RECIPIENTS" and recorded.failure_reason is None
    assert deliveries_of(notify.context, request.message_id) == []
    assert not submit(notify, request), "a repeat of the message id is dropped"


def test_a_recipient_naming_an_agency_and_something_else_is_refused_naming_the_recipient(notify):
    both = notification_request(system="rare_earth", category="RECEIVED", template="rare_earth.case.transferred",
                                recipients=[{"agency": "RE_OPERATOR", "phone": "13955550009"}],
                                channels=["IN_SITE"], params=PARAMS)
    refusal = notify.refused("SubmitNotification", as_proto(both))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and list(refusal.fields) == ["recipients[0]"]
    assert notification(notify.context, both.message_id) is None
