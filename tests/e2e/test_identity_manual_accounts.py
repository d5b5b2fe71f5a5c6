"""Accounts as the manuals expect them, through the gateway: several users under one organisation code
(CNCA), the institution and enterprise entrances (GACC), account recovery checking every field it takes,
and the platform admin editing a staff account."""

from __future__ import annotations

import pytest

from services.identity.handlers.accounts import MISMATCH
from tests.e2e.test_identity_flows import (
    PASSWORD,
    Recorder,
    _code,
    _email,
    _get,
    _login,
    _login_name,
    _phone,
    _post,
    _register_legal_person,
)

pytestmark = pytest.mark.e2e


def _patch(stack, path, body, token):
    return Recorder.call("PATCH", f"{stack.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"})


def _application_of(stack, token, account_id) -> str:
    incoming = _get(stack, "/v1/identity/agent-applications", token, status="PENDING")
    assert incoming.status_code == 200, incoming.text
    return next(a["id"] for a in incoming.json()["agentApplications"] if a["applicantAccountId"] == account_id)


def test_a_second_user_registers_from_the_prefilled_form_is_approved_and_shares_the_remark(stack):
    owner = _register_legal_person(stack)
    owner_token = _login(stack, owner)["accessToken"]
    org = owner["organizationId"]
    shared = {"postcode": "518000", "address": "深圳市南山区科技园1号", "remark": "进口设备专用"}
    assert _patch(stack, f"/v1/identity/organizations/{org}", shared, owner_token).status_code == 200

    prefill = _get(stack, "/v1/identity/organizations:lookup", uscc=owner["uscc"])
    assert prefill.status_code == 200, prefill.text
    form = prefill.json()
    assert form["name"] == owner["organizationName"] and {k: form[k] for k in shared} == shared
    assert owner["phone"] not in prefill.text and owner["email"] not in prefill.text

    user = {"loginName": _login_name("ccc"), "password": PASSWORD, "uscc": form["uscc"], "name": "李联系",
            "phone": _phone(), "email": _email(), "agreementAccepted": True}
    _response, user["emailCode"] = _code(stack, user["email"], "REGISTER", "EMAIL")
    registered = _post(stack, "/v1/identity/registrations/organization-user", user)
    assert registered.status_code == 201, registered.text
    assert registered.json()["organizationId"] == org and registered.json().get("organization") is None
    user_account = registered.json()["accountId"]
    pending = _login(stack, user)
    assert [(m["organizationId"], m["status"]) for m in pending["organizations"]] == [(org, "PENDING")]

    application = _application_of(stack, owner_token, user_account)
    approved = _post(stack, f"/v1/identity/agent-applications/{application}:approve", {}, owner_token)
    assert approved.status_code == 200 and approved.json()["status"] == "ACTIVE", approved.text
    remarked = _patch(stack, f"/v1/identity/organizations/{org}", {"remark": "仅限科研用途"}, owner_token)
    assert remarked.status_code == 200, remarked.text
    user_token = _post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                       pending["accessToken"]).json()["accessToken"]
    assert _get(stack, f"/v1/identity/organizations/{org}", user_token).json()["remark"] == "仅限科研用途"

    # The other way round too: once the second user administers the organisation, its change reaches the first.
    moved = _post(stack, f"/v1/identity/organizations/{org}:transfer-admin", {"toAccountId": user_account},
                  owner_token)
    assert moved.status_code == 200, moved.text
    admin_token = _post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                        user_token).json()["accessToken"]
    edited = _patch(stack, f"/v1/identity/organizations/{org}", {"remark": "用于检测设备"}, admin_token)
    assert edited.status_code == 200, edited.text
    assert _get(stack, f"/v1/identity/organizations/{org}", owner_token).json()["remark"] == "用于检测设备"


def test_an_institution_is_refused_at_the_enterprise_entrance_and_admitted_at_its_own(stack):
    email, phone, login = _email(), _phone(), _login_name("inst")
    _response, email_code = _code(stack, email, "REGISTER", "EMAIL")
    registered = _post(stack, "/v1/identity/registrations/institution", {
        "loginName": login, "password": PASSWORD, "organizationName": "Prüfstelle Nord GmbH", "country": "DE",
        "registrationNumber": f"HRB{_phone()[-6:]}", "address": "Hamburg", "contactName": "Eva Weber",
        "phone": phone, "email": email, "emailCode": email_code, "agreementAccepted": True})
    assert registered.status_code == 201, registered.text
    _response, code = _code(stack, login, "LOGIN", delivered_to=phone)
    body = {"identifier": login, "password": PASSWORD, "smsCode": code}
    refused = _post(stack, "/v1/identity/sessions", {**body, "entrance": "ENTERPRISE"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["message"] == "若用户是检验机构，请选择装运前检验机构入口登录"
    # Refused before the code is checked, so the same code still opens the institution's own entrance.
    admitted = _post(stack, "/v1/identity/sessions", {**body, "entrance": "INSTITUTION"})
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["entrance"] == "INSTITUTION"
    assert admitted.json()["organizationId"] == registered.json()["organizationId"]
    me = _get(stack, "/v1/identity/me", admitted.json()["accessToken"])
    assert me.status_code == 200 and me.json()["entrance"] == "INSTITUTION"


def test_account_recovery_with_a_wrong_id_type_is_refused_like_any_mismatch(stack):
    owner = _register_legal_person(stack)
    _response, code = _code(stack, owner["phone"], "RECOVER")
    refused = _post(stack, "/v1/identity/account-recoveries", {
        "legalPersonType": owner["legalPersonType"], "uscc": owner["uscc"], "legalRepName": owner["legalRepName"],
        "legalRepIdType": "PASSPORT", "legalRepIdNumber": owner["legalRepIdNumber"], "phone": owner["phone"],
        "smsCode": code})
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"] == MISMATCH and owner["loginName"] not in refused.text


def test_the_platform_admin_edits_a_staff_account_and_the_audit_log_shows_it(stack):
    admin = stack.admin
    admin_token = stack.access_token(admin["login"], admin["password"], admin["phone"])
    staff = {"loginName": _login_name("staff"), "password": PASSWORD, "name": "审核员", "phone": _phone(),
             "agency": "LOCAL_AUTHORITY:110000", "roles": ["REVIEWER"]}
    created = _post(stack, "/v1/identity/staff", staff, admin_token)
    assert created.status_code in (200, 201), created.text
    staff_id = created.json()["id"]
    updated = _patch(stack, f"/v1/identity/staff/{staff_id}", {"name": "复核员", "roles": ["FINAL_REVIEW"]},
                     admin_token)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "复核员" and updated.json()["roles"] == ["FINAL_REVIEW"]
    assert updated.json()["phone"] == staff["phone"]
    bad = _patch(stack, f"/v1/identity/staff/{staff_id}", {"phone": "12345"}, admin_token)
    assert bad.status_code == 400 and "phone" in bad.text
    events = _get(stack, "/v1/identity/audit-events", admin_token, accountId=staff_id, action="STAFF_UPDATED")
    assert events.status_code == 200, events.text
    [event] = events.json()["auditEvents"]
    assert '"before": "审核员"' in event["detail"] and '"after": "复核员"' in event["detail"]
    assert "REVIEWER" in event["detail"] and "FINAL_REVIEW" in event["detail"]
