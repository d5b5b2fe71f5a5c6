"""Notify end to end, through the gateway: announcements reaching inboxes once, the inbox and its unread
counts, templates for the admin only, the delivery search showing what was sent, and SMS opt-outs."""

from __future__ import annotations

import pytest

from services.chassis.testing import wait_until
from tests.e2e.support import (
    Api,
    claims,
    demo,
    inbox_titled,
    ok,
    platform_admin,
    unique_title,
)

pytestmark = pytest.mark.e2e
@pytest.fixture(scope="module")
def people(stack) -> dict[str, Api]:
    return {
        "admin": platform_admin(stack),
        "enterprise": demo(stack, "demo_enterprise"),
        "agent": demo(stack, "demo_agent"),
        "staff": demo(stack, "demo_re_office"),
        "anonymous": Api(stack.url, None),
    }


def _poll(check, what: str, timeout: float = 30.0):
    return wait_until(check, timeout, 0.2, what)


def _inbox(api: Api, **filters) -> dict:
    return ok(api.get("/v1/notify/inbox", params={"pageSize": 100, **filters}))


def test_an_admin_announcement_to_all_reaches_each_inbox_once_and_is_listed_and_searchable(people):
    title = unique_title("平台维护公告")
    created = ok(people["admin"].post("/v1/notify/announcements", json={
        "title": title, "body": "平台将于周六凌晨维护两小时。", "audience": {"kind": "ALL"}, "channels": ["IN_SITE"]}))
    assert created["title"] == title and created["id"]

    for who in ("enterprise", "agent", "staff"):
        found = _poll(lambda who=who: inbox_titled(people[who], title), f"the announcement in {who}'s inbox")
        assert len(found) == 1, f"{who} got the announcement {len(found)} times"
        assert found[0]["read"] is False and found[0]["system"] == "platform"

    public = ok(people["anonymous"].get("/v1/notify/announcements", params={"title": title[-6:]}))
    assert [a["id"] for a in public["announcements"]] == [created["id"]] and public["totalSize"] == 1
    one = ok(people["anonymous"].get(f"/v1/notify/announcements/{created['id']}"))
    assert one["body"] == "平台将于周六凌晨维护两小时。"
    nothing = ok(people["anonymous"].get("/v1/notify/announcements", params={"title": "不存在的标题xyz"}))
    assert nothing.get("totalSize", 0) == 0


def test_staff_announce_to_their_systems_users_but_not_to_everyone(people):
    refused = people["staff"].post("/v1/notify/announcements", json={
        "system": "rare_earth", "title": unique_title("全员通知"), "body": "正文", "audience": {"kind": "ALL"}})
    assert refused.status_code == 403, refused.text
    title = unique_title("稀土填报提醒")
    ok(people["staff"].post("/v1/notify/announcements", json={
        "system": "rare_earth", "title": title, "body": "请按时填报本月台账。",
        "audience": {"kind": "SYSTEM", "system": "rare_earth"}, "channels": ["IN_SITE"]}))
    [message] = _poll(lambda: inbox_titled(people["enterprise"], title), "the rare-earth notice")
    assert message["system"] == "rare_earth"
    assert inbox_titled(people["admin"], title) == []


def test_unread_counts_by_system_and_marking_one_or_all_read(people):
    enterprise, admin, staff = people["enterprise"], people["admin"], people["staff"]
    platform_title, rare_earth_title = unique_title("平台通知"), unique_title("稀土通知")
    ok(admin.post("/v1/notify/announcements", json={
        "title": platform_title, "body": "平台通知正文", "audience": {"kind": "ALL"}, "channels": ["IN_SITE"]}))
    ok(staff.post("/v1/notify/announcements", json={
        "system": "rare_earth", "title": rare_earth_title, "body": "稀土通知正文",
        "audience": {"kind": "SYSTEM", "system": "rare_earth"}, "channels": ["IN_SITE"]}))
    [platform_message] = _poll(lambda: inbox_titled(enterprise, platform_title), "the platform notice")
    _poll(lambda: inbox_titled(enterprise, rare_earth_title), "the rare-earth notice")

    counts = ok(enterprise.get("/v1/notify/inbox/unread-count"))
    assert counts["bySystem"]["platform"] >= 1 and counts["bySystem"]["rare_earth"] >= 1
    assert counts["total"] == sum(counts["bySystem"].values())

    read = ok(enterprise.post(f"/v1/notify/inbox/{platform_message['id']}:read", json={}))
    assert read["read"] is True
    after_one = ok(enterprise.get("/v1/notify/inbox/unread-count"))
    assert after_one["bySystem"].get("platform", 0) == counts["bySystem"]["platform"] - 1
    assert inbox_titled(enterprise, platform_title)[0]["read"] is True
    # Someone else's message is not theirs to mark.
    assert people["agent"].post(f"/v1/notify/inbox/{platform_message['id']}:read", json={}).status_code == 404

    ok(enterprise.post("/v1/notify/inbox:read-all", json={"system": "rare_earth"}))
    after_all = ok(enterprise.get("/v1/notify/inbox/unread-count"))
    assert after_all["bySystem"].get("rare_earth", 0) == 0
    assert after_all["bySystem"].get("platform", 0) == after_one["bySystem"].get("platform", 0)
    unread_rare_earth = _inbox(enterprise, system="rare_earth", read="false")
    assert unread_rare_earth.get("messages", []) == []


