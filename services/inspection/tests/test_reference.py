"""The public queries answer anyone; customs alone keeps the rules and regulations."""

from __future__ import annotations

import grpc

from protos.inspection.v1 import reference_pb2 as pb


def test_business_rules_are_found_anonymously_by_a_full_code_under_their_heading(inspection):
    found = inspection.act(None, "ListRules", pb.ListRulesRequest(hs_code="8462291000"))
    assert [r.hs_code for r in found.rules] == ["8462"]
    assert found.rules[0].requirement == "须实施装运前检验"
    assert found.total_size == 1


def test_business_rules_are_found_by_part_of_their_name_and_paged(inspection):
    first = inspection.act(None, "ListRules", pb.ListRulesRequest(name="机", page_size=2))
    assert len(first.rules) == 2 and first.total_size > 2 and first.next_page_token
    second = inspection.act(None, "ListRules", pb.ListRulesRequest(name="机", page_size=2,
                                                                    page_token=first.next_page_token))
    assert {r.id for r in first.rules}.isdisjoint({r.id for r in second.rules})


def test_a_code_that_is_not_digits_is_refused_naming_the_field(inspection):
    refusal = inspection.fails(None, "ListRules", pb.ListRulesRequest(hs_code="84a2"))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "hsCode" in refusal.fields


def test_regulations_are_found_by_title_and_publish_dates(inspection):
    found = inspection.act(None, "ListRegulations", pb.ListRegulationsRequest(
        title="检验", published_from="2005-01-01", published_to="2016-12-31"))
    titles = [r.title for r in found.regulations]
    assert titles == ["进口旧机电产品检验监督管理办法", "中华人民共和国进出口商品检验法实施条例"]
    detail = inspection.act(None, "GetRegulation", pb.GetRegulationRequest(id=found.regulations[0].id))
    assert detail.document_number == "质检总局令第171号" and detail.kind == pb.REGULATION


def test_a_date_range_the_wrong_way_round_is_refused_naming_the_field(inspection):
    refusal = inspection.fails(None, "ListRegulations", pb.ListRegulationsRequest(
        published_from="2020-01-01", published_to="2019-01-01"))
    assert set(refusal.fields) == {"publishedTo"}
    malformed = inspection.fails(None, "ListRegulations", pb.ListRegulationsRequest(published_from="2020/01/01"))
    assert set(malformed.fields) == {"publishedFrom"}


def test_the_dropdown_lists_answer_their_entries_in_order(inspection):
    customs = inspection.act(None, "ListReferenceItems", pb.ListReferenceItemsRequest(list=pb.CUSTOMS,
                                                                                       page_size=500))
    assert customs.reference_items[0].code == "0100" and customs.reference_items[0].name == "北京海关"
    usage = inspection.act(None, "ListReferenceItems", pb.ListReferenceItemsRequest(list=pb.USAGE, name="维修"))
    assert [(i.code, i.name) for i in usage.reference_items] == [("02", "维修")]
    assert inspection.fails(None, "ListReferenceItems", pb.ListReferenceItemsRequest()).fields.keys() == {"list"}


def test_customs_adds_changes_and_removes_a_rule_that_the_public_then_sees(inspection):
    customs = inspection.customs()
    created = inspection.act(customs, "CreateRule", pb.CreateRuleRequest(
        hs_code="8477", product_name="橡胶或塑料加工机器", requirement="须实施装运前检验"))
    assert inspection.act(None, "ListRules", pb.ListRulesRequest(hs_code="8477")).rules[0].id == created.id
    changed = inspection.act(customs, "UpdateRule", pb.UpdateRuleRequest(id=created.id, remarks="含注塑机"))
    assert changed.remarks == "含注塑机" and changed.product_name == "橡胶或塑料加工机器"
    inspection.act(customs, "DeleteRule", pb.DeleteRuleRequest(id=created.id))
    assert not inspection.act(None, "ListRules", pb.ListRulesRequest(hs_code="8477")).rules


def test_a_rule_missing_its_fields_is_refused_naming_each(inspection):
    refusal = inspection.fails(inspection.customs(), "CreateRule", pb.CreateRuleRequest(hs_code="84"))
    assert set(refusal.fields) == {"productName", "requirement"}
    control = inspection.fails(inspection.customs(), "CreateRule", pb.CreateRuleRequest(
        hs_code="8477", product_name="机器\x07", requirement="须检验"))
    assert set(control.fields) == {"productName"}


def test_an_enterprise_or_the_public_may_not_keep_the_reference_data(inspection):
    enterprise = inspection.enterprise()
    request = pb.CreateRegulationRequest(title="某公告", kind=pb.ANNOUNCEMENT, issuer="海关总署",
                                         published_on="2026-01-01")
    assert inspection.fails(enterprise, "CreateRegulation", request).code == grpc.StatusCode.PERMISSION_DENIED
    assert inspection.fails(None, "CreateRegulation", request).code == grpc.StatusCode.UNAUTHENTICATED


def test_customs_publishes_a_regulation_and_corrects_its_date(inspection):
    customs = inspection.customs()
    created = inspection.act(customs, "CreateRegulation", pb.CreateRegulationRequest(
        title="关于旧机电产品检验的示范公告", kind=pb.ANNOUNCEMENT, issuer="海关总署", published_on="2026-01-05",
        link="https://www.customs.gov.cn/"))
    corrected = inspection.act(customs, "UpdateRegulation", pb.UpdateRegulationRequest(
        id=created.id, published_on="2026-01-06"))
    assert corrected.published_on == "2026-01-06" and corrected.kind == pb.ANNOUNCEMENT
    missing = inspection.fails(customs, "UpdateRegulation", pb.UpdateRegulationRequest(id="nope", title="x"))
    assert missing.code == grpc.StatusCode.NOT_FOUND


def test_the_filed_institutions_query_lists_the_demo_institutions_as_normal(inspection):
    found = inspection.act(None, "ListInstitutions", pb.ListInstitutionsRequest(certificate_number="ZJB20240001"))
    [institution] = found.institutions
    assert institution.name.startswith("德国示范装运前检验") and institution.disposal_status == "正常"
    assert institution.disposal_ends_on == ""


def test_a_control_character_in_any_request_string_is_a_bad_field_not_a_server_error(inspection):
    refusal = inspection.fails(None, "ListRules", pb.ListRulesRequest(name="机\x00床"))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and set(refusal.fields) == {"name"}
    by_id = inspection.fails(inspection.customs(), "GetRegulation", pb.GetRegulationRequest(id="a\x00b"))
    assert set(by_id.fields) == {"id"}
