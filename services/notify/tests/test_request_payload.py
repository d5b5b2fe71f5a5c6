"""A consumed notification request is read once, into the domain's value; a malformed one names its field."""

from __future__ import annotations

import pytest

from services.chassis.errors import InvalidArgument
from services.chassis.messages import (
    agency_recipient,
    email_recipient,
    notification_request,
    organization_recipient,
    phone_recipient,
)
from services.notify import domain, events


def test_the_request_a_service_writes_is_read_field_by_field():
    written = notification_request(
        system="rare_earth", category="RECEIVED", template="rare_earth.case.closed",
        recipients=[organization_recipient("org1", "rare_earth"), agency_recipient("RE_OPERATOR"),
                    phone_recipient("13800000001"), email_recipient("a@example.cn")],
        channels=["IN_SITE", "SMS"], params={"caseNumber": 7}, high_priority=True, mandatory=True)
    request = events.notification_request_of(written.payload)
    assert request == domain.NotificationRequest(
        message_id=written.message_id, system="rare_earth", category="RECEIVED", template="rare_earth.case.closed",
        params={"caseNumber": "7"}, priority=domain.HIGH,
        recipients=(domain.Recipient(organization_id="org1", scope="rare_earth"),
                    domain.Recipient(agency="RE_OPERATOR"), domain.Recipient(phone="13800000001"),
                    domain.Recipient(email="a@example.cn")),
        channels=("IN_SITE", "SMS"), mandatory=True)
    domain.check_request(request)


def test_the_proto_field_names_are_read_too_and_the_message_id_falls_back_to_the_amqp_one():
    request = events.notification_request_of(
        {"template": "identity.verification_code.login", "recipients": [{"account_id": "a1"}],
         "channels": ["SMS"], "priority": "PRIORITY_UNSPECIFIED"}, "amqp-id")
    assert request.message_id == "amqp-id"
    assert request.recipients == (domain.Recipient(account_id="a1"),)
    assert request.priority == domain.NORMAL and request.params == {}


@pytest.mark.parametrize(("payload", "field"), [
    ({"params": {"code": 123456}}, "params.code"),
    ({"recipients": [{"phone": 13800000001}]}, "recipients[0].phone"),
    ({"recipients": ["13800000001"]}, "recipients[0]"),
    ({"channels": [2]}, "channels[0]"),
    ({"priority": "URGENT"}, "priority"),
    ({"mandatory": "yes"}, "mandatory"),
    ({"recipients": {"phone": "13800000001"}}, "recipients"),
])
def test_a_malformed_request_is_refused_naming_the_field(payload, field):
    with pytest.raises(InvalidArgument) as error:
        events.notification_request_of({"messageId": "m1", **payload})
    assert [v.field for v in error.value.violations] == [field]


def test_a_request_without_what_notify_needs_names_every_missing_field():
    with pytest.raises(InvalidArgument) as error:
        domain.check_request(domain.NotificationRequest(message_id="", channels=("FAX",)))
    assert {v.field for v in error.value.violations} == {"messageId", "template", "recipients", "channels"}
