"""Identity steps several flows share, every response kept (``Recorder``) so that the identity flows can look
through each body they received for a secret: people registered with the codes notify really sent, logins, an
agent approved by an organisation's owner."""

from __future__ import annotations

import itertools
import random
from typing import ClassVar

import requests
from stdnum.cn import ric

from services.identity import domain
from tests.e2e.support import Api

_rng = random.Random()
PASSWORD = "Passw0rd1"


_id_serials = itertools.count(1)


def fresh_phone() -> str:
    return f"15{_rng.randrange(10**9):09d}"


def fresh_email() -> str:
    return f"e2e{_rng.randrange(10**9)}@example.com"


def fresh_login_name(prefix: str) -> str:
    return f"{prefix}{_rng.randrange(10**8)}"[:15]


def fresh_uscc() -> str:
    body = "91" + f"{_rng.randrange(10**6):06d}" + "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                                         for _ in range(9))
    return domain.uscc_with_check_character(body)


def fresh_resident_id() -> str:
    # Counted, not drawn: three free digits would let two people in one run share an ID number.
    first = "11010119880412" + f"{next(_id_serials) % 1000:03d}"
    return first + ric.calc_check_digit(first + "0")


class Recorder:
    """Every response body the identity flows saw, to check that none carries a secret."""

    bodies: ClassVar[list[str]] = []


def send(stack, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    """One call through the gateway, made as support.Api makes it; its body kept for the secret scan."""
    response = getattr(Api(stack.url, token), method.lower())(path, **kwargs)
    Recorder.bodies.append(response.text)
    return response


def post(stack, path: str, body: dict, token: str | None = None) -> requests.Response:
    return send(stack, "POST", path, token, json=body)


def get(stack, path: str, token: str | None = None, **params) -> requests.Response:
    return send(stack, "GET", path, token, params=params)


def request_code(stack, target, purpose, channel="SMS", token=None, delivered_to=None):
    """Request a code; ``delivered_to`` is the bound phone when ``target`` is an identifier."""
    delivered_to = delivered_to or target
    before = stack.code_count(delivered_to)
    response = post(stack, "/v1/identity/verification-codes",
                     {"channel": channel, "target": target, "purpose": purpose}, token)
    assert response.status_code == 200, response.text
    return response, stack.latest_code(delivered_to, after=before)


def wrong_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def legal_person_body(stack, uscc=None):
    email = fresh_email()
    _response, code = request_code(stack, email, "REGISTER", "EMAIL")
    return {"loginName": fresh_login_name("corp"), "password": PASSWORD, "legalPersonType": "ENTERPRISE",
            "uscc": uscc or fresh_uscc(), "organizationName": f"端到端企业{_rng.randrange(10**6)}有限公司",
            "legalRepName": "钱法人", "legalRepIdType": "RESIDENT_ID", "legalRepIdNumber": fresh_resident_id(),
            "industry": "C32", "enterpriseSize": "SMALL", "holding": "PRIVATE", "phone": fresh_phone(), "email": email,
            "emailCode": code, "agreementAccepted": True}


def register_legal_person_account(stack) -> dict:
    body = legal_person_body(stack)
    response = post(stack, "/v1/identity/registrations/legal-person", body)
    assert response.status_code == 201, response.text
    return {**body, **response.json()}


def register_natural_person_account(stack) -> dict:
    phone = fresh_phone()
    _response, code = request_code(stack, phone, "REGISTER")
    body = {"loginName": fresh_login_name("nat"), "password": PASSWORD, "name": "孙自然", "idType": "RESIDENT_ID",
            "idNumber": fresh_resident_id(), "phone": phone, "smsCode": code}
    response = post(stack, "/v1/identity/registrations/natural-person", body)
    assert response.status_code == 201, response.text
    return {**body, **response.json()}


def log_in(stack, person, organization_id=None) -> dict:
    session = stack.login(person["loginName"], person["password"], person["phone"], organization_id)
    Recorder.bodies.append(str(session))
    return session


def rare_earth_status(stack, token) -> int:
    return get(stack, "/v1/rare-earth/registration", token).status_code


def approved_agent(stack) -> tuple[dict, str, dict, dict]:
    """An organisation's owner (and a token of theirs) and a natural person approved as its agent (and a session
    of theirs, not yet switched to the organisation)."""
    owner = register_legal_person_account(stack)
    owner_token = log_in(stack, owner)["accessToken"]
    agent = register_natural_person_account(stack)
    agent_session = log_in(stack, agent)
    applied = post(stack, "/v1/identity/agent-applications",
                    {"organizationName": owner["organizationName"], "uscc": owner["uscc"]},
                    agent_session["accessToken"]).json()
    approved = post(stack, f"/v1/identity/agent-applications/{applied['id']}:approve", {}, owner_token)
    assert approved.status_code == 200, approved.text
    return owner, owner_token, agent, agent_session


def patch(stack, path: str, body: dict, token: str) -> requests.Response:
    return send(stack, "PATCH", path, token, json=body)
