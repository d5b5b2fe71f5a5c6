"""The audit trail through the gateway: an enterprise's change in rare_earth is in that system's trail, for
its agencies' staff and the platform admin, and not for the enterprise."""

from __future__ import annotations

import jwt
import pytest

from tests.e2e.rare_earth import registration
from tests.e2e.support import Api, platform_admin, register_legal_person, staff

pytestmark = pytest.mark.e2e

SUBMIT = "/tongban.rare_earth.v1.RegistrationService/SubmitRegistration"


def _account_of(api: Api) -> str:
    token = api.headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})["sub"]


def test_an_enterprises_change_is_in_the_trail_for_its_agencys_staff_and_the_admin_not_for_itself(stack):
    admin = platform_admin(stack)
    operator = staff(stack, admin, "RE_OPERATOR")
    enterprise = register_legal_person(stack, "audit")
    saved = enterprise.put("/v1/rare-earth/registration", json=registration(enterprise.facts["name"], "MINING"))
    assert saved.status_code == 200, saved.text
    submitted = enterprise.post("/v1/rare-earth/registration:submit", json={})
    assert submitted.status_code == 200, submitted.text
    account = _account_of(enterprise)

    for viewer in (operator, admin):
        listed = viewer.get("/v1/rare-earth/audit-events", params={"actorId": account, "pageSize": 50})
        assert listed.status_code == 200, listed.text
        events = listed.json()["events"]
        actions = [event["action"] for event in events]
        assert SUBMIT in actions and actions[0] == SUBMIT  # newest first
        submit = events[0]
        assert submit["resultCode"] == "OK" and submit["actorKind"] and not submit.get("agency")
        assert submit["organizationId"] and submit["requestId"] and len(submit["hash"]) == 64
        assert listed.json()["totalSize"] == len(events) >= 2
    only_submits = operator.get("/v1/rare-earth/audit-events", params={"actorId": account,
                                                                       "action": "SubmitRegistration"})
    assert [event["action"] for event in only_submits.json()["events"]] == [SUBMIT]

    refused = enterprise.get("/v1/rare-earth/audit-events")
    assert refused.status_code == 403, refused.text
