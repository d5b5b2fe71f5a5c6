"""Pre-shipment inspection through the gateway: the public queries; an institution files, is asked for
supplements and accepted, and files a change; an enterprise commissions it, is sent back, corrects and gets
its result; customs raises a quality issue, a not-recognised disposal, a rectification it lifts, an annual
report. Every notified step reaches the SMS log and the inbox; the refusals the issue names."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from services.chassis.testing import wait_until
from tests.e2e.support import PASSWORD, Api, digits, login, ok, platform_admin, register_legal_person, staff

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REVIEW_AGENCY = "CUSTOMS:0000"


def _refused(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _bad_fields(response: requests.Response) -> set[str]:
    body = _refused(response, 400)
    return {v["field"] for d in body.get("details", []) if d.get("@type", "").endswith("BadRequest")
            for v in d.get("fieldViolations", [])}


def _institution(stack, label: str) -> Api:
    """An overseas inspection institution registered at identity (a FOREIGN organisation), logged in."""
    login_name, phone = f"psi_{label}_{digits(5)}"[:15], f"139{digits(8)}"
    email = f"{login_name}@example.de"
    stack.request_code(email, "REGISTER", channel="EMAIL")
    body = {"loginName": login_name, "password": PASSWORD, "organizationName": f"{label} Inspection GmbH",
            "country": "DE", "registrationNumber": f"HRB{digits(6)}", "address": "Hafenstraße 5, Hamburg",
            "contactName": "Eva Weber", "phone": phone, "email": email, "emailCode": stack.latest_code(email),
            "agreementAccepted": True}
    ok(requests.post(f"{stack.url}/v1/identity/registrations/institution", json=body, timeout=10), 200, 201)
    return Api(stack.url, login(stack, login_name, phone), phone=phone)


def _enterprise(stack, label: str) -> Api:
    enterprise = register_legal_person(stack, label)
    enterprise.facts["phone"] = ok(enterprise.get("/v1/identity/me"))["account"]["phone"]
    return enterprise


@pytest.fixture(scope="module")
def people(stack):
    admin = platform_admin(stack)
    return {"institution": _institution(stack, "hamburg"), "other_institution": _institution(stack, "bremen"),
            "enterprise": _enterprise(stack, "psient"), "other_enterprise": _enterprise(stack, "psioth"),
            "reviewer": staff(stack, admin, REVIEW_AGENCY), "port": staff(stack, admin, "CUSTOMS:2200")}


def _told(stack, api: Api, *fragments: str) -> None:
    """An SMS to the actor's phone and a message in its inbox, each carrying every fragment."""
    phone = api.facts["phone"]

    def by_sms():
        return any(sms.get("to") == phone and all(f in sms["text"] for f in fragments) for sms in stack.sent_sms())

    def in_inbox():
        messages = ok(api.get("/v1/notify/inbox", params={"system": "inspection", "pageSize": 100}))["messages"]
        return any(all(f in m.get("title", "") + m.get("body", "") for f in fragments) for m in messages)

    wait_until(by_sms, 60, 0.5, f"an SMS to {phone} saying {fragments}")
    wait_until(in_inbox, 60, 0.5, f"an inbox message saying {fragments}")


def _upload(api: Api, path: str, kind: str, name: str = "document.pdf") -> dict:
    return ok(api.post(path, data={"kind": kind}, files={"file": (name, PDF, "application/pdf")}), 201)


def test_the_public_queries_answer_without_login(stack):
    rules = ok(requests.get(f"{stack.url}/v1/inspection/rules", params={"hsCode": "8462291000"}, timeout=10))
    assert [r["hsCode"] for r in rules["rules"]] == ["8462"] and rules["totalSize"] == 1
    regulations = ok(requests.get(f"{stack.url}/v1/inspection/regulations", timeout=10,
                                   params={"title": "旧机电", "publishedFrom": "2015-01-01"}))
    numbers = {r["title"]: r["documentNumber"] for r in regulations["regulations"]}
    assert numbers["进口旧机电产品检验监督管理办法"] == "质检总局令第171号"
    assert all(r["publishedOn"] >= "2015-01-01" for r in regulations["regulations"])
    filed = ok(requests.get(f"{stack.url}/v1/inspection/institutions", params={"certificateNumber": "ZJB2024"},
                             timeout=10))
    assert {i["disposalStatus"] for i in filed["institutions"]} == {"正常"} and filed["totalSize"] >= 2
    customs = ok(requests.get(f"{stack.url}/v1/inspection/reference-items", params={"list": "CUSTOMS"},
                               timeout=10))
    assert customs["referenceItems"][0] == {"list": "CUSTOMS", "code": "0100", "name": "北京海关"}
    unknown = requests.get(f"{stack.url}/v1/inspection/rules", params={"hsCode": "abc"}, timeout=10)
    assert _bad_fields(unknown) == {"hsCode"}


