"""Prompt revocation, end to end on both profiles: after a logout, or the member being disabled, the access
token already issued is refused within 5 s at the gateway and on a direct gRPC call to another service."""

from __future__ import annotations

import time

import grpc
import pytest
import requests

from protos.rare_earth.v1 import registration_pb2, registration_pb2_grpc
from tests.e2e.identity import (
    approved_agent,
    get,
    log_in,
    post,
    register_legal_person_account,
)

pytestmark = pytest.mark.e2e
BOUND_SECONDS = 5.0
REVOKED_MESSAGE = "会话已失效，请重新登录"


def _reason(response: requests.Response) -> str:
    return next((d.get("reason", "") for d in response.json().get("details", []) if "reason" in d), "")


def _grpc_answer(stack, token: str) -> grpc.StatusCode:
    """What rare_earth itself, called on its own port without the gateway, answers the token."""
    with grpc.insecure_channel(f"127.0.0.1:{stack.env['RARE_EARTH_PORT']}") as channel:
        stub = registration_pb2_grpc.RegistrationServiceStub(channel)
        try:
            stub.GetRegistration(registration_pb2.GetRegistrationRequest(), timeout=5,
                                 metadata=(("authorization", f"Bearer {token}"),))
        except grpc.RpcError as error:
            return error.code()
    return grpc.StatusCode.OK


def _assert_works(stack, token: str) -> None:
    assert get(stack, "/v1/rare-earth/registration", token).status_code == 200
    assert _grpc_answer(stack, token) == grpc.StatusCode.OK


def _refused_everywhere_within_bound(stack, token: str, since: float) -> float:
    """Seconds from ``since`` until both the gateway and rare_earth refuse ``token``, polled every 0.2 s."""
    gateway_at = grpc_at = None
    while gateway_at is None or grpc_at is None:
        elapsed = time.monotonic() - since
        assert elapsed < BOUND_SECONDS, (f"still accepted after {elapsed:.1f} s: gateway refused: {gateway_at}, "
                                         f"gRPC refused: {grpc_at}")
        if gateway_at is None:
            refused = get(stack, "/v1/rare-earth/registration", token)
            if refused.status_code == 401:
                assert (_reason(refused), refused.json()["message"]) == ("TOKEN_REVOKED", REVOKED_MESSAGE)
                gateway_at = elapsed
        if grpc_at is None and _grpc_answer(stack, token) == grpc.StatusCode.UNAUTHENTICATED:
            grpc_at = elapsed
        time.sleep(0.2)
    return max(gateway_at, grpc_at)


def test_a_logged_out_token_is_refused_at_the_gateway_and_by_another_service_within_5_seconds(stack):
    owner = register_legal_person_account(stack)
    token = log_in(stack, owner)["accessToken"]
    other_session = log_in(stack, owner)["accessToken"]
    _assert_works(stack, token)
    logged_out = requests.delete(f"{stack.url}/v1/identity/sessions/current",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert logged_out.status_code == 200, logged_out.text
    delay = _refused_everywhere_within_bound(stack, token, time.monotonic())
    print(f"logged-out token refused everywhere after {delay:.2f} s")
    assert delay < BOUND_SECONDS
    # Only that session ended: the account's other one still works everywhere.
    _assert_works(stack, other_session)


def test_a_disabled_members_token_is_refused_at_the_gateway_and_by_another_service_within_5_seconds(stack):
    owner, owner_token, agent, agent_session = approved_agent(stack)
    org = owner["organizationId"]
    granted = requests.put(f"{stack.url}/v1/identity/organizations/{org}/members/{agent['accountId']}/scopes",
                           json={"scopes": ["rare_earth"]}, headers={"Authorization": f"Bearer {owner_token}"},
                           timeout=10)
    assert granted.status_code == 200, granted.text
    token = post(stack, "/v1/identity/sessions:switch-organization", {"organizationId": org},
                  agent_session["accessToken"]).json()["accessToken"]
    _assert_works(stack, token)
    disabled = post(stack, f"/v1/identity/organizations/{org}/members/{agent['accountId']}:disable", {}, owner_token)
    assert disabled.status_code == 200, disabled.text
    delay = _refused_everywhere_within_bound(stack, token, time.monotonic())
    print(f"disabled member's token refused everywhere after {delay:.2f} s")
    assert delay < BOUND_SECONDS
    _assert_works(stack, owner_token)
