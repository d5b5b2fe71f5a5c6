"""Supervision cases and the jobs that open them: holders, transfers, flow, complaints, idempotent runs."""

from __future__ import annotations

from datetime import date

import grpc

from protos.rare_earth.v1 import cases_pb2 as cases_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.rare_earth import jobs
from services.rare_earth.tests.ledger_support import OXIDE, open_month, purchase, report, sale, set_window


def _close(rare_earth, year, month):
    set_window(rare_earth, year, month, "2001-01-01", "2001-01-10")


def _cases(rare_earth, actor, kind) -> list[cases_pb.SupervisionCase]:
    return list(rare_earth.call(actor, "ListCases", cases_pb.ListCasesRequest(
        kind=cases_pb.CaseKind.Value(kind), page_size=200)).cases)


def _handle(rare_earth, actor, case_id, action, opinion, to=""):
    return rare_earth.call(actor, "HandleCase", cases_pb.HandleCaseRequest(
        id=case_id, action=cases_pb.HandleCaseRequest.Action.Value(action), opinion=opinion,
        transfer_to=cases_pb.CaseHolder.Type.Value(to) if to else 0))


def test_missing_ledgers_open_one_case_per_enterprise_and_kind_once(rare_earth):
    smelter = rare_earth.approved("漏报冶炼公司", "SMELTING_SEPARATION")
    mine = rare_earth.approved("漏报矿业公司", "MINING")
    trader = rare_earth.approved("漏报贸易公司", "FOREIGN_TRADE")
    year, month = open_month(rare_earth)
    report(rare_earth, smelter, "SALES", year, month, [sale(year, month, None, "X-1", export=("2805301100", "日本"))])
    report(rare_earth, smelter, "INVENTORY", year, month, [])
    _close(rare_earth, year, month)
    with rare_earth.new_notices("rare_earth.case.assigned") as notices:
        first = jobs.run(rare_earth.context, date.today(), [(year, month)])
    assert first.upload_missing >= 2 + 3 + 3
    again = jobs.run(rare_earth.context, date.today(), [(year, month)])
    assert again.upload_missing == 0 and again.trace_data == 0
    key = f"{year:04d}-{month:02d}"
    missing = {(c.ledger_kind, c.description) for c in _cases(rare_earth, smelter, "UPLOAD_MISSING") if c.month == key}
    assert missing == {(resources_pb.PURCHASE, "未如期上传【采购台账】数据"), (
        resources_pb.PRODUCTION, "未如期上传【生产台账】数据")}
    # Mining enterprises draw on their own mines: no purchase ledger is asked of them.
    assert {c.ledger_kind for c in _cases(rare_earth, mine, "UPLOAD_MISSING") if c.month == key} == {
        resources_pb.PRODUCTION, resources_pb.SALES, resources_pb.INVENTORY}
    assert {c.ledger_kind for c in _cases(rare_earth, trader, "UPLOAD_MISSING") if c.month == key} == {
        resources_pb.PURCHASE, resources_pb.SALES, resources_pb.INVENTORY}
    assert any(n["recipients"] == [{"organizationId": smelter.organization_id, "scope": "rare_earth"}]
               for n in notices)


def test_jobs_skip_months_whose_window_is_still_open(rare_earth):
    year, month = open_month(rare_earth)
    assert jobs.run(rare_earth.context, date.today(), [(year, month)]).months == []


def test_reconciliation_opens_trace_cases_for_unknown_codes_wrong_buyers_and_overbuying(rare_earth):
    seller = rare_earth.approved("对账冶炼公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("对账磁材公司", "FUNCTIONAL_MATERIAL")
    other = rare_earth.approved("对账他方公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    report(rare_earth, seller, "SALES", year, month, [sale(year, month, buyer, "S-1", 100, code="RECON-OK-01"),
                                                      sale(year, month, other, "S-2", 100, code="RECON-OTHER-1"),
                                                      sale(year, month, buyer, "S-3", 100, code="RECON-OVER-1")])
    report(rare_earth, buyer, "PURCHASE", year, month, [
        purchase(year, month, seller, "RECON-OK-01", "B-1", 100),
        purchase(year, month, seller, "RECON-NONE-1", "B-2", 50),
        purchase(year, month, seller, "RECON-OTHER-1", "B-3", 100),
        purchase(year, month, seller, "RECON-OVER-1", "B-4", 150),
    ])
    _close(rare_earth, year, month)
    first = jobs.run(rare_earth.context, date.today(), [(year, month)])
    found = {c.traceability_code: c for c in _cases(rare_earth, buyer, "TRACE_DATA")}
    assert set(found) == {"RECON-NONE-1", "RECON-OTHER-1", "RECON-OVER-1"}
    assert "不存在" in found["RECON-NONE-1"].description
    assert buyer.uscc in found["RECON-OTHER-1"].description
    assert "超过" in found["RECON-OVER-1"].description
    assert first.trace_data == 3
    assert jobs.run(rare_earth.context, date.today(), [(year, month)]).trace_data == 0