def test_templates_are_read_and_edited_by_the_admin_only(people):
    code = "rare_earth.affiliation.approved"
    for who in ("enterprise", "staff", "anonymous"):
        status = people[who].get(f"/v1/notify/templates/{code}").status_code
        assert status in (401, 403), f"{who} read a template: {status}"
    current = ok(people["admin"].get(f"/v1/notify/templates/{code}"))
    assert set(current["placeholders"]) == {"enterpriseName", "parentName"}
    wording = current["inboxBody"] + "如有疑问请联系上级企业。"
    refused = people["staff"].put(f"/v1/notify/templates/{code}", json={"inboxBody": wording})
    assert refused.status_code == 403
    edited = ok(people["admin"].put(f"/v1/notify/templates/{code}", json={"inboxBody": wording}))
    assert edited["version"] == current["version"] + 1 and edited["inboxBody"] == wording
    assert ok(people["admin"].get(f"/v1/notify/templates/{code}"))["inboxBody"] == wording
    bad = people["admin"].put(f"/v1/notify/templates/{code}", json={"inboxBody": "{未闭合"})
    assert bad.status_code == 400, bad.text


def test_the_delivery_search_shows_the_admin_the_text_of_a_code_sms_in_dev(stack, people):
    phone = "13700009876"
    before = stack.code_count(phone)
    stack.request_code(phone, "REGISTER")
    code = stack.latest_code(phone, after=before)

    def found():
        page = ok(people["admin"].get("/v1/notify/deliveries", params={
            "recipient": phone, "template": "identity.verification_code.register"}))
        return page.get("deliveries")

    [delivery] = _poll(found, "the code's delivery record")
    assert delivery["channel"] == "SMS" and delivery["recipient"] == phone
    assert delivery["status"] in ("SENT", "DELIVERED") and delivery["attempts"] == 1
    assert code in delivery["body"]
    assert people["enterprise"].get("/v1/notify/deliveries", params={"recipient": phone}).status_code == 403


def test_an_sms_opt_out_is_honoured_for_an_announcement_but_the_inbox_still_gets_it(stack, people):
    enterprise, admin = people["enterprise"], people["admin"]
    organization_id = claims(enterprise.token)["org"]
    assert ok(enterprise.put("/v1/notify/preferences", json={"smsOptOut": True}))["smsOptOut"] is True
    try:
        assert ok(enterprise.get("/v1/notify/preferences"))["smsOptOut"] is True
        title = unique_title("示范企业通知")
        ok(admin.post("/v1/notify/announcements", json={
            "title": title, "body": "请示范企业成员查看。", "channels": ["IN_SITE", "SMS"],
            "audience": {"kind": "ORGANIZATIONS", "organizationIds": [organization_id]}}))

        def texts_to(phone: str) -> list[str]:
            return [sms["text"] for sms in stack.sent_sms() if sms["to"] == phone and title in sms["text"]]

        # The agent has not opted out: its SMS shows the announcement has been sent.
        assert _poll(lambda: texts_to(people["agent"].facts["phone"]), "the agent's SMS")
        _poll(lambda: inbox_titled(enterprise, title), "the announcement in the owner's inbox")
        assert texts_to(enterprise.facts["phone"]) == []
        searched = ok(admin.get("/v1/notify/deliveries", params={"recipient": enterprise.facts["phone"],
                                                                  "template": "notify.announcement.published"}))
        assert searched.get("deliveries", []) == []
    finally:
        ok(enterprise.put("/v1/notify/preferences", json={"smsOptOut": False}))
