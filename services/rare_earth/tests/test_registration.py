"""Registration (manual §2.2): save, submit, review, resubmission, and the gate on every other route."""

from __future__ import annotations

import grpc

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import dictionary_pb2 as dictionary_pb
from protos.rare_earth.v1 import profile_pb2 as profile_pb
from protos.rare_earth.v1 import quota_pb2 as quota_pb
from protos.rare_earth.v1 import registration_pb2 as registration_pb
from services.rare_earth.tests.support import registration_request


def test_an_enterprise_is_registered_reviewed_and_approved(rare_earth):
    company = rare_earth.new_organization("赣州稀土矿业有限公司")
    blank = rare_earth.call(company, "GetRegistration", registration_pb.GetRegistrationRequest())
    assert blank.status == registration_pb.Registration.DRAFT and blank.id == ""

    saved = rare_earth.call(company, "SaveRegistration", registration_request("赣州稀土矿业有限公司"))
    assert saved.status == registration_pb.Registration.DRAFT
    assert saved.uscc.startswith("91450700MA5L")
    assert (saved.province_name, saved.city_name) == ("江西省", "赣州市")

    submitted = rare_earth.call(company, "SubmitRegistration", registration_pb.SubmitRegistrationRequest())
    assert submitted.status == registration_pb.Registration.PENDING_REVIEW

    operator = rare_earth.operator()
    pending = rare_earth.call(operator, "ListRegistrations",
                              registration_pb.ListRegistrationsRequest(
                                  status=registration_pb.Registration.PENDING_REVIEW, page_size=200))
    assert submitted.id in [r.id for r in pending.registrations]

    with rare_earth.new_notices("rare_earth.registration.approved") as notices:
        approved = rare_earth.call(
            operator, "ApproveRegistration", registration_pb.ApproveRegistrationRequest(id=submitted.id))
    assert approved.status == registration_pb.Registration.APPROVED
    assert notices[0]["recipients"] == [{"organizationId": company.organization_id, "scope": "rare_earth"}]
    assert notices[0]["system"] == "rare_earth"
    assert rare_earth.call(company, "GetProfile", profile_pb.GetProfileRequest()).enterprise_id == submitted.id


def test_a_rejected_registration_shows_the_reason_and_can_be_resubmitted(rare_earth):
    company = rare_earth.registered("南方稀土冶炼分离有限公司", "SMELTING_SEPARATION")
    operator = rare_earth.operator()
    with rare_earth.new_notices("rare_earth.registration.rejected") as notices:
        rare_earth.call(operator, "RejectRegistration",
                        registration_pb.RejectRegistrationRequest(
                            id=company.enterprise_id, reason="企业名称与营业执照不一致"))
    assert notices[0]["params"]["reason"] == "企业名称与营业执照不一致"

    seen = rare_earth.call(company, "GetRegistration", registration_pb.GetRegistrationRequest())
    assert seen.status == registration_pb.Registration.REJECTED
    assert seen.rejection_reason == "企业名称与营业执照不一致"
    refused = rare_earth.fails(company, "GetProfile", profile_pb.GetProfileRequest())
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "企业名称与营业执照不一致" in refused.message

    rare_earth.call(company, "SaveRegistration",
                    registration_request("中国南方稀土冶炼分离有限公司", "SMELTING_SEPARATION"))
    again = rare_earth.call(company, "SubmitRegistration", registration_pb.SubmitRegistrationRequest())
    assert again.status == registration_pb.Registration.PENDING_REVIEW and again.rejection_reason == ""
    approved = rare_earth.call(operator, "ApproveRegistration", registration_pb.ApproveRegistrationRequest(id=again.id))
    assert approved.enterprise_name == "中国南方稀土冶炼分离有限公司"


def test_a_registration_in_review_cannot_be_edited(rare_earth):
    company = rare_earth.registered("包头稀土研究院")
    refused = rare_earth.fails(company, "SaveRegistration", registration_request("改名"))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "审核中" in refused.message
    assert rare_earth.call(
        company, "GetRegistration", registration_pb.GetRegistrationRequest()).enterprise_name == "包头稀土研究院"


