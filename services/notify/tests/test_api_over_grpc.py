"""The REST-facing API over real gRPC: announcements reaching inboxes once, the inbox, templates,
delivery search and opt-outs, with callers' tokens verified as in production."""

from __future__ import annotations

import json

import grpc
import pytest
from google.rpc import error_details_pb2
from sqlalchemy import select

from protos.notify.v1 import notify_pb2, notify_pb2_grpc
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.interceptors import AuthInterceptor, ErrorInterceptor
from services.chassis.messages import account_recipient, notification_request
from services.chassis.server import start_server
from services.chassis.testing import TokenMinter
from services.notify import grpc_api
from services.notify.handlers import requests as request_use_cases
from services.notify.models import MESSAGE_TABLES
from services.notify.tests.helpers import deliveries_of, publish, sms_lines
from services.notify.tests.support import FakeAccount, wait_until


@pytest.fixture
def api(notify):
    minter = TokenMinter()
    running = start_server(grpc_api.bindings(notify.runtime.context), host="127.0.0.1", port=0, workers=4,
                           interceptors=[AuthInterceptor(minter.verifier()), ErrorInterceptor()])
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    stub = notify_pb2_grpc.NotifyServiceStub(channel)

    def call(method: str, request, token: str | None = None):
        metadata = [("authorization", f"Bearer {token}")] if token else []
        return getattr(stub, method)(request, metadata=metadata, timeout=30)

    call.minter = minter
    yield call
    channel.close()
    running.stop(0)


def admin_token(minter: TokenMinter) -> str:
    return minter.mint("admin0001", roles=("PLATFORM_ADMIN",), kind="ADMIN")


def user_token(minter: TokenMinter, account_id: str, org: str = "org1") -> str:
    return minter.mint(account_id, org=org, roles=("OWNER",), scopes=("rare_earth",))


