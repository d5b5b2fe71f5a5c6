"""Identity end to end, through the gateway: registration, login, agents and scopes, lockout,
recovery flows and deletion, with codes read from what notify really sent."""

from __future__ import annotations

import itertools
import random
import re
import threading
from typing import ClassVar

import pytest
import requests
from stdnum.cn import ric

from services.chassis.testing import wait_until
from services.identity import domain

pytestmark = pytest.mark.e2e
_rng = random.Random()
PASSWORD = "Passw0rd1"


_id_serials = itertools.count(1)


def _phone() -> str:
    return f"15{_rng.randrange(10**9):09d}"


def _email() -> str:
    return f"e2e{_rng.randrange(10**9)}@example.com"


def _login_name(prefix: str) -> str:
    return f"{prefix}{_rng.randrange(10**8)}"[:15]


def _uscc() -> str:
    body = "91" + f"{_rng.randrange(10**6):06d}" + "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                                         for _ in range(9))
    return domain.uscc_with_check_character(body)


def _resident_id() -> str:
    # Counted, not drawn: three free digits would let two people in one run share an ID number.
    first = "11010119880412" + f"{next(_id_serials) % 1000:03d}"
    return first + ric.calc_check_digit(first + "0")


class Recorder:
    """Every response body the tests saw, to check that none carries a secret."""

    bodies: ClassVar[list[str]] = []

    @classmethod
    def call(cls, method: str, url: str, **kwargs) -> requests.Response:
        response = requests.request(method, url, timeout=30, **kwargs)
        cls.bodies.append(response.text)
        return response