def _filing_body(name: str) -> dict:
    return {"name": name, "country": "DE", "address": "Hafenstraße 5, 20457 Hamburg",
            "legalRepresentative": "Hans Müller", "contactName": "Eva Weber", "phone": "+49 40 7654321",
            "email": "psi@example.de", "idType": "PASSPORT", "idNumber": "C01X00T47"}


def _fill(api: Api, filing_id: str) -> None:
    base = f"/v1/inspection/filings/{filing_id}"
    ok(api.post(f"{base}/departments", json={"name": "检验部", "head": "Klaus Becker", "staffCount": 12,
                                                "responsibilities": "实施装运前检验"}), 201)
    ok(api.post(f"{base}/equipment", json={"name": "超声波测厚仪", "model": "UTG-200", "quantity": 3,
                                              "purpose": "壁厚检测", "calibratedUntil": "2030-12-31"}), 201)
    ok(api.post(f"{base}/certifications", json={"name": "ISO/IEC 17020", "certificateNumber": "D-IS-12345",
                                                   "issuer": "DAkkS", "validUntil": "2030-06-30"}), 201)
    ok(api.post(f"{base}/inspections", json={"year": date.today().year - 1, "goodsCategory": "金属加工机床",
                                                "batchCount": 40, "goodsValue": "1250000.50", "currency": "EUR"}), 201)


@pytest.fixture(scope="module")
def accepted(stack, people):
    """The institution's filing, walked through supplements to acceptance; checked on the way."""
    institution, reviewer = people["institution"], people["reviewer"]
    draft = ok(institution.post("/v1/inspection/filings", json=_filing_body("汉堡装运前检验有限公司")), 201)
    assert draft["status"] == "DRAFT" and draft["certificateNumber"] == ""
    _fill(institution, draft["id"])
    _upload(institution, f"/v1/inspection/filings/{draft['id']}/attachments", "QUALIFICATION", "accreditation.pdf")
    submitted = ok(institution.post(f"/v1/inspection/filings/{draft['id']}:submit", json={}))
    assert submitted["status"] == "SUBMITTED"
    todo = ok(reviewer.get("/v1/inspection/todos", params={"pageSize": 200}))["todos"]
    assert any(t["recordId"] == draft["id"] and t["action"] == "审核备案申请" for t in todo)

    asked = ok(reviewer.post(f"/v1/inspection/filings/{draft['id']}:request-supplement",
                              json={"opinion": "请补充检测设备的校准证书"}))
    assert asked["status"] == "SUPPLEMENT_REQUIRED"
    _told(stack, institution, draft["applicationNumber"], "补充材料")
    ok(institution.patch(f"/v1/inspection/filings/{draft['id']}", json={"phone": "+49 40 1111111"}))
    ok(institution.post(f"/v1/inspection/filings/{draft['id']}:submit", json={}))
    done = ok(reviewer.post(f"/v1/inspection/filings/{draft['id']}:accept", json={}))
    assert done["status"] == "ACCEPTED" and done["certificateNumber"].startswith("ZJB")
    assert done["phone"] == "+49 40 1111111" and len(done["inspections"]) == 1
    _told(stack, institution, done["certificateNumber"], "已受理")
    return done


def test_an_institution_is_filed_and_an_approved_change_takes_effect(stack, people, accepted):
    institution, reviewer = people["institution"], people["reviewer"]
    public = ok(requests.get(f"{stack.url}/v1/inspection/institutions",
                              params={"certificateNumber": accepted["certificateNumber"]}, timeout=10))
    assert [i["name"] for i in public["institutions"]] == ["汉堡装运前检验有限公司"]
    change = ok(institution.post(f"/v1/inspection/filings/{accepted['id']}/changes",
                                  json={"address": "Neuer Wall 10, 20354 Hamburg"}), 201)
    assert change["status"] == "PENDING" and change["changes"][0]["field"] == "address"
    approved = ok(reviewer.post(f"/v1/inspection/filing-changes/{change['id']}:approve", json={}))
    assert approved["status"] == "APPROVED"
    now = ok(institution.get(f"/v1/inspection/filings/{accepted['id']}"))
    assert now["address"] == "Neuer Wall 10, 20354 Hamburg"
    _told(stack, institution, "备案变更已审核通过")


def _commission_body(filing_id: str) -> dict:
    return {"consignee": "上海示范机械进口有限公司", "contactName": "王经理", "contactPhone": "021-61234567",
            "contactMobile": "13912345678", "contactEmail": "import@example.cn", "entryCustoms": "2200",
            "destination": "310000", "destinationCustoms": "2200", "usage": "01", "filingId": filing_id}


