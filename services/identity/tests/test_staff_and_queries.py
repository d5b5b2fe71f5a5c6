"""Staff and admins, the audit log, and what other services ask identity over gRPC."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import field_mask_pb2

from protos.common.v1 import audit_pb2
from protos.identity.v1 import accounts_pb2, directory_pb2, organizations_pb2, sessions_pb2, staff_pb2
from services.identity.cli import ensure_admin_from_env, seed_demo
from services.identity.tests import support
from services.identity.tests.support import Person


def _admin(identity, monkeypatch) -> Person:
    admin = Person(login_name="platformadmin", phone="13800000000", email="")
    admin.password = "Admin2026"
    monkeypatch.setenv("TONGBAN_ADMIN_LOGIN", admin.login_name)
    monkeypatch.setenv("TONGBAN_ADMIN_PASSWORD", admin.password)
    monkeypatch.setenv("TONGBAN_ADMIN_PHONE", admin.phone)
    assert ensure_admin_from_env(identity.context, []) == 0
    assert ensure_admin_from_env(identity.context, []) == 0  # idempotent
    identity.login(admin)
    return admin


def test_ensure_admin_has_no_defaults_outside_dev(identity, monkeypatch, capsys):
    for name in ("TONGBAN_ADMIN_LOGIN", "TONGBAN_ADMIN_PASSWORD", "TONGBAN_ADMIN_PHONE"):
        monkeypatch.delenv(name, raising=False)
    assert not identity.context.settings.is_dev
    assert ensure_admin_from_env(identity.context, []) == 2
    assert "TONGBAN_ADMIN_PASSWORD" in capsys.readouterr().err


def test_admin_creates_staff_who_log_in_with_agency_claims(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    staff = Person(login_name=support.login_name("staff"), phone=support.phone(), email="")
    created = identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
        login_name=staff.login_name, password=staff.password, name="审核员", phone=staff.phone,
        agency="LOCAL_AUTHORITY:110000", roles=["REVIEWER"]), admin.access)
    assert created.kind == "STAFF" and list(created.systems) == ["rare_earth"]
    session = identity.login(staff)
    claims = identity.claims(session.access_token)
    assert claims["agency"] == "LOCAL_AUTHORITY:110000" and claims["roles"] == ["STAFF", "REVIEWER"]
    assert claims["scopes"] == ["rare_earth"] and claims["kind"] == "STAFF"
    refused = identity.refused("CreateStaff", staff_pb2.CreateStaffRequest(
        login_name=support.login_name("staff"), password="abc12345", name="x", phone=support.phone(),
        agency="MIIT_RE_OFFICE"), staff.access)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    bad = identity.refused("CreateStaff", staff_pb2.CreateStaffRequest(agency="NASA"), admin.access)
    assert {"loginName", "password", "name", "phone", "agency"} <= set(bad.fields)


def test_admin_edits_a_staff_account_and_the_audit_log_keeps_before_and_after(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    staff = Person(login_name=support.login_name("staff"), phone=support.phone(), email="")
    created = identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
        login_name=staff.login_name, password=staff.password, name="审核员", phone=staff.phone,
        agency="LOCAL_AUTHORITY:110000", roles=["REVIEWER"]), admin.access)
    new_phone = support.phone()
    updated = identity.call("UpdateStaff", staff_pb2.UpdateStaffRequest(
        id=created.id, name="复核员", phone=new_phone, agency="CIQ:110000", roles=["FIRST_REVIEW"]), admin.access)
    assert (updated.name, updated.phone, updated.agency, list(updated.roles)) == (
        "复核员", new_phone, "CIQ:110000", ["FIRST_REVIEW"])
    # The systems came with the old agency, so they follow the new one.
    assert "rare_earth" not in updated.systems and list(updated.systems)
    events = identity.call("ListAuditEvents", staff_pb2.ListAuditEventsRequest(
        account_id=created.id, action="STAFF_UPDATED"), admin.access).audit_events
    change = json.loads(events[0].detail)
    assert change["name"] == {"before": "审核员", "after": "复核员"}
    assert change["phone"] == {"before": staff.phone, "after": new_phone}
    assert change["roles"] == {"before": ["REVIEWER"], "after": ["FIRST_REVIEW"]}
    assert events[0].actor_id == identity.claims(admin.access)["sub"]
    # Only a mask naming roles clears them; fields left out of the mask stay.
    cleared = identity.call("UpdateStaff", staff_pb2.UpdateStaffRequest(
        id=created.id, name="不改", update_mask=field_mask_pb2.FieldMask(paths=["roles"])), admin.access)
    assert list(cleared.roles) == [] and cleared.name == "复核员"
    moved = Person(login_name=staff.login_name, phone=new_phone, email="")
    session = identity.login(moved)
    assert identity.claims(session.access_token)["agency"] == "CIQ:110000"
    # Staff use the platform's own entrance, not an institution's or an enterprise's.
    at_enterprise = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=moved.login_name, password=moved.password, sms_code=identity.send_code(moved.login_name, "LOGIN"),
        entrance="ENTERPRISE"))
    assert at_enterprise.code == grpc.StatusCode.PERMISSION_DENIED and at_enterprise.reason == "WRONG_ENTRANCE"


def test_staff_edits_are_checked_as_at_creation_and_only_for_staff_by_the_admin(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    staff = Person(login_name=support.login_name("staff"), phone=support.phone(), email="")
    created = identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
        login_name=staff.login_name, password=staff.password, name="审核员", phone=staff.phone,
        agency="MIIT_RE_OFFICE"), admin.access)
    bad = identity.refused("UpdateStaff", staff_pb2.UpdateStaffRequest(
        id=created.id, phone="12345", agency="NASA", roles=["lower"]), admin.access)
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and {"phone", "agency", "roles"} <= set(bad.fields)
    emptied = identity.refused("UpdateStaff", staff_pb2.UpdateStaffRequest(
        id=created.id, update_mask=field_mask_pb2.FieldMask(paths=["name"])), admin.access)
    assert "name" in emptied.fields
    unknown_field = identity.refused("UpdateStaff", staff_pb2.UpdateStaffRequest(
        id=created.id, update_mask=field_mask_pb2.FieldMask(paths=["password"])), admin.access)
    assert "updateMask" in unknown_field.fields
    nothing = identity.refused("UpdateStaff", staff_pb2.UpdateStaffRequest(id=created.id), admin.access)
    assert "updateMask" in nothing.fields
    owner = identity.register_legal_person()
    not_staff = identity.refused("UpdateStaff", staff_pb2.UpdateStaffRequest(id=owner.account_id, name="某"),
                                 admin.access)
    assert not_staff.code == grpc.StatusCode.NOT_FOUND
    identity.login(owner)
    by_owner = identity.refused("UpdateStaff", staff_pb2.UpdateStaffRequest(id=created.id, name="某"), owner.access)
    assert by_owner.code == grpc.StatusCode.PERMISSION_DENIED


def test_audit_log_records_logins_failures_and_grants_searchable_with_paging(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    person = identity.register_legal_person()
    with pytest.raises(grpc.RpcError):
        identity.call("CreateSession", sessions_pb2.CreateSessionRequest(
            identifier=person.login_name, password="Bad12345", sms_code="123456"),
            metadata=[("x-forwarded-for", "203.0.113.9"), ("user-agent", "probe/1.0")])
    identity.login(person)
    events = identity.call("ListAuditEvents", staff_pb2.ListAuditEventsRequest(account_id=person.account_id,
                                                                               action="LOGIN"), admin.access)
    results = [e.result for e in events.audit_events]
    assert "SUCCESS" in results and "FAILURE" in results
    failure = next(e for e in events.audit_events if e.result == "FAILURE")
    assert failure.client_ip == "203.0.113.9"
    page = identity.call("ListAuditEvents", staff_pb2.ListAuditEventsRequest(page_size=1), admin.access)
    assert len(page.audit_events) == 1 and page.next_page_token and page.total_size > 1
    refused = identity.refused("ListAuditEvents", staff_pb2.ListAuditEventsRequest(), person.access)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED


def test_a_refused_login_is_in_the_audit_trail_as_refused_with_its_event_and_the_chain_holds(identity, monkeypatch):
    from services.chassis import audit

    admin = _admin(identity, monkeypatch)
    person = identity.register_legal_person()
    with pytest.raises(grpc.RpcError):
        identity.call("CreateSession", sessions_pb2.CreateSessionRequest(
            identifier=person.login_name, password="Bad12345", sms_code="123456"))
    trail = identity.call("ListAuditTrail", audit_pb2.ListAuditTrailRequest(actor_id=person.account_id),
                          admin.access).events
    [event] = [e for e in trail if e.action == "event/LOGIN"]
    assert (event.result_code, event.result_reason, event.record_id) == (
        "UNAUTHENTICATED", "INVALID_CREDENTIALS", person.account_id)
    logins = identity.call("ListAuditTrail", audit_pb2.ListAuditTrailRequest(action="CreateSession"),
                           admin.access).events
    refused = next(e for e in logins if e.request_id == event.request_id)
    assert (refused.result_code, refused.result_reason) == ("UNAUTHENTICATED", "INVALID_CREDENTIALS")
    with identity.context.unit_of_work(read_only=True) as uow:
        assert audit.verify(uow.session, identity.context.tables.audit).ok


def test_resolve_recipients_gives_owner_and_scoped_active_members_once(identity):
    from services.identity.tests.test_organizations import _approved_agent, _owner

    owner = _owner(identity)
    scoped = _approved_agent(identity, owner, scopes=["origin_cert"])
    _unscoped = _approved_agent(identity, owner)
    response = identity.call("ResolveRecipients", directory_pb2.ResolveRecipientsRequest(queries=[
        directory_pb2.RecipientQuery(organization_id=owner.organization_id, scope="origin_cert"),
        directory_pb2.RecipientQuery(account_id=owner.account_id)]))
    assert sorted(r.account_id for r in response.recipients) == sorted([owner.account_id, scoped.account_id])
    assert {r.phone for r in response.recipients} == {owner.phone, scoped.phone}
    identity.call("DisableMember", organizations_pb2.MemberActionRequest(organization_id=owner.organization_id,
                                                                         account_id=scoped.account_id), owner.access)
    response = identity.call("ResolveRecipients", directory_pb2.ResolveRecipientsRequest(queries=[
        directory_pb2.RecipientQuery(organization_id=owner.organization_id, scope="origin_cert")]))
    assert [r.account_id for r in response.recipients] == [owner.account_id]


def test_resolve_recipients_reaches_the_active_staff_of_an_agency_and_nobody_else(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    # An agency code only this test uses, so staff made by other tests do not show up.
    agency = f"LOCAL_AUTHORITY:{support.phone()[-6:]}"
    desk = []
    for label in ("desk1", "desk2"):
        person = Person(login_name=support.login_name(label), phone=support.phone(), email="")
        created = identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
            login_name=person.login_name, password=person.password, name="审核员", phone=person.phone,
            agency=agency), admin.access)
        desk.append(created)
    elsewhere = Person(login_name=support.login_name("other"), phone=support.phone(), email="")
    identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
        login_name=elsewhere.login_name, password=elsewhere.password, name="审核员", phone=elsewhere.phone,
        agency="RE_OPERATOR"), admin.access)
    response = identity.call("ResolveRecipients", directory_pb2.ResolveRecipientsRequest(queries=[
        directory_pb2.RecipientQuery(agency=agency)]))
    assert sorted(r.account_id for r in response.recipients) == sorted(a.id for a in desk)
    assert all(r.phone for r in response.recipients)


def test_list_audience_pages_through_organisations(identity):
    from services.identity.tests.test_organizations import _approved_agent, _owner

    owner = _owner(identity)
    agent = _approved_agent(identity, owner)
    first = identity.call("ListAudience", directory_pb2.ListAudienceRequest(
        kind=directory_pb2.ORGANIZATIONS, organization_ids=[owner.organization_id], page_size=1))
    second = identity.call("ListAudience", directory_pb2.ListAudienceRequest(
        kind=directory_pb2.ORGANIZATIONS, organization_ids=[owner.organization_id], page_size=1,
        page_token=first.next_page_token))
    assert first.next_page_token and not second.next_page_token
    assert {r.account_id for r in [*first.recipients, *second.recipients]} == {owner.account_id, agent.account_id}
    everyone = identity.call("ListAudience", directory_pb2.ListAudienceRequest(kind=directory_pb2.SYSTEM,
                                                                               system="inspection",
                                                                               page_size=200))
    ids = {r.account_id for r in everyone.recipients}
    assert owner.account_id in ids and agent.account_id not in ids


def test_get_account_and_batch_get_organizations(identity):
    person = identity.register_legal_person()
    account = identity.call("GetAccount", directory_pb2.GetAccountRequest(id=person.account_id))
    assert account.login_name == person.login_name and account.phone == person.phone
    found = identity.call("BatchGetOrganizations", directory_pb2.BatchGetOrganizationsRequest(
        ids=[person.organization_id, "missing"]))
    assert [o.id for o in found.organizations] == [person.organization_id]
    missing = identity.refused("GetAccount", directory_pb2.GetAccountRequest(id="missing"))
    assert missing.code == grpc.StatusCode.NOT_FOUND


def test_seed_demo_is_idempotent_and_its_logins_work(identity, capsys):
    assert seed_demo(identity.context, []) == 0
    assert seed_demo(identity.context, []) == 0
    assert "demo_enterprise" in capsys.readouterr().out
    agent = Person(login_name="demo_agent", phone="13900000002", email="", password="Demo2026")
    session = identity.login(agent)
    [membership] = session.organizations
    assert membership.role == "AGENT" and sorted(membership.scopes) == ["origin_cert", "rare_earth"]
    staff = Person(login_name="demo_re_office", phone="13900000003", email="", password="Demo2026")
    assert identity.login(staff).account.agency == "MIIT_RE_OFFICE"


def test_the_admin_disables_an_account_which_then_cannot_log_in_or_refresh_until_enabled(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    person = identity.register_legal_person()
    session = identity.login(person)
    disabled = identity.call("DisableAccount", staff_pb2.AccountActionRequest(id=person.account_id, reason="冒用"),
                             admin.access)
    assert disabled.status == "DISABLED"
    refresh = identity.refused("RefreshSession",
                               sessions_pb2.RefreshSessionRequest(refresh_token=session.refresh_token))
    assert refresh.code == grpc.StatusCode.UNAUTHENTICATED
    code = identity.send_code(person.login_name, "LOGIN")
    login = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code=code))
    assert login.code == grpc.StatusCode.PERMISSION_DENIED
    identity.age_codes(person.phone)

    enabled = identity.call("EnableAccount", staff_pb2.AccountActionRequest(id=person.account_id), admin.access)
    assert enabled.status == "ACTIVE"
    assert identity.login(person).access_token
    events = identity.call("ListAuditEvents", staff_pb2.ListAuditEventsRequest(account_id=person.account_id,
                                                                               action="ACCOUNT_DISABLED"), admin.access)
    assert [e.detail for e in events.audit_events] == ["冒用"]


def test_only_the_admin_switches_accounts_and_never_its_own(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    person = identity.register_legal_person()
    identity.login(person)
    own_id = identity.call("GetMe", accounts_pb2.GetMeRequest(), admin.access).account.id
    by_owner = identity.refused("DisableAccount", staff_pb2.AccountActionRequest(id=own_id), person.access)
    assert by_owner.code == grpc.StatusCode.PERMISSION_DENIED
    itself = identity.refused("DisableAccount", staff_pb2.AccountActionRequest(id=own_id), admin.access)
    assert itself.code == grpc.StatusCode.FAILED_PRECONDITION
    unknown = identity.refused("EnableAccount", staff_pb2.AccountActionRequest(id="no-such-account"), admin.access)
    assert unknown.code == grpc.StatusCode.NOT_FOUND


def test_the_admin_lists_staff_by_agency_a_page_at_a_time(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    agency = f"CIQ:{support.phone()[-6:]}"
    created = []
    for label in ("ciqa", "ciqb", "ciqc"):
        person = Person(login_name=support.login_name(label), phone=support.phone(), email="")
        created.append(identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
            login_name=person.login_name, password=person.password, name="检验员", phone=person.phone,
            agency=agency), admin.access).id)
    first = identity.call("ListStaff", staff_pb2.ListStaffRequest(agency=agency, page_size=2), admin.access)
    assert first.total_size == 3 and len(first.staff) == 2 and first.next_page_token
    rest = identity.call("ListStaff", staff_pb2.ListStaffRequest(agency=agency, page_size=2,
                                                                 page_token=first.next_page_token), admin.access)
    assert sorted(a.id for a in [*first.staff, *rest.staff]) == sorted(created)
    assert all(a.agency == agency and a.kind == "STAFF" for a in [*first.staff, *rest.staff])
    outsider = identity.register_legal_person()
    identity.login(outsider)
    assert identity.refused("ListStaff", staff_pb2.ListStaffRequest(), outsider.access).code == \
        grpc.StatusCode.PERMISSION_DENIED
