"""The platform as a whole, through the gateway: health, readiness, the contract, auth and errors."""

from __future__ import annotations

import pytest
import requests

from services.chassis.registry import SERVICES

pytestmark = pytest.mark.e2e


def test_gateway_is_healthy_and_every_service_reports_serving(stack):
    assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
    ready = requests.get(f"{stack.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "SERVING"
    assert set(body["upstreams"]) == set(SERVICES)
    for service, statuses in body["upstreams"].items():
        assert statuses and all(status == "SERVING" for status in statuses.values()), (service, statuses)


def test_openapi_document_lists_the_declared_routes_and_the_docs_page_renders_it(stack):
    document = requests.get(f"{stack.url}/openapi.json", timeout=10).json()
    paths = document["paths"]
    assert "post" in paths["/v1/identity/registrations/legal-person"]
    assert "get" in paths["/v1/identity/jwks"]
    assert "get" in paths["/v1/notify/inbox"]
    assert any(path.startswith("/v1/rare-earth/") for path in paths)
    docs = requests.get(f"{stack.url}/docs", timeout=10)
    assert docs.status_code == 200 and "openapi.json" in docs.text


def test_jwks_publishes_public_keys_only(stack):
    keys = requests.get(f"{stack.url}/v1/identity/jwks", timeout=10).json()["keys"]
    assert keys and all(key["kid"] and key["kty"] for key in keys)
    assert all("d" not in key for key in keys)


def test_a_forged_token_is_refused_with_a_status_body(stack):
    response = requests.get(f"{stack.url}/v1/identity/me", headers={"Authorization": "Bearer not.a.token"},
                            timeout=10)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 16 and body["message"]


def test_unknown_routes_answer_404_with_a_status_body_and_the_request_id(stack):
    response = requests.get(f"{stack.url}/v1/nowhere", headers={"X-Request-Id": "e2e-request-1"}, timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == 5
    assert response.headers["X-Request-Id"] == "e2e-request-1"


def test_a_verification_code_travels_outbox_relay_rabbitmq_notify_to_the_sms_log(stack):
    phone = "13700000001"
    before = stack.code_count(phone)
    stack.request_code(phone, "REGISTER")
    code = stack.latest_code(phone, after=before)
    assert len(code) == 6 and code.isdigit()
    # The API itself never hands the code out.
    response = requests.post(f"{stack.url}/v1/identity/verification-codes",
                             json={"channel": "SMS", "target": "13700000002", "purpose": "REGISTER"}, timeout=10)
    assert response.status_code == 200
    assert not any(value == code for value in response.json().values())
