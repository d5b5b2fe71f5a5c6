"""Profile save vs submit (manual §4.1), affiliations and parent review (§4.2), who sees which enterprise."""

from __future__ import annotations

import grpc

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import profile_pb2 as profile_pb
from protos.rare_earth.v1 import registration_pb2 as registration_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb


def test_a_saved_profile_is_a_draft_only_the_enterprise_sees_until_submitted(rare_earth):
    group = rare_earth.approved("中国稀土集团有限公司", "GROUP", province="360000", city="360700")
    child = rare_earth.approved("赣州草稿矿业有限公司", "MINING")
    rare_earth.affiliate(child, group)

    saved = rare_earth.call(child, "SaveProfile", profile_pb.SaveProfileRequest(
        enterprise_name="赣州草稿矿业有限公司", province_code="360000", city_code="360700",
        address="新地址", contact_name="李工", contact_phone="13907970002", email="li@example.cn"))
    assert saved.has_draft and saved.draft.address == "新地址"
    assert saved.published.address != "新地址"
    seen_by_parent = rare_earth.call(group, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=child.enterprise_id))
    assert seen_by_parent.address == "赣州市章贡区稀土大道1号"

    submitted = rare_earth.call(child, "SubmitProfile", profile_pb.SubmitProfileRequest())
    assert not submitted.has_draft and submitted.published.address == "新地址"
    seen_by_parent = rare_earth.call(group, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=child.enterprise_id))
    assert (seen_by_parent.address, seen_by_parent.contact_name) == ("新地址", "李工")
    seen_by_office = rare_earth.call(rare_earth.office(), "GetEnterprise",
                                     profile_pb.GetEnterpriseRequest(id=child.enterprise_id))
    assert seen_by_office.address == "新地址"


def test_an_incomplete_draft_saves_but_does_not_submit(rare_earth):
    company = rare_earth.approved("不完整资料公司")
    rare_earth.call(company, "SaveProfile", profile_pb.SaveProfileRequest(enterprise_name="不完整资料公司"))
    refused = rare_earth.fails(company, "SubmitProfile", profile_pb.SubmitProfileRequest())
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "address" in refused.fields and "contactPhone" in refused.fields


def test_a_child_asks_a_group_the_group_is_notified_and_approves(rare_earth):
    group = rare_earth.approved("北方稀土集团", "GROUP", province="150000", city="150200")
    child = rare_earth.approved("包头冶炼分离厂", "SMELTING_SEPARATION", province="150000", city="150200")

    candidates = rare_earth.call(child, "ListEnterprises", profile_pb.ListEnterprisesRequest(
        type=resources_pb.GROUP, page_size=200))
    picked = next(e for e in candidates.enterprises if e.id == group.enterprise_id)
    assert picked.contact_phone == ""  # a possible parent's contact points are not shown to everyone

    with rare_earth.new_notices("rare_earth.affiliation.requested") as requested:
        created = rare_earth.call(child, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
            parent_type=affiliation_pb.Affiliation.GROUP, parent_enterprise_id=group.enterprise_id,
            relation=affiliation_pb.Affiliation.WHOLLY_OWNED, share_ratio="100", parent_may_view_ledgers=True))
    assert created.status == affiliation_pb.Affiliation.PENDING
    assert requested[0]["recipients"][0]["organizationId"] == group.organization_id
    assert requested[0]["params"]["enterpriseName"] == "包头冶炼分离厂"

    incoming = rare_earth.call(group, "ListAffiliations", affiliation_pb.ListAffiliationsRequest(**{"as": "parent"}))
    assert [a.id for a in incoming.affiliations] == [created.id]
    assert incoming.affiliations[0].enterprise_name == "包头冶炼分离厂"

    with rare_earth.new_notices("rare_earth.affiliation.approved") as approved_notice:
        approved = rare_earth.call(group, "ApproveAffiliation", affiliation_pb.ApproveAffiliationRequest(id=created.id))
    assert approved.status == affiliation_pb.Affiliation.APPROVED
    assert approved_notice[0]["recipients"][0]["organizationId"] == child.organization_id

    children = rare_earth.call(group, "ListEnterprises", profile_pb.ListEnterprisesRequest(name="包头冶炼"))
    assert children.enterprises[0].contact_phone == "13907970001"


