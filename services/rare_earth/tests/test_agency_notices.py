"""Notices that reach a regulator's desk: a case moved to a local authority or the operating body, and a
data-override application, are addressed to the agency whose staff act on them."""

from __future__ import annotations

from protos.rare_earth.v1 import cases_pb2 as cases_pb
from protos.rare_earth.v1 import ledgers_pb2 as ledgers_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.rare_earth.domain.cases import holder_agencies
from services.rare_earth.tests.ledger_support import closed_month


def _ledger_case(rare_earth, enterprise) -> cases_pb.SupervisionCase:
    return rare_earth.call(rare_earth.office(), "CreateCase", cases_pb.CreateCaseRequest(
        kind=cases_pb.LEDGER_DATA, enterprise_id=enterprise.enterprise_id, description="上传的台账数据与上月库存不符"))


def _transfer(rare_earth, actor, case_id: str, to: str, opinion: str) -> cases_pb.SupervisionCase:
    return rare_earth.call(actor, "HandleCase", cases_pb.HandleCaseRequest(
        id=case_id, action=cases_pb.HandleCaseRequest.TRANSFER, opinion=opinion,
        transfer_to=cases_pb.CaseHolder.Type.Value(to)))


def test_a_case_transferred_to_the_local_authority_is_sent_to_the_city_and_province_authorities(rare_earth):
    enterprise = rare_earth.approved("属地通知公司", "SMELTING_SEPARATION", province="360000", city="360700")
    case = _ledger_case(rare_earth, enterprise)

    with rare_earth.new_notices("rare_earth.case.transferred") as notices:
        _transfer(rare_earth, enterprise, case.id, "LOCAL_AUTHORITY", "请属地核查")
    [notice] = notices
    assert notice["recipients"] == [{"agency": "LOCAL_AUTHORITY:360700"}, {"agency": "LOCAL_AUTHORITY:360000"}]
    assert set(notice["channels"]) == {"IN_SITE", "SMS"}
    assert notice["params"]["caseNumber"] == case.number
    assert notice["params"]["fromBody"] == "属地通知公司" and notice["params"]["opinion"] == "请属地核查"


def test_a_case_transferred_to_the_operating_body_is_sent_to_its_staff_and_from_there_to_a_group_by_organisation(
        rare_earth):
    group = rare_earth.approved("通知集团", "GROUP")
    child = rare_earth.approved("通知子公司", "SMELTING_SEPARATION")
    rare_earth.affiliate(child, group)
    case = _ledger_case(rare_earth, child)

    with rare_earth.new_notices("rare_earth.case.transferred") as notices:
        _transfer(rare_earth, child, case.id, "OPERATOR", "请运营机构处理")
        _transfer(rare_earth, rare_earth.operator(), case.id, "GROUP", "请集团核实")
    to_operator, to_group = notices
    assert to_operator["recipients"] == [{"agency": "RE_OPERATOR"}]
    assert to_group["recipients"] == [{"organizationId": group.organization_id, "scope": "rare_earth"}]
    assert to_group["params"]["fromBody"] == "运营机构"


def test_closing_a_case_held_by_staff_sends_no_transfer_notice(rare_earth):
    enterprise = rare_earth.approved("办结通知公司", "SMELTING_SEPARATION")
    case = _ledger_case(rare_earth, enterprise)
    _transfer(rare_earth, enterprise, case.id, "OPERATOR", "请运营机构处理")
    with rare_earth.new_notices("rare_earth.case.transferred") as notices:
        rare_earth.call(rare_earth.operator(), "HandleCase", cases_pb.HandleCaseRequest(
            id=case.id, action=cases_pb.HandleCaseRequest.CLOSE, opinion="已处理"))
    assert notices == []


def test_a_data_override_application_is_sent_to_the_office(rare_earth):
    seller = rare_earth.approved("补报通知公司", "SMELTING_SEPARATION")
    year, month = closed_month(rare_earth)

    with rare_earth.new_notices("rare_earth.ledger_override.requested") as notices:
        rare_earth.call(seller, "CreateLedgerOverride", ledgers_pb.CreateLedgerOverrideRequest(
            kind=resources_pb.LedgerKind.PURCHASE, year=year, month=month, reason="补报上月漏报的采购记录"))
    [notice] = notices
    assert notice["recipients"] == [{"agency": "MIIT_RE_OFFICE"}]
    assert notice["system"] == "rare_earth" and notice["channels"] == ["IN_SITE"]
    assert notice["params"] == {"enterpriseName": "补报通知公司", "month": f"{year}年{month}月", "kind": "采购台账"}


def test_a_refused_override_application_notifies_nobody(rare_earth):
    seller = rare_earth.approved("补报有误公司", "SMELTING_SEPARATION")
    year, month = closed_month(rare_earth)
    with rare_earth.new_notices("rare_earth.ledger_override.requested") as notices:
        error = rare_earth.fails(seller, "CreateLedgerOverride", ledgers_pb.CreateLedgerOverrideRequest(
            kind=resources_pb.LedgerKind.PURCHASE, year=year, month=month, reason=" "))
    assert "reason" in error.fields and notices == []


def test_the_agencies_holding_a_case_follow_its_holder_and_region():
    assert holder_agencies("LOCAL_AUTHORITY", "450700") == ["LOCAL_AUTHORITY:450700", "LOCAL_AUTHORITY:450000"]
    assert holder_agencies("LOCAL_AUTHORITY", "110000") == ["LOCAL_AUTHORITY:110000"]
    assert holder_agencies("LOCAL_AUTHORITY", "") == []
    assert holder_agencies("OPERATOR", "") == ["RE_OPERATOR"]
    assert holder_agencies("ENTERPRISE", "") == [] and holder_agencies("GROUP", "") == []
