"""Several users under one organisation code (ccc_exemption_manual §1.1, §3): the form filled from the earlier
registration, a PENDING membership the organisation's admin decides, shared fields changed once for all."""

from __future__ import annotations

import grpc

from protos.identity.v1 import accounts_pb2, organizations_pb2, registration_pb2
from services.identity.tests import support
from services.identity.tests.support import Person


def _owner_with_shared_fields(identity) -> Person:
    owner = identity.register_legal_person()
    identity.login(owner)
    identity.call("UpdateOrganization", organizations_pb2.UpdateOrganizationRequest(
        id=owner.organization_id, postcode="518000", address="深圳市南山区科技园1号", remark="进口设备专用"),
        owner.access)
    return owner


def _register_user(identity, uscc: str, **overrides) -> tuple[Person, registration_pb2.Registration]:
    user = Person(login_name=support.login_name("ccc"), phone=support.phone(), email=support.email())
    code = identity.send_code(user.email, "REGISTER", "EMAIL")
    request = registration_pb2.RegisterOrganizationUserRequest(
        login_name=user.login_name, password=user.password, uscc=uscc, name="李联系", phone=user.phone,
        email=user.email, email_code=code, agreement_accepted=True)
    for key, value in overrides.items():
        setattr(request, key, value)
    registered = identity.call("RegisterOrganizationUser", request)
    user.account_id = registered.account_id
    return user, registered


def test_the_registration_form_is_filled_with_the_shared_fields_only(identity):
    owner = _owner_with_shared_fields(identity)
    found = identity.call("LookupOrganization", registration_pb2.LookupOrganizationRequest(uscc=owner.uscc))
    assert (found.organization_id, found.name, found.postcode, found.address, found.remark) == (
        owner.organization_id, owner.organization_name, "518000", "深圳市南山区科技园1号", "进口设备专用")
    assert found.organization_code == owner.uscc[8:17]
    shown = str(found)
    assert owner.phone not in shown and owner.email not in shown and owner.id_number[-4:] not in shown
    unknown = identity.refused("LookupOrganization", registration_pb2.LookupOrganizationRequest(uscc=support.uscc()))
    assert unknown.code == grpc.StatusCode.NOT_FOUND
    malformed = identity.refused("LookupOrganization", registration_pb2.LookupOrganizationRequest(uscc="123"))
    assert malformed.code == grpc.StatusCode.INVALID_ARGUMENT and "uscc" in malformed.fields


def test_a_second_user_waits_for_the_admin_then_sees_the_shared_fields_the_admin_changes(identity):
    owner = _owner_with_shared_fields(identity)
    user, registered = _register_user(identity, owner.uscc)
    assert registered.organization_id == owner.organization_id and not registered.HasField("organization")
    assert registered.account.kind == "NATURAL_PERSON" and registered.account.email == user.email
    notices = [m for m in identity.outbox() if m.get("template") == "identity.agent.applied"]
    assert {"accountId": owner.account_id} in notices[-1]["recipients"]

    pending = identity.login(user)
    assert [(m.organization_id, m.status) for m in pending.organizations] == [(owner.organization_id, "PENDING")]
    assert pending.organization_id == ""
    hidden = identity.refused("GetOrganization", organizations_pb2.GetOrganizationRequest(id=owner.organization_id),
                              user.access)
    assert hidden.code == grpc.StatusCode.NOT_FOUND

    incoming = identity.call("ListAgentApplications", organizations_pb2.ListAgentApplicationsRequest(
        status="PENDING"), owner.access).agent_applications
    application = next(a for a in incoming if a.applicant_account_id == user.account_id)
    approved = identity.call("ApproveAgentApplication", organizations_pb2.DecideAgentApplicationRequest(
        id=application.id), owner.access)
    assert approved.status == "ACTIVE"

    identity.call("UpdateOrganization", organizations_pb2.UpdateOrganizationRequest(
        id=owner.organization_id, remark="仅限科研用途"), owner.access)
    identity.login(user, organization_id=owner.organization_id)
    seen = identity.call("GetOrganization", organizations_pb2.GetOrganizationRequest(id=owner.organization_id),
                         user.access)
    assert (seen.remark, seen.postcode, seen.address) == ("仅限科研用途", "518000", "深圳市南山区科技园1号")
    # Shared fields are the admin's to change; a user's own contact details are the user's alone.
    refused = identity.refused("UpdateOrganization", organizations_pb2.UpdateOrganizationRequest(
        id=owner.organization_id, remark="改"), user.access)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    identity.call("UpdateMe", accounts_pb2.UpdateMeRequest(name="李新名"), user.access)
    owner_me = identity.call("GetMe", accounts_pb2.GetMeRequest(), owner.access)
    assert owner_me.account.name == owner.legal_rep_name and owner_me.account.phone == owner.phone


def test_the_admin_may_reject_a_second_user(identity):
    owner = _owner_with_shared_fields(identity)
    user, _registered = _register_user(identity, owner.uscc)
    application = next(a for a in identity.call("ListAgentApplications", organizations_pb2.ListAgentApplicationsRequest(
        status="PENDING"), owner.access).agent_applications if a.applicant_account_id == user.account_id)
    rejected = identity.call("RejectAgentApplication", organizations_pb2.DecideAgentApplicationRequest(
        id=application.id, reason="非本单位员工"), owner.access)
    assert rejected.status == "REJECTED"
    session = identity.login(user)
    assert [m.status for m in session.organizations] == ["REJECTED"]


def test_registration_under_a_uscc_names_each_bad_field_and_refuses_an_unknown_uscc(identity):
    empty = identity.refused("RegisterOrganizationUser", registration_pb2.RegisterOrganizationUserRequest())
    assert empty.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"loginName", "password", "phone", "uscc", "name", "email", "emailCode",
            "agreementAccepted"} <= set(empty.fields)
    address = support.email()
    code = identity.send_code(address, "REGISTER", "EMAIL")
    unknown = identity.refused("RegisterOrganizationUser", registration_pb2.RegisterOrganizationUserRequest(
        login_name=support.login_name("ccc"), password=support.PASSWORD, uscc=support.uscc(), name="某人",
        phone=support.phone(), email=address, email_code=code, agreement_accepted=True))
    assert unknown.code == grpc.StatusCode.INVALID_ARGUMENT and list(unknown.fields) == ["uscc"]


def test_registration_under_a_uscc_refuses_a_taken_login_name_and_a_wrong_code(identity):
    owner = identity.register_legal_person()
    address = support.email()
    code = identity.send_code(address, "REGISTER", "EMAIL")
    body = dict(password=support.PASSWORD, uscc=owner.uscc, name="某人", phone=support.phone(), email=address,
                agreement_accepted=True)
    taken = identity.refused("RegisterOrganizationUser", registration_pb2.RegisterOrganizationUserRequest(
        login_name=owner.login_name, email_code=code, **body))
    assert taken.code == grpc.StatusCode.ALREADY_EXISTS
    wrong = identity.refused("RegisterOrganizationUser", registration_pb2.RegisterOrganizationUserRequest(
        login_name=support.login_name("ccc"), email_code=support.other_code(code), **body))
    assert wrong.code == grpc.StatusCode.INVALID_ARGUMENT and "emailCode" in wrong.fields


def test_shared_fields_are_checked_when_the_admin_changes_them(identity):
    owner = identity.register_legal_person()
    identity.login(owner)
    bad = identity.refused("UpdateOrganization", organizations_pb2.UpdateOrganizationRequest(
        id=owner.organization_id, remark="备" * 501, postcode="12345"), owner.access)
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and {"remark", "postcode"} <= set(bad.fields)
