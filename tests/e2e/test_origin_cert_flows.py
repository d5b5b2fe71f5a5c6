"""Certificates of origin through the gateway: an enterprise files with its CCPIT branch and creates a hand-signer;
a product pre-review shows value contents worked out by hand and is approved; smart creation; an RCEP certificate
saved with gaps, refused naming each, completed, sent, withdrawn, resent, approved and printed; its signed PDF
verifies and its QR code opens the public check; amend-and-reissue, lost-and-reissue, a copy across types; CCPIT's
void notice; a tariff-version reminder; a branch migration; the FTA tariff query."""

from __future__ import annotations

import io
import random
from urllib.parse import urlsplit

import pypdfium2
import pytest
import requests
import zxingcpp
from PIL import Image

from tests.e2e.support import PASSWORD, Api, inbox_message, ok, platform_admin, register_legal_person, staff

pytestmark = pytest.mark.e2e

# LED desk lamps on FOB 100.00 and EXW 90.00: housing 20.00 x 1 originating; LED chips 15.00 x 2 and cable
# 2.50 x 4 not. Worked by hand: VNM = 30 + 10 = 40.00; FOB (100 - 40) / 100 = 60.00 %; EXW (90 - 40) / 90 = 55.55 %.
LAMP = {"productName": "LED台灯", "productNameEn": "LED DESK LAMP", "hsCode": "940521", "unit": "台",
        "fobPrice": "100.00", "exwPrice": "90.00", "materials": [
            {"name": "灯座外壳", "hsCode": "392690", "originCountry": "CN", "originating": True, "unitPrice": "20.00",
             "usageRatio": "1"},
            {"name": "LED芯片", "hsCode": "854140", "originCountry": "JP", "originating": False, "unitPrice": "15.00",
             "usageRatio": "2"},
            {"name": "电源线", "hsCode": "854449", "originCountry": "VN", "originating": False, "unitPrice": "2.50",
             "usageRatio": "4"}]}
FILLED = {"invoiceNumber": "INV-E2E-0318", "invoiceDate": "2026-03-18", "importerName": "TOKYO LIGHTING TRADING K.K.",
          "importerAddress": "2-1 MARUNOUCHI, CHIYODA-KU, TOKYO", "departureDate": "2026-03-25",
          "transportMeans": "SEA", "vessel": "COSCO HARMONY V.026E", "portOfLoading": "SHANGHAI",
          "portOfDischarge": "TOKYO"}


def _signer(stack, owner: Api) -> Api:
    """The OWNER creates a hand-signer (手签员) account for the organisation, who logs in as SIGNER."""
    organization_id = ok(owner.get("/v1/identity/me"))["organizations"][0]["organizationId"]
    login, phone = f"sign{random.randrange(10**8):08d}", f"133{random.randrange(10**8):08d}"
    member = ok(owner.post(f"/v1/identity/organizations/{organization_id}/signers", json={
        "loginName": login, "password": PASSWORD, "name": "孙手签", "phone": phone}), 201)
    assert member["role"] == "SIGNER" and member["scopes"] == ["origin_cert"]
    return Api(stack.url, stack.login(login, PASSWORD, phone)["accessToken"], organization_id=organization_id)


def _file(owner: Api) -> None:
    ok(owner.put("/v1/origin/enterprise", json={"branch": "BEIJING", "nameEn": "E2E LIGHTING CO., LTD.",
                                                 "addressEn": "NO. 1 CHANGAN AVENUE, BEIJING, CHINA",
                                                 "enterpriseType": "TRADER"}))


@pytest.fixture(scope="module")
def people(stack):
    admin = platform_admin(stack)
    owner = register_legal_person(stack, "origin")
    _file(owner)
    return {"owner": owner, "signer": _signer(stack, owner),
            "ccpit": staff(stack, admin, "CCPIT:BEIJING", "PRE_REVIEWER", "VISA_OFFICER"),
            "shanghai": staff(stack, admin, "CCPIT:SHANGHAI", "PRE_REVIEWER", "VISA_OFFICER"),
            "hq": staff(stack, admin, "CCPIT:HQ"), "customs": staff(stack, admin, "CUSTOMS:0100", "CHECKER")}


def _approved_pre_review(people, **changes) -> dict:
    created = ok(people["signer"].post("/v1/origin/pre-reviews", json={**LAMP, **changes, "submit": True}), 201)
    return ok(people["ccpit"].post(f"/v1/origin/pre-reviews/{created['id']}:approve", json={}))


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _line(pre_review_id: str, **changes) -> dict:
    return {"preReviewId": pre_review_id, "originCriterion": "RVC", "marks": "E2E/TYO", "description": "LED DESK LAMPS",
            "packageQuantity": 200, "packageUnit": "CARTONS", "autofill": True, "quantity": "1200",
            "quantityUnit": "PCS", "grossWeight": "1250.5", "fobValue": "18400.00", **changes}