def test_an_announcement_to_all_users_reaches_each_inbox_once_and_shows_in_the_public_list(notify, api, identity):
    identity.accounts = [FakeAccount(f"acct{i:04d}", phone=f"1390000{i:04d}") for i in range(20)]
    notify.start_workers()
    created = api("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="系统升级公告", body="平台将于周六凌晨升级。", audience=notify_pb2.Audience(kind=notify_pb2.ALL),
        channels=[notify_pb2.IN_SITE, notify_pb2.SMS]), admin_token(api.minter))

    # The relay carries the fan-out message from notify's outbox; deliver it twice, as at-least-once may.
    with notify.runtime.unit_of_work() as uow:
        outbox = uow.session.execute(select(MESSAGE_TABLES.outbox)).all()
    [row] = outbox
    from services.chassis.messages import OutboundMessage

    message = OutboundMessage(row.exchange, row.routing_key, json.loads(row.payload), message_id=row.message_id)
    publish(notify.amqp_url, message, message)

    def inbox_of(account_id: str):
        return api("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(page_size=50),
                   user_token(api.minter, account_id))

    wait_until(lambda: inbox_of("acct0019").total_size == 1, what="the last page of the audience")
    wait_until(lambda: len(sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"])) >= 20, what="the SMS broadcast")
    for account in identity.accounts:
        listed = inbox_of(account.account_id)
        assert [m.title for m in listed.messages] == ["系统升级公告"]
        assert listed.messages[0].announcement_id == created.id
    assert len(sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"])) == 20
    recorded = wait_until(lambda: _sms_statuses(notify.runtime) == {"SENT": 20}, what="every SMS recorded as sent")
    assert recorded
    public = api("ListAnnouncements", notify_pb2.ListAnnouncementsRequest(title="升级"))
    assert [a.id for a in public.announcements] == [created.id] and public.total_size == 1
    assert api("ListAnnouncements", notify_pb2.ListAnnouncementsRequest(title="停电")).total_size == 0
    assert api("GetAnnouncement", notify_pb2.GetAnnouncementRequest(id=created.id)).title == "系统升级公告"


def _sms_statuses(runtime) -> dict[str, int]:
    from collections import Counter

    from services.notify.models import Delivery

    with runtime.unit_of_work() as uow:
        return dict(Counter(uow.session.execute(select(Delivery.status).where(Delivery.channel == "SMS")).scalars()))


def test_a_scheduled_announcement_is_hidden_until_its_time(notify, api):
    from google.protobuf.timestamp_pb2 import Timestamp

    later = Timestamp()
    later.GetCurrentTime()
    later.seconds += 3600
    created = api("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="明日公告", body="内容", audience=notify_pb2.Audience(kind=notify_pb2.ALL), publish_at=later),
        admin_token(api.minter))
    assert api("ListAnnouncements", notify_pb2.ListAnnouncementsRequest()).total_size == 0
    with pytest.raises(grpc.RpcError) as error:
        api("GetAnnouncement", notify_pb2.GetAnnouncementRequest(id=created.id))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_only_staff_and_the_admin_may_publish_announcements_and_bad_fields_are_named(api):
    with pytest.raises(grpc.RpcError) as error:
        api("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
            title="x", body="y", audience=notify_pb2.Audience(kind=notify_pb2.ALL)), user_token(api.minter, "u1"))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as error:
        api("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
            title="", body="y", audience=notify_pb2.Audience(kind=notify_pb2.ORG_TYPES)), admin_token(api.minter))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_from_rpc_error(error.value)
    violations = set()
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations |= {v.field for v in bad_request.field_violations}
    assert violations == {"title", "audience.orgTypes"}


def _notice(account_id: str, title_code: str, *, mandatory: bool = False, channels=("IN_SITE", "SMS")):
    return notification_request(system="rare_earth", category="registration",
                                template="rare_earth.registration.approved", recipients=[account_recipient(account_id)],
                                channels=channels, params={"enterpriseName": title_code}, mandatory=mandatory)


def test_the_inbox_filters_counts_and_marks_read_only_the_callers_messages(notify, api, identity):
    identity.accounts = [FakeAccount("alice", phone="13911110000"), FakeAccount("bob", phone="13922220000")]
    for account, name in (("alice", "甲公司"), ("alice", "乙公司"), ("bob", "丙公司")):
        request = request_use_cases.parse_request(_notice(account, name, channels=("IN_SITE",)).payload)
        request_use_cases.accept_request(notify.runtime, request)
    alice = user_token(api.minter, "alice")
    bob = user_token(api.minter, "bob")

    listed = api("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(page_size=1), alice)
    assert listed.total_size == 2 and len(listed.messages) == 1 and listed.next_page_token
    second = api("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(page_size=1,
                                                                           page_token=listed.next_page_token), alice)
    assert second.messages[0].id != listed.messages[0].id and not second.next_page_token
    counts = api("GetUnreadCount", notify_pb2.GetUnreadCountRequest(), alice)
    assert counts.total == 2 and dict(counts.by_system) == {"rare_earth": 2}

    with pytest.raises(grpc.RpcError) as error:
        api("MarkInboxMessageRead", notify_pb2.MarkInboxMessageReadRequest(id=listed.messages[0].id), bob)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert api("MarkInboxMessageRead", notify_pb2.MarkInboxMessageReadRequest(id=listed.messages[0].id), alice).read
    unread = api("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(read="false"), alice)
    assert [m.id for m in unread.messages] == [second.messages[0].id]
    assert api("MarkAllInboxMessagesRead", notify_pb2.MarkAllInboxMessagesReadRequest(), alice).marked == 1
    assert api("GetUnreadCount", notify_pb2.GetUnreadCountRequest(), alice).total == 0
    assert api("GetUnreadCount", notify_pb2.GetUnreadCountRequest(), bob).total == 1
    with pytest.raises(grpc.RpcError) as error:
        api("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(read="maybe"), alice)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_sms_opt_out_is_honoured_for_ordinary_notices_but_not_for_mandatory_ones(notify, api, identity):
    identity.accounts = [FakeAccount("carol", phone="13933330000")]
    carol = user_token(api.minter, "carol")
    prefs = api("UpdatePreferences", notify_pb2.UpdatePreferencesRequest(sms_opt_out=True), carol)
    assert prefs.sms_opt_out and not prefs.email_opt_out
    assert api("GetPreferences", notify_pb2.GetPreferencesRequest(), carol).sms_opt_out

    ordinary = _notice("carol", "丁公司")
    mandatory = _notice("carol", "戊公司", mandatory=True)
    for message in (ordinary, mandatory):
        request_use_cases.accept_request(notify.runtime, request_use_cases.parse_request(message.payload))
    assert sorted(d.channel for d in deliveries_of(notify.runtime, ordinary.message_id)) == ["IN_SITE"]
    assert sorted(d.channel for d in deliveries_of(notify.runtime, mandatory.message_id)) == ["IN_SITE", "SMS"]


def test_templates_are_for_the_admin_and_an_edit_makes_a_new_checked_version(api):
    admin = admin_token(api.minter)
    code = "rare_earth.registration.approved"
    with pytest.raises(grpc.RpcError) as error:
        api("GetTemplate", notify_pb2.GetTemplateRequest(code=code), user_token(api.minter, "u2"))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    current = api("GetTemplate", notify_pb2.GetTemplateRequest(code=code), admin)
    assert current.version == 1 and "enterpriseName" in current.placeholders
    wording = "{enterpriseName}注册已通过。"
    edited = api("UpdateTemplate", notify_pb2.UpdateTemplateRequest(code=code, sms_text=wording), admin)
    assert edited.version == 2 and edited.sms_text == "{enterpriseName}注册已通过。"
    assert edited.inbox_body == current.inbox_body
    with pytest.raises(grpc.RpcError) as error:
        api("UpdateTemplate", notify_pb2.UpdateTemplateRequest(code=code, sms_text="{组织}" + "长" * 600), admin)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    listed = api("ListTemplates", notify_pb2.ListTemplatesRequest(system="identity", page_size=100), admin)
    assert {t.code for t in listed.templates} >= {"identity.verification_code.login",
                                                   "identity.verification_code.delete_account"}


def test_delivery_search_shows_the_admin_everything_and_staff_only_their_systems(notify, api, identity):
    identity.accounts = [FakeAccount("dave", phone="13944440000")]
    message = _notice("dave", "己公司", channels=("SMS",))
    request_use_cases.accept_request(notify.runtime, request_use_cases.parse_request(message.payload))
    admin = admin_token(api.minter)
    found = api("ListDeliveries", notify_pb2.ListDeliveriesRequest(recipient="13944440000"), admin)
    assert found.total_size == 1
    [delivery] = found.deliveries
    assert delivery.status == notify_pb2.CREATED and delivery.channel == notify_pb2.SMS
    assert "注册申请已审核通过" in delivery.body
    staff_re = api.minter.mint("staff1", roles=("STAFF",), scopes=("rare_earth",), kind="STAFF",
                               agency="MIIT_RE_OFFICE")
    staff_other = api.minter.mint("staff2", roles=("STAFF",), scopes=("inspection",), kind="STAFF", agency="CIQ:1")
    by_template = notify_pb2.ListDeliveriesRequest(template="rare_earth.registration.approved")
    assert api("ListDeliveries", by_template, staff_re).total_size == 1
    assert api("ListDeliveries", by_template, staff_other).total_size == 0
    with pytest.raises(grpc.RpcError) as error:
        api("ListDeliveries", by_template, user_token(api.minter, "dave"))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert api("ListDeliveries", notify_pb2.ListDeliveriesRequest(status=notify_pb2.SENT), admin).total_size == 0
