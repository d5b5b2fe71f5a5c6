"""Rare-earth flows through the gateway: registration and review, affiliation, quota plans, the dictionary."""

from __future__ import annotations

import io
import random
from urllib.parse import unquote

import pytest
from python_calamine import CalamineWorkbook

from tests.e2e.rare_earth import XLSX, register_and_approve, registration
from tests.e2e.support import digits, platform_admin, reason_of, register_legal_person, staff

pytestmark = pytest.mark.e2e

@pytest.fixture(scope="module")
def people(stack):
    admin = platform_admin(stack)
    actors = {"office": staff(stack, admin, "MIIT_RE_OFFICE"), "operator": staff(stack, admin, "RE_OPERATOR")}
    for label in ("group", "mine", "trade", "walker"):
        actors[label] = register_legal_person(stack, label)
    for label, enterprise_type in (("group", "GROUP"), ("mine", "MINING"), ("trade", "FOREIGN_TRADE")):
        actors[label].facts["id"] = register_and_approve(actors[label], actors["operator"], enterprise_type)
    return actors


def test_an_enterprise_walks_from_registration_through_rejection_to_approval(people):
    walker, operator = people["walker"], people["operator"]
    fields = registration("赣州走流程稀土有限公司", "SMELTING_SEPARATION")
    saved = walker.put("/v1/rare-earth/registration", json=fields)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "DRAFT"
    assert saved.json()["uscc"] == walker.facts["uscc"]
    assert saved.json()["cityName"] == "赣州市"

    submitted = walker.post("/v1/rare-earth/registration:submit", json={})
    assert submitted.json()["status"] == "PENDING_REVIEW"
    locked = walker.put("/v1/rare-earth/registration", json=registration("改名", "MINING"))
    assert locked.status_code == 400 and "审核中" in locked.json()["message"]
    gated = walker.get("/v1/rare-earth/profile")
    assert gated.status_code == 400
    assert reason_of(gated) == "REGISTRATION_NOT_APPROVED"

    registration_id = submitted.json()["id"]
    pending = operator.get("/v1/rare-earth/registrations", params={"status": "PENDING_REVIEW", "pageSize": 200})
    assert registration_id in [r["id"] for r in pending.json()["registrations"]]
    rejected = operator.post(f"/v1/rare-earth/registrations/{registration_id}:reject", json={"reason": "地址不详"})
    assert rejected.json()["status"] == "REJECTED"

    seen = walker.get("/v1/rare-earth/registration").json()
    assert (seen["status"], seen["rejectionReason"]) == ("REJECTED", "地址不详")
    walker.put("/v1/rare-earth/registration", json=fields | {"address": "赣州市章贡区稀土大道8号3栋"})
    assert walker.post("/v1/rare-earth/registration:submit", json={}).json()["status"] == "PENDING_REVIEW"
    approved = operator.post(f"/v1/rare-earth/registrations/{registration_id}:approve", json={})
    assert approved.json()["status"] == "APPROVED"
    assert walker.get("/v1/rare-earth/profile").json()["published"]["address"] == "赣州市章贡区稀土大道8号3栋"


def test_bad_registration_input_names_each_field(people):
    response = people["walker"].put("/v1/rare-earth/registration",
                                    json=registration("名" * 31, "MINING") | {"cityCode": "150200"})
    assert response.status_code == 400
    fields = {v["field"] for d in response.json()["details"] for v in d.get("fieldViolations", [])}
    assert {"enterpriseName", "cityCode"} <= fields