def test_only_the_holder_closes_or_transfers_and_the_flow_records_each_step(rare_earth):
    group = rare_earth.approved("处理集团", "GROUP")
    child = rare_earth.approved("处理子公司", "SMELTING_SEPARATION", province="360000", city="360700")
    rare_earth.affiliate(child, group)
    office = rare_earth.office()
    case = rare_earth.call(office, "CreateCase", cases_pb.CreateCaseRequest(
        kind=cases_pb.TRACE_DATA, enterprise_id=child.enterprise_id, description="追溯码与采购记录不符",
        product_category=OXIDE[0], product_name=OXIDE[1], traceability_code="CASE-CODE-01"))
    assert case.holder_type == cases_pb.CaseHolder.ENTERPRISE and case.holder_name == child.name
    assert rare_earth.call(child, "GetCase", cases_pb.GetCaseRequest(id=case.id)).held_by_caller

    refused = rare_earth.fails(group, "HandleCase", cases_pb.HandleCaseRequest(
        id=case.id, action=cases_pb.HandleCaseRequest.CLOSE, opinion="越权处理"))
    assert refused.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND)
    too_long = rare_earth.fails(child, "HandleCase", cases_pb.HandleCaseRequest(
        id=case.id, action=cases_pb.HandleCaseRequest.CLOSE, opinion="长" * 501))
    assert "opinion" in too_long.fields

    with rare_earth.new_notices("rare_earth.case.transferred") as notices:
        moved = _handle(rare_earth, child, case.id, "TRANSFER", "请集团核实", "GROUP")
    assert moved.holder_name == group.name and not moved.held_by_caller
    assert notices[0]["recipients"][0]["organizationId"] == group.organization_id
    moved = _handle(rare_earth, group, case.id, "TRANSFER", "转地方主管部门", "LOCAL_AUTHORITY")
    assert moved.holder_type == cases_pb.CaseHolder.LOCAL_AUTHORITY
    elsewhere = rare_earth.staff("LOCAL_AUTHORITY:110000")
    assert rare_earth.fails(elsewhere, "HandleCase", cases_pb.HandleCaseRequest(
        id=case.id, action=cases_pb.HandleCaseRequest.CLOSE, opinion="x")).code == grpc.StatusCode.NOT_FOUND
    local = rare_earth.staff("LOCAL_AUTHORITY:360000")
    closed = _handle(rare_earth, local, case.id, "CLOSE", "已核实，企业已更正台账")
    assert closed.status == cases_pb.SupervisionCase.CLOSED and closed.closing_opinion == "已核实，企业已更正台账"
    assert rare_earth.fails(local, "HandleCase", cases_pb.HandleCaseRequest(
        id=case.id, action=cases_pb.HandleCaseRequest.CLOSE,
        opinion="再次")).code == grpc.StatusCode.FAILED_PRECONDITION

    flow = rare_earth.call(child, "ListCaseFlow", cases_pb.ListCaseFlowRequest(id=case.id)).steps
    assert [(s.action, s.to_holder_type) for s in flow] == [
        ("OPEN", cases_pb.CaseHolder.ENTERPRISE), ("TRANSFER", cases_pb.CaseHolder.GROUP),
        ("TRANSFER", cases_pb.CaseHolder.LOCAL_AUTHORITY), ("CLOSE", 0)]
    assert [s.actor_body for s in flow][1:3] == [child.name, group.name]
    assert flow[-1].opinion == "已核实，企业已更正台账"