def _issue(people, certificate_id: str) -> dict:
    ok(people["signer"].post(f"/v1/origin/certificates/{certificate_id}:submit", json={}))
    return ok(people["ccpit"].post(f"/v1/origin/certificates/{certificate_id}:approve", json={}))


def test_hand_signers_work_and_a_signer_may_not_do_the_admins_filing(people):
    refused = people["signer"].put("/v1/origin/enterprise", json={"nameEn": "X", "addressEn": "Y",
                                                                  "enterpriseType": "TRADER"})
    assert refused.status_code == 403 and "管理员" in refused.json()["message"]
    assert ok(people["signer"].get("/v1/origin/enterprise"))["branch"] == "BEIJING"


def test_the_certificate_walk_from_pre_review_to_printed_verified_amended_and_reissued(stack, people):
    signer, ccpit = people["signer"], people["ccpit"]
    draft = ok(signer.post("/v1/origin/pre-reviews", json=LAMP), 201)
    content = draft["valueContent"]
    assert (content["nonOriginatingValue"], content["fobValueContent"], content["exwValueContent"]) == \
        ("40", "60.00", "55.55")
    bad = signer.post("/v1/origin/pre-reviews", json={**LAMP, "hsCode": "94052"})
    assert bad.status_code == 400 and "6位" in bad.text
    ok(signer.post(f"/v1/origin/pre-reviews/{draft['id']}:submit", json={}))
    pre_review = ok(ccpit.post(f"/v1/origin/pre-reviews/{draft['id']}:approve", json={}))
    assert pre_review["status"] == "APPROVED"

    japan = ok(signer.get("/v1/origin/certificates:options", params={
        "preReviewId": pre_review["id"], "destinationCountry": "JP", "hsCode": "940521"}))
    assert [o["certificateType"] for o in japan["options"]] == ["RCEP", "GENERAL"]
    rvc = next(c for c in japan["options"][0]["criteria"] if c["code"] == "RVC")
    assert rvc["holds"] and rvc["value"] == "60.00" and "60.00%" in japan["options"][0]["reason"]
    usa = ok(signer.get("/v1/origin/certificates:options", params={
        "preReviewId": pre_review["id"], "destinationCountry": "US"}))
    assert [o["certificateType"] for o in usa["options"]] == ["GENERAL"]

    certificate = ok(signer.post("/v1/origin/certificates", json={
        "preReviewId": pre_review["id"], "destinationCountry": "JP", "hsCode": "940521", "certificateType": "RCEP",
        "originCriterion": "RVC"}), 201)
    path = f"/v1/origin/certificates/{certificate['id']}"
    saved = ok(signer.put(path, json={"invoiceNumber": "INV-E2E-0318",
                                       "goods": [_line(pre_review["id"], marks="")]}))
    assert {"importerName", "goods[0].marks"} <= {g["field"] for g in saved["gaps"]}
    refused = signer.post(f"{path}:submit", json={})
    assert refused.status_code == 400
    named = {v["field"] for d in refused.json()["details"] for v in d.get("fieldViolations", [])}
    assert {"invoiceDate", "importerName", "importerAddress", "departureDate", "transportMeans", "portOfLoading",
            "portOfDischarge", "goods[0].marks"} <= named
    mark = ok(signer.post(f"{path}/documents", data={"kind": "MARKS"},
                          files={"file": ("marks.png", _png(300, 150), "image/png")}), 200, 201)
    assert not ok(signer.put(path, json={**FILLED, "goods": [_line(pre_review["id"], marksImageId=mark["id"])]}))[
        "gaps"]
    assert ok(signer.post(f"{path}:submit", json={}))["status"] == "SUBMITTED"
    assert ok(signer.post(f"{path}:withdraw", json={}))["status"] == "DRAFT"
    issued = _issue(people, certificate["id"])
    assert issued["status"] == "APPROVED" and issued["number"].startswith("R")
    inbox_message(signer, "origin_cert", issued["number"])

    printed = signer.post(f"{path}:print", json={})
    assert printed.status_code == 200 and printed.headers["Content-Type"].startswith("application/pdf")
    assert signer.post(f"{path}:print", json={}).status_code == 400
    verified = ok(requests.post(f"{stack.url}/v1/origin/documents:verify", timeout=30,
                                 files={"file": ("certificate.pdf", printed.content, "application/pdf")}))
    assert verified["valid"] and verified["certificateNumber"] == issued["number"]
    page = pypdfium2.PdfDocument(printed.content)[0]
    # The image shipping mark is printed in the marks column, the text marks under it.
    assert len(list(page.get_objects(filter=(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE,)))) == 1
    assert "E2E/TYO" in page.get_textpage().get_text_range()
    image = page.render(scale=2).to_pil()
    [link] = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    parts = urlsplit(link)
    assert parts.path == f"/v1/origin/checks/{issued['number']}"
    check = ok(requests.get(f"{stack.url}{parts.path}?{parts.query}", timeout=30))
    assert check["genuine"] and check["recordStatus"] == "VALID" and not check["detailed"]
    wrong = requests.get(f"{stack.url}{parts.path}", params={"checkCode": "WRONG234"}, timeout=30)
    assert wrong.status_code == 404 and issued["number"] not in wrong.text
    customs = ok(people["customs"].get(parts.path))
    assert customs["detailed"] and customs["importerName"] == FILLED["importerName"]

    across = ok(signer.post(f"{path}:copy", json={"certificateType": "GENERAL"}), 201)
    assert across["certificateType"] == "GENERAL" and across["goods"] == []

    amended = ok(signer.post(f"{path}:amend", json={"reason": "卸货港更正", "submit": True}), 201)
    assert amended["invoiceNumber"] == FILLED["invoiceNumber"] and amended["status"] == "SUBMITTED"
    new = ok(ccpit.post(f"/v1/origin/certificates/{amended['id']}:approve", json={}))
    assert ok(signer.get(path))["status"] == "VOIDED"
    assert ok(requests.get(f"{stack.url}{parts.path}?{parts.query}", timeout=30))["recordStatus"] == "AMENDED"
    lost_original = signer.post(f"{path}/lost-reissues", json={"reason": "遗失"})
    assert lost_original.status_code == 400 and "原证书不可发起失证重发" in lost_original.text

    new_path = f"/v1/origin/certificates/{new['id']}"
    assert signer.post(f"{new_path}:print", json={}).status_code == 200
    reissue = ok(signer.post(f"{new_path}/lost-reissues", json={"reason": "快递遗失"}), 201)
    ok(ccpit.post(f"/v1/origin/certificates/lost-reissues/{reissue['id']}:approve", json={}))
    copy = signer.post(f"{new_path}:print", json={})
    assert copy.status_code == 200 and "COPY" in pypdfium2.PdfDocument(copy.content)[0].get_textpage().get_text_range()
    again = signer.post(f"{new_path}:print", json={})
    assert again.status_code == 400 and "COPY_ALREADY_PRINTED" in again.text


