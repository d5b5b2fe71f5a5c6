"""Hand-signers (origin manual §1.2.1): created and deleted by the OWNER or ADMIN, the admin role transferred,
and the rule that an admin transfers before leaving."""

from __future__ import annotations

import grpc
from sqlalchemy import text

from protos.identity.v1 import accounts_pb2, organizations_pb2, sessions_pb2
from services.identity.tests import support
from services.identity.tests.test_organizations import _approved_agent, _owner


def _create_signer(identity, manager, organization_id, **overrides):
    person = support.Person(login_name=support.login_name("sign"), phone=support.phone(), email=support.email())
    fields = dict(organization_id=organization_id, login_name=person.login_name, password=person.password,
                  name="孙手签", phone=person.phone, email=person.email)
    fields.update(overrides)
    member = identity.call("CreateSigner", organizations_pb2.CreateSignerRequest(**fields), manager.access)
    person.account_id = member.account_id
    return person, member


def _admin(identity, owner):
    """An active member the OWNER made ADMIN, logged in for the organisation."""
    admin = _approved_agent(identity, owner, scopes=["origin_cert"])
    identity.call("TransferAdmin", organizations_pb2.TransferAdminRequest(
        id=owner.organization_id, to_account_id=admin.account_id), owner.access)
    identity.login(admin, organization_id=owner.organization_id)
    return admin


def _row(identity, account_id):
    with identity.context.engine.connect() as conn:
        return conn.execute(text("SELECT login_name, phone, name, password_hash, status FROM accounts WHERE id = :i"),
                            {"i": account_id}).one()


def test_an_admin_creates_a_signer_who_logs_in_as_signer_in_origin_cert_and_is_told(identity):
    owner = _owner(identity)
    admin = _admin(identity, owner)
    signer, member = _create_signer(identity, admin, owner.organization_id)
    assert (member.role, member.status, list(member.scopes)) == ("SIGNER", "ACTIVE", ["origin_cert"])
    session = identity.login(signer)
    claims = identity.claims(session.access_token)
    assert claims["org"] == owner.organization_id and claims["roles"] == ["SIGNER"]
    assert claims["scopes"] == ["origin_cert"]
    told = [m for m in identity.outbox() if m.get("template") == "identity.signer.created"][-1]
    assert told["recipients"] == [{"accountId": signer.account_id}]
    assert told["params"]["loginName"] == signer.login_name
    listed = identity.call("ListMembers", organizations_pb2.ListMembersRequest(
        organization_id=owner.organization_id, role="SIGNER"), admin.access)
    assert [m.account_id for m in listed.members] == [signer.account_id] and listed.total_size == 1


def test_signer_creation_is_for_managers_and_names_each_bad_field(identity):
    owner = _owner(identity)
    signer, _member = _create_signer(identity, owner, owner.organization_id)
    identity.login(signer)
    by_signer = identity.refused("CreateSigner", organizations_pb2.CreateSignerRequest(
        organization_id=owner.organization_id, login_name=support.login_name("x"), password="Passw0rd1",
        name="某人", phone=support.phone()), signer.access)
    assert by_signer.code == grpc.StatusCode.PERMISSION_DENIED
    outsider = _owner(identity)
    hidden = identity.refused("CreateSigner", organizations_pb2.CreateSignerRequest(
        organization_id=owner.organization_id, login_name=support.login_name("x"), password="Passw0rd1",
        name="某人", phone=support.phone()), outsider.access)
    assert hidden.code == grpc.StatusCode.NOT_FOUND
    bad = identity.refused("CreateSigner", organizations_pb2.CreateSignerRequest(
        organization_id=owner.organization_id, login_name="ab", password="short", name="", phone="12",
        scopes=["moon"]), owner.access)
    assert set(bad.fields) == {"loginName", "password", "name", "phone", "scopes"}
    taken = identity.refused("CreateSigner", organizations_pb2.CreateSignerRequest(
        organization_id=owner.organization_id, login_name=signer.login_name, password="Passw0rd1", name="某人",
        phone=support.phone()), owner.access)
    assert taken.code == grpc.StatusCode.ALREADY_EXISTS and taken.metadata["field"] == "loginName"


