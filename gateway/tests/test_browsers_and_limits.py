"""What a browser on another origin sees (CORS), and the rate limit shared through Redis: over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
import requests

from gateway.tests.conftest import ECHO_MODULES
from gateway.tests.gateway_process import GatewayProcess
from gateway.transcoder import RouteTable

REDIS_URL = "redis://127.0.0.1:6379/0"
PORTAL = "https://portal.tongban.example.cn"


@pytest.fixture(scope="module")
def dev_gateway(echo_address: str) -> Iterator[GatewayProcess]:
    process = GatewayProcess(echo_address, echo_address, GATEWAY_WORKERS="1", GATEWAY_RATE_LIMIT_PER_SECOND="0")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def prod_gateway(echo_address: str) -> Iterator[GatewayProcess]:
    process = GatewayProcess(echo_address, echo_address, GATEWAY_WORKERS="1", GATEWAY_RATE_LIMIT_PER_SECOND="0",
                             TONGBAN_ENV="prod", GATEWAY_CORS_ORIGINS=f"{PORTAL}, https://agency.example.cn")
    yield process
    process.stop()


def preflight(url: str, origin: str, method: str = "GET", headers: str = "authorization,content-type"):
    return requests.options(url, timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def test_in_dev_a_page_on_localhost_at_any_port_may_call_with_credentials(dev_gateway, keys):
    for origin in ("http://localhost:5173", "http://127.0.0.1:8000", "http://localhost"):
        answer = preflight(f"{dev_gateway.url}/v1/echo/things/7", origin)
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == origin
        assert answer.headers["Access-Control-Allow-Credentials"] == "true"
        assert "GET" in answer.headers["Access-Control-Allow-Methods"]
        assert {"authorization", "content-type"} <= {
            h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    token = keys.current.mint("acct-browser")
    call = requests.get(f"{dev_gateway.url}/v1/echo/things/7", timeout=10,
                        headers={"Origin": "http://localhost:5173", "Authorization": f"Bearer {token}"})
    assert call.status_code == 200
    assert call.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert call.headers["Access-Control-Allow-Credentials"] == "true"
    exposed = {h.strip().lower() for h in call.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after"} <= exposed
    assert "Origin" in call.headers["Vary"]


def test_in_dev_another_origin_gets_no_cors_headers(dev_gateway):
    answer = preflight(f"{dev_gateway.url}/v1/echo/things/7", "https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in answer.headers
    call = requests.get(f"{dev_gateway.url}/v1/echo/things/7", headers={"Origin": "https://evil.example.com"},
                        timeout=10)
    assert "Access-Control-Allow-Origin" not in call.headers


def test_in_prod_only_the_configured_origins_may_call(prod_gateway):
    allowed = preflight(f"{prod_gateway.url}/v1/echo/things/t1:approve", PORTAL, "POST")
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == PORTAL
    call = requests.post(f"{prod_gateway.url}/v1/echo/things/t1:approve", json={"comment": "ok"},
                         headers={"Origin": PORTAL}, timeout=10)
    assert call.status_code == 200 and call.headers["Access-Control-Allow-Origin"] == PORTAL
    for refused in ("http://localhost:5173", "https://portal.tongban.example.cn.evil.com"):
        assert "Access-Control-Allow-Origin" not in preflight(f"{prod_gateway.url}/v1/echo/things/7",
                                                              refused).headers


def test_a_preflight_is_answered_for_every_route_and_only_where_a_route_is(make_client):
    client = make_client()
    for route in RouteTable.from_modules(ECHO_MODULES).routes:
        path = "/" + "/".join("x" if s in ("*", "**") else s for s in route.template.segments)
        path += f":{route.template.verb}" if route.template.verb else ""
        answer = client.options(path, headers={"Origin": "http://localhost:3000",
                                               "Access-Control-Request-Method": route.http_method})
        assert answer.status_code == 204, (route.http_method, path)
        assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert route.http_method in answer.headers["Allow"]
    nowhere = client.options("/v1/nowhere", headers={"Origin": "http://localhost:3000",
                                                      "Access-Control-Request-Method": "GET"})
    assert nowhere.status_code == 404


# -- the rate limit across workers and pods --------------------------------------------------------

@pytest.fixture(scope="module")
def redis_prefix_cleanup() -> Iterator[None]:
    yield
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("tongban-gateway*acct-shared-*"):
        client.delete(key)


def test_with_redis_one_limit_holds_across_every_worker_of_two_gateways(echo_address, keys, redis_prefix_cleanup):
    limits = {"REDIS_URL": REDIS_URL, "GATEWAY_RATE_LIMIT_PER_SECOND": "0.1", "GATEWAY_RATE_LIMIT_BURST": "30",
              "GATEWAY_WORKERS": "2"}
    pods = [GatewayProcess(echo_address, echo_address, **limits) for _ in range(2)]
    try:
        headers = {"Authorization": f"Bearer {keys.current.mint(f'acct-shared-{uuid.uuid4().hex}')}"}
        answers = [requests.get(f"{pods[n % 2].url}/v1/echo/things/1", headers=headers, timeout=10)
                   for n in range(80)]
    finally:
        for pod in pods:
            pod.stop()
    statuses = [answer.status_code for answer in answers]
    # Four workers with buckets of their own would let up to 120 through; one shared window lets 30.
    assert statuses.count(200) == 30
    assert set(statuses) == {200, 429}
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["code"] == 8


def test_with_redis_down_requests_still_pass(make_client):
    client = make_client(rate_limit_per_second=0.1, rate_limit_burst=1, redis_url="redis://127.0.0.1:1/0")
    assert [client.get("/v1/echo/things/1").status_code for _ in range(3)] == [200, 200, 200]
