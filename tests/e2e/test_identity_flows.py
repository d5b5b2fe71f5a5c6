"""Identity end to end, through the gateway: registration, login, agents and scopes, lockout,
recovery flows and deletion, with codes read from what notify really sent."""

from __future__ import annotations

import random
import re
import threading

import pytest

from services.chassis.testing import wait_until
from services.identity import domain
from tests.e2e.identity import (
    PASSWORD,
    Recorder,
    approved_agent,
    fresh_login_name,
    fresh_phone,
    fresh_uscc,
    get,
    legal_person_body,
    log_in,
    post,
    rare_earth_status,
    register_legal_person_account,
    register_natural_person_account,
    request_code,
    send,
    wrong_code,
)

pytestmark = pytest.mark.e2e


def test_legal_person_registers_logs_in_with_sms_code_and_acts_in_a_system(stack):
    owner = register_legal_person_account(stack)
    assert owner["organization"]["legalRepIdNumber"] == domain.mask_id_number(owner["legalRepIdNumber"])
    session = log_in(stack, owner)
    assert session["account"]["kind"] == "LEGAL_PERSON" and session["expiresIn"] == 900
    assert session["organizations"][0]["role"] == "OWNER"
    assert rare_earth_status(stack, session["accessToken"]) == 200
    me = get(stack, "/v1/identity/me", session["accessToken"])
    assert me.status_code == 200 and me.json()["account"]["loginName"] == owner["loginName"]


def test_agent_applies_is_approved_gets_a_scope_and_is_refused_outside_it(stack):
    owner = register_legal_person_account(stack)
    owner_session = log_in(stack, owner)
    agent = register_natural_person_account(stack)
    agent_session = log_in(stack, agent)
    applied = post(stack, "/v1/identity/agent-applications",
                    {"organizationName": owner["organizationName"], "uscc": owner["uscc"]},
                    agent_session["accessToken"])
    assert applied.status_code == 200 and applied.json()["status"] == "PENDING", applied.text
    owner_token = owner_session["accessToken"]
    incoming = get(stack, "/v1/identity/agent-applications", owner_token, status="PENDING")
    assert [a["id"] for a in incoming.json()["agentApplications"]] == [applied.json()["id"]]
    approved = post(stack, f"/v1/identity/agent-applications/{applied.json()['id']}:approve", {}, owner_token)
    assert approved.json()["status"] == "ACTIVE", approved.text
    org = owner["organizationId"]
    granted = send(stack, "PUT", f"/v1/identity/organizations/{org}/members/{agent['accountId']}/scopes", owner_token,
                   json={"scopes": ["origin_cert"]})
    assert granted.status_code == 200 and granted.json()["scopes"] == ["origin_cert"], granted.text
    switched = post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                     agent_session["accessToken"])
    assert switched.status_code == 200, switched.text
    assert rare_earth_status(stack, switched.json()["accessToken"]) == 403
    send(stack, "PUT", f"/v1/identity/organizations/{org}/members/{agent['accountId']}/scopes", owner_token,
         json={"scopes": ["origin_cert", "rare_earth"]})
    refreshed = post(stack, "/v1/identity/sessions:refresh", {"refreshToken": switched.json()["refreshToken"]})
    assert rare_earth_status(stack, refreshed.json()["accessToken"]) == 200
    members = get(stack, f"/v1/identity/organizations/{org}/members", owner_token)
    assert {m["accountId"] for m in members.json()["members"]} == {owner["accountId"], agent["accountId"]}


def test_a_disabled_members_refresh_fails(stack):
    owner, owner_token, agent, agent_session = approved_agent(stack)
    org = owner["organizationId"]
    switched = post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                     agent_session["accessToken"]).json()
    disabled = post(stack, f"/v1/identity/organizations/{org}/members/{agent['accountId']}:disable", {}, owner_token)
    assert disabled.status_code == 200 and disabled.json()["status"] == "DISABLED", disabled.text
    refresh = post(stack, "/v1/identity/sessions:refresh", {"refreshToken": switched["refreshToken"]})
    assert refresh.status_code == 401, refresh.text


def test_hand_signers_are_created_log_in_as_signers_and_their_accounts_are_deleted_when_they_leave(stack):
    owner = register_legal_person_account(stack)
    owner_token = log_in(stack, owner)["accessToken"]
    org = owner["organizationId"]
    # Eight digits in the name: the SMS telling the signer its login name must not read as a six-digit code.
    signer = {"loginName": f"sign{random.randrange(10**8):08d}", "password": PASSWORD, "phone": fresh_phone()}
    created = post(stack, f"/v1/identity/organizations/{org}/signers", {**signer, "name": "孙手签"}, owner_token)
    assert created.status_code == 201 and created.json()["role"] == "SIGNER", created.text
    # The signer is told its login name by SMS; once that is in, the next message to the phone is the login code.
    told = wait_until(lambda: [m for m in stack.sent_sms() if m.get("to") == signer["phone"]], 30, 0.2,
                      "the SMS telling the signer its login name")
    assert signer["loginName"] in told[0]["text"]
    session = log_in(stack, signer)
    assert session["organizations"][0]["role"] == "SIGNER" and session["organizations"][0]["scopes"] == ["origin_cert"]
    signers = get(stack, f"/v1/identity/organizations/{org}/members", owner_token, role="SIGNER").json()["members"]
    assert [m["loginName"] for m in signers] == [signer["loginName"]]
    by_signer = post(stack, f"/v1/identity/organizations/{org}/signers",
                      {"loginName": fresh_login_name("sign"), "password": PASSWORD, "phone": fresh_phone(),
                       "name": "某"},
                      session["accessToken"])
    assert by_signer.status_code == 403, by_signer.text
    account = created.json()["accountId"]
    deleted = send(stack, "DELETE", f"/v1/identity/organizations/{org}/members/{account}/account", owner_token)
    assert deleted.status_code == 200 and deleted.json()["status"] == "REMOVED", deleted.text
    refresh = post(stack, "/v1/identity/sessions:refresh", {"refreshToken": session["refreshToken"]})
    assert refresh.status_code == 401, refresh.text


