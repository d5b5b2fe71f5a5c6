"""The input policy through the gateway: what no request may carry is a 400 naming the field, never a 500 or a 429,
and no answer repeats a huge value back."""

from __future__ import annotations

import json

import pytest
import requests

pytestmark = pytest.mark.e2e

CODES = "/v1/identity/verification-codes"
PLANS = "/v1/rare-earth/quota-plans"


def _violations(response: requests.Response) -> list[dict]:
    for detail in response.json().get("details", []):
        if detail.get("@type", "").endswith("google.rpc.BadRequest"):
            return detail["fieldViolations"]
    return []


def _post(stack, path: str, body: bytes, token: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.post(f"{stack.url}{path}", data=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def office_token(stack) -> str:
    office = next(login for login in stack.demo_logins() if login.login == "demo_re_office")
    return stack.access_token(office.login, office.password, office.phone)


def test_a_public_route_refuses_nul_huge_and_deeply_nested_text_naming_the_field(stack):
    code = {"channel": "SMS", "purpose": "REGISTER"}
    bodies = {
        "NUL": json.dumps({**code, "target": "1380000\u00000000"}).encode(),
        "100k": json.dumps({**code, "target": "1" * 100_000}).encode(),
        "surrogate": b'{"channel": "SMS", "purpose": "REGISTER", "target": "\\ud800"}',
        "depth 1000": b'{"target": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    }
    for label, body in bodies.items():
        refused = _post(stack, CODES, body)
        assert refused.status_code == 400, (label, refused.text[:300])
        assert [v["field"] for v in _violations(refused)] == ["target"], (label, refused.text[:300])
        assert len(refused.content) < 2000 and b"1111111111" not in refused.content, label


@pytest.mark.parametrize("kind", [b"true", b"123", b'"\\ud800"'])
def test_an_enum_takes_only_its_names_and_declared_numbers(stack, office_token, kind):
    body = b'{"year": 2031, "batch": 1, "kind": ' + kind + b', "allocations": []}'
    refused = _post(stack, PLANS, body, office_token)
    assert refused.status_code == 400, refused.text[:300]
    assert [v["field"] for v in _violations(refused)] == ["kind"]


def test_two_hundred_bad_items_answer_400_naming_the_first_and_counting_the_rest(stack, office_token):
    allocations = [{"enterpriseId": f"nobody-{i}", "quota": "-5"} for i in range(200)]
    body = json.dumps({"year": 2031, "batch": 1, "kind": "MINING", "allocations": allocations}).encode()
    refused = _post(stack, PLANS, body, office_token)
    assert refused.status_code == 400, refused.text[:300]
    found = _violations(refused)
    assert found[0]["field"].startswith("allocations[0].") and 2 <= len(found) < 200
    assert "未列出" in found[-1]["description"]