def _goods(name: str, hs_code: str, quantity: str, price: str) -> dict:
    return {"name": name, "hsCode": hs_code, "model": "M-1", "manufactureYear": 2016, "quantity": quantity,
            "unit": "台", "unitPrice": price, "currency": "EUR"}


def test_a_commission_is_returned_corrected_accepted_and_completed_with_its_result(stack, people, accepted):
    institution, enterprise = people["institution"], people["enterprise"]
    draft = ok(enterprise.post("/v1/inspection/commissions", json=_commission_body(accepted["id"])), 201)
    base = f"/v1/inspection/commissions/{draft['id']}"
    first = ok(enterprise.post(f"{base}/goods", json=_goods("数控折弯机", "8462291000", "2", "125000.50")), 201)
    assert first["amount"] == "250001.00"
    ok(enterprise.post(f"{base}/goods", json=_goods("激光切割机", "8456110090", "1.5", "80000")), 201)
    totals = ok(enterprise.get(base))
    assert (totals["totalQuantity"], totals["totalAmount"], totals["currency"]) == ("3.500", "370001.00", "EUR")
    entered = enterprise.patch(base, json={"totalAmount": "1"})
    assert entered.status_code == 400
    _upload(enterprise, f"{base}/attachments", "CONTRACT", "contract.pdf")
    ok(enterprise.post(f"{base}:submit", json={}))
    _told(stack, institution, draft["number"], "业务委托")

    returned = ok(institution.post(f"{base}:return", json={"reason": "请补充装箱单"}))
    assert returned["status"] == "SUPPLEMENT"
    _told(stack, enterprise, draft["number"], "请补充装箱单")
    _upload(enterprise, f"{base}/attachments", "PACKING_LIST", "packing.pdf")
    ok(enterprise.patch(base, json={"contactName": "李经理"}))
    ok(enterprise.post(f"{base}:submit", json={}))
    taken = ok(institution.post(f"{base}:accept", json={}))
    assert taken["status"] == "IN_PROGRESS"
    _told(stack, enterprise, draft["number"], "受理中")
    valid_until = (date.today() + timedelta(days=365)).isoformat()
    done = ok(institution.post(f"{base}:complete", data={"certificateNumber": "PSI-HH-0001",
                                                          "validUntil": valid_until},
                                files={"file": ("result.pdf", PDF, "application/pdf")}))
    assert done["status"] == "COMPLETED" and done["resultValidUntil"] == valid_until
    _told(stack, enterprise, draft["number"], "PSI-HH-0001")
    kinds = {a["kind"] for a in ok(enterprise.get(f"{base}/attachments"))["attachments"]}
    assert kinds == {"CONTRACT", "PACKING_LIST", "RESULT"}
    listed = ok(institution.get("/v1/inspection/commissions", params={"status": "COMPLETED"}))
    assert [c["number"] for c in listed["commissions"]] == [draft["number"]]


def test_customs_records_a_quality_issue_that_the_institution_answers(stack, people, accepted):
    institution, port = people["institution"], people["port"]
    issue = ok(port.post("/v1/inspection/quality-issues", json={
        "filingId": accepted["id"], "title": "检验报告缺少铭牌照片", "description": "检验报告未附设备铭牌照片"}), 201)
    _told(stack, institution, issue["number"], "检验报告缺少铭牌照片")
    _upload(institution, f"/v1/inspection/quality-issues/{issue['id']}/attachments", "MATERIAL", "photos.pdf")
    replied = ok(institution.post(f"/v1/inspection/quality-issues/{issue['id']}:reply",
                                   json={"reply": "已补拍铭牌照片并完善流程"}))
    assert replied["status"] == "REPLIED"
    read = ok(port.get(f"/v1/inspection/quality-issues/{issue['id']}"))
    assert read["reply"] == "已补拍铭牌照片并完善流程"