def test_transfer_targets_follow_the_kind(rare_earth):
    enterprise = rare_earth.approved("转审范围公司", "SMELTING_SEPARATION")
    case = rare_earth.call(rare_earth.office(), "CreateCase", cases_pb.CreateCaseRequest(
        kind=cases_pb.LEDGER_DATA, enterprise_id=enterprise.enterprise_id, description="上传的台账数据不符合要求"))
    error = rare_earth.fails(enterprise, "HandleCase", cases_pb.HandleCaseRequest(
        id=case.id, action=cases_pb.HandleCaseRequest.TRANSFER, opinion="转企业",
        transfer_to=cases_pb.CaseHolder.ENTERPRISE))
    assert "transferTo" in error.fields
    no_parent = rare_earth.fails(enterprise, "HandleCase", cases_pb.HandleCaseRequest(
        id=case.id, action=cases_pb.HandleCaseRequest.TRANSFER, opinion="转集团",
        transfer_to=cases_pb.CaseHolder.GROUP))
    assert no_parent.reason == "NO_APPROVED_PARENT"
    moved = _handle(rare_earth, enterprise, case.id, "TRANSFER", "请运营机构处理", "OPERATOR")
    assert moved.holder_type == cases_pb.CaseHolder.OPERATOR
    assert _handle(
        rare_earth, rare_earth.operator(), case.id, "CLOSE", "已处理").status == cases_pb.SupervisionCase.CLOSED


def test_the_public_files_a_complaint_that_the_enterprise_then_holds(rare_earth):
    enterprise = rare_earth.approved("被投诉稀土公司", "METAL_SMELTING")
    complaint = rare_earth.call(None, "CreateComplaint", cases_pb.CreateComplaintRequest(
        enterprise_name=enterprise.name, complaint_type="产品质量", product_name=OXIDE[1],
        traceability_code="COMPLAINT-01", content="购买的产品与追溯信息不符", contact_name="王先生",
        contact_phone="13912345678"))
    assert complaint.kind == cases_pb.COMPLAINT and complaint.number.startswith("TS")
    assert complaint.holder_name == enterprise.name and complaint.reporting_unit == "王先生"
    assert [c.id for c in _cases(rare_earth, enterprise, "COMPLAINT")] == [complaint.id]
    bad = rare_earth.fails(None, "CreateComplaint", cases_pb.CreateComplaintRequest(
        enterprise_name="不存在的公司", complaint_type="其他", content="内容"))
    assert "enterpriseName" in bad.fields
    outsider = rare_earth.approved("无关投诉公司", "METAL_SMELTING")
    assert rare_earth.fails(outsider, "GetCase", cases_pb.GetCaseRequest(
        id=complaint.id)).code == grpc.StatusCode.NOT_FOUND
    assert rare_earth.fails(outsider, "CreateCase", cases_pb.CreateCaseRequest(
        kind=cases_pb.LEDGER_DATA, enterprise_id=enterprise.enterprise_id,
        description="x")).code == grpc.StatusCode.PERMISSION_DENIED


def test_opening_inventory_that_differs_from_last_months_closing_opens_a_ledger_data_case(rare_earth):
    holder = rare_earth.approved("库存衔接公司", "METAL_SMELTING")
    first = open_month(rare_earth)
    second = (first[0] + 1, 1) if first[1] == 12 else (first[0], first[1] + 1)
    set_window(rare_earth, *second, "2000-01-01", "2099-12-31")
    report(rare_earth, holder, "INVENTORY", *first, [[*OXIDE, 100, 50, 30, 120]])
    report(rare_earth, holder, "INVENTORY", *second, [[*OXIDE, 110, 0, 0, 110]])
    _close(rare_earth, *second)
    opened = jobs.run(rare_earth.context, date.today(), [second])
    assert opened.ledger_data == 1
    [case] = [c for c in _cases(rare_earth, holder, "LEDGER_DATA") if c.month == f"{second[0]:04d}-{second[1]:02d}"]
    assert "110" in case.description and "120" in case.description and case.product_name == OXIDE[1]
    assert jobs.run(rare_earth.context, date.today(), [second]).ledger_data == 0