def test_ccpit_voids_a_pre_review_and_the_enterprise_sees_the_notice(people):
    pre_review = _approved_pre_review(people, productName="作废演示台灯")
    ok(people["ccpit"].post(f"/v1/origin/pre-reviews/{pre_review['id']}:void", json={"reason": "原材料来源需核实"}))
    notice = inbox_message(people["signer"], "origin_cert", pre_review["number"], "原材料来源需核实")
    assert "作废" in notice["title"] and "原材料来源需核实" in notice["body"]
    reminders = ok(people["signer"].get("/v1/origin/pre-reviews/reminders", params={"kind": "VOID"}))
    assert pre_review["id"] in [r["preReviewId"] for r in reminders["reminders"]]
    redeclared = ok(people["signer"].post(f"/v1/origin/pre-reviews/{pre_review['id']}:redeclare", json={}), 201)
    assert redeclared["version"] == 2 and redeclared["status"] == "DRAFT"


def test_a_tariff_version_upgrade_reminds_the_affected_product_and_adjust_now_fills_the_new_code(people):
    kettle = _approved_pre_review(people, productName="电水壶", hsCode="851671")
    version = ok(people["hq"].post("/v1/origin/tariffs/versions", json={
        "version": f"E2E{random.randrange(10**6)}", "title": "税则转版",
        "correlations": [{"oldCode": "851671", "newCode": "851672"}]}), 201)
    assert version["affectedProducts"] >= 1
    inbox_message(people["owner"], "origin_cert", "电水壶（851671→851672）")
    reminders = ok(people["signer"].get("/v1/origin/pre-reviews/reminders", params={"kind": "TARIFF_VERSION"}))
    mine = next(r for r in reminders["reminders"] if r["preReviewId"] == kettle["id"])
    adjusted = ok(people["signer"].post(f"/v1/origin/pre-reviews/reminders/{mine['id']}:adjust", json={}), 201)
    assert adjusted["hsCode"] == "851672" and adjusted["version"] == 2


def test_a_branch_migration_is_approved_and_the_fta_query_lists_rates_best_first(stack, people):
    owner = register_legal_person(stack, "migrant")
    _file(owner)
    migration = ok(owner.post("/v1/origin/branch-migrations", json={"toBranch": "SHANGHAI", "reason": "迁址"}), 201)
    approved = ok(people["shanghai"].post(f"/v1/origin/branch-migrations/{migration['id']}:approve", json={}))
    assert approved["status"] == "APPROVED"
    assert ok(owner.get("/v1/origin/enterprise"))["branch"] == "SHANGHAI"
    rates = ok(requests.get(f"{stack.url}/v1/origin/tariffs", timeout=30, params={
        "originCountry": "CN", "destinationCountry": "VN", "hsCode": "940521"}))
    assert [r["agreement"] for r in rates["rates"]] == ["ASEAN", "RCEP"] and rates["mfn"]["rate"] == "25"
    assert rates["bestAgreement"] == "ASEAN"