def _post(stack, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Recorder.call("POST", f"{stack.url}{path}", json=body, headers=headers)


def _get(stack, path, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Recorder.call("GET", f"{stack.url}{path}", headers=headers, params=params)


def _code(stack, target, purpose, channel="SMS", token=None, delivered_to=None):
    """Request a code; ``delivered_to`` is the bound phone when ``target`` is an identifier."""
    delivered_to = delivered_to or target
    before = stack.code_count(delivered_to)
    response = _post(stack, "/v1/identity/verification-codes",
                     {"channel": channel, "target": target, "purpose": purpose}, token)
    assert response.status_code == 200, response.text
    return response, stack.latest_code(delivered_to, after=before)


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _legal_person_body(stack, uscc=None):
    email = _email()
    _response, code = _code(stack, email, "REGISTER", "EMAIL")
    return {"loginName": _login_name("corp"), "password": PASSWORD, "legalPersonType": "ENTERPRISE",
            "uscc": uscc or _uscc(), "organizationName": f"端到端企业{_rng.randrange(10**6)}有限公司",
            "legalRepName": "钱法人", "legalRepIdType": "RESIDENT_ID", "legalRepIdNumber": _resident_id(),
            "industry": "C32", "enterpriseSize": "SMALL", "holding": "PRIVATE", "phone": _phone(), "email": email,
            "emailCode": code, "agreementAccepted": True}


def _register_legal_person(stack) -> dict:
    body = _legal_person_body(stack)
    response = _post(stack, "/v1/identity/registrations/legal-person", body)
    assert response.status_code == 201, response.text
    return {**body, **response.json()}


def _register_natural_person(stack) -> dict:
    phone = _phone()
    _response, code = _code(stack, phone, "REGISTER")
    body = {"loginName": _login_name("nat"), "password": PASSWORD, "name": "孙自然", "idType": "RESIDENT_ID",
            "idNumber": _resident_id(), "phone": phone, "smsCode": code}
    response = _post(stack, "/v1/identity/registrations/natural-person", body)
    assert response.status_code == 201, response.text
    return {**body, **response.json()}


def _login(stack, person, organization_id=None) -> dict:
    session = stack.login(person["loginName"], person["password"], person["phone"], organization_id)
    Recorder.bodies.append(str(session))
    return session


def _rare_earth_allowed(stack, token) -> int:
    return _get(stack, "/v1/rare-earth/registration", token).status_code


def test_legal_person_registers_logs_in_with_sms_code_and_acts_in_a_system(stack):
    owner = _register_legal_person(stack)
    assert owner["organization"]["legalRepIdNumber"] == domain.mask_id_number(owner["legalRepIdNumber"])
    session = _login(stack, owner)
    assert session["account"]["kind"] == "LEGAL_PERSON" and session["expiresIn"] == 900
    assert session["organizations"][0]["role"] == "OWNER"
    assert _rare_earth_allowed(stack, session["accessToken"]) == 200
    me = _get(stack, "/v1/identity/me", session["accessToken"])
    assert me.status_code == 200 and me.json()["account"]["loginName"] == owner["loginName"]


def test_agent_applies_is_approved_gets_a_scope_and_is_refused_outside_it(stack):
    owner = _register_legal_person(stack)
    owner_session = _login(stack, owner)
    agent = _register_natural_person(stack)
    agent_session = _login(stack, agent)
    applied = _post(stack, "/v1/identity/agent-applications",
                    {"organizationName": owner["organizationName"], "uscc": owner["uscc"]},
                    agent_session["accessToken"])
    assert applied.status_code == 200 and applied.json()["status"] == "PENDING", applied.text
    owner_token = owner_session["accessToken"]
    incoming = _get(stack, "/v1/identity/agent-applications", owner_token, status="PENDING")
    assert [a["id"] for a in incoming.json()["agentApplications"]] == [applied.json()["id"]]
    approved = _post(stack, f"/v1/identity/agent-applications/{applied.json()['id']}:approve", {}, owner_token)
    assert approved.json()["status"] == "ACTIVE", approved.text
    org = owner["organizationId"]
    granted = Recorder.call("PUT", f"{stack.url}/v1/identity/organizations/{org}/members/{agent['accountId']}/scopes",
                            json={"scopes": ["origin_cert"]}, headers={"Authorization": f"Bearer {owner_token}"},)
    assert granted.status_code == 200 and granted.json()["scopes"] == ["origin_cert"], granted.text
    switched = _post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                     agent_session["accessToken"])
    assert switched.status_code == 200, switched.text
    assert _rare_earth_allowed(stack, switched.json()["accessToken"]) == 403
    Recorder.call("PUT", f"{stack.url}/v1/identity/organizations/{org}/members/{agent['accountId']}/scopes",
                  json={"scopes": ["origin_cert", "rare_earth"]}, headers={"Authorization": f"Bearer {owner_token}"})
    refreshed = _post(stack, "/v1/identity/sessions:refresh", {"refreshToken": switched.json()["refreshToken"]})
    assert _rare_earth_allowed(stack, refreshed.json()["accessToken"]) == 200
    members = _get(stack, f"/v1/identity/organizations/{org}/members", owner_token)
    assert {m["accountId"] for m in members.json()["members"]} == {owner["accountId"], agent["accountId"]}


def _approved_agent(stack) -> tuple[dict, str, dict, dict]:
    """An organisation's owner (and a token of theirs) and a natural person approved as its agent (and a session
    of theirs, not yet switched to the organisation)."""
    owner = _register_legal_person(stack)
    owner_token = _login(stack, owner)["accessToken"]
    agent = _register_natural_person(stack)
    agent_session = _login(stack, agent)
    applied = _post(stack, "/v1/identity/agent-applications",
                    {"organizationName": owner["organizationName"], "uscc": owner["uscc"]},
                    agent_session["accessToken"]).json()
    approved = _post(stack, f"/v1/identity/agent-applications/{applied['id']}:approve", {}, owner_token)
    assert approved.status_code == 200, approved.text
    return owner, owner_token, agent, agent_session


def test_a_disabled_members_refresh_fails(stack):
    owner, owner_token, agent, agent_session = _approved_agent(stack)
    org = owner["organizationId"]
    switched = _post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                     agent_session["accessToken"]).json()
    disabled = _post(stack, f"/v1/identity/organizations/{org}/members/{agent['accountId']}:disable", {}, owner_token)
    assert disabled.status_code == 200 and disabled.json()["status"] == "DISABLED", disabled.text
    refresh = _post(stack, "/v1/identity/sessions:refresh", {"refreshToken": switched["refreshToken"]})
    assert refresh.status_code == 401, refresh.text


def test_hand_signers_are_created_log_in_as_signers_and_their_accounts_are_deleted_when_they_leave(stack):
    owner = _register_legal_person(stack)
    owner_token = _login(stack, owner)["accessToken"]
    org = owner["organizationId"]
    # Eight digits in the name: the SMS telling the signer its login name must not read as a six-digit code.
    signer = {"loginName": f"sign{_rng.randrange(10**8):08d}", "password": PASSWORD, "phone": _phone()}
    created = _post(stack, f"/v1/identity/organizations/{org}/signers", {**signer, "name": "孙手签"}, owner_token)
    assert created.status_code == 201 and created.json()["role"] == "SIGNER", created.text
    # The signer is told its login name by SMS; once that is in, the next message to the phone is the login code.
    told = wait_until(lambda: [m for m in stack.sent_sms() if m.get("to") == signer["phone"]], 30, 0.2,
                      "the SMS telling the signer its login name")
    assert signer["loginName"] in told[0]["text"]
    session = _login(stack, signer)
    assert session["organizations"][0]["role"] == "SIGNER" and session["organizations"][0]["scopes"] == ["origin_cert"]
    signers = _get(stack, f"/v1/identity/organizations/{org}/members", owner_token, role="SIGNER").json()["members"]
    assert [m["loginName"] for m in signers] == [signer["loginName"]]
    by_signer = _post(stack, f"/v1/identity/organizations/{org}/signers",
                      {"loginName": _login_name("sign"), "password": PASSWORD, "phone": _phone(), "name": "某"},
                      session["accessToken"])
    assert by_signer.status_code == 403, by_signer.text
    headers = {"Authorization": f"Bearer {owner_token}"}
    account = created.json()["accountId"]
    deleted = Recorder.call("DELETE", f"{stack.url}/v1/identity/organizations/{org}/members/{account}/account",
                            headers=headers)
    assert deleted.status_code == 200 and deleted.json()["status"] == "REMOVED", deleted.text
    refresh = _post(stack, "/v1/identity/sessions:refresh", {"refreshToken": session["refreshToken"]})
    assert refresh.status_code == 401, refresh.text


