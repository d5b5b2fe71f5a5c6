"""Notices staff and parent units write to enterprises, and announcements shown only to their audience, over
real gRPC; whom a rare-earth notice may address is asked of a real rare_earth server."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from protos.notify.v1 import notify_pb2
from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import registration_pb2 as registration_pb
from services.chassis.testing import TokenMinter, free_port
from services.chassis.testing.identity import StandInAccount
from services.chassis.testing.service import ServiceHarness
from services.notify.handlers import announcements
from services.rare_earth.definition import DEFINITION as RARE_EARTH
from services.rare_earth.tests.support import registration_request, valid_uscc

LOCAL_AUTHORITY = "LOCAL_AUTHORITY:110000"
# Where each organisation is registered in rare_earth (province, city, type): orgJ outside the local
# authority's region, orgG a group whose affiliate orgA is (orgB asked and was not approved).
ENTERPRISES = {"orgA": ("110000", "110100", "MINING"), "orgB": ("110000", "110100", "MINING"),
               "orgC": ("110000", "110100", "MINING"), "orgJ": ("360000", "360700", "MINING"),
               "orgG": ("360000", "360700", "GROUP")}
NAMES = {"orgA": "甲稀土公司", "orgB": "乙稀土公司", "orgC": "丙稀土公司", "orgJ": "赣州稀土公司",
         "orgG": "稀土集团有限公司"}


@pytest.fixture(scope="module")
def rare_earth(postgres_database) -> Iterator[ServiceHarness]:
    """Rare_earth with the enterprises above registered and approved, and orgA affiliated to orgG."""
    harness = ServiceHarness(RARE_EARTH, postgres_database("rare_earth"))
    operator = harness.minter.mint("operator1", roles=("STAFF",), scopes=("rare_earth",), kind="STAFF",
                                   agency="RE_OPERATOR")
    members, ids = {}, {}
    for serial, (org, (province, city, kind)) in enumerate(ENTERPRISES.items(), start=1):
        harness.identity.add_organization(org, NAMES[org], valid_uscc(90000 + serial))
        members[org] = harness.minter.mint(f"owner-{org}", org=org, roles=("OWNER",), scopes=("rare_earth",))
        harness.call("SaveRegistration", registration_request(NAMES[org], kind, province, city), members[org])
        ids[org] = harness.call("SubmitRegistration", registration_pb.SubmitRegistrationRequest(), members[org]).id
        harness.call("ApproveRegistration", registration_pb.ApproveRegistrationRequest(id=ids[org]), operator)
    for child, approve in (("orgA", True), ("orgB", False)):
        asked = harness.call("CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
            parent_type=affiliation_pb.Affiliation.GROUP, parent_enterprise_id=ids["orgG"],
            relation=affiliation_pb.Affiliation.HOLDING, share_ratio="51"), members[child])
        if approve:
            harness.call("ApproveAffiliation", affiliation_pb.ApproveAffiliationRequest(id=asked.id), members["orgG"])
    yield harness
    harness.close()


@pytest.fixture
def notify(notify_with, rare_earth):
    return notify_with(RARE_EARTH_ADDR=rare_earth.address)


def staff_token(minter: TokenMinter, account_id: str = "staff001", agency: str = LOCAL_AUTHORITY,
                scopes: tuple[str, ...] = ("rare_earth",)) -> str:
    return minter.mint(account_id, roles=("STAFF", "REVIEWER"), scopes=scopes, kind="STAFF", agency=agency)


def member_token(minter: TokenMinter, account_id: str, org: str, role: str = "OWNER") -> str:
    return minter.mint(account_id, org=org, roles=(role,), scopes=("rare_earth",))


def admin_token(minter: TokenMinter) -> str:
    return minter.mint("admin0001", roles=("PLATFORM_ADMIN",), kind="ADMIN")


def _enterprises(notify) -> None:
    for org, name in NAMES.items():
        notify.identity.add_organization(org, name)
    notify.identity.accounts = [
        StandInAccount("a_owner", organization_id="orgA", role="OWNER"),
        StandInAccount("a_agent", organization_id="orgA", role="AGENT", scopes=("rare_earth",)),
        # An agent of orgA for another system only: not reached by a rare-earth notice.
        StandInAccount("a_other", organization_id="orgA", role="AGENT", scopes=("inspection",)),
        StandInAccount("b_owner", organization_id="orgB", role="OWNER"),
        StandInAccount("c_owner", organization_id="orgC", role="OWNER"),
        StandInAccount("j_owner", organization_id="orgJ", role="OWNER"),
        StandInAccount("g_owner", organization_id="orgG", role="OWNER"),
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
    # A member in rare_earth may be a parent unit's: it lists what it sent, here nothing.
    assert notify.call("ListSentNotices", notify_pb2.ListSentNoticesRequest(),
                       member_token(notify.minter, "c_owner", "orgC")).total_size == 0
    refusal = notify.refused("ListSentNotices", notify_pb2.ListSentNoticesRequest(), notify.minter.mint(
        "c_owner", org="orgC", roles=("OWNER",), scopes=("inspection",)))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED


def test_a_parent_units_notice_reaches_its_approved_affiliate_named_by_its_organisation(notify):
    _enterprises(notify)
    group = member_token(notify.minter, "g_owner", "orgG")
    sent = notify.call("CreateNotice", _notice("集团关于安全生产的通知", ("orgA",), system="rare_earth"), group)
    assert (sent.sender.name, sent.sender.agency) == ("稀土集团有限公司", "GROUP_COMPANY")
    assert sent.recipients_count == 2
    [message] = _inbox(notify, "a_owner", "orgA").messages
    assert (message.title, message.notice_id, message.sender.name, message.sender.agency) == (
        "集团关于安全生产的通知", sent.id, "稀土集团有限公司", "GROUP_COMPANY")
    assert [n.id for n in notify.call("ListSentNotices", notify_pb2.ListSentNoticesRequest(), group).notices] == [
        sent.id]

    # orgB asked to join and was not approved, orgJ never asked: named, and nothing sent.
    refusal = notify.refused("CreateNotice", _notice("再发一份", ("orgA", "orgB", "orgJ"), system="rare_earth"), group)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refusal.fields) == {"organizationIds[1]", "organizationIds[2]"}
    assert _inbox(notify, "b_owner", "orgB").total_size == 0 and _inbox(notify, "a_owner", "orgA").total_size == 1


def test_a_local_authority_may_not_address_an_enterprise_outside_its_region(notify):
    _enterprises(notify)
    refusal = notify.refused("CreateNotice", _notice(organization_ids=("orgA", "orgJ"), system="rare_earth"),
                             staff_token(notify.minter))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"organizationIds[1]"}
    assert "不在" in refusal.fields["organizationIds[1]"]
    assert _inbox(notify, "a_owner", "orgA").total_size == 0, "nothing refused was sent"
    office = notify.call("CreateNotice", _notice(organization_ids=("orgJ",), system="rare_earth"),
                         staff_token(notify.minter, "office01", agency="MIIT_RE_OFFICE"))
    assert office.recipients_count == 1 and _inbox(notify, "j_owner", "orgJ").total_size == 1


def test_without_rare_earth_a_rare_earth_notice_is_unavailable_and_another_systems_keeps_its_rule(notify_with):
    notify = notify_with(RARE_EARTH_ADDR=f"127.0.0.1:{free_port()}")
    _enterprises(notify)
    refusal = notify.refused("CreateNotice", _notice(system="rare_earth"), staff_token(notify.minter))
    assert refusal.code == grpc.StatusCode.UNAVAILABLE
    customs = staff_token(notify.minter, "customs1", agency="CUSTOMS:0100", scopes=("inspection",))
    sent = notify.call("CreateNotice", _notice(organization_ids=("orgJ",), system="inspection"), customs)
    assert sent.sender.name == "海关（0100）"
    assert notify.refused("CreateNotice", _notice(system="inspection"), notify.minter.mint(
        "a_owner", org="orgA", roles=("OWNER",), scopes=("inspection",))).reason == "STAFF_ONLY"


def test_enterprises_parent_units_and_staff_outside_their_system_may_not_send_and_bad_fields_are_named(notify):
    _enterprises(notify)
    refused = notify.refused
    assert refused("CreateNotice", _notice(system="rare_earth")).code == grpc.StatusCode.UNAUTHENTICATED
    assert refused("CreateNotice", _notice(system="rare_earth"), admin_token(notify.minter)).reason == "STAFF_ONLY"
    # An enterprise that is no parent unit, and a group company's staff, whom no organisation names: told
    # before anything of their request's fields.
    for token in (member_token(notify.minter, "a_owner", "orgA"),
                  staff_token(notify.minter, "group01", agency="GROUP_COMPANY")):
        refusal = refused("CreateNotice", _notice(system="rare_earth", title=""), token)
        assert refusal.code == grpc.StatusCode.PERMISSION_DENIED and refusal.reason == "NOT_A_NOTICE_SENDER"
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