def test_every_other_route_is_refused_until_approved_with_the_reason(rare_earth):
    company = rare_earth.registered("待审核稀土有限公司")
    for method, request in (
        ("GetProfile", profile_pb.GetProfileRequest()),
        ("ListEnterprises", profile_pb.ListEnterprisesRequest()),
        ("ListAffiliations", affiliation_pb.ListAffiliationsRequest()),
        ("ListQuotaAllocations", quota_pb.ListQuotaAllocationsRequest()),
        ("ListProducts", dictionary_pb.ListProductsRequest()),
        ("CreatePlanConfirmation", quota_pb.CreatePlanConfirmationRequest(year=2026, batch=1)),
    ):
        refused = rare_earth.fails(company, method, request)
        assert refused.code == grpc.StatusCode.FAILED_PRECONDITION, method
        assert refused.reason == "REGISTRATION_NOT_APPROVED", method
        assert "审核中" in refused.message, method

    stranger = rare_earth.new_organization("未注册公司")
    refused = rare_earth.fails(stranger, "ListProducts", dictionary_pb.ListProductsRequest())
    assert refused.reason == "REGISTRATION_NOT_APPROVED"
    assert "提交审核" in refused.message


def test_bad_registration_fields_are_named(rare_earth):
    company = rare_earth.new_organization("字段校验公司")
    refused = rare_earth.fails(company, "SaveRegistration", registration_request(
        "名" * 31, province="360000", city="450700", contact_phone="0797-1234567", email="not-an-email",
        address="址" * 101))
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refused.fields) == {"enterpriseName", "cityCode", "contactPhone", "email", "address"}
    assert refused.fields["cityCode"] == "所选城市不属于所选省份"

    rare_earth.call(company, "SaveRegistration", registration_pb.SaveRegistrationRequest(
        enterprise_name="字段校验公司"))
    incomplete = rare_earth.fails(company, "SubmitRegistration", registration_pb.SubmitRegistrationRequest())
    assert incomplete.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"enterpriseType", "provinceCode", "cityCode", "contactPhone"} <= set(incomplete.fields)


def test_only_the_operating_body_reviews_and_only_pending_registrations(rare_earth):
    company = rare_earth.registered("审核权限测试公司")
    refused = rare_earth.fails(company, "ApproveRegistration", registration_pb.ApproveRegistrationRequest(
        id=company.enterprise_id))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    refused = rare_earth.fails(rare_earth.office(), "ApproveRegistration",
                               registration_pb.ApproveRegistrationRequest(id=company.enterprise_id))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED

    operator = rare_earth.operator()
    rare_earth.call(operator, "ApproveRegistration", registration_pb.ApproveRegistrationRequest(
        id=company.enterprise_id))
    twice = rare_earth.fails(operator, "RejectRegistration",
                             registration_pb.RejectRegistrationRequest(id=company.enterprise_id, reason="重复审核"))
    assert twice.code == grpc.StatusCode.FAILED_PRECONDITION
    no_reason = rare_earth.fails(operator, "RejectRegistration", registration_pb.RejectRegistrationRequest(
        id=company.enterprise_id))
    assert no_reason.fields == {"reason": "请填写审核不通过的原因"}


def test_a_caller_without_the_rare_earth_scope_is_refused(rare_earth):
    outsider = rare_earth.new_organization("无授权公司", scopes=("inspection",))
    refused = rare_earth.fails(outsider, "GetRegistration", registration_pb.GetRegistrationRequest())
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    anonymous = rare_earth.fails(None, "GetRegistration", registration_pb.GetRegistrationRequest())
    assert anonymous.code == grpc.StatusCode.UNAUTHENTICATED


def test_a_registration_is_saved_while_identity_is_unreachable_and_gets_its_uscc_on_the_next_save(rare_earth):
    company = rare_earth.new_organization("身份服务中断公司")
    rare_earth.identity.organizations_unavailable = True
    try:
        saved = rare_earth.call(company, "SaveRegistration", registration_request("身份服务中断公司"))
    finally:
        rare_earth.identity.organizations_unavailable = False
    assert saved.status == registration_pb.Registration.DRAFT and saved.uscc == ""
    again = rare_earth.call(company, "SaveRegistration", registration_request("身份服务中断公司"))
    assert again.id == saved.id and again.uscc == company.uscc