def test_deleting_a_signer_erases_the_account_not_only_the_membership(identity):
    owner = _owner(identity)
    admin = _admin(identity, owner)
    signer, _member = _create_signer(identity, admin, owner.organization_id)
    session = identity.login(signer)
    disabled = identity.call("DisableMember", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=signer.account_id), admin.access)
    assert disabled.status == "DISABLED"
    deleted = identity.call("DeleteMemberAccount", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=signer.account_id), admin.access)
    assert deleted.status == "REMOVED"
    assert tuple(_row(identity, signer.account_id)) == (None, None, "", None, "DELETED")
    events = [m for m in identity.outbox() if m["routing_key"] == "identity.account.deleted"]
    assert events[-1]["accountId"] == signer.account_id and events[-1]["organizationIds"] == [owner.organization_id]
    told = [m for m in identity.outbox() if m.get("template") == "identity.account.deleted"][-1]
    assert told["recipients"] == [{"phone": signer.phone}]
    assert identity.refused("RefreshSession", sessions_pb2.RefreshSessionRequest(
        refresh_token=session.refresh_token)).code == grpc.StatusCode.UNAUTHENTICATED
    again = identity.refused("DeleteMemberAccount", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=signer.account_id), admin.access)
    assert again.code == grpc.StatusCode.NOT_FOUND


def test_an_admin_transfers_before_leaving_and_the_new_admin_deletes_the_old_account(identity):
    owner = _owner(identity)
    admin = _admin(identity, owner)
    refused = identity.refused("DeleteMemberAccount", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=admin.account_id), owner.access)
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "ADMIN_MUST_TRANSFER"
    code = identity.send_code("", "DELETE_ACCOUNT", token=admin.access)
    leaving = identity.refused("DeleteMe", accounts_pb2.DeleteMeRequest(sms_code=code), admin.access)
    assert leaving.reason == "ADMIN_MUST_TRANSFER" and "转移管理员身份" in leaving.message
    successor, _member = _create_signer(identity, admin, owner.organization_id)
    members = identity.call("TransferAdmin", organizations_pb2.TransferAdminRequest(
        id=owner.organization_id, to_account_id=successor.account_id, former_admin_role="SIGNER"), admin.access)
    roles = {m.account_id: m.role for m in members.members}
    assert roles[successor.account_id] == "ADMIN" and roles[admin.account_id] == "SIGNER"
    told = [m for m in identity.outbox() if m.get("template") == "identity.admin.transferred"][-1]
    assert told["recipients"] == [{"accountId": successor.account_id}]
    identity.login(successor, organization_id=owner.organization_id)
    identity.call("DeleteMemberAccount", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=admin.account_id), successor.access)
    assert _row(identity, admin.account_id).status == "DELETED"
    bad_role = identity.refused("TransferAdmin", organizations_pb2.TransferAdminRequest(
        id=owner.organization_id, to_account_id=owner.account_id, former_admin_role="OWNER"), successor.access)
    assert "formerAdminRole" in bad_role.fields


def test_a_member_of_another_organisation_is_removed_here_but_its_account_is_kept(identity):
    first, second = _owner(identity), _owner(identity)
    agent = _approved_agent(identity, first)
    application = identity.call("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=second.organization_name, uscc=second.uscc), agent.access)
    identity.call("ApproveAgentApplication", organizations_pb2.DecideAgentApplicationRequest(id=application.id),
                  second.access)
    shared = identity.refused("DeleteMemberAccount", organizations_pb2.MemberActionRequest(
        organization_id=first.organization_id, account_id=agent.account_id), first.access)
    assert shared.reason == "ACCOUNT_SHARED"
    assert _row(identity, agent.account_id).status == "ACTIVE"


def test_a_departing_owner_hands_administration_over_and_the_admin_keeps_managing(identity):
    owner = _owner(identity)
    signer, _member = _create_signer(identity, owner, owner.organization_id)
    code = identity.send_code("", "DELETE_ACCOUNT", token=owner.access)
    refused = identity.refused("DeleteMe", accounts_pb2.DeleteMeRequest(sms_code=code), owner.access)
    assert refused.reason == "ORGANIZATION_HAS_MEMBERS" and "移交" in refused.message
    admin = _admin(identity, owner)
    identity.age_codes(owner.phone)
    code = identity.send_code("", "DELETE_ACCOUNT", token=owner.access)
    identity.call("DeleteMe", accounts_pb2.DeleteMeRequest(sms_code=code), owner.access)
    assert _row(identity, owner.account_id).status == "DELETED"
    members = identity.call("ListMembers", organizations_pb2.ListMembersRequest(
        organization_id=owner.organization_id), admin.access)
    assert {m.account_id for m in members.members} == {admin.account_id, signer.account_id}
