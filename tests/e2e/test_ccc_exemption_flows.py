"""CCC exemption through the gateway: an enterprise finds products, applies with attachments, is routed to the
bureau of its final-use city, corrects a returned application; the bureau's posts issue the certificate, which
verifies and whose QR code opens the public check; a modification, a pre-write-off confirmed at a port with a
smaller quantity, a direct write-off that completes a product, an approved use record; the draft job."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import requests
import zxingcpp

from services.chassis.testing import wait_until
from tests.e2e.support import Api, inbox_message, ok, platform_admin, register_legal_person, staff

pytestmark = pytest.mark.e2e

SHENZHEN, SHANGHAI = "440300", "310000"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def actors(stack):
    admin = platform_admin(stack)
    return {
        "enterprise": register_legal_person(stack, "cccent"),
        "other": register_legal_person(stack, "cccoth"),
        "acceptance": staff(stack, admin, f"CIQ:{SHENZHEN}", "ACCEPTANCE"),
        "review": staff(stack, admin, f"CIQ:{SHENZHEN}", "FIRST_REVIEW", "FINAL_REVIEW", "CERT_CHANGE",
                                "FOLLOW_UP"),
        "port_write_off": staff(stack, admin, f"CIQ:{SHANGHAI}", "WRITE_OFF"),
        "customs": staff(stack, admin, "CUSTOMS:5301", "WRITE_OFF"),
    }


def _upload(api: Api, application_id: str, kind: str, content: bytes = PDF) -> requests.Response:
    return api.post(f"/v1/ccc/applications/{application_id}/attachments", data={"kind": kind},
                    files={"file": (f"{kind.lower()}.pdf", content, "application/pdf")})


def _product(form: dict, name: str, quantity: str) -> dict:
    code = form["hsCode"]
    return {"product": {"hsCode": code["code"], "name": name, "model": "M-100", "brand": "ACME",
                        "manufacturer": "ACME GmbH", "quantity": quantity, "quantityUnit": code["standardUnit"],
                        "standardQuantity": quantity,
                        "characteristics": [{"name": c, "value": "220"} for c in code["characteristics"]]}}


def _draft(api: Api, **basic) -> dict:
    created = ok(api.post("/v1/ccc/applications", json={"declarationAccepted": True,
                                                         "exemptionClause": "RESEARCH_TESTING",
                                                         "tradeMode": "GENERAL_TRADE"}), 201)
    fields = {"contractNumber": "C-2026-01", "invoiceNumber": "INV-2026-01", "billOfLadingNumber": "COSU123456",
              "finalUseLocationCode": "440305", "contactName": "王工", "contactPhone": "13916001234", **basic}
    return ok(api.patch(f"/v1/ccc/applications/{created['id']}", json=fields))


def _decide(api: Api, application_id: str, step: str, decision: str = "PASS", **fields) -> dict:
    return ok(api.post(f"/v1/ccc/applications/{application_id}:{step}", json={"decision": decision, **fields}))


def test_an_application_walks_from_the_catalogue_to_a_certificate_written_off_and_used(stack, actors):
    enterprise, review = actors["enterprise"], actors["review"]
    by_prefix = ok(enterprise.get("/v1/ccc/hs-catalogue", params={"code": "85", "pageSize": 20}))
    assert by_prefix["totalSize"] > 1000 and all(c["code"].startswith("85") for c in by_prefix["hsCodes"])
    by_name = ok(enterprise.get("/v1/ccc/hs-catalogue", params={"name": "空调器"}))
    assert by_name["hsCodes"] and all("空调器" in c["name"] for c in by_name["hsCodes"])
    application = _draft(enterprise)
    exact = ok(enterprise.get("/v1/ccc/hs-catalogue", params={"code": by_name["hsCodes"][0]["code"],
                                                               "applicationId": application["id"]}))
    assert exact["form"]["finalUseLocation"]["code"] == "440305"
    computer = ok(enterprise.get("/v1/ccc/hs-catalogue/8471411000"))
    for form, name, quantity in ((exact["form"], "分体式空调器", "10"), (computer, "工业控制计算机", "5")):
        ok(enterprise.post(f"/v1/ccc/applications/{application['id']}/products", json=_product(form, name, quantity)),
            201)
    for kind in ("CONTRACT", "INVOICE", "BILL_OF_LADING"):
        ok(_upload(enterprise, application["id"], kind), 201)

    submitted = ok(enterprise.post(f"/v1/ccc/applications/{application['id']}:submit", json={}))
    assert submitted["status"] == "ACCEPTING" and submitted["number"] == application["number"]
    assert submitted["bureau"]["code"] == SHENZHEN and "深圳" in submitted["bureau"]["name"]
    assert submitted["bureau"]["contactPhone"]

    returned = _decide(actors["acceptance"], application["id"], "accept", "RETURN", reason="请补充发票金额说明")
    assert returned["status"] == "RETURNED"
    moved = enterprise.patch(f"/v1/ccc/applications/{application['id']}", json={"finalUseLocationCode": "310115"})
    assert moved.status_code == 400 and "finalUseLocationCode" in moved.text
    ok(enterprise.patch(f"/v1/ccc/applications/{application['id']}", json={"contactName": "李工"}))
    again = ok(enterprise.post(f"/v1/ccc/applications/{application['id']}:submit", json={}))
    assert (again["status"], again["post"], again["bureau"]["code"]) == ("ACCEPTING", "ACCEPTANCE", SHENZHEN)

    _decide(actors["acceptance"], application["id"], "accept")
    _decide(review, application["id"], "firstReview")
    issued = _decide(review, application["id"], "finalReview")
    assert issued["status"] == "ISSUED" and issued["certificateNumber"]
    certificate_id = issued["certificateId"]
    inbox_message(enterprise, "ccc_exemption", issued["certificateNumber"])
    # The SMS is a delivery of its own, sent on its own after the in-site message.
    wait_until(lambda: any(issued["certificateNumber"] in sms["text"] for sms in stack.sent_sms()), 30, 0.2,
               what="the certificate's SMS")

    pdf = enterprise.get(f"/v1/ccc/certificates/{certificate_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"].startswith("application/pdf")
    verified = ok(requests.post(f"{stack.url}/v1/ccc/documents:verify", timeout=30,
                                 files={"file": ("certificate.pdf", pdf.content, "application/pdf")}))
    assert verified["valid"] and verified["certificateNumber"] == issued["certificateNumber"]
    image = pypdfium2.PdfDocument(pdf.content)[0].render(scale=2).to_pil()
    [link] = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    parts = urlsplit(link)
    check = ok(requests.get(f"{stack.url}{parts.path}?{parts.query}", timeout=30))
    assert check["status"] == "VALID" and check["number"] == issued["certificateNumber"]

    certificate = ok(enterprise.get(f"/v1/ccc/certificates/{certificate_id}"))
    aircon, computer_line = certificate["products"]
    ok(review.post(f"/v1/ccc/certificates/{certificate_id}:openModification", json={"note": "企业来电申请"}))
    ok(enterprise.patch(f"/v1/ccc/certificates/{certificate_id}/modification", json={
        "reason": "型号笔误", "products": [{"certificateProductId": aircon["id"], "model": "M-100A"}]}))
    ok(enterprise.post(f"/v1/ccc/certificates/{certificate_id}/modification:submit", json={}))
    confirmed = ok(review.post(f"/v1/ccc/certificates/{certificate_id}/modification:confirm", json={}))
    assert confirmed["status"] == "CONFIRMED" and confirmed["version"] == 2

    pre = ok(enterprise.post(f"/v1/ccc/certificates/{certificate_id}/pre-write-offs", json={
        "portCode": "2233", "items": [{"certificateProductId": aircon["id"], "quantity": "4",
                                       "standardQuantity": "4"}]}), 201)
    confirmed_pre = ok(actors["port_write_off"].post(
        f"/v1/ccc/certificates/{certificate_id}/pre-write-offs/{pre['id']}:confirm",
        json={"items": [{"certificateProductId": aircon["id"], "quantity": "3", "standardQuantity": "3"}]}))
    assert confirmed_pre["status"] == "CONFIRMED" and confirmed_pre["confirmedItems"][0]["quantity"] == "3"
    ok(actors["customs"].post(f"/v1/ccc/certificates/{certificate_id}/write-offs", json={
        "items": [{"certificateProductId": computer_line["id"], "quantity": "5", "standardQuantity": "5"}]}), 201)
    after = {p["id"]: p for p in ok(enterprise.get(f"/v1/ccc/certificates/{certificate_id}"))["products"]}
    assert after[aircon["id"]]["writtenOffQuantity"] == "3" and not after[aircon["id"]].get("done")
    assert after[computer_line["id"]]["done"] and after[computer_line["id"]]["remainingQuantity"] == "0"

    draft = ok(enterprise.post(f"/v1/ccc/certificates/{certificate_id}/use-records", json={
        "record": {"kind": "USER_UNIT", "certificateProductId": aircon["id"], "quantity": "2",
                   "userUnitName": "深圳某研究院"}}), 201)
    assert draft["status"] == "SAVED"
    draft_path = f"/v1/ccc/certificates/{certificate_id}/use-records/{draft['id']}"
    # Until it is submitted the record is the enterprise's draft: the issuing bureau's staff do not find it.
    assert review.get(draft_path).status_code == 404
    listed = ok(review.get(f"/v1/ccc/certificates/{certificate_id}/use-records"))
    assert draft["id"] not in [r["id"] for r in listed.get("useRecords", [])]
    record = ok(enterprise.post(f"{draft_path}:submit", json={}))
    assert record["status"] == "SUBMITTED" and record["address"].startswith("广东省深圳市南山区")
    assert ok(review.get(draft_path))["status"] == "SUBMITTED"
    approved = ok(review.post(f"/v1/ccc/certificates/{certificate_id}/use-records/{record['id']}:approve", json={}))
    assert approved["status"] == "APPROVED"


def test_refusals_through_the_gateway(stack, actors):
    enterprise, other = actors["enterprise"], actors["other"]
    application = _draft(enterprise)
    too_big = _upload(enterprise, application["id"], "CONTRACT", PDF + b"0" * (6 * 1024 * 1024))
    assert too_big.status_code == 400 and "5 MB" in too_big.text
    form = ok(enterprise.get("/v1/ccc/hs-catalogue/8471411000"))
    ok(enterprise.post(f"/v1/ccc/applications/{application['id']}/products", json=_product(form, "工控机", "2")), 201)
    ok(_upload(enterprise, application["id"], "CONTRACT"), 201)
    ok(_upload(enterprise, application["id"], "BILL_OF_LADING"), 201)
    missing = enterprise.post(f"/v1/ccc/applications/{application['id']}:submit", json={})
    assert missing.status_code == 400
    assert [v["field"] for d in missing.json()["details"] for v in d.get("fieldViolations", [])] == [
        "attachments.INVOICE"]
    assert other.get(f"/v1/ccc/applications/{application['id']}").status_code == 404
    ok(_upload(enterprise, application["id"], "INVOICE"), 201)
    ok(enterprise.post(f"/v1/ccc/applications/{application['id']}:submit", json={}))
    outside = actors["review"].post(f"/v1/ccc/applications/{application['id']}:accept", json={"decision": "PASS"})
    assert outside.status_code == 403


def test_a_draft_eleven_days_old_is_gone_after_the_job_runs(stack, actors):
    enterprise = actors["enterprise"]
    draft = _draft(enterprise)
    kept = ok(enterprise.get("/v1/ccc/applications", params={"status": "ACCEPTING"}))["applications"]
    # The job counts days in China, whatever this machine's zone.
    later = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=11)).isoformat()
    result = stack.run("ccc_exemption", "jobs", "--today", later)
    assert result.returncode == 0, result.stderr
    assert '"deletedDrafts"' in result.stdout
    assert enterprise.get(f"/v1/ccc/applications/{draft['id']}").status_code == 404
    for application in kept:
        assert enterprise.get(f"/v1/ccc/applications/{application['id']}").status_code == 200
