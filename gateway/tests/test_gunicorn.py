"""The real gateway process: gunicorn with gateway/gunicorn_conf.py, over HTTP, in front of the echo server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from gateway.tests.conftest import dead_address
from gateway.tests.gateway_process import GatewayProcess

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
def gateway(echo_address: str) -> Iterator[GatewayProcess]:
    process = GatewayProcess(echo_address, echo_address, GATEWAY_MAX_BODY_BYTES="4096",
                             GATEWAY_RATE_LIMIT_PER_SECOND="0.1", GATEWAY_RATE_LIMIT_BURST="30",
                             GATEWAY_JWKS_REFETCH_SECONDS="0")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def gateway_without_upstream(echo_address: str) -> Iterator[GatewayProcess]:
    process = GatewayProcess(dead_address(), echo_address, GATEWAY_WORKERS="1")
    yield process
    process.stop()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_transcoded_call_over_http_carries_request_id_and_trace_to_the_service(gateway):
    response = requests.get(f"{gateway.url}/v1/echo/inspect", timeout=10,
                            headers={"X-Request-Id": "http-req-1", "traceparent": TRACEPARENT})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "http-req-1"
    metadata = response.json()["metadata"]
    assert metadata["x-request-id"] == "http-req-1"
    assert metadata["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert metadata["x-forwarded-for"] == "127.0.0.1"


def test_jwt_valid_expired_and_rotated_over_http(gateway, keys):
    valid = requests.get(f"{gateway.url}/v1/echo/inspect", headers=auth(keys.current.mint("acct-http")), timeout=10)
    assert valid.status_code == 200 and valid.json()["callerAccountId"] == "acct-http"
    expired = requests.get(f"{gateway.url}/v1/echo/inspect", timeout=10,
                           headers=auth(keys.current.mint("acct-http", ttl_seconds=-60)))
    assert expired.status_code == 401 and expired.json()["code"] == 16
    rotated = keys.rotate("key-http-rotated")
    # Both workers see the new key: each fetches the JWKS again on the unknown kid.
    for _ in range(4):
        response = requests.get(f"{gateway.url}/v1/echo/inspect", headers=auth(rotated.mint("acct-rot")), timeout=10)
        assert response.status_code == 200 and response.json()["callerAccountId"] == "acct-rot"


def test_field_violations_over_http(gateway):
    response = requests.post(f"{gateway.url}/v1/echo:fail", timeout=10,
                             json={"code": "INVALID_ARGUMENT", "fields": ["uscc"]})
    assert response.status_code == 400
    body = response.json()
    assert body["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert body["details"][0]["fieldViolations"][0]["field"] == "uscc"


def test_body_over_the_limit_is_413_over_http(gateway):
    response = requests.post(f"{gateway.url}/v1/echo:echo", json={"text": "x" * 8000}, timeout=10)
    assert response.status_code == 413
    assert response.json()["code"] == 3


def test_slow_upstream_with_client_timeout_is_504_over_http(gateway):
    response = requests.get(f"{gateway.url}/v1/echo/slow?millis=5000", headers={"Grpc-Timeout": "300m"}, timeout=10)
    assert response.status_code == 504
    assert response.json()["code"] == 4


def test_rate_limit_is_429_over_http(gateway, keys):
    headers = auth(keys.current.mint("acct-flood"))
    statuses = [requests.get(f"{gateway.url}/v1/echo/things/1", headers=headers, timeout=10).status_code
                for _ in range(70)]
    # Two workers, each with its own bucket of 30: at most about 60 pass.
    assert statuses.count(429) >= 1
    assert set(statuses) == {200, 429}


def test_openapi_over_http_lists_the_echo_routes(gateway):
    document = requests.get(f"{gateway.url}/openapi.json", timeout=30).json()
    assert document["openapi"] == "3.1.0"
    assert "post" in document["paths"]["/v1/echo/things/{id}:approve"]


def test_one_upstream_stopped_its_routes_503_the_others_200_and_the_gateway_stays_ready(gateway_without_upstream):
    response = requests.get(f"{gateway_without_upstream.url}/v1/echo/things/1", timeout=20)
    assert response.status_code == 503
    assert response.json()["code"] == 14
    assert requests.get(f"{gateway_without_upstream.url}/v1/identity/jwks", timeout=20).status_code == 200
    ready = requests.get(f"{gateway_without_upstream.url}/readyz", timeout=20)
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "SERVING" and body["identityKeys"] >= 1
    # Still reported, without taking the gateway out of service.
    assert body["upstreams"]["identity"] == {"tongban.identity.v1.DirectoryService": "SERVING"}
    assert body["upstreams"]["testing"]["tongban.testing.v1.EchoService"] != "SERVING"


def test_sigterm_stops_the_gateway_cleanly(echo_address):
    process = GatewayProcess(echo_address, echo_address, GATEWAY_WORKERS="1")
    assert requests.get(f"{process.url}/healthz", timeout=10).status_code == 200
    assert process.stop() == 0
