"""Notices staff write to enterprises, and announcements shown only to their audience, over real gRPC."""

from __future__ import annotations

import grpc

from protos.notify.v1 import notify_pb2
from services.chassis.testing import TokenMinter
from services.chassis.testing.identity import StandInAccount
from services.notify.handlers import announcements

LOCAL_AUTHORITY = "LOCAL_AUTHORITY:110000"


def staff_token(minter: TokenMinter, account_id: str = "staff001", agency: str = LOCAL_AUTHORITY,
                scopes: tuple[str, ...] = ("rare_earth",)) -> str:
    return minter.mint(account_id, roles=("STAFF", "REVIEWER"), scopes=scopes, kind="STAFF", agency=agency)


def member_token(minter: TokenMinter, account_id: str, org: str, role: str = "OWNER") -> str:
    return minter.mint(account_id, org=org, roles=(role,), scopes=("rare_earth",))


def admin_token(minter: TokenMinter) -> str:
    return minter.mint("admin0001", roles=("PLATFORM_ADMIN",), kind="ADMIN")


def _enterprises(notify) -> None:
    for org, name in (("orgA", "甲稀土公司"), ("orgB", "乙稀土公司"), ("orgC", "丙稀土公司")):
        notify.identity.add_organization(org, name)
    notify.identity.accounts = [
        StandInAccount("a_owner", organization_id="orgA", role="OWNER"),
        StandInAccount("a_agent", organization_id="orgA", role="AGENT", scopes=("rare_earth",)),
        # An agent of orgA for another system only: not reached by a rare-earth notice.
        StandInAccount("a_other", organization_id="orgA", role="AGENT", scopes=("inspection",)),
        StandInAccount("b_owner", organization_id="orgB", role="OWNER"),
        StandInAccount("c_owner", organization_id="orgC", role="OWNER"),
    ]


def _notice(title: str = "关于报送年度台账的通知", organization_ids=("orgA", "orgB"), **fields):
    return notify_pb2.CreateNoticeRequest(title=title, body="请于月底前报送。", organization_ids=list(organization_ids),
                                          **fields)


def _inbox(notify, account_id: str, org: str):
    return notify.call("ListInboxMessages", notify_pb2.ListInboxMessagesRequest(),
                       member_token(notify.minter, account_id, org))


def test_a_local_authoritys_notice_reaches_the_enterprises_members_with_its_sender_and_no_one_else(notify):
    _enterprises(notify)
    sent = notify.call("CreateNotice", _notice(system="rare_earth"), staff_token(notify.minter))
    assert sent.sender.name == "地方主管部门（110000）" and sent.sender.agency == LOCAL_AUTHORITY
    assert sent.system == "rare_earth" and list(sent.organization_ids) == ["orgA", "orgB"]
    assert sent.recipients_count == 3

    for account_id, org in (("a_owner", "orgA"), ("a_agent", "orgA"), ("b_owner", "orgB")):
        [message] = _inbox(notify, account_id, org).messages
        assert (message.title, message.category, message.system, message.notice_id) == (
            "关于报送年度台账的通知", "notice", "rare_earth", sent.id)
        assert (message.sender.name, message.sender.system, message.sender.system_name) == (
            "地方主管部门（110000）", "rare_earth", "稀土产品追溯")
        assert not message.read
    assert _inbox(notify, "a_other", "orgA").total_size == 0
    assert _inbox(notify, "c_owner", "orgC").total_size == 0


def test_staff_of_one_system_may_leave_it_out_and_the_sent_list_pages_only_the_senders_own(notify):
    _enterprises(notify)
    office = staff_token(notify.minter, "office01", agency="MIIT_RE_OFFICE")
    for title in ("第一份", "第二份", "第三份"):
        assert notify.call("CreateNotice", _notice(title, ("orgC",)), office).system == "rare_earth"
    notify.call("CreateNotice", _notice("他人的", ("orgC",)), staff_token(notify.minter))

    first = notify.call("ListSentNotices", notify_pb2.ListSentNoticesRequest(page_size=2), office)
    assert first.total_size == 3 and [n.title for n in first.notices] == ["第三份", "第二份"]
    assert first.notices[0].sender.name == "稀土办" and first.next_page_token
    rest = notify.call("ListSentNotices", notify_pb2.ListSentNoticesRequest(
        page_size=2, page_token=first.next_page_token), office)
    assert [n.title for n in rest.notices] == ["第一份"] and not rest.next_page_token
    assert notify.call("ListSentNotices", notify_pb2.ListSentNoticesRequest(system="inspection"), office
                       ).total_size == 0
    assert [m.title for m in _inbox(notify, "c_owner", "orgC").messages] == ["他人的", "第三份", "第二份", "第一份"]
    refusal = notify.refused("ListSentNotices", notify_pb2.ListSentNoticesRequest(),
                             member_token(notify.minter, "c_owner", "orgC"))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED


def test_enterprises_parent_units_and_staff_outside_their_system_may_not_send_and_bad_fields_are_named(notify):
    _enterprises(notify)
    refused = notify.refused
    assert refused("CreateNotice", _notice(system="rare_earth")).code == grpc.StatusCode.UNAUTHENTICATED
    for token in (member_token(notify.minter, "a_owner", "orgA"), admin_token(notify.minter),
                  staff_token(notify.minter, "group01", agency="GROUP_COMPANY")):
        assert refused("CreateNotice", _notice(system="rare_earth"), token).code == grpc.StatusCode.PERMISSION_DENIED
    customs = staff_token(notify.minter, "customs1", agency="CUSTOMS:0100", scopes=("inspection",))
    refusal = refused("CreateNotice", _notice(system="rare_earth"), customs)
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED and refusal.reason == "SCOPE_REQUIRED"

    staff = staff_token(notify.minter)
    refusal = refused("CreateNotice", notify_pb2.CreateNoticeRequest(system="rare_earth", title="", body=" "), staff)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refusal.fields) == {"title", "body", "organizationIds"}
    refusal = refused("CreateNotice", _notice(system="mars", title="两行\n标题"), staff)
    assert set(refusal.fields) == {"system", "title"}
    of_two_systems = staff_token(notify.minter, "customs2", agency="CUSTOMS:0100",
                                 scopes=("inspection", "ccc_exemption"))
    refusal = refused("CreateNotice", _notice(), of_two_systems)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"system"}
    refusal = refused("CreateNotice", _notice(system="rare_earth", organization_ids=("orgA", "nosuch", "")), staff)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"organizationIds[2]"}
    refusal = refused("CreateNotice", _notice(system="rare_earth", organization_ids=("orgA", "nosuch")), staff)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"organizationIds[1]"}
    assert _inbox(notify, "a_owner", "orgA").total_size == 0, "nothing refused was sent"


def _announce(notify, title: str, audience: notify_pb2.Audience, token: str, system: str = "") -> str:
    return notify.call("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
        system=system, title=title, body="内容", audience=audience), token).id


def _listed(notify, token: str | None = None) -> set[str]:
    return {a.title for a in notify.call("ListAnnouncements", notify_pb2.ListAnnouncementsRequest(), token
                                         ).announcements}


def _get(notify, announcement_id: str, token: str | None = None) -> grpc.StatusCode:
    try:
        notify.call("GetAnnouncement", notify_pb2.GetAnnouncementRequest(id=announcement_id), token)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_an_announcement_outside_audience_all_is_shown_only_to_its_audience_and_its_staff(notify):
    admin = admin_token(notify.minter)
    everyone = _announce(notify, "全体公告", notify_pb2.Audience(kind=notify_pb2.ALL), admin)
    for_a = _announce(notify, "致甲公司", notify_pb2.Audience(kind=notify_pb2.ORGANIZATIONS,
                                                             organization_ids=["orgA"]), admin)
    rare_earth_staff = staff_token(notify.minter, "office01", agency="MIIT_RE_OFFICE")
    for_system = _announce(notify, "稀土系统用户公告", notify_pb2.Audience(kind=notify_pb2.SYSTEM, system="rare_earth"),
                           rare_earth_staff, system="rare_earth")
    for_types = _announce(notify, "事业单位公告", notify_pb2.Audience(kind=notify_pb2.ORG_TYPES,
                                                                 org_types=["PUBLIC_INSTITUTION"]), admin)

    assert _listed(notify) == {"全体公告"}
    assert _get(notify, everyone) == grpc.StatusCode.OK
    for hidden in (for_a, for_system, for_types):
        assert _get(notify, hidden) == grpc.StatusCode.NOT_FOUND

    member_a = member_token(notify.minter, "a_owner", "orgA")
    assert _listed(notify, member_a) == {"全体公告", "致甲公司", "稀土系统用户公告"}
    assert _get(notify, for_a, member_a) == grpc.StatusCode.OK
    inspection_only = notify.minter.mint("b_agent", org="orgB", roles=("AGENT",), scopes=("inspection",))
    assert _listed(notify, inspection_only) == {"全体公告"}
    for hidden in (for_a, for_system, for_types):
        assert _get(notify, hidden, inspection_only) == grpc.StatusCode.NOT_FOUND

    assert _listed(notify, rare_earth_staff) == {"全体公告", "稀土系统用户公告"}
    assert _get(notify, for_system, rare_earth_staff) == grpc.StatusCode.OK
    assert _get(notify, for_a, rare_earth_staff) == grpc.StatusCode.NOT_FOUND
    customs = staff_token(notify.minter, "customs1", agency="CUSTOMS:0100", scopes=("inspection",))
    assert _get(notify, for_system, customs) == grpc.StatusCode.NOT_FOUND
    assert _listed(notify, admin) == {"全体公告", "致甲公司", "稀土系统用户公告", "事业单位公告"}

    # An organisation type is known to identity alone: whom its fan-out reached are its audience.
    notify.identity.accounts = [StandInAccount("inst_owner", organization_id="orgP", role="OWNER")]
    with notify.context.unit_of_work() as uow:
        assert announcements.fan_out_page(notify.context, uow, for_types)
        uow.commit()
    reached = notify.minter.mint("inst_owner", org="orgP", roles=("OWNER",), scopes=("inspection",))
    assert _get(notify, for_types, reached) == grpc.StatusCode.OK
    assert "事业单位公告" in _listed(notify, reached)
    assert _get(notify, for_types, inspection_only) == grpc.StatusCode.NOT_FOUND
