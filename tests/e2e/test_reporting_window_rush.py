"""The reporting window's rush through the gateway: enterprises log in and upload their sales ledgers at once.

Each upload is answered 201, or 429 with Retry-After before any work was done; the refused come
back when told and land. Nothing else is ever answered (no 504 for work that went on), and every
landed upload is whole. :func:`rush` is the same walk the reporting-window benchmark makes at 40
enterprises of 5,000 rows.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from services.rare_earth.tests.ledger_support import fill
from tests.e2e.rare_earth import XLSX, register_and_approve, sale, set_window, template
from tests.e2e.support import Api, platform_admin, register_legal_person, staff

pytestmark = pytest.mark.e2e

RUSH_MONTH = (2046, 3)
ENTERPRISES = 6
ROWS = 1000
# How long an enterprise keeps coming back before its upload counts as lost.
GIVE_UP_SECONDS = 300.0


@dataclass
class Upload:
    """One enterprise's upload: every status it was answered, in order, and how long until it landed."""

    statuses: list[int] = field(default_factory=list)
    seconds: float | None = None
    answer: dict | None = None


def enterprises_in_the_window(stack, count: int, year: int, month: int) -> list[Api]:
    """``count`` approved smelting enterprises, logged in, with the month's window open."""
    admin = platform_admin(stack)
    office, operator = staff(stack, admin, "MIIT_RE_OFFICE"), staff(stack, admin, "RE_OPERATOR")
    set_window(office, year, month, "2000-01-01", "2099-12-31")

    def approved(serial: int) -> Api:
        enterprise = register_legal_person(stack, f"rush{serial}")
        enterprise.facts["id"] = register_and_approve(enterprise, operator, "SMELTING_SEPARATION")
        return enterprise

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(approved, range(count)))


def sales_ledger(seller: Api, buyer: Api, year: int, month: int, rows: int) -> bytes:
    """A filled SALES template of ``rows`` domestic sales to ``buyer``."""
    return fill(template(seller, "SALES"),
                   [sale(year, month, buyer, f"RUSH-{n}", kg=100 + n % 50) for n in range(rows)])


def upload_until_landed(api: Api, content: bytes, year: int, month: int) -> Upload:
    """Upload, coming back after each 429 when Retry-After says, until any other answer."""
    upload = Upload()
    started = time.monotonic()
    while time.monotonic() - started < GIVE_UP_SECONDS:
        response = api.post("/v1/rare-earth/ledgers/SALES/imports", data={"year": str(year), "month": str(month)},
                            files={"file": ("sales.xlsx", content, XLSX)})
        upload.statuses.append(response.status_code)
        if response.status_code != 429:
            upload.seconds = time.monotonic() - started
            upload.answer = response.json() if response.status_code == 201 else {"error": response.text[:300]}
            return upload
        time.sleep(float(response.headers["Retry-After"]))
    return upload


def rush(apis: list[Api], content_for, year: int, month: int) -> tuple[list[Upload], float]:
    """Every enterprise uploads at the same moment; their outcomes, and the seconds until the last landed."""
    started = time.monotonic()
    with ThreadPoolExecutor(len(apis)) as pool:
        uploads = list(pool.map(lambda api: upload_until_landed(api, content_for(api), year, month), apis))
    return uploads, time.monotonic() - started


def test_enterprises_uploading_at_once_each_land_their_whole_ledger_or_are_told_when_to_retry(stack):
    year, month = RUSH_MONTH
    enterprises = enterprises_in_the_window(stack, ENTERPRISES, year, month)
    buyer, other_buyer = enterprises[0], enterprises[1]
    to_buyer = sales_ledger(other_buyer, buyer, year, month, ROWS)
    to_other = sales_ledger(buyer, other_buyer, year, month, ROWS)

    uploads, _ = rush(enterprises, lambda api: to_other if api is buyer else to_buyer, year, month)

    seen = Counter(status for upload in uploads for status in upload.statuses)
    assert set(seen) <= {201, 429}, seen
    for enterprise, upload in zip(enterprises, uploads, strict=True):
        assert upload.answer and upload.answer.get("status") == "VALID", upload.answer
        assert upload.answer["rowCount"] == ROWS
        confirmed = enterprise.post(f"/v1/rare-earth/ledgers/imports/{upload.answer['importId']}:confirm", json={})
        assert confirmed.status_code == 200, confirmed.text
        listed = enterprise.get("/v1/rare-earth/ledgers/SALES", params={"year": year, "month": month,
                                                                       "pageSize": 1})
        assert listed.status_code == 200 and listed.json()["totalSize"] == ROWS, listed.text

