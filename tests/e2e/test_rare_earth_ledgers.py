"""Rare-earth ledgers through the gateway: template, upload with errors, confirm, re-upload, window and override,
traceability both ways, the jobs opening cases, and a case transferred and closed with its flow."""

from __future__ import annotations

import pytest
import requests

from services.rare_earth.tests.ledger_support import OXIDE, fill
from tests.e2e.rare_earth import XLSX, register_and_approve, sale, set_window, template
from tests.e2e.support import Api, inbox_message, platform_admin, reason_of, register_legal_person, staff

pytestmark = pytest.mark.e2e

LEDGER_MONTH = (2045, 1)
TRACE_MONTH = (2045, 2)


@pytest.fixture(scope="module")
def actors(stack):
    admin = platform_admin(stack)
    people = {"office": staff(stack, admin, "MIIT_RE_OFFICE"), "operator": staff(stack, admin, "RE_OPERATOR")}
    for label, enterprise_type in (("seller", "SMELTING_SEPARATION"), ("buyer", "FUNCTIONAL_MATERIAL")):
        people[label] = register_legal_person(stack, f"l{label[:3]}")
        people[label].facts["id"] = register_and_approve(people[label], people["operator"], enterprise_type)
    for year, month in (LEDGER_MONTH, TRACE_MONTH):
        set_window(people["office"], year, month, "2000-01-01", "2099-12-31")
    return people


def _upload(api: Api, kind: str, year: int, month: int, rows: list[list[object]]):
    content = fill(template(api, kind), rows)
    return api.post(f"/v1/rare-earth/ledgers/{kind}/imports", data={"year": str(year), "month": str(month)},
                    files={"file": (f"{kind.lower()}.xlsx", content, XLSX)})


def _confirm(api: Api, imported) -> dict:
    assert imported.status_code == 201, imported.text
    assert imported.json()["status"] == "VALID", imported.json().get("errors")
    confirmed = api.post(f"/v1/rare-earth/ledgers/imports/{imported.json()['importId']}:confirm", json={})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "CONFIRMED"
    return confirmed.json()


def _rows(api: Api, kind: str, year: int, month: int) -> list[dict]:
    response = api.get(f"/v1/rare-earth/ledgers/{kind}", params={"year": year, "month": month, "pageSize": 100})
    assert response.status_code == 200, response.text
    return response.json().get("ledgerRows", [])


def test_upload_fix_confirm_reupload_window_and_override(actors):
    seller, buyer, office = actors["seller"], actors["buyer"], actors["office"]
    year, month = LEDGER_MONTH
    bad_uscc = buyer.facts["uscc"][:-1] + ("0" if buyer.facts["uscc"][-1] != "0" else "1")
    broken = [sale(year, month, buyer, "B-1"),
              [f"{year}-{month:02d}-07", buyer.facts["name"], bad_uscc, *OXIDE, 300, "", "", "", "B-2"]]
    invalid = _upload(seller, "SALES", year, month, broken)
    assert invalid.status_code == 201, invalid.text
    body = invalid.json()
    assert body["status"] == "INVALID" and body["rowCount"] == 2
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "C")]
    assert "统一社会信用代码" in body["errors"][0]["message"]
    assert _rows(seller, "SALES", year, month) == []
    refused = seller.post(f"/v1/rare-earth/ledgers/imports/{body['importId']}:confirm", json={})
    assert refused.status_code == 400

    fixed = _upload(seller, "SALES", year, month, [sale(year, month, buyer, "B-1"), sale(year, month, buyer, "B-2")])
    preview = fixed.json()["preview"]
    assert len(preview) == 2 and all(p["traceabilityCode"] for p in preview)
    _confirm(seller, fixed)
    assert [r["batchNo"] for r in _rows(seller, "SALES", year, month)] == ["B-1", "B-2"]

    _confirm(seller, _upload(seller, "SALES", year, month, [sale(year, month, buyer, "B-9", kg=42)]))
    rows = _rows(seller, "SALES", year, month)
    assert [(r["batchNo"], r["quantityKg"]) for r in rows] == [("B-9", "42.000")]

    set_window(office, year, month, "2000-01-01", "2000-01-10")
    late = _upload(seller, "SALES", year, month, [sale(year, month, buyer, "B-LATE")])
    assert late.status_code == 400, late.text
    assert reason_of(late) == "REPORTING_WINDOW_CLOSED" and "报送时间已截止" in late.json()["message"]

    applied = seller.post("/v1/rare-earth/ledger-overrides",
                          json={"kind": "SALES", "year": year, "month": month, "reason": "更正客户信息"})
    assert applied.status_code == 201, applied.text
    assert applied.json()["status"] == "PENDING"
    approved = office.post(f"/v1/rare-earth/ledger-overrides/{applied.json()['id']}:approve", json={})
    assert approved.status_code == 200 and approved.json()["status"] == "APPROVED", approved.text
    _confirm(seller, _upload(seller, "SALES", year, month, [sale(year, month, buyer, "B-LATE")]))
    assert [r["batchNo"] for r in _rows(seller, "SALES", year, month)] == ["B-LATE"]


