"""Notices that reach a regulator's desk, through the gateway: a supervision case transferred to a local
authority lands in its staff's inbox, and a data-override application in the office's."""

from __future__ import annotations

import pytest

from tests.e2e.rare_earth import register_and_approve, set_window
from tests.e2e.support import inbox_message, platform_admin, register_legal_person, staff

pytestmark = pytest.mark.e2e

OVERRIDE_MONTH = (2046, 3)


@pytest.fixture(scope="module")
def desks(stack):
    admin = platform_admin(stack)
    people = {"office": staff(stack, admin, "MIIT_RE_OFFICE"), "operator": staff(stack, admin, "RE_OPERATOR"),
              # The test enterprises are registered in 赣州市 (360700), within 江西省 (360000).
              "local": staff(stack, admin, "LOCAL_AUTHORITY:360000")}
    people["enterprise"] = register_legal_person(stack, "ldesk")
    people["enterprise"].facts["id"] = register_and_approve(people["enterprise"], people["operator"],
                                                              "SMELTING_SEPARATION")
    return people


def test_a_case_transferred_to_the_local_authority_reaches_its_staff_inbox(desks):
    office, enterprise, local = desks["office"], desks["enterprise"], desks["local"]
    opened = office.post("/v1/rare-earth/cases", json={
        "kind": "LEDGER_DATA", "enterpriseId": enterprise.facts["id"], "description": "台账数据与库存不符，请核实"})
    assert opened.status_code in (200, 201), opened.text
    case = opened.json()
    moved = enterprise.post(f"/v1/rare-earth/cases/{case['id']}:handle", json={
        "action": "TRANSFER", "opinion": "请属地主管部门核查", "transferTo": "LOCAL_AUTHORITY"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["holderType"] == "LOCAL_AUTHORITY"

    notice = inbox_message(local, "rare_earth", case["number"])
    assert "请属地主管部门核查" in notice["body"]
    # The local authority holds it now and may close it.
    closed = local.post(f"/v1/rare-earth/cases/{case['id']}:handle", json={"action": "CLOSE", "opinion": "已核实"})
    assert closed.status_code == 200, closed.text


def test_a_data_override_application_reaches_the_office_inbox(desks):
    office, enterprise = desks["office"], desks["enterprise"]
    year, month = OVERRIDE_MONTH
    set_window(office, year, month, "2000-01-01", "2000-01-10")
    applied = enterprise.post("/v1/rare-earth/ledger-overrides",
                              json={"kind": "PURCHASE", "year": year, "month": month, "reason": "补报漏报的采购记录"})
    assert applied.status_code == 201, applied.text

    notice = inbox_message(office, "rare_earth", f"{year}年{month}月采购台账")
    assert "申请补报修改" in notice["body"]
