"""The REST-facing API over real gRPC: announcements reaching inboxes once, the inbox, templates,
delivery search and opt-outs, with callers' tokens verified as in production."""

from __future__ import annotations

from collections import Counter

import grpc
from sqlalchemy import select

from protos.notify.v1 import notify_pb2
from services.chassis.messages import account_recipient, notification_request
from services.chassis.testing import TokenMinter, wait_until
from services.chassis.testing.identity import StandInAccount
from services.notify.models import Delivery
from services.notify.tests.helpers import deliveries_of, outbox_messages, publish, sms_lines, submit


def admin_token(minter: TokenMinter) -> str:
    return minter.mint("admin0001", roles=("PLATFORM_ADMIN",), kind="ADMIN")


def user_token(minter: TokenMinter, account_id: str, org: str = "org1") -> str:
    return minter.mint(account_id, org=org, roles=("OWNER",), scopes=("rare_earth",))


def test_an_announcement_to_all_users_reaches_each_inbox_once_and_shows_in_the_public_list(notify):
    notify.identity.accounts = [StandInAccount(f"acct{i:04d}", phone=f"1390000{i:04d}") for i in range(20)]
    created = notify.call("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="系统升级公告", body="平台将于周六凌晨升级。", audience=notify_pb2.Audience(kind=notify_pb2.ALL),
        channels=[notify_pb2.IN_SITE, notify_pb2.SMS]), admin_token(notify.minter))

    # The relay would carry the fan-out message from notify's outbox; deliver it twice, as at-least-once may.
    [message] = outbox_messages(notify.context)
    notify.start_workers()
    publish(notify.amqp_url, message, message)

    def inbox_of(account_id: str):
        return notify.call("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(page_size=50),
                           user_token(notify.minter, account_id))

    wait_until(lambda: inbox_of("acct0019").total_size == 1, what="the last page of the audience")
    wait_until(lambda: len(sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"])) >= 20, what="the SMS broadcast")
    for account in notify.identity.accounts:
        listed = inbox_of(account.account_id)
        assert [m.title for m in listed.messages] == ["系统升级公告"]
        assert listed.messages[0].announcement_id == created.id
    assert len(sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"])) == 20
    recorded = wait_until(lambda: _sms_statuses(notify.context) == {"SENT": 20}, what="every SMS recorded as sent")
    assert recorded
    public = notify.call("ListAnnouncements", notify_pb2.ListAnnouncementsRequest(title="升级"))
    assert [a.id for a in public.announcements] == [created.id] and public.total_size == 1
    assert notify.call("ListAnnouncements", notify_pb2.ListAnnouncementsRequest(title="停电")).total_size == 0
    assert notify.call("GetAnnouncement", notify_pb2.GetAnnouncementRequest(id=created.id)).title == "系统升级公告"


def _sms_statuses(context) -> dict[str, int]:
    with context.unit_of_work(read_only=True) as uow:
        return dict(Counter(uow.session.execute(select(Delivery.status).where(Delivery.channel == "SMS")).scalars()))


def test_a_scheduled_announcement_is_hidden_until_its_time_and_then_the_jobs_start_it_once(notify):
    from google.protobuf.timestamp_pb2 import Timestamp

    from services.notify.handlers import announcements

    soon = Timestamp()
    soon.GetCurrentTime()
    soon.seconds += 2
    created = notify.call("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="明日公告", body="内容", audience=notify_pb2.Audience(kind=notify_pb2.ALL), publish_at=soon),
        admin_token(notify.minter))
    assert notify.call("ListAnnouncements", notify_pb2.ListAnnouncementsRequest()).total_size == 0
    refusal = notify.refused("GetAnnouncement", notify_pb2.GetAnnouncementRequest(id=created.id))
    assert refusal.code == grpc.StatusCode.NOT_FOUND
    assert outbox_messages(notify.context) == [], "a scheduled announcement sends nothing yet"
    assert announcements.claim_due_announcements(notify.context) == []

    wait_until(lambda: announcements.claim_due_announcements(notify.context) == [created.id], timeout=10,
               interval=0.2, what="the announcement to fall due")
    assert [m.payload for m in outbox_messages(notify.context)] == [{"announcementId": created.id}]
    assert announcements.claim_due_announcements(notify.context) == [], "claimed once"
    assert notify.call("GetAnnouncement", notify_pb2.GetAnnouncementRequest(id=created.id)).title == "明日公告"


def test_only_staff_and_the_admin_may_publish_announcements_and_bad_fields_are_named(notify):
    refusal = notify.refused("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="x", body="y", audience=notify_pb2.Audience(kind=notify_pb2.ALL)), user_token(notify.minter, "u1"))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED
    refusal = notify.refused("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="", body="y", audience=notify_pb2.Audience(kind=notify_pb2.ORG_TYPES)), admin_token(notify.minter))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refusal.fields) == {"title", "audience.orgTypes"}
    # Staff who leave out the system are asked for it, not refused as if it were not theirs.
    staff = notify.minter.mint("staff1", roles=("STAFF",), scopes=("rare_earth",), kind="STAFF", agency="RE_OPERATOR")
    to_one = notify_pb2.Audience(kind=notify_pb2.ORGANIZATIONS, organization_ids=["org1"])
    refusal = notify.refused("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        title="x", body="y", audience=to_one), staff)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"system"}


def _notice(account_id: str, title_code: str, *, mandatory: bool = False, channels=("IN_SITE", "SMS")):
    return notification_request(system="rare_earth", category="registration",
                                template="rare_earth.registration.approved", recipients=[account_recipient(account_id)],
                                channels=channels, params={"enterpriseName": title_code}, mandatory=mandatory)


def test_the_inbox_filters_counts_and_marks_read_only_the_callers_messages(notify):
    call = notify.call
    notify.identity.accounts = [StandInAccount("alice", phone="13911110000"),
                                StandInAccount("bob", phone="13922220000")]
    for account, name in (("alice", "甲公司"), ("alice", "乙公司"), ("bob", "丙公司")):
        assert submit(notify, _notice(account, name, channels=("IN_SITE",)))
    alice = user_token(notify.minter, "alice")
    bob = user_token(notify.minter, "bob")

    listed = call("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(page_size=1), alice)
    assert listed.total_size == 2 and len(listed.messages) == 1 and listed.next_page_token
    second = call("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(
        page_size=1, page_token=listed.next_page_token), alice)
    assert second.messages[0].id != listed.messages[0].id and not second.next_page_token
    counts = call("GetUnreadCount", notify_pb2.GetUnreadCountRequest(), alice)
    assert counts.total == 2 and dict(counts.by_system) == {"rare_earth": 2}

    first = notify_pb2.MarkInboxMessageReadRequest(id=listed.messages[0].id)
    assert notify.refused("MarkInboxMessageRead", first, bob).code == grpc.StatusCode.NOT_FOUND
    assert call("MarkInboxMessageRead", first, alice).read
    unread = call("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(read="false"), alice)
    assert [m.id for m in unread.messages] == [second.messages[0].id]
    assert call("MarkAllInboxMessagesRead", notify_pb2.MarkAllInboxMessagesReadRequest(), alice).marked == 1
    assert call("GetUnreadCount", notify_pb2.GetUnreadCountRequest(), alice).total == 0
    assert call("GetUnreadCount", notify_pb2.GetUnreadCountRequest(), bob).total == 1
    refusal = notify.refused("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(read="maybe"), alice)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"read"}


def test_an_sms_opt_out_is_honoured_for_ordinary_notices_but_not_for_mandatory_ones(notify):
    notify.identity.accounts = [StandInAccount("carol", phone="13933330000")]
    carol = user_token(notify.minter, "carol")
    prefs = notify.call("UpdatePreferences", notify_pb2.UpdatePreferencesRequest(sms_opt_out=True), carol)
    assert prefs.sms_opt_out and not prefs.email_opt_out
    assert notify.call("GetPreferences", notify_pb2.GetPreferencesRequest(), carol).sms_opt_out

    ordinary = _notice("carol", "丁公司")
    mandatory = _notice("carol", "戊公司", mandatory=True)
    for message in (ordinary, mandatory):
        assert submit(notify, message)
    assert sorted(d.channel for d in deliveries_of(notify.context, ordinary.message_id)) == ["IN_SITE"]
    assert sorted(d.channel for d in deliveries_of(notify.context, mandatory.message_id)) == ["IN_SITE", "SMS"]


def test_templates_are_for_the_admin_and_an_edit_makes_a_new_checked_version(notify):
    admin = admin_token(notify.minter)
    code = "rare_earth.registration.approved"
    refusal = notify.refused("GetTemplate", notify_pb2.GetTemplateRequest(code=code), user_token(notify.minter, "u2"))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED
    current = notify.call("GetTemplate", notify_pb2.GetTemplateRequest(code=code), admin)
    assert current.version == 1 and "enterpriseName" in current.placeholders
    wording = "{enterpriseName}注册已通过。"
    edited = notify.call("UpdateTemplate", notify_pb2.UpdateTemplateRequest(code=code, sms_text=wording), admin)
    assert edited.version == 2 and edited.sms_text == "{enterpriseName}注册已通过。"
    assert edited.inbox_body == current.inbox_body
    unchanged = notify.call("UpdateTemplate", notify_pb2.UpdateTemplateRequest(code=code, sms_text=wording), admin)
    assert unchanged.version == 2, "the same wording again makes no new version"
    too_long = notify_pb2.UpdateTemplateRequest(code=code, sms_text="{组织}" + "长" * 600)
    refusal = notify.refused("UpdateTemplate", too_long, admin)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"smsText"}
    listed = notify.call("ListTemplates", notify_pb2.ListTemplatesRequest(system="identity", page_size=100), admin)
    assert {t.code for t in listed.templates} >= {"identity.verification_code.login",
                                                   "identity.verification_code.delete_account"}
    assert listed.total_size == len(listed.templates) and not listed.next_page_token


def test_delivery_search_shows_the_admin_everything_and_staff_only_their_systems(notify):
    notify.identity.accounts = [StandInAccount("dave", phone="13944440000")]
    assert submit(notify, _notice("dave", "己公司", channels=("SMS",)))
    admin = admin_token(notify.minter)
    found = notify.call("ListDeliveries", notify_pb2.ListDeliveriesRequest(recipient="13944440000"), admin)
    assert found.total_size == 1
    [delivery] = found.deliveries
    assert delivery.status == notify_pb2.CREATED and delivery.channel == notify_pb2.SMS
    assert "注册申请已审核通过" in delivery.body
    staff_re = notify.minter.mint("staff1", roles=("STAFF",), scopes=("rare_earth",), kind="STAFF",
                                  agency="MIIT_RE_OFFICE")
    staff_other = notify.minter.mint("staff2", roles=("STAFF",), scopes=("inspection",), kind="STAFF",
                                     agency="CIQ:1")
    by_template = notify_pb2.ListDeliveriesRequest(template="rare_earth.registration.approved")
    assert notify.call("ListDeliveries", by_template, staff_re).total_size == 1
    assert notify.call("ListDeliveries", by_template, staff_other).total_size == 0
    refusal = notify.refused("ListDeliveries", by_template, user_token(notify.minter, "dave"))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED
    assert notify.call("ListDeliveries", notify_pb2.ListDeliveriesRequest(status=notify_pb2.SENT),
                       admin).total_size == 0
