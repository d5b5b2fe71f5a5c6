"""Rare-earth steps several flows share: an enterprise's registration approved, a reporting window set, a
ledger workbook filled from the service's own template."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.e2e.support import Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OXIDE = ("稀土氧化物及其他化合物", "氧化镨钕")


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


def filled(blank: bytes, rows: list[list[object]]) -> bytes:
    workbook = load_workbook(io.BytesIO(blank))
    sheet = workbook.worksheets[0]
    for row_index, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=row_index, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sale(year: int, month: int, buyer: Api, batch: str, code: str = "", kg: float = 500) -> list[object]:
    return [f"{year:04d}-{month:02d}-06", buyer.facts["name"], buyer.facts["uscc"], *OXIDE, kg, code, "", "", batch]