def test_editing_an_approved_affiliation_sends_it_back_to_the_parent(rare_earth):
    parent = rare_earth.approved("江西一级公司", "FIRST_LEVEL")
    child = rare_earth.approved("江西开采子公司")
    affiliation = rare_earth.affiliate(child, parent, "FIRST_LEVEL")
    with rare_earth.new_notices("rare_earth.affiliation.updated") as updated_notice:
        edited = rare_earth.call(child, "UpdateAffiliation",
                                 affiliation_pb.UpdateAffiliationRequest(id=affiliation.id, share_ratio="35.5"))
    assert edited.status == affiliation_pb.Affiliation.PENDING
    assert (edited.share_ratio, edited.relation, edited.parent_may_view_ledgers) == (
        "35.50", affiliation_pb.Affiliation.HOLDING,
                                                                                     True)
    assert updated_notice[0]["recipients"][0]["organizationId"] == parent.organization_id

    refused = rare_earth.fails(parent, "UpdateAffiliation", affiliation_pb.UpdateAffiliationRequest(id=affiliation.id,
                                                                                        share_ratio="1"))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION

    rejected = rare_earth.call(parent, "RejectAffiliation",
                               affiliation_pb.RejectAffiliationRequest(id=affiliation.id, reason="占股比例与实际不符"))
    assert rejected.status == affiliation_pb.Affiliation.REJECTED and rejected.rejection_reason == "占股比例与实际不符"
    again = rare_earth.fails(parent, "ApproveAffiliation", affiliation_pb.ApproveAffiliationRequest(id=affiliation.id))
    assert again.code == grpc.StatusCode.FAILED_PRECONDITION


def test_the_none_declaration_is_not_reviewed_and_gives_way_to_a_parent(rare_earth):
    company = rare_earth.approved("独立综合利用企业", "COMPREHENSIVE_UTILIZATION")
    declared = rare_earth.call(company, "CreateAffiliation",
                               affiliation_pb.CreateAffiliationRequest(parent_type=affiliation_pb.Affiliation.NONE))
    assert declared.status == affiliation_pb.Affiliation.DECLARED
    twice = rare_earth.fails(company, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
        parent_type=affiliation_pb.Affiliation.NONE))
    assert twice.code == grpc.StatusCode.ALREADY_EXISTS

    group = rare_earth.approved("后加入的集团", "GROUP")
    rare_earth.call(company, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
        parent_type=affiliation_pb.Affiliation.GROUP, parent_enterprise_id=group.enterprise_id,
        relation=affiliation_pb.Affiliation.EQUITY_PARTICIPATION, share_ratio="20"))
    mine = rare_earth.call(company, "ListAffiliations", affiliation_pb.ListAffiliationsRequest())
    assert sorted(a.status for a in mine.affiliations) == sorted(
        [affiliation_pb.Affiliation.SUPERSEDED, affiliation_pb.Affiliation.PENDING])
    refused = rare_earth.fails(company, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
        parent_type=affiliation_pb.Affiliation.NONE))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION


def test_bad_affiliation_requests_name_the_field(rare_earth):
    company = rare_earth.approved("校验隶属关系公司")
    not_a_group = rare_earth.approved("不是集团的企业", "METAL_SMELTING")
    refused = rare_earth.fails(company, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
        parent_type=affiliation_pb.Affiliation.GROUP, parent_enterprise_id=not_a_group.enterprise_id,
        share_ratio="120.5"))
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refused.fields) == {"parentEnterpriseId", "relation", "shareRatio"}
    assert refused.fields["parentEnterpriseId"] == "所选单位不是集团"
    missing = rare_earth.fails(company, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest())
    assert missing.fields == {"parentType": "请选择上级企业类型：集团、一级公司或无"}
    not_a_number = rare_earth.fails(company, "UpdateAffiliation", affiliation_pb.UpdateAffiliationRequest(
        id="any", share_ratio="六成"))
    assert not_a_number.fields == {"shareRatio": "占股比例须为十进制数字，如 12.5"}


