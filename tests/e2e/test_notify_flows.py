"""Notify end to end, through the gateway: announcements reaching inboxes once, the inbox and its unread
counts, templates for the admin only, the delivery search showing what was sent, and SMS opt-outs."""

from __future__ import annotations

import base64
import json
import random

import pytest
import requests

from services.chassis.testing import wait_until

pytestmark = pytest.mark.e2e
_rng = random.Random()
DEMO_PASSWORD = "Demo2026"
ENTERPRISE = ("demo_enterprise", "13900000001")
AGENT = ("demo_agent", "13900000002")
RE_OFFICE = ("demo_re_office", "13900000003")


def _login(stack, identifier: str, phone: str, password: str = DEMO_PASSWORD) -> str:
    return stack.access_token(identifier, password, phone)


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Api:
    def __init__(self, url: str, token: str | None = None):
        self.url = url
        self.token = token

    def call(self, method: str, path: str, body: dict | None = None, **params) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.request(method, f"{self.url}{path}", json=body, params=params or None, headers=headers,
                                timeout=30)

    def ok(self, method: str, path: str, body: dict | None = None, **params) -> dict:
        response = self.call(method, path, body, **params)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


@pytest.fixture(scope="module")
def people(stack) -> dict[str, Api]:
    admin = stack.admin
    return {
        "admin": Api(stack.url, _login(stack, admin["login"], admin["phone"], admin["password"])),
        "enterprise": Api(stack.url, _login(stack, *ENTERPRISE)),
        "agent": Api(stack.url, _login(stack, *AGENT)),
        "staff": Api(stack.url, _login(stack, *RE_OFFICE)),
        "anonymous": Api(stack.url),
    }


def _title(label: str) -> str:
    return f"{label}{_rng.randrange(10**6):06d}"


def _poll(check, what: str, timeout: float = 30.0):
    return wait_until(check, timeout, 0.2, what)


def _inbox(api: Api, **filters) -> dict:
    return api.ok("GET", "/v1/notify/inbox", pageSize=100, **filters)


def _with_title(api: Api, title: str) -> list[dict]:
    return [m for m in _inbox(api, q=title).get("messages", []) if m["title"] == title]


def test_an_admin_announcement_to_all_reaches_each_inbox_once_and_is_listed_and_searchable(people):
    title = _title("平台维护公告")
    created = people["admin"].ok("POST", "/v1/notify/announcements", {
        "title": title, "body": "平台将于周六凌晨维护两小时。", "audience": {"kind": "ALL"}, "channels": ["IN_SITE"]})
    assert created["title"] == title and created["id"]

    for who in ("enterprise", "agent", "staff"):
        found = _poll(lambda who=who: _with_title(people[who], title), f"the announcement in {who}'s inbox")
        assert len(found) == 1, f"{who} got the announcement {len(found)} times"
        assert found[0]["read"] is False and found[0]["system"] == "platform"

    public = people["anonymous"].ok("GET", "/v1/notify/announcements", title=title[-6:])
    assert [a["id"] for a in public["announcements"]] == [created["id"]] and public["totalSize"] == 1
    one = people["anonymous"].ok("GET", f"/v1/notify/announcements/{created['id']}")
    assert one["body"] == "平台将于周六凌晨维护两小时。"
    assert people["anonymous"].ok("GET", "/v1/notify/announcements", title="不存在的标题xyz").get("totalSize", 0) == 0


def test_staff_announce_to_their_systems_users_but_not_to_everyone(people):
    refused = people["staff"].call("POST", "/v1/notify/announcements", {
        "system": "rare_earth", "title": _title("全员通知"), "body": "正文", "audience": {"kind": "ALL"}})
    assert refused.status_code == 403, refused.text
    title = _title("稀土填报提醒")
    people["staff"].ok("POST", "/v1/notify/announcements", {
        "system": "rare_earth", "title": title, "body": "请按时填报本月台账。",
        "audience": {"kind": "SYSTEM", "system": "rare_earth"}, "channels": ["IN_SITE"]})
    [message] = _poll(lambda: _with_title(people["enterprise"], title), "the rare-earth notice")
    assert message["system"] == "rare_earth"
    assert _with_title(people["admin"], title) == []


