"""Accounts as the manuals expect them, through the gateway: several users under one organisation code
(CNCA), the institution and enterprise entrances (GACC), account recovery checking every field it takes,
and the platform admin editing a staff account."""

from __future__ import annotations

import pytest

from services.identity.handlers.accounts import MISMATCH
from tests.e2e.identity import (
    PASSWORD,
    fresh_email,
    fresh_login_name,
    fresh_phone,
    get,
    log_in,
    patch,
    post,
    register_legal_person_account,
    request_code,
)

pytestmark = pytest.mark.e2e


def _application_of(stack, token, account_id) -> str:
    incoming = get(stack, "/v1/identity/agent-applications", token, status="PENDING")
    assert incoming.status_code == 200, incoming.text
    return next(a["id"] for a in incoming.json()["agentApplications"] if a["applicantAccountId"] == account_id)


def test_a_second_user_registers_from_the_prefilled_form_is_approved_and_shares_the_remark(stack):
    owner = register_legal_person_account(stack)
    owner_token = log_in(stack, owner)["accessToken"]
    org = owner["organizationId"]
    shared = {"postcode": "518000", "address": "深圳市南山区科技园1号", "remark": "进口设备专用"}
    assert patch(stack, f"/v1/identity/organizations/{org}", shared, owner_token).status_code == 200

    prefill = get(stack, "/v1/identity/organizations:lookup", uscc=owner["uscc"])
    assert prefill.status_code == 200, prefill.text
    form = prefill.json()
    assert form["name"] == owner["organizationName"] and {k: form[k] for k in shared} == shared
    assert owner["phone"] not in prefill.text and owner["email"] not in prefill.text

    user = {"loginName": fresh_login_name("ccc"), "password": PASSWORD, "uscc": form["uscc"], "name": "李联系",
            "phone": fresh_phone(), "email": fresh_email(), "agreementAccepted": True}
    _response, user["emailCode"] = request_code(stack, user["email"], "REGISTER", "EMAIL")
    registered = post(stack, "/v1/identity/registrations/organization-user", user)
    assert registered.status_code == 201, registered.text
    assert registered.json()["organizationId"] == org and registered.json().get("organization") is None
    user_account = registered.json()["accountId"]
    pending = log_in(stack, user)
    assert [(m["organizationId"], m["status"]) for m in pending["organizations"]] == [(org, "PENDING")]

    application = _application_of(stack, owner_token, user_account)
    approved = post(stack, f"/v1/identity/agent-applications/{application}:approve", {}, owner_token)
    assert approved.status_code == 200 and approved.json()["status"] == "ACTIVE", approved.text
    remarked = patch(stack, f"/v1/identity/organizations/{org}", {"remark": "仅限科研用途"}, owner_token)
    assert remarked.status_code == 200, remarked.text
    user_token = post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                       pending["accessToken"]).json()["accessToken"]
    assert get(stack, f"/v1/identity/organizations/{org}", user_token).json()["remark"] == "仅限科研用途"

    # The other way round too: once the second user administers the organisation, its change reaches the first.
    moved = post(stack, f"/v1/identity/organizations/{org}:transfer-admin", {"toAccountId": user_account},
                  owner_token)
    assert moved.status_code == 200, moved.text
    admin_token = post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                        user_token).json()["accessToken"]
    edited = patch(stack, f"/v1/identity/organizations/{org}", {"remark": "用于检测设备"}, admin_token)
    assert edited.status_code == 200, edited.text
    assert get(stack, f"/v1/identity/organizations/{org}", owner_token).json()["remark"] == "用于检测设备"


def test_an_institution_is_refused_at_the_enterprise_entrance_and_admitted_at_its_own(stack):
    email, phone, login = fresh_email(), fresh_phone(), fresh_login_name("inst")
    _response, email_code = request_code(stack, email, "REGISTER", "EMAIL")
    registered = post(stack, "/v1/identity/registrations/institution", {
        "loginName": login, "password": PASSWORD, "organizationName": "Prüfstelle Nord GmbH", "country": "DE",
        "registrationNumber": f"HRB{fresh_phone()[-6:]}", "address": "Hamburg", "contactName": "Eva Weber",
        "phone": phone, "email": email, "emailCode": email_code, "agreementAccepted": True})
    assert registered.status_code == 201, registered.text
    _response, code = request_code(stack, login, "LOGIN", delivered_to=phone)
    body = {"identifier": login, "password": PASSWORD, "smsCode": code}
    refused = post(stack, "/v1/identity/sessions", {**body, "entrance": "ENTERPRISE"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["message"] == "若用户是检验机构，请选择装运前检验机构入口登录"
    # Refused before the code is checked, so the same code still opens the institution's own entrance.
    admitted = post(stack, "/v1/identity/sessions", {**body, "entrance": "INSTITUTION"})
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["entrance"] == "INSTITUTION"
    assert admitted.json()["organizationId"] == registered.json()["organizationId"]
    me = get(stack, "/v1/identity/me", admitted.json()["accessToken"])
    assert me.status_code == 200 and me.json()["entrance"] == "INSTITUTION"


def test_account_recovery_with_a_wrong_id_type_is_refused_like_any_mismatch(stack):
    owner = register_legal_person_account(stack)
    _response, code = request_code(stack, owner["phone"], "RECOVER")
    refused = post(stack, "/v1/identity/account-recoveries", {
        "legalPersonType": owner["legalPersonType"], "uscc": owner["uscc"], "legalRepName": owner["legalRepName"],
        "legalRepIdType": "PASSPORT", "legalRepIdNumber": owner["legalRepIdNumber"], "phone": owner["phone"],
        "smsCode": code})
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"] == MISMATCH and owner["loginName"] not in refused.text


def test_the_platform_admin_edits_a_staff_account_and_the_audit_log_shows_it(stack):
    admin = stack.admin
    admin_token = stack.access_token(admin["login"], admin["password"], admin["phone"])
    staff = {"loginName": fresh_login_name("staff"), "password": PASSWORD, "name": "审核员", "phone": fresh_phone(),
             "agency": "LOCAL_AUTHORITY:110000", "roles": ["REVIEWER"]}
    created = post(stack, "/v1/identity/staff", staff, admin_token)
    assert created.status_code in (200, 201), created.text
    staff_id = created.json()["id"]
    updated = patch(stack, f"/v1/identity/staff/{staff_id}", {"name": "复核员", "roles": ["FINAL_REVIEW"]},
                     admin_token)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "复核员" and updated.json()["roles"] == ["FINAL_REVIEW"]
    assert updated.json()["phone"] == staff["phone"]
    bad = patch(stack, f"/v1/identity/staff/{staff_id}", {"phone": "12345"}, admin_token)
    assert bad.status_code == 400 and "phone" in bad.text
    events = get(stack, "/v1/identity/audit-events", admin_token, accountId=staff_id, action="STAFF_UPDATED")
    assert events.status_code == 200, events.text
    [event] = events.json()["auditEvents"]
    assert '"before": "审核员"' in event["detail"] and '"after": "复核员"' in event["detail"]
    assert "REVIEWER" in event["detail"] and "FINAL_REVIEW" in event["detail"]
