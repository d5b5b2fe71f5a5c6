"""The HS catalogue: prefix and name search over thousands of codes, and the product form a match opens."""

from __future__ import annotations

import grpc
import pytest

from protos.ccc_exemption.v1 import catalogue_pb2 as pb
from services.ccc_exemption.catalogue import entries
from services.ccc_exemption.handlers.catalogue import prefix_range


def test_the_demo_catalogue_has_thousands_of_codes_each_with_characteristics_and_a_unit():
    codes = entries()
    assert len(codes) > 3000
    assert len({c.code for c in codes}) == len(codes)
    assert all(len(c.code) == 10 and c.code.isdigit() and c.characteristics and c.standard_unit for c in codes)
    assert all(c.standard_unit == c.quantity_units[0] for c in codes)


def test_a_code_prefix_lists_every_code_starting_with_it_paged_with_the_total(ccc):
    enterprise = ccc.enterprise()
    first = ccc.call(enterprise, "SearchHsCatalogue", pb.SearchHsCatalogueRequest(code="85", page_size=50))
    expected = sum(1 for c in entries() if c.code.startswith("85"))
    assert first.total_size == expected > 1000
    assert len(first.hs_codes) == 50 and first.next_page_token
    assert all(c.code.startswith("85") for c in first.hs_codes)
    assert not first.HasField("form")
    second = ccc.call(enterprise, "SearchHsCatalogue", pb.SearchHsCatalogueRequest(
        code="85", page_size=50, page_token=first.next_page_token))
    assert second.hs_codes[0].code > first.hs_codes[-1].code


@pytest.mark.parametrize("prefix", ["9", "8509", "841"])
def test_a_prefix_ending_in_nine_or_the_last_chapter_finds_exactly_the_codes_starting_with_it(ccc, prefix):
    found = ccc.call(ccc.enterprise(), "SearchHsCatalogue", pb.SearchHsCatalogueRequest(code=prefix, page_size=1))
    assert found.total_size == sum(1 for c in entries() if c.code.startswith(prefix)) > 0


def test_a_prefix_range_is_bounded_by_digits_alone():
    assert [prefix_range(p) for p in ("85", "859", "8599", "9", "99")] == [
        ("85", "86"), ("859", "86"), ("8599", "86"), ("9", None), ("99", None)]


def test_a_name_substring_finds_the_codes_whose_name_contains_it(ccc):
    found = ccc.call(ccc.enterprise(), "SearchHsCatalogue", pb.SearchHsCatalogueRequest(name="空调器", page_size=200))
    assert found.total_size > 10
    assert all("空调器" in c.name for c in found.hs_codes)
    assert {c.code[:4] for c in found.hs_codes} == {"8415"}


def test_an_exact_code_or_a_single_match_opens_the_product_form_with_its_characteristics(ccc):
    enterprise = ccc.enterprise()
    exact = ccc.call(enterprise, "SearchHsCatalogue", pb.SearchHsCatalogueRequest(code="8415101000"))
    assert exact.form.hs_code.code == "8415101000"
    assert "额定制冷量（W）" in exact.form.hs_code.characteristics
    assert exact.form.hs_code.standard_unit == "台" and "台" in exact.form.quantity_units
    single = ccc.call(enterprise, "SearchHsCatalogue", pb.SearchHsCatalogueRequest(code="850760101"))
    assert single.total_size == 1 and single.form.hs_code.code == "8507601010"


def test_the_form_defaults_the_final_use_location_from_the_application(ccc):
    enterprise = ccc.enterprise()
    application = ccc.draft(enterprise, location="330106")
    form = ccc.call(enterprise, "GetHsCode", pb.GetHsCodeRequest(code="8471301000", application_id=application.id))
    assert form.final_use_location.code == "330106"
    assert form.final_use_location.full_name == "浙江省杭州市西湖区"


def test_a_query_that_is_not_a_code_or_is_empty_is_refused_naming_the_field(ccc):
    enterprise = ccc.enterprise()
    for request in (pb.SearchHsCatalogueRequest(code="85AB"), pb.SearchHsCatalogueRequest()):
        refusal = ccc.fails(enterprise, "SearchHsCatalogue", request)
        assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and list(refusal.fields) == ["code"]


def test_the_catalogue_needs_a_login(ccc):
    assert ccc.fails(None, "SearchHsCatalogue", pb.SearchHsCatalogueRequest(code="85")).code == \
        grpc.StatusCode.UNAUTHENTICATED
