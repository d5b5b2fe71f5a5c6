"""Notices written to enterprises, and announcements bound to their audience, through the gateway: a
local authority's notice reaches an enterprise of its region with its sender and not another's, and one to
an enterprise outside its region is refused; a parent unit's notice reaches its approved affiliate with the
parent named; an announcement for one organisation is not found by anyone outside it."""

from __future__ import annotations

import pytest

from tests.e2e.rare_earth import register_and_approve
from tests.e2e.support import (
    Api,
    claims,
    demo,
    inbox_titled,
    ok,
    platform_admin,
    register_legal_person,
    unique_title,
)

pytestmark = pytest.mark.e2e
BEIJING = {"provinceCode": "110000", "cityCode": "110100", "address": "北京市东城区稀土大街1号"}


def _approved_enterprise(stack, operator: Api, label: str, enterprise_type: str, where: dict) -> tuple[Api, str]:
    """A legal person registered here, its rare-earth registration approved: its owner and enterprise id."""
    owner = register_legal_person(stack, label)
    return owner, register_and_approve(owner, operator, enterprise_type, **where)


@pytest.fixture(scope="module")
def parties(stack) -> dict[str, Api]:
    operator = demo(stack, "demo_operator")
    # An enterprise of the local authority's region (110000), one of Ganzhou's, and a group the first
    # joined, its affiliation approved.
    inside, _ = _approved_enterprise(stack, operator, "cnin", "MINING", BEIJING)
    other, _ = _approved_enterprise(stack, operator, "cnot", "MINING", {})
    group, group_id = _approved_enterprise(stack, operator, "cngr", "GROUP", {})
    asked = inside.post("/v1/rare-earth/affiliations", json={
        "parentType": "GROUP", "parentEnterpriseId": group_id, "relation": "HOLDING", "shareRatio": "60",
        "parentMayViewLedgers": False})
    assert asked.status_code == 201, asked.text
    asked = asked.json()
    ok(group.post(f"/v1/rare-earth/affiliations/{asked['id']}:approve", json={}))
    return {
        "admin": platform_admin(stack),
        "local": demo(stack, "demo_local_auth"),
        "enterprise": demo(stack, "demo_enterprise"),
        "inside": inside,
        "other": other,
        "group": group,
        "anonymous": Api(stack.url, None),
    }


def _org(api: Api) -> str:
    organization_id = claims(api.token)["org"]
    assert organization_id, "the account acts for an organisation"
    return organization_id


def _fields(response) -> set[str]:
    return {v["field"] for d in response.json()["details"] for v in d.get("fieldViolations", [])}


def test_a_local_authoritys_notice_reaches_its_regions_enterprise_and_not_one_outside_it(parties):
    local, inside, other = parties["local"], parties["inside"], parties["other"]
    title = unique_title("关于核查稀土台账的通知")
    sent = ok(local.post("/v1/notify/notices", json={"system": "rare_earth", "title": title,
                                                   "body": "请于本月底前核对并报送台账。",
                                                   "organizationIds": [_org(inside)]}))
    assert sent["sender"]["name"] == "地方主管部门（110000）" and sent["recipientsCount"] >= 1

    [message] = inbox_titled(inside, title)
    assert message["category"] == "notice" and message["noticeId"] == sent["id"]
    assert message["body"] == "请于本月底前核对并报送台账。"
    assert message["sender"] == {"name": "地方主管部门（110000）", "agency": "LOCAL_AUTHORITY:110000",
                                 "system": "rare_earth", "systemName": "稀土产品追溯"}
    assert inbox_titled(other, title) == []
    assert sent["id"] in [n["id"] for n in ok(local.get("/v1/notify/notices", params={"pageSize": 5}))["notices"]]

    outside = unique_title("发往辖区外的通知")
    refused = local.post("/v1/notify/notices", json={"system": "rare_earth", "title": outside, "body": "x",
                                                         "organizationIds": [_org(inside), _org(other)]})
    assert refused.status_code == 400, refused.text
    assert _fields(refused) == {"organizationIds[1]"}
    assert inbox_titled(inside, outside) == [] and inbox_titled(other, outside) == []

    refused = parties["enterprise"].post("/v1/notify/notices", json={
        "system": "rare_earth", "title": "企业不能发", "body": "x", "organizationIds": [_org(other)]})
    assert refused.status_code == 403, refused.text
    bad = local.post("/v1/notify/notices", json={"system": "rare_earth", "title": "", "body": "x",
                                                     "organizationIds": []})
    assert bad.status_code == 400, bad.text
    assert _fields(bad) == {"title", "organizationIds"}


def test_a_parent_units_notice_reaches_its_affiliate_with_the_parent_named(parties):
    group, inside, other = parties["group"], parties["inside"], parties["other"]
    title = unique_title("集团关于安全生产的通知")
    sent = ok(group.post("/v1/notify/notices", json={"system": "rare_earth", "title": title, "body": "请各子公司自查。",
                                                   "organizationIds": [_org(inside)]}))
    [message] = inbox_titled(inside, title)
    assert message["noticeId"] == sent["id"]
    assert message["sender"]["name"] == "cngr稀土测试有限公司" and message["sender"]["agency"] == "GROUP_COMPANY"
    refused = group.post("/v1/notify/notices", json={"system": "rare_earth", "title": unique_title("非所属企业"),
                                                         "body": "x", "organizationIds": [_org(other)]})
    assert refused.status_code == 400 and _fields(refused) == {"organizationIds[0]"}, refused.text


def test_an_announcement_for_one_organisation_is_not_found_outside_it(parties):
    enterprise, other, anonymous = parties["enterprise"], parties["other"], parties["anonymous"]
    title = unique_title("致示范企业的公告")
    created = ok(parties["admin"].post("/v1/notify/announcements", json={
        "title": title, "body": "仅示范企业可见。",
        "audience": {"kind": "ORGANIZATIONS", "organizationIds": [_org(enterprise)]}}))
    path = f"/v1/notify/announcements/{created['id']}"

    assert anonymous.get(path).status_code == 404
    assert other.get(path).status_code == 404
    assert ok(enterprise.get(path))["title"] == title
    assert ok(anonymous.get("/v1/notify/announcements", params={"title": title})).get("totalSize", 0) == 0
    assert ok(other.get("/v1/notify/announcements", params={"title": title})).get("totalSize", 0) == 0
    listed = ok(enterprise.get("/v1/notify/announcements", params={"title": title}))
    assert [a["id"] for a in listed["announcements"]] == [created["id"]]
