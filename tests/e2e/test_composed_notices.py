"""Notices staff write to enterprises, and announcements bound to their audience, through the gateway:
a local authority's notice reaches one enterprise's inbox with its sender and not another's, and an
announcement for one organisation is not found by anyone outside it."""

from __future__ import annotations

import pytest

from tests.e2e.test_notify_flows import ENTERPRISE, Api, _claims, _login, _title, _with_title
from tests.e2e.test_rare_earth_flows import _register_legal_person

pytestmark = pytest.mark.e2e
LOCAL_AUTHORITY = ("demo_local_auth", "13900000005")


@pytest.fixture(scope="module")
def parties(stack) -> dict[str, Api]:
    admin = stack.admin
    other = _register_legal_person(stack, "cnot")
    return {
        "admin": Api(stack.url, _login(stack, admin["login"], admin["phone"], admin["password"])),
        "local": Api(stack.url, _login(stack, *LOCAL_AUTHORITY)),
        "enterprise": Api(stack.url, _login(stack, *ENTERPRISE)),
        # A second enterprise, registered here: the owner of an organisation of its own.
        "other": Api(stack.url, other.headers["Authorization"].removeprefix("Bearer ")),
        "anonymous": Api(stack.url),
    }


def _org(api: Api) -> str:
    organization_id = _claims(api.token)["org"]
    assert organization_id, "the account acts for an organisation"
    return organization_id


def test_a_local_authoritys_notice_reaches_the_enterprise_with_its_sender_and_not_another(parties):
    local, enterprise, other = parties["local"], parties["enterprise"], parties["other"]
    title = _title("关于核查稀土台账的通知")
    sent = local.ok("POST", "/v1/notify/notices", {"system": "rare_earth", "title": title,
                                                   "body": "请于本月底前核对并报送台账。",
                                                   "organizationIds": [_org(enterprise)]})
    assert sent["sender"]["name"] == "地方主管部门（110000）" and sent["recipientsCount"] >= 1

    [message] = _with_title(enterprise, title)
    assert message["category"] == "notice" and message["noticeId"] == sent["id"]
    assert message["body"] == "请于本月底前核对并报送台账。"
    assert message["sender"] == {"name": "地方主管部门（110000）", "agency": "LOCAL_AUTHORITY:110000",
                                 "system": "rare_earth", "systemName": "稀土产品追溯"}
    assert _with_title(other, title) == []
    assert sent["id"] in [n["id"] for n in local.ok("GET", "/v1/notify/notices", pageSize=5)["notices"]]

    refused = enterprise.call("POST", "/v1/notify/notices", {"system": "rare_earth", "title": "企业不能发",
                                                              "body": "x", "organizationIds": [_org(other)]})
    assert refused.status_code == 403, refused.text
    bad = local.call("POST", "/v1/notify/notices", {"system": "rare_earth", "title": "", "body": "x",
                                                     "organizationIds": []})
    assert bad.status_code == 400, bad.text
    fields = {v["field"] for d in bad.json()["details"] for v in d.get("fieldViolations", [])}
    assert fields == {"title", "organizationIds"}


def test_an_announcement_for_one_organisation_is_not_found_outside_it(parties):
    enterprise, other, anonymous = parties["enterprise"], parties["other"], parties["anonymous"]
    title = _title("致示范企业的公告")
    created = parties["admin"].ok("POST", "/v1/notify/announcements", {
        "title": title, "body": "仅示范企业可见。",
        "audience": {"kind": "ORGANIZATIONS", "organizationIds": [_org(enterprise)]}})
    path = f"/v1/notify/announcements/{created['id']}"

    assert anonymous.call("GET", path).status_code == 404
    assert other.call("GET", path).status_code == 404
    assert enterprise.ok("GET", path)["title"] == title
    assert anonymous.ok("GET", "/v1/notify/announcements", title=title).get("totalSize", 0) == 0
    assert other.ok("GET", "/v1/notify/announcements", title=title).get("totalSize", 0) == 0
    assert [a["id"] for a in enterprise.ok("GET", "/v1/notify/announcements", title=title)["announcements"]] == [
        created["id"]]