def test_disposals_bind_commissions_and_the_public_query_until_they_are_lifted(stack, people, accepted):
    institution, enterprise, port = people["institution"], people["enterprise"], people["port"]
    ends = (date.today() + timedelta(days=90)).isoformat()
    refused_view = ok(port.post("/v1/inspection/disposals", json={
        "filingId": accepted["id"], "kind": "NOT_RECOGNIZED", "reason": "检验结果严重失实", "endsOn": ends}), 201)
    _told(stack, institution, refused_view["number"], "不予认可装运前检验结果")
    refused = enterprise.post("/v1/inspection/commissions", json=_commission_body(accepted["id"]))
    assert refused.status_code == 400 and "在处置时间范围内无法被企业委托受理" in refused.json()["message"]
    shown = ok(requests.get(f"{stack.url}/v1/inspection/institutions",
                             params={"certificateNumber": accepted["certificateNumber"]}, timeout=10))
    assert (shown["institutions"][0]["disposalStatus"], shown["institutions"][0]["disposalEndsOn"]) == \
        ("不予认可装运前检验结果", ends)
    refiling = institution.post("/v1/inspection/filings", json=_filing_body("汉堡装运前检验有限公司"))
    assert refiling.status_code == 400 and refiling.json()["message"] == "不予认可处置期间不予重新备案"
    ok(port.post(f"/v1/inspection/disposals/{refused_view['id']}:lift", json={"opinion": "经复核撤销处置"}))

    rectification = ok(port.post("/v1/inspection/disposals", json={
        "filingId": accepted["id"], "kind": "RECTIFICATION", "reason": "质量管理体系运行不到位", "endsOn": ends}), 201)
    _told(stack, institution, rectification["number"], "限期整改")
    shown = ok(requests.get(f"{stack.url}/v1/inspection/institutions",
                             params={"certificateNumber": accepted["certificateNumber"]}, timeout=10))
    assert shown["institutions"][0]["disposalStatus"] == "限期整改"
    base = f"/v1/inspection/disposals/{rectification['id']}"
    _upload(institution, f"{base}/attachments", "MATERIAL", "rectification.pdf")
    ok(institution.post(f"{base}:submit", json={"text": "已完成整改"}))
    lifted = ok(port.post(f"{base}:lift", json={"opinion": "整改合格"}))
    assert lifted["status"] == "LIFTED"
    _told(stack, institution, rectification["number"], "已撤销")
    shown = ok(requests.get(f"{stack.url}/v1/inspection/institutions",
                             params={"certificateNumber": accepted["certificateNumber"]}, timeout=10))
    assert shown["institutions"][0]["disposalStatus"] == "正常"
    again = ok(enterprise.post("/v1/inspection/commissions", json=_commission_body(accepted["id"])), 201)
    assert again["status"] == "DRAFT"


def test_an_annual_report_is_opened_filled_and_submitted(stack, people, accepted):
    institution, port = people["institution"], people["port"]
    year = date.today().year - 1
    report = ok(port.post("/v1/inspection/annual-reports", json={
        "filingId": accepted["id"], "year": year, "requirements": "请如实填写年度工作情况"}), 201)
    _told(stack, institution, report["number"], "年度工作报告")
    todo = ok(institution.get("/v1/inspection/todos"))["todos"]
    assert any(t["recordId"] == report["id"] and t["kind"] == "ANNUAL_REPORT" for t in todo)
    ok(institution.patch(f"/v1/inspection/annual-reports/{report['id']}", json={
        "inspectionCount": 120, "certificateCount": 118, "goodsValue": "35600000.00", "currency": "USD",
        "summary": "全年完成装运前检验120批"}))
    done = ok(institution.post(f"/v1/inspection/annual-reports/{report['id']}:submit", json={}))
    assert done["status"] == "SUBMITTED"
    read = ok(port.get(f"/v1/inspection/annual-reports/{report['id']}"))
    assert read["summary"] == "全年完成装运前检验120批" and read["goodsValue"] == "35600000.00"


def test_the_refusals_the_issue_names(stack, people, accepted):
    institution, other = people["institution"], people["other_institution"]
    enterprise, other_enterprise = people["enterprise"], people["other_enterprise"]
    # Another institution's filing is missing to it.
    assert other.get(f"/v1/inspection/filings/{accepted['id']}").status_code == 404
    assert other.patch(f"/v1/inspection/filings/{accepted['id']}", json={"phone": "+1 555"}).status_code == 404
    # Another enterprise's commission is missing to it.
    mine = ok(enterprise.post("/v1/inspection/commissions", json=_commission_body(accepted["id"])), 201)
    assert other_enterprise.get(f"/v1/inspection/commissions/{mine['id']}").status_code == 404
    # A customs action by an enterprise.
    denied = _refused(enterprise.post(f"/v1/inspection/filings/{accepted['id']}:accept", json={}), 403)
    assert denied["message"] == "仅限海关工作人员操作"
    # An action the record's state does not allow: an accepted filing is not applied for again.
    state = _refused(institution.post(f"/v1/inspection/filings/{accepted['id']}:submit", json={}), 400)
    assert "已受理" in state["message"]
    # A bad field, named.
    bad = enterprise.post("/v1/inspection/commissions", json={**_commission_body(accepted["id"]),
                                                              "contactMobile": "12345", "contactEmail": "nobody"})
    assert _bad_fields(bad) == {"contactMobile", "contactEmail"}