def test_five_wrong_passwords_lock_the_account(stack):
    person = register_natural_person_account(stack)
    statuses = []
    for _ in range(5):
        response = post(stack, "/v1/identity/sessions",
                         {"identifier": person["loginName"], "password": "Wrong9999", "smsCode": "123456"})
        statuses.append(response.status_code)
    assert statuses[:4] == [401] * 4 and statuses[4] == 429
    locked = post(stack, "/v1/identity/sessions",
                   {"identifier": person["loginName"], "password": PASSWORD, "smsCode": "123456"})
    assert locked.status_code == 429
    assert "ACCOUNT_LOCKED" in locked.text and "unlockAt" in locked.text


def test_password_reset_works_and_refuses_a_wrong_code(stack):
    person = register_natural_person_account(stack)
    _response, code = request_code(stack, person["loginName"], "RESET_PASSWORD", delivered_to=person["phone"])
    body = {"identifier": person["loginName"], "channel": "SMS", "newPassword": "Reset2026x"}
    assert post(stack, "/v1/identity/password-resets", {**body, "code": wrong_code(code)}).status_code == 400
    assert post(stack, "/v1/identity/password-resets", {**body, "code": code}).status_code == 200
    log_in(stack, {**person, "password": "Reset2026x"})


def test_account_recovery_works_and_refuses_a_wrong_code(stack):
    owner = register_legal_person_account(stack)
    _response, code = request_code(stack, owner["phone"], "RECOVER")
    body = {"uscc": owner["uscc"], "legalRepName": owner["legalRepName"],
            "legalRepIdNumber": owner["legalRepIdNumber"], "phone": owner["phone"]}
    assert post(stack, "/v1/identity/account-recoveries", {**body, "smsCode": wrong_code(code)}).status_code == 400
    recovered = post(stack, "/v1/identity/account-recoveries", {**body, "smsCode": code})
    assert recovered.status_code == 200 and recovered.json()["loginName"] == owner["loginName"]


def test_phone_change_works_and_refuses_a_wrong_code(stack):
    owner = register_legal_person_account(stack)
    new_phone = fresh_phone()
    _r, old_code = request_code(stack, owner["phone"], "CHANGE_PHONE")
    _r, new_code = request_code(stack, new_phone, "CHANGE_PHONE")
    body = {"identifier": owner["loginName"], "oldPhone": owner["phone"], "oldPhoneCode": old_code,
            "newPhone": new_phone}
    assert post(stack, "/v1/identity/phone-changes", {**body, "newPhoneCode": wrong_code(new_code)}).status_code == 400
    changed = post(stack, "/v1/identity/phone-changes", {**body, "newPhoneCode": new_code})
    assert changed.status_code == 200, changed.text
    log_in(stack, {**owner, "phone": new_phone})


def test_account_deletion_works_and_refuses_a_wrong_code(stack):
    person = register_natural_person_account(stack)
    token = log_in(stack, person)["accessToken"]
    _response, code = request_code(stack, person["phone"], "DELETE_ACCOUNT", token=token)
    wrong = send(stack, "DELETE", "/v1/identity/me", token, params={"smsCode": wrong_code(code)})
    assert wrong.status_code == 400, wrong.text
    deleted = send(stack, "DELETE", "/v1/identity/me", token, params={"smsCode": code})
    assert deleted.status_code == 200, deleted.text
    gone = post(stack, "/v1/identity/sessions",
                 {"identifier": person["loginName"], "password": PASSWORD, "smsCode": code})
    assert gone.status_code == 401 and "账号或密码错误" in gone.text


def test_two_concurrent_registrations_with_one_uscc_give_one_201_and_one_409(stack):
    shared = fresh_uscc()
    bodies = [legal_person_body(stack, uscc=shared) for _ in range(2)]
    statuses: list[int] = [0, 0]
    barrier = threading.Barrier(2)

    def register(index: int) -> None:
        barrier.wait()
        statuses[index] = post(stack, "/v1/identity/registrations/legal-person", bodies[index]).status_code

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 409]


def test_zz_no_response_carried_a_full_id_number_password_hash_or_code(stack):
    """Runs last in this module: looks through every body the scenarios above received."""
    assert Recorder.bodies, "the scenarios above recorded nothing"
    codes = set()
    for sms in stack.sent_sms():
        codes.update(re.findall(r"(?<!\d)\d{6}(?!\d)", sms["text"]))
    for body in Recorder.bodies:
        assert "$argon2" not in body
        # An id in hex can open with eighteen digits: an ID number stands apart from letters and digits.
        id_number = re.search(r"(?<![0-9A-Za-z*])\d{17}[\dX](?![0-9A-Za-z*])", body)
        assert not id_number, "a full ID number left the platform"
        assert not any(re.search(rf'"{code}"', body) for code in codes)