def test_affiliation_plan_allocation_and_confirmation_down_the_chain(people):
    office, group, mine, trade = people["office"], people["group"], people["mine"], people["trade"]
    group_id, mine_id = group.facts["id"], mine.facts["id"]

    parents = mine.get("/v1/rare-earth/enterprises", params={"type": "GROUP", "pageSize": 200}).json()
    assert group_id in [e["id"] for e in parents["enterprises"]]
    asked = mine.post("/v1/rare-earth/affiliations", json={
        "parentType": "GROUP", "parentEnterpriseId": group_id, "relation": "HOLDING", "shareRatio": "60",
        "parentMayViewLedgers": True})
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "PENDING"

    not_yet = group.get(f"/v1/rare-earth/enterprises/{mine_id}")
    assert not_yet.status_code == 404  # a parent without an approved affiliation reads nothing, not even that it exists
    incoming = group.get("/v1/rare-earth/affiliations", params={"as": "parent"}).json()["affiliations"]
    assert [a["id"] for a in incoming] == [asked.json()["id"]]
    approved = group.post(f"/v1/rare-earth/affiliations/{asked.json()['id']}:approve", json={})
    assert approved.json()["status"] == "APPROVED"
    assert group.get(f"/v1/rare-earth/enterprises/{mine_id}").json()["contactName"] == "赵工"

    year = 2040 + random.randrange(50)
    plan = office.post("/v1/rare-earth/quota-plans", json={
        "year": year, "batch": 1, "kind": "MINING", "allocations": [{"enterpriseId": group_id, "quota": "1000"}]})
    assert plan.status_code == 201, plan.text

    allocated = group.post(f"/v1/rare-earth/quota-plans/{plan.json()['id']}/allocations",
                           json={"toEnterpriseId": mine_id, "quota": "400"})
    assert allocated.status_code == 201, allocated.text
    over = group.post(f"/v1/rare-earth/quota-plans/{plan.json()['id']}/allocations",
                      json={"toEnterpriseId": mine_id, "quota": "600.5"})
    assert over.status_code == 400 and reason_of(over) == "QUOTA_EXCEEDED"
    not_a_number = group.post(f"/v1/rare-earth/quota-plans/{plan.json()['id']}/allocations",
                              json={"toEnterpriseId": mine_id, "quota": "四百"})
    assert not_a_number.status_code == 400
    assert {v["field"] for d in not_a_number.json()["details"] for v in d.get("fieldViolations", [])} == {"quota"}

    received = mine.get("/v1/rare-earth/quota-allocations", params={"year": year, "batch": 1}).json()
    assert [a["quota"] for a in received["quotaAllocations"]] == ["400.000"]
    records = mine.get(f"/v1/rare-earth/quota-allocations/{received['quotaAllocations'][0]['id']}/records").json()
    assert records["allocationRecords"][0]["allocatingUnit"] == group.facts["name"]

    confirmed = mine.post("/v1/rare-earth/plan-confirmations", json={"year": year, "batch": 1})
    assert confirmed.status_code == 201, confirmed.text
    stats = mine.get("/v1/rare-earth/plan-confirmations:statistics", params={"year": year}).json()
    assert stats["totalConfirmed"] == "400.000"

    refused = trade.post("/v1/rare-earth/plan-confirmations", json={"year": year, "batch": 1})
    assert refused.status_code == 400 and reason_of(refused) == "TRADE_ENTERPRISE_NO_PLAN"
    nosy = trade.get(f"/v1/rare-earth/enterprises/{mine_id}")
    assert nosy.status_code == 404


def test_an_unapproved_enterprise_is_refused_with_the_reason(stack, people):
    newcomer = register_legal_person(stack, "newbie")
    refused = newcomer.get("/v1/rare-earth/dictionary/products")
    assert refused.status_code == 400
    assert reason_of(refused) == "REGISTRATION_NOT_APPROVED"
    assert "注册" in refused.json()["message"]


def test_the_dictionary_exports_as_a_real_xlsx_and_office_edits_show_up(people):
    mine, office = people["mine"], people["office"]
    exported = mine.get("/v1/rare-earth/dictionary/products:export", params={"category": "稀土金属及合金"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"].startswith(XLSX)
    assert "稀土产品名称列表" in unquote(exported.headers["Content-Disposition"])
    rows = CalamineWorkbook.from_filelike(io.BytesIO(exported.content)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["产品类别", "产品名称", "产品编号"]
    assert "镨钕金属" in [row[1] for row in rows[1:]]

    code = f"38249{digits(5)}"
    created = office.post("/v1/rare-earth/dictionary/customs-products",
                          json={"code": code, "name": "稀土化学品（测试）", "unit": "千克"})
    assert created.status_code == 201, created.text
    found = mine.get("/v1/rare-earth/dictionary/customs-products", params={"code": code}).json()
    assert [c["code"] for c in found["customsProducts"]] == [code]
    refused = mine.post("/v1/rare-earth/dictionary/customs-products",
                        json={"code": f"38249{digits(5)}", "name": "越权", "unit": "千克"})
    assert refused.status_code == 403
