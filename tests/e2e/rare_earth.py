"""Rare-earth steps several flows share: an enterprise's registration approved, a reporting window set, a
ledger workbook filled from the service's own template; the workbook
itself is filled as the service's own tests fill theirs (services/rare_earth/tests/ledger_support.py)."""

from __future__ import annotations

from services.rare_earth.tests.ledger_support import OXIDE
from tests.e2e.support import Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def registration(name: str, enterprise_type: str) -> dict:
    return {"enterpriseName": name, "enterpriseType": enterprise_type, "provinceCode": "360000",
            "cityCode": "360700", "address": "赣州市章贡区稀土大道8号", "contactName": "赵工",
            "contactPhone": "13907970123", "email": "zhao@example.cn"}


def register_and_approve(enterprise: Api, operator: Api, enterprise_type: str, **where: str) -> str:
    """The enterprise's rare-earth registration (``where`` in place of its Ganzhou address) submitted and approved:
    its enterprise id."""
    saved = enterprise.put("/v1/rare-earth/registration",
                           json=registration(enterprise.facts["name"], enterprise_type) | where)
    assert saved.status_code == 200, saved.text
    submitted = enterprise.post("/v1/rare-earth/registration:submit", json={})
    assert submitted.status_code == 200, submitted.text
    approved = operator.post(f"/v1/rare-earth/registrations/{submitted.json()['id']}:approve", json={})
    assert approved.status_code == 200, approved.text
    return approved.json()["id"]


def set_window(office: Api, year: int, month: int, opens: str, closes: str) -> None:
    response = office.put(f"/v1/rare-earth/reporting-windows/{year:04d}-{month:02d}",
                          json={"opensOn": opens, "closesOn": closes})
    assert response.status_code == 200, response.text
    assert response.json()["closesOn"] == closes


def template(api: Api, kind: str) -> bytes:
    response = api.get(f"/v1/rare-earth/ledgers/{kind}/template")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(XLSX)
    assert "attachment" in response.headers["Content-Disposition"]
    return response.content


def sale(year: int, month: int, buyer: Api, batch: str, code: str = "", kg: float = 500) -> list[object]:
    return [f"{year:04d}-{month:02d}-06", buyer.facts["name"], buyer.facts["uscc"], *OXIDE, kg, code, "", "", batch]