def test_unread_counts_by_system_and_marking_one_or_all_read(people):
    enterprise, admin, staff = people["enterprise"], people["admin"], people["staff"]
    platform_title, rare_earth_title = _title("平台通知"), _title("稀土通知")
    admin.ok("POST", "/v1/notify/announcements", {
        "title": platform_title, "body": "平台通知正文", "audience": {"kind": "ALL"}, "channels": ["IN_SITE"]})
    staff.ok("POST", "/v1/notify/announcements", {
        "system": "rare_earth", "title": rare_earth_title, "body": "稀土通知正文",
        "audience": {"kind": "SYSTEM", "system": "rare_earth"}, "channels": ["IN_SITE"]})
    [platform_message] = _poll(lambda: _with_title(enterprise, platform_title), "the platform notice")
    _poll(lambda: _with_title(enterprise, rare_earth_title), "the rare-earth notice")

    counts = enterprise.ok("GET", "/v1/notify/inbox/unread-count")
    assert counts["bySystem"]["platform"] >= 1 and counts["bySystem"]["rare_earth"] >= 1
    assert counts["total"] == sum(counts["bySystem"].values())

    read = enterprise.ok("POST", f"/v1/notify/inbox/{platform_message['id']}:read", {})
    assert read["read"] is True
    after_one = enterprise.ok("GET", "/v1/notify/inbox/unread-count")
    assert after_one["bySystem"].get("platform", 0) == counts["bySystem"]["platform"] - 1
    assert _with_title(enterprise, platform_title)[0]["read"] is True
    # Someone else's message is not theirs to mark.
    assert people["agent"].call("POST", f"/v1/notify/inbox/{platform_message['id']}:read", {}).status_code == 404

    enterprise.ok("POST", "/v1/notify/inbox:read-all", {"system": "rare_earth"})
    after_all = enterprise.ok("GET", "/v1/notify/inbox/unread-count")
    assert after_all["bySystem"].get("rare_earth", 0) == 0
    assert after_all["bySystem"].get("platform", 0) == after_one["bySystem"].get("platform", 0)
    unread_rare_earth = _inbox(enterprise, system="rare_earth", read="false")
    assert unread_rare_earth.get("messages", []) == []


def test_templates_are_read_and_edited_by_the_admin_only(people):
    code = "rare_earth.affiliation.approved"
    for who in ("enterprise", "staff", "anonymous"):
        status = people[who].call("GET", f"/v1/notify/templates/{code}").status_code
        assert status in (401, 403), f"{who} read a template: {status}"
    current = people["admin"].ok("GET", f"/v1/notify/templates/{code}")
    assert set(current["placeholders"]) == {"enterpriseName", "parentName"}
    wording = current["inboxBody"] + "如有疑问请联系上级企业。"
    refused = people["staff"].call("PUT", f"/v1/notify/templates/{code}", {"inboxBody": wording})
    assert refused.status_code == 403
    edited = people["admin"].ok("PUT", f"/v1/notify/templates/{code}", {"inboxBody": wording})
    assert edited["version"] == current["version"] + 1 and edited["inboxBody"] == wording
    assert people["admin"].ok("GET", f"/v1/notify/templates/{code}")["inboxBody"] == wording
    bad = people["admin"].call("PUT", f"/v1/notify/templates/{code}", {"inboxBody": "{未闭合"})
    assert bad.status_code == 400, bad.text


def test_the_delivery_search_shows_the_admin_the_text_of_a_code_sms_in_dev(stack, people):
    phone = "13700009876"
    before = stack.code_count(phone)
    stack.request_code(phone, "REGISTER")
    code = stack.latest_code(phone, after=before)

    def found():
        page = people["admin"].ok("GET", "/v1/notify/deliveries", recipient=phone,
                                  template="identity.verification_code.register")
        return page.get("deliveries")

    [delivery] = _poll(found, "the code's delivery record")
    assert delivery["channel"] == "SMS" and delivery["recipient"] == phone
    assert delivery["status"] in ("SENT", "DELIVERED") and delivery["attempts"] == 1
    assert code in delivery["body"]
    assert people["enterprise"].call("GET", "/v1/notify/deliveries", recipient=phone).status_code == 403


def test_an_sms_opt_out_is_honoured_for_an_announcement_but_the_inbox_still_gets_it(stack, people):
    enterprise, admin = people["enterprise"], people["admin"]
    organization_id = _claims(enterprise.token)["org"]
    assert enterprise.ok("PUT", "/v1/notify/preferences", {"smsOptOut": True})["smsOptOut"] is True
    try:
        assert enterprise.ok("GET", "/v1/notify/preferences")["smsOptOut"] is True
        title = _title("示范企业通知")
        admin.ok("POST", "/v1/notify/announcements", {
            "title": title, "body": "请示范企业成员查看。", "channels": ["IN_SITE", "SMS"],
            "audience": {"kind": "ORGANIZATIONS", "organizationIds": [organization_id]}})

        def texts_to(phone: str) -> list[str]:
            return [sms["text"] for sms in stack.sent_sms() if sms["to"] == phone and title in sms["text"]]

        # The agent has not opted out: its SMS shows the announcement has been sent.
        assert _poll(lambda: texts_to(AGENT[1]), "the agent's SMS")
        _poll(lambda: _with_title(enterprise, title), "the announcement in the owner's inbox")
        assert texts_to(ENTERPRISE[1]) == []
        searched = admin.ok("GET", "/v1/notify/deliveries", recipient=ENTERPRISE[1],
                            template="notify.announcement.published")
        assert searched.get("deliveries", []) == []
    finally:
        enterprise.ok("PUT", "/v1/notify/preferences", {"smsOptOut": False})
