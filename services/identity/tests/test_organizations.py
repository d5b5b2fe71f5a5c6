"""Agent applications, scopes (授权管理), member management, transfer of admin, visibility."""

from __future__ import annotations

import grpc

from protos.identity.v1 import directory_pb2, organizations_pb2, sessions_pb2
from services.identity.tests import support


def _approved_agent(identity, owner, scopes=()):
    agent = identity.register_natural_person()
    identity.login(agent)
    application = identity.call("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=owner.organization_name, uscc=owner.uscc), agent.access)
    identity.call("ApproveAgentApplication", organizations_pb2.DecideAgentApplicationRequest(id=application.id),
                  owner.access)
    if scopes:
        identity.call("SetMemberScopes", organizations_pb2.SetMemberScopesRequest(
            organization_id=owner.organization_id, account_id=agent.account_id, scopes=list(scopes)), owner.access)
    return agent


def _owner(identity):
    owner = identity.register_legal_person()
    identity.login(owner)
    return owner


def test_agent_applies_owner_is_notified_approves_and_applicant_is_notified(identity):
    owner = _owner(identity)
    agent = identity.register_natural_person()
    identity.login(agent)
    application = identity.call("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=owner.organization_name, uscc=owner.uscc), agent.access)
    assert application.status == "PENDING" and application.organization_id == owner.organization_id
    notices = [m for m in identity.outbox() if m.get("template") == "identity.agent.applied"]
    assert {"accountId": owner.account_id} in notices[-1]["recipients"]
    incoming = identity.call("ListAgentApplications", organizations_pb2.ListAgentApplicationsRequest(status="PENDING"),
                             owner.access)
    assert [a.id for a in incoming.agent_applications] == [application.id] and incoming.total_size == 1
    own = identity.call("ListAgentApplications", organizations_pb2.ListAgentApplicationsRequest(), agent.access)
    assert [a.id for a in own.agent_applications] == [application.id]
    approved = identity.call("ApproveAgentApplication",
                             organizations_pb2.DecideAgentApplicationRequest(id=application.id),
                             owner.access)
    assert approved.status == "ACTIVE"
    decided = [m for m in identity.outbox() if m.get("template") == "identity.agent.approved"]
    assert decided[-1]["recipients"] == [{"accountId": agent.account_id}]
    again = identity.refused("ApproveAgentApplication",
                             organizations_pb2.DecideAgentApplicationRequest(id=application.id),
                             owner.access)
    assert again.code == grpc.StatusCode.FAILED_PRECONDITION


def test_approved_agent_has_no_scopes_until_granted_and_then_only_those(identity):
    owner = _owner(identity)
    agent = _approved_agent(identity, owner)
    check = identity.call("CheckScope", directory_pb2.CheckScopeRequest(account_id=agent.account_id,
                                                                        organization_id=owner.organization_id,
                                                                        scope="rare_earth"))
    assert not check.allowed and check.reason == "SCOPE_NOT_GRANTED"
    member = identity.call("SetMemberScopes", organizations_pb2.SetMemberScopesRequest(
        organization_id=owner.organization_id, account_id=agent.account_id, scopes=["rare_earth"]), owner.access)
    assert list(member.scopes) == ["rare_earth"]
    session = identity.login(agent, organization_id=owner.organization_id)
    claims = identity.claims(session.access_token)
    assert claims["scopes"] == ["rare_earth"] and claims["roles"] == ["AGENT"]
    assert identity.call("CheckScope", directory_pb2.CheckScopeRequest(
        account_id=agent.account_id, organization_id=owner.organization_id, scope="rare_earth")).allowed
    assert not identity.call("CheckScope", directory_pb2.CheckScopeRequest(
        account_id=agent.account_id, organization_id=owner.organization_id, scope="inspection")).allowed
    bad = identity.refused("SetMemberScopes", organizations_pb2.SetMemberScopesRequest(
        organization_id=owner.organization_id, account_id=agent.account_id, scopes=["moon"]), owner.access)
    assert "scopes" in bad.fields


def test_rejection_tells_the_applicant_and_they_may_apply_again(identity):
    owner = _owner(identity)
    agent = identity.register_natural_person()
    identity.login(agent)
    application = identity.call("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=owner.organization_name, uscc=owner.uscc), agent.access)
    rejected = identity.call("RejectAgentApplication", organizations_pb2.DecideAgentApplicationRequest(
        id=application.id, reason="不认识此人"), owner.access)
    assert rejected.status == "REJECTED" and rejected.reason == "不认识此人"
    notice = [m for m in identity.outbox() if m.get("template") == "identity.agent.rejected"][-1]
    assert notice["params"]["reason"] == "不认识此人"
    again = identity.call("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=owner.organization_name, uscc=owner.uscc), agent.access)
    assert again.status == "PENDING"


def test_application_refusals_name_the_field(identity):
    owner = _owner(identity)
    agent = identity.register_natural_person()
    identity.login(agent)
    wrong_name = identity.refused("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name="别的公司", uscc=owner.uscc), agent.access)
    assert "organizationName" in wrong_name.fields
    unknown = identity.refused("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name="某公司", uscc=support.uscc()), agent.access)
    assert "uscc" in unknown.fields
    not_natural = identity.refused("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=owner.organization_name, uscc=owner.uscc), owner.access)
    assert not_natural.code == grpc.StatusCode.PERMISSION_DENIED


def test_a_disabled_member_loses_scopes_at_once_and_its_refresh_fails(identity):
    owner = _owner(identity)
    agent = _approved_agent(identity, owner, scopes=["rare_earth"])
    session = identity.login(agent, organization_id=owner.organization_id)
    disabled = identity.call("DisableMember", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=agent.account_id), owner.access)
    assert disabled.status == "DISABLED"
    check = identity.call("CheckScope", directory_pb2.CheckScopeRequest(
        account_id=agent.account_id, organization_id=owner.organization_id, scope="rare_earth"))
    assert not check.allowed and check.reason == "MEMBER_NOT_ACTIVE"
    failure = identity.refused("RefreshSession",
                               sessions_pb2.RefreshSessionRequest(refresh_token=session.refresh_token))
    assert failure.code == grpc.StatusCode.UNAUTHENTICATED and failure.reason == "MEMBERSHIP_NOT_ACTIVE"
    enabled = identity.call("EnableMember", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=agent.account_id), owner.access)
    assert enabled.status == "ACTIVE"
    removed = identity.call("RemoveMember", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=agent.account_id), owner.access)
    assert removed.status == "REMOVED"
    twice = identity.refused("RemoveMember", organizations_pb2.MemberActionRequest(
        organization_id=owner.organization_id, account_id=agent.account_id), owner.access)
    assert twice.code == grpc.StatusCode.NOT_FOUND


def test_members_are_listed_with_paging_for_managers_only(identity):
    owner = _owner(identity)
    agents = [_approved_agent(identity, owner, scopes=["inspection"]) for _ in range(2)]
    first = identity.call("ListMembers", organizations_pb2.ListMembersRequest(organization_id=owner.organization_id,
                                                                              page_size=2), owner.access)
    assert first.total_size == 3 and len(first.members) == 2 and first.next_page_token
    second = identity.call("ListMembers", organizations_pb2.ListMembersRequest(
        organization_id=owner.organization_id, page_size=2, page_token=first.next_page_token), owner.access)
    ids = {m.account_id for m in [*first.members, *second.members]}
    assert ids == {owner.account_id, *(a.account_id for a in agents)} and not second.next_page_token
    agent = agents[0]
    identity.login(agent, organization_id=owner.organization_id)
    refused = identity.refused("ListMembers",
                               organizations_pb2.ListMembersRequest(organization_id=owner.organization_id),
                               agent.access)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    outsider = _owner(identity)
    hidden = identity.refused("GetOrganization", organizations_pb2.GetOrganizationRequest(id=owner.organization_id),
                              outsider.access)
    assert hidden.code == grpc.StatusCode.NOT_FOUND


def test_transfer_admin_makes_the_old_admin_an_agent(identity):
    owner = _owner(identity)
    first, second = (_approved_agent(identity, owner) for _ in range(2))
    members = identity.call("TransferAdmin", organizations_pb2.TransferAdminRequest(
        id=owner.organization_id, to_account_id=first.account_id), owner.access)
    roles = {m.account_id: m.role for m in members.members}
    assert roles[first.account_id] == "ADMIN"
    identity.login(first, organization_id=owner.organization_id)
    members = identity.call("TransferAdmin", organizations_pb2.TransferAdminRequest(
        id=owner.organization_id, to_account_id=second.account_id), first.access)
    roles = {m.account_id: m.role for m in members.members}
    assert roles[second.account_id] == "ADMIN" and roles[first.account_id] == "AGENT"
    assert roles[owner.account_id] == "OWNER"
    signer = identity.call("SetMemberRole", organizations_pb2.SetMemberRoleRequest(
        organization_id=owner.organization_id, account_id=first.account_id, role="SIGNER"), owner.access)
    assert signer.role == "SIGNER"


def test_organisation_fields_are_stored_once_and_seen_by_every_member(identity):
    owner = _owner(identity)
    agent = _approved_agent(identity, owner)
    identity.login(agent, organization_id=owner.organization_id)
    identity.call("UpdateOrganization", organizations_pb2.UpdateOrganizationRequest(
        id=owner.organization_id, address="上海市新地址8号"), owner.access)
    seen = identity.call("GetOrganization", organizations_pb2.GetOrganizationRequest(id=owner.organization_id),
                         agent.access)
    assert seen.address == "上海市新地址8号"
    refused = identity.refused("UpdateOrganization",
                               organizations_pb2.UpdateOrganizationRequest(id=owner.organization_id,
                                                                           address="x"), agent.access)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    bad = identity.refused("UpdateOrganization", organizations_pb2.UpdateOrganizationRequest(
        id=owner.organization_id, postcode="12"), owner.access)
    assert "postcode" in bad.fields


def test_switch_organization_issues_tokens_for_the_other_membership(identity):
    owner_a, owner_b = _owner(identity), _owner(identity)
    agent = _approved_agent(identity, owner_a, scopes=["rare_earth"])
    agent_b_application = identity.call("CreateAgentApplication", organizations_pb2.CreateAgentApplicationRequest(
        organization_name=owner_b.organization_name, uscc=owner_b.uscc), agent.access)
    identity.call("ApproveAgentApplication", organizations_pb2.DecideAgentApplicationRequest(id=agent_b_application.id),
                  owner_b.access)
    session = identity.login(agent, organization_id=owner_a.organization_id)
    switched = identity.call("SwitchOrganization", sessions_pb2.SwitchOrganizationRequest(
        organization_id=owner_b.organization_id, refresh_token=session.refresh_token), session.access_token)
    assert switched.organization_id == owner_b.organization_id
    assert identity.claims(switched.access_token)["scopes"] == []
    outsider = _owner(identity)
    refused = identity.refused("SwitchOrganization", sessions_pb2.SwitchOrganizationRequest(
        organization_id=outsider.organization_id), switched.access_token)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