def test_five_wrong_passwords_lock_the_account(stack):
    person = _register_natural_person(stack)
    statuses = []
    for _ in range(5):
        response = _post(stack, "/v1/identity/sessions",
                         {"identifier": person["loginName"], "password": "Wrong9999", "smsCode": "123456"})
        statuses.append(response.status_code)
    assert statuses[:4] == [401] * 4 and statuses[4] == 429
    locked = _post(stack, "/v1/identity/sessions",
                   {"identifier": person["loginName"], "password": PASSWORD, "smsCode": "123456"})
    assert locked.status_code == 429
    assert "ACCOUNT_LOCKED" in locked.text and "unlockAt" in locked.text


def test_password_reset_works_and_refuses_a_wrong_code(stack):
    person = _register_natural_person(stack)
    _response, code = _code(stack, person["loginName"], "RESET_PASSWORD", delivered_to=person["phone"])
    body = {"identifier": person["loginName"], "channel": "SMS", "newPassword": "Reset2026x"}
    assert _post(stack, "/v1/identity/password-resets", {**body, "code": _wrong(code)}).status_code == 400
    assert _post(stack, "/v1/identity/password-resets", {**body, "code": code}).status_code == 200
    _login(stack, {**person, "password": "Reset2026x"})


def test_account_recovery_works_and_refuses_a_wrong_code(stack):
    owner = _register_legal_person(stack)
    _response, code = _code(stack, owner["phone"], "RECOVER")
    body = {"uscc": owner["uscc"], "legalRepName": owner["legalRepName"],
            "legalRepIdNumber": owner["legalRepIdNumber"], "phone": owner["phone"]}
    assert _post(stack, "/v1/identity/account-recoveries", {**body, "smsCode": _wrong(code)}).status_code == 400
    recovered = _post(stack, "/v1/identity/account-recoveries", {**body, "smsCode": code})
    assert recovered.status_code == 200 and recovered.json()["loginName"] == owner["loginName"]


def test_phone_change_works_and_refuses_a_wrong_code(stack):
    owner = _register_legal_person(stack)
    new_phone = _phone()
    _r, old_code = _code(stack, owner["phone"], "CHANGE_PHONE")
    _r, new_code = _code(stack, new_phone, "CHANGE_PHONE")
    body = {"identifier": owner["loginName"], "oldPhone": owner["phone"], "oldPhoneCode": old_code,
            "newPhone": new_phone}
    assert _post(stack, "/v1/identity/phone-changes", {**body, "newPhoneCode": _wrong(new_code)}).status_code == 400
    changed = _post(stack, "/v1/identity/phone-changes", {**body, "newPhoneCode": new_code})
    assert changed.status_code == 200, changed.text
    _login(stack, {**owner, "phone": new_phone})


def test_account_deletion_works_and_refuses_a_wrong_code(stack):
    person = _register_natural_person(stack)
    token = _login(stack, person)["accessToken"]
    _response, code = _code(stack, person["phone"], "DELETE_ACCOUNT", token=token)
    headers = {"Authorization": f"Bearer {token}"}
    wrong = Recorder.call("DELETE", f"{stack.url}/v1/identity/me", headers=headers,
                          params={"smsCode": _wrong(code)})
    assert wrong.status_code == 400, wrong.text
    deleted = Recorder.call("DELETE", f"{stack.url}/v1/identity/me", headers=headers, params={"smsCode": code})
    assert deleted.status_code == 200, deleted.text
    gone = _post(stack, "/v1/identity/sessions",
                 {"identifier": person["loginName"], "password": PASSWORD, "smsCode": code})
    assert gone.status_code == 401 and "账号或密码错误" in gone.text


def test_two_concurrent_registrations_with_one_uscc_give_one_201_and_one_409(stack):
    shared = _uscc()
    bodies = [_legal_person_body(stack, uscc=shared) for _ in range(2)]
    statuses: list[int] = [0, 0]
    barrier = threading.Barrier(2)

    def register(index: int) -> None:
        barrier.wait()
        statuses[index] = _post(stack, "/v1/identity/registrations/legal-person", bodies[index]).status_code

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
