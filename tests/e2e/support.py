"""What the end-to-end flows share: a caller of the gateway, the people they register and log in, inbox waits.

Everyone here is made through the gateway as a user would be: a legal person registers with
an e-mail code, staff are created by the platform admin, and each logs in with password and
SMS code (``stack.access_token``).
"""

from __future__ import annotations

import base64
import json
import random

import requests
from stdnum.cn import ric, uscc

from services.chassis.testing import wait_until
from services.identity.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

PASSWORD = "Rare2026earth"
_rng = random.Random()
_DEMO_PHONES = {account[0]: account[3] for account in DEMO_ACCOUNTS}


class Api:
    """One caller of the gateway (anonymous without a token): ``api.get(path, params=...)``,
    ``api.post(path, json=...)``; ``facts`` are the test's notes about who it is (its USCC, its phone)."""

    def __init__(self, base: str, token: str | None, **facts):
        self.base = base
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.facts = facts

    def __getattr__(self, verb):
        if verb not in ("get", "post", "put", "patch", "delete"):
            raise AttributeError(verb)

        def send(path: str, **kwargs) -> requests.Response:
            return requests.request(verb.upper(), f"{self.base}{path}", headers=self.headers, timeout=30, **kwargs)
        return send


def ok(response: requests.Response, *codes: int) -> dict:
    """The answer's JSON, once its status is one of ``codes`` (200 when none is given)."""
    assert response.status_code in (codes or (200,)), response.text
    return response.json()


def reason_of(response: requests.Response) -> str:
    for detail in response.json().get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return detail.get("reason", "")
    return ""


def digits(count: int) -> str:
    return "".join(_rng.choice("0123456789") for _ in range(count))


def login(stack, identifier: str, phone: str, password: str | None = None) -> str:
    """An access token for the account (the tests' own accounts share PASSWORD; the admin's is the stack's)."""
    if password is None:
        password = stack.admin["password"] if identifier == stack.admin["login"] else PASSWORD
    return stack.access_token(identifier, password, phone)


def claims(token: str) -> dict:
    """What an access token says, read without checking its signature (the gateway and services check it)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def platform_admin(stack) -> Api:
    """The platform's admin, logged in."""
    return Api(stack.url, login(stack, stack.admin["login"], stack.admin["phone"]))


def demo(stack, login_name: str) -> Api:
    """One of the demo accounts ``make run`` seeds (services/identity/seed.py), logged in."""
    phone = _DEMO_PHONES[login_name]
    return Api(stack.url, login(stack, login_name, phone, DEMO_PASSWORD), phone=phone)


def register_legal_person(stack, label: str) -> Api:
    """An enterprise registered as a legal person (valid USCC and ID number), logged in as its owner."""
    login_name = f"re_{label}_{digits(5)}"[:15]
    phone, email = f"137{digits(8)}", f"{login_name}@example.com"
    sent = requests.post(f"{stack.url}/v1/identity/verification-codes",
                         json={"channel": "EMAIL", "target": email, "purpose": "REGISTER"}, timeout=10)
    assert sent.status_code == 200, sent.text
    first_17 = f"91360700MA{digits(7)}"
    rep_17 = f"36070219850612{digits(3)}"
    body = {
        "loginName": login_name, "password": PASSWORD, "legalPersonType": "ENTERPRISE",
        "uscc": first_17 + uscc.calc_check_digit(first_17), "organizationName": f"{label}稀土测试有限公司",
        "legalRepName": "王五", "legalRepIdType": "RESIDENT_ID",
        "legalRepIdNumber": rep_17 + ric.calc_check_digit(rep_17 + "0"), "industry": "C32",
        "enterpriseSize": "MEDIUM", "holding": "STATE_OWNED", "phone": phone, "email": email,
        "emailCode": stack.latest_code(email), "agreementAccepted": True,
    }
    registered = requests.post(f"{stack.url}/v1/identity/registrations/legal-person", json=body, timeout=10)
    assert registered.status_code in (200, 201), registered.text
    return Api(stack.url, login(stack, login_name, phone), uscc=body["uscc"], name=f"{label}稀土开采有限公司")


def staff(stack, admin: Api, agency: str, *roles: str) -> Api:
    """A member of ``agency``'s staff with ``roles`` (its posts), created by the admin, logged in."""
    login_name, phone = f"st_{digits(8)}", f"136{digits(8)}"
    created = admin.post("/v1/identity/staff", json={"loginName": login_name, "password": PASSWORD,
                                                     "name": "工作人员", "phone": phone, "agency": agency,
                                                     "roles": list(roles)})
    assert created.status_code in (200, 201), created.text
    return Api(stack.url, login(stack, login_name, phone), phone=phone)


def inbox_message(api: Api, system: str, *texts: str, timeout: float = 60.0) -> dict:
    """The first of ``system``'s messages in the caller's inbox mentioning every one of ``texts`` (in its title or
    body), waiting for the relay and notify to deliver it: one fragment alone, a number say, can match an earlier
    notice."""
    def found():
        messages = ok(api.get("/v1/notify/inbox", params={"system": system, "pageSize": 100})).get("messages", [])
        return next((m for m in messages if all(t in m.get("body", "") or t in m.get("title", "") for t in texts)),
                    None)
    return wait_until(found, timeout, 0.5, f"a {system} inbox message mentioning {' and '.join(texts)}")


def unique_title(label: str) -> str:
    """A title no other run's message has, so an inbox search finds this test's alone."""
    return f"{label}{_rng.randrange(10**6):06d}"


def inbox_titled(api: Api, title: str) -> list[dict]:
    """The caller's inbox messages with exactly this title, as they stand now."""
    messages = ok(api.get("/v1/notify/inbox", params={"pageSize": 100, "q": title})).get("messages", [])
    return [m for m in messages if m["title"] == title]