def test_an_enterprise_cannot_read_another_enterprise(rare_earth):
    one = rare_earth.approved("甲稀土公司")
    other = rare_earth.approved("乙稀土公司")
    refused = rare_earth.fails(one, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=other.enterprise_id))
    missing = rare_earth.fails(one, "GetEnterprise", profile_pb.GetEnterpriseRequest(id="no-such-enterprise"))
    # Not an existence oracle: another's enterprise answers exactly as one that does not exist.
    assert refused.code == missing.code == grpc.StatusCode.NOT_FOUND
    assert (refused.reason, refused.message) == (missing.reason, missing.message)
    listed = rare_earth.call(one, "ListEnterprises", profile_pb.ListEnterprisesRequest(name="乙稀土公司"))
    assert listed.total_size == 0


def test_a_parent_cannot_read_a_child_without_an_approved_affiliation(rare_earth):
    group = rare_earth.approved("待批集团", "GROUP")
    child = rare_earth.approved("待批子公司")
    created = rare_earth.call(child, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
        parent_type=affiliation_pb.Affiliation.GROUP, parent_enterprise_id=group.enterprise_id,
        relation=affiliation_pb.Affiliation.HOLDING, share_ratio="60"))
    refused = rare_earth.fails(group, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=child.enterprise_id))
    assert refused.code == grpc.StatusCode.NOT_FOUND

    rare_earth.call(group, "RejectAffiliation", affiliation_pb.RejectAffiliationRequest(id=created.id, reason="不认识"))
    still = rare_earth.fails(group, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=child.enterprise_id))
    assert still.code == grpc.StatusCode.NOT_FOUND
    outsider = rare_earth.approved("旁观企业")
    hidden = rare_earth.fails(outsider, "GetAffiliation", affiliation_pb.GetAffiliationRequest(id=created.id))
    missing = rare_earth.fails(outsider, "GetAffiliation", affiliation_pb.GetAffiliationRequest(id="no-such-id"))
    assert hidden.code == missing.code == grpc.StatusCode.NOT_FOUND and hidden.reason == missing.reason
    for action, request in (("ApproveAffiliation", affiliation_pb.ApproveAffiliationRequest(id=created.id)),
                            ("RejectAffiliation", affiliation_pb.RejectAffiliationRequest(id=created.id, reason="否"))):
        assert rare_earth.fails(outsider, action, request).code == grpc.StatusCode.NOT_FOUND
    elsewhere = rare_earth.staff("LOCAL_AUTHORITY:650000")  # a region the child is not in
    assert rare_earth.fails(elsewhere, "GetAffiliation", affiliation_pb.GetAffiliationRequest(
        id=created.id)).code == grpc.StatusCode.NOT_FOUND


def test_a_local_authority_sees_only_enterprises_in_its_region(rare_earth):
    inside = rare_earth.approved("龙南稀土开采公司", province="360000", city="360700")
    outside = rare_earth.approved("四川冕宁稀土公司", province="510000", city="513400")
    ganzhou = rare_earth.staff("LOCAL_AUTHORITY:360700")
    assert rare_earth.call(ganzhou, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=inside.enterprise_id)).id
    refused = rare_earth.fails(ganzhou, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=outside.enterprise_id))
    assert refused.code == grpc.StatusCode.NOT_FOUND and refused.reason == "ENTERPRISE_NOT_FOUND"
    listed = rare_earth.call(ganzhou, "ListEnterprises", profile_pb.ListEnterprisesRequest(page_size=200))
    assert all(e.city_code == "360700" for e in listed.enterprises)
    jiangxi = rare_earth.staff("LOCAL_AUTHORITY:360000")
    assert rare_earth.call(jiangxi, "GetEnterprise", profile_pb.GetEnterpriseRequest(id=inside.enterprise_id)).id


def test_lists_page_with_a_token_and_total(rare_earth):
    for index in range(3):
        rare_earth.registered(f"分页测试公司{index}")
    operator = rare_earth.operator()
    first = rare_earth.call(operator, "ListRegistrations", registration_pb.ListRegistrationsRequest(page_size=2))
    assert len(first.registrations) == 2 and first.total_size > 2 and first.next_page_token
    second = rare_earth.call(operator, "ListRegistrations",
                             registration_pb.ListRegistrationsRequest(page_size=2, page_token=first.next_page_token))
    assert not {r.id for r in first.registrations} & {r.id for r in second.registrations}
    bad = rare_earth.fails(operator, "ListRegistrations", registration_pb.ListRegistrationsRequest(
        page_token="garbage"))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and "pageToken" in bad.fields
