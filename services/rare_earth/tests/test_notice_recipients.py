"""Whom a notice's sender may address, as notify asks it over gRPC: the office and the operating body
anyone, a local authority the approved enterprises of its region, a parent unit its approved affiliates."""

from __future__ import annotations

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import notices_pb2 as notices_pb

Answer = notices_pb.CheckNoticeRecipientsResponse


def _check(rare_earth, organization_ids, *, kind: str = "", agency: str = "", organization_id: str = ""):
    sender = notices_pb.NoticeSender(account_id="acct-sender", kind=kind, agency=agency,
                                     organization_id=organization_id)
    return rare_earth.service.call("CheckNoticeRecipients", notices_pb.CheckNoticeRecipientsRequest(
        sender=sender, organization_ids=list(organization_ids)))


def test_the_office_and_operator_address_anyone_and_a_local_authority_only_its_regions_approved_enterprises(
        rare_earth):
    ganzhou = rare_earth.approved("赣州通知企业", province="360000", city="360700")
    nanchang = rare_earth.approved("南昌通知企业", province="360000", city="360100")
    beijing = rare_earth.approved("北京通知企业", province="110000", city="110100")
    pending = rare_earth.registered("待审通知企业", province="360000", city="360700")
    unknown = "org-not-in-rare-earth"
    asked = [o.organization_id for o in (ganzhou, nanchang, beijing, pending)] + [unknown]

    for agency, role in (("MIIT_RE_OFFICE", Answer.OFFICE), ("RE_OPERATOR", Answer.OPERATOR)):
        answer = _check(rare_earth, asked, kind="STAFF", agency=agency)
        assert answer.role == role and list(answer.allowed_organization_ids) == asked

    city = _check(rare_earth, asked, kind="STAFF", agency="LOCAL_AUTHORITY:360700")
    assert city.role == Answer.LOCAL_AUTHORITY
    assert list(city.allowed_organization_ids) == [ganzhou.organization_id], "its city only, approved only"
    province = _check(rare_earth, asked, kind="STAFF", agency="LOCAL_AUTHORITY:360000")
    assert list(province.allowed_organization_ids) == [ganzhou.organization_id, nanchang.organization_id]
    elsewhere = _check(rare_earth, [ganzhou.organization_id], kind="STAFF", agency="LOCAL_AUTHORITY:110000")
    assert elsewhere.role == Answer.LOCAL_AUTHORITY and list(elsewhere.allowed_organization_ids) == []


def test_a_parent_unit_addresses_its_approved_affiliates_only_and_an_enterprise_member_none(rare_earth):
    group = rare_earth.approved("通知集团", "GROUP")
    approved_child = rare_earth.approved("已批准子公司")
    rare_earth.affiliate(approved_child, group)
    pending_child = rare_earth.approved("待批准子公司")
    rare_earth.call(pending_child, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
        parent_type=affiliation_pb.Affiliation.GROUP, parent_enterprise_id=group.enterprise_id,
        relation=affiliation_pb.Affiliation.HOLDING, share_ratio="30", parent_may_view_ledgers=False))
    stranger = rare_earth.approved("无隶属关系企业")
    asked = [approved_child.organization_id, pending_child.organization_id, stranger.organization_id]

    answer = _check(rare_earth, asked, organization_id=group.organization_id)
    assert answer.role == Answer.PARENT_UNIT
    assert list(answer.allowed_organization_ids) == [approved_child.organization_id]
    assert (answer.parent_enterprise_id, answer.parent_enterprise_name) == (group.enterprise_id, "通知集团")

    # An enterprise that is no group or first-level company, even writing to its own parent: none.
    member = _check(rare_earth, [group.organization_id, stranger.organization_id],
                    organization_id=approved_child.organization_id)
    assert member.role == Answer.NOT_A_SENDER and list(member.allowed_organization_ids) == []
    # A group whose registration is not approved yet is no parent unit either.
    unapproved_group = rare_earth.registered("未审集团", "GROUP")
    assert _check(rare_earth, asked, organization_id=unapproved_group.organization_id).role == Answer.NOT_A_SENDER
    # Staff of a group company: no account of theirs names the enterprise, so no affiliation speaks for them.
    group_staff = _check(rare_earth, asked, kind="STAFF", agency="GROUP_COMPANY")
    assert group_staff.role == Answer.NOT_A_SENDER and list(group_staff.allowed_organization_ids) == []