def _run_jobs(stack, *months: str) -> str:
    result = stack.run("rare_earth", "jobs", *months)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _cases(api: Api, kind: str) -> list[dict]:
    response = api.get("/v1/rare-earth/cases", params={"kind": kind, "pageSize": 100})
    assert response.status_code == 200, response.text
    return response.json().get("cases", [])


def test_trace_both_ways_then_jobs_open_cases_that_are_transferred_and_closed(stack, actors):
    seller, buyer, office, operator = actors["seller"], actors["buyer"], actors["office"], actors["operator"]
    year, month = TRACE_MONTH
    _confirm(seller, _upload(seller, "SALES", year, month, [sale(year, month, buyer, "S-OUT", "E2E-TRACE-001")]))
    purchase_rows = [[f"{year}-{month:02d}-08", seller.facts["name"], seller.facts["uscc"], *OXIDE, 500,
                      "E2E-TRACE-001", "P-IN"],
                     [f"{year}-{month:02d}-09", seller.facts["name"], seller.facts["uscc"], *OXIDE, 70,
                      "E2E-NO-SUCH-CODE", "P-IN-2"]]
    _confirm(buyer, _upload(buyer, "PURCHASE", year, month, purchase_rows))

    downstream = seller.get("/v1/rare-earth/trace/E2E-TRACE-001")
    assert downstream.status_code == 200, downstream.text
    steps = downstream.json()["steps"]
    assert any(s.get("depth", 0) > 0 and s["row"]["kind"] == "PURCHASE" and s["row"]["batchNo"] == "P-IN"
               and s.get("visible") for s in steps)
    upstream = buyer.get("/v1/rare-earth/trace/E2E-TRACE-001")
    assert upstream.status_code == 200, upstream.text
    origin = [s for s in upstream.json()["steps"] if s.get("depth", 0) == 0]
    assert origin and origin[0]["row"]["kind"] == "SALES" and origin[0]["uscc"] == seller.facts["uscc"]

    set_window(office, year, month, "2000-01-01", "2000-01-10")
    key = f"{year:04d}-{month:02d}"
    _run_jobs(stack, key)
    _run_jobs(stack, key)  # idempotent: nothing new
    missing = [c for c in _cases(seller, "UPLOAD_MISSING") if c["month"] == key]
    assert sorted(c["ledgerKind"] for c in missing) == ["INVENTORY", "PRODUCTION", "PURCHASE"]
    assert "未如期上传【采购台账】数据" in {c["description"] for c in missing}
    trace_cases = [c for c in _cases(buyer, "TRACE_DATA") if c["month"] == key]
    assert [c["traceabilityCode"] for c in trace_cases] == ["E2E-NO-SUCH-CODE"]
    case = trace_cases[0]
    assert case["holderType"] == "ENTERPRISE" and case["heldByCaller"] is True
    assert "E2E-NO-SUCH-CODE" in inbox_message(buyer, "rare_earth", case["number"])["body"]

    not_holder = operator.post(f"/v1/rare-earth/cases/{case['id']}:handle",
                               json={"action": "CLOSE", "opinion": "越权"})
    assert not_holder.status_code == 403, not_holder.text
    moved = buyer.post(f"/v1/rare-earth/cases/{case['id']}:handle",
                       json={"action": "TRANSFER", "opinion": "追溯码为供应商笔误，请运营机构核实",
                             "transferTo": "OPERATOR"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["holderType"] == "OPERATOR"
    closed = operator.post(f"/v1/rare-earth/cases/{case['id']}:handle",
                           json={"action": "CLOSE", "opinion": "已核实，企业已更正"})
    assert closed.status_code == 200 and closed.json()["status"] == "CLOSED", closed.text
    flow = buyer.get(f"/v1/rare-earth/cases/{case['id']}/flow")
    assert flow.status_code == 200, flow.text
    assert [(s["action"], s.get("opinion", "")) for s in flow.json()["steps"]] == [
        ("OPEN", ""), ("TRANSFER", "追溯码为供应商笔误，请运营机构核实"), ("CLOSE", "已核实，企业已更正")]


def test_the_public_complains_without_signing_in(stack, actors):
    response = requests.post(f"{stack.url}/v1/rare-earth/complaints", timeout=30, json={
        "enterpriseId": actors["seller"].facts["id"], "complaintType": "产品质量", "content": "产品与追溯信息不符",
        "contactPhone": "13912345678"})
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "COMPLAINT"
    assert any(c["id"] == response.json()["id"] for c in _cases(actors["seller"], "COMPLAINT"))
