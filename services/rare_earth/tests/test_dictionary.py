"""The data dictionary (manual §9): filters, paging, .xlsx export, office edits and the notice to everyone."""

from __future__ import annotations

import io
from urllib.parse import unquote

import grpc
from python_calamine import CalamineWorkbook

from protos.rare_earth.v1 import dictionary_pb2 as dictionary_pb
from services.rare_earth.xlsx import XLSX_CONTENT_TYPE


def test_the_product_list_filters_by_category_and_name(rare_earth):
    company = rare_earth.approved("查字典的企业")
    oxides = rare_earth.call(company, "ListProducts", dictionary_pb.ListProductsRequest(
        category="稀土氧化物及其他化合物",
                                                                             page_size=200))
    assert oxides.total_size >= 14 and all(p.category == "稀土氧化物及其他化合物" for p in oxides.products)
    named = rare_earth.call(company, "ListProducts", dictionary_pb.ListProductsRequest(name="钕铁硼"))
    assert {p.name for p in named.products} >= {"烧结钕铁硼永磁体", "粘结钕铁硼永磁体"}
    wildcard = rare_earth.call(company, "ListProducts", dictionary_pb.ListProductsRequest(name="%"))
    assert wildcard.total_size == 0


def test_the_customs_catalogue_filters_by_code_prefix_and_pages(rare_earth):
    company = rare_earth.approved("查海关目录的企业")
    chapter = rare_earth.call(company, "ListCustomsProducts", dictionary_pb.ListCustomsProductsRequest(code="2846.90",
                                                                                           page_size=10))
    assert chapter.total_size > 10 and len(chapter.customs_products) == 10
    assert all(c.code.startswith("284690") for c in chapter.customs_products)
    rest = rare_earth.call(company, "ListCustomsProducts", dictionary_pb.ListCustomsProductsRequest(
        code="284690", page_size=100, page_token=chapter.next_page_token))
    assert len(rest.customs_products) == chapter.total_size - 10 and rest.next_page_token == ""
    magnets = rare_earth.call(company, "ListCustomsProducts", dictionary_pb.ListCustomsProductsRequest(code="85051110"))
    assert [(c.code, c.unit) for c in magnets.customs_products] == [("8505111000", "千克")]


def test_the_product_list_exports_as_a_real_xlsx_with_its_file_name(rare_earth):
    company = rare_earth.approved("导出字典的企业")
    body, call = rare_earth.call(company, "ExportProducts", dictionary_pb.ExportProductsRequest(
        category="稀土金属及合金"),
                                 with_call=True)
    assert body.content_type == XLSX_CONTENT_TYPE
    metadata = dict(call.trailing_metadata()) | dict(call.initial_metadata())
    assert "attachment" in metadata["content-disposition"]
    assert "稀土产品名称列表" in unquote(metadata["content-disposition"])

    rows = CalamineWorkbook.from_filelike(io.BytesIO(body.data)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["产品类别", "产品名称", "产品编号"]
    listed = rare_earth.call(company, "ListProducts", dictionary_pb.ListProductsRequest(category="稀土金属及合金",
                                                                             page_size=200))
    assert [row[1] for row in rows[1:]] == [p.name for p in listed.products]
    assert {row[0] for row in rows[1:]} == {"稀土金属及合金"}


def test_the_customs_catalogue_exports_codes_as_text(rare_earth):
    office = rare_earth.office()
    body = rare_earth.call(office, "ExportCustomsProducts", dictionary_pb.ExportCustomsProductsRequest(code="2805"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body.data)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["编号", "产品名称", "计量单位"]
    assert ["2805301100", "钕（未相互混合或熔合）", "千克"] in rows


def test_office_edits_send_a_system_notice_to_every_approved_enterprise(rare_earth):
    approved = [rare_earth.approved(f"收通知企业{i}") for i in range(2)]
    pending = rare_earth.registered("审核中的企业不收通知")
    office = rare_earth.office()
    with rare_earth.new_notices("rare_earth.dictionary.changed") as created_notices:
        product = rare_earth.call(office, "CreateProduct", dictionary_pb.CreateProductRequest(
            category="稀土功能材料", name="稀土磁致伸缩材料", code="RE-C-900"))
    recipients = {r["organizationId"] for notice in created_notices for r in notice["recipients"]}
    assert {a.organization_id for a in approved} <= recipients
    assert pending.organization_id not in recipients
    assert created_notices[0]["category"] == "SYSTEM"
    assert created_notices[0]["params"] == {"dictionary": "稀土产品名称列表", "action": "新增",
                                           "item": "稀土磁致伸缩材料（稀土功能材料）"}

    with rare_earth.new_notices("rare_earth.dictionary.changed") as updated_notices:
        updated = rare_earth.call(office, "UpdateProduct", dictionary_pb.UpdateProductRequest(id=product.id,
                                                                                  name="铽镝铁磁致伸缩材料"))
    assert updated.name == "铽镝铁磁致伸缩材料" and updated.code == "RE-C-900"
    assert updated_notices[0]["params"]["action"] == "修改"

    with rare_earth.new_notices("rare_earth.dictionary.changed") as deleted_notices:
        rare_earth.call(office, "DeleteProduct", dictionary_pb.DeleteProductRequest(id=product.id))
    assert deleted_notices[0]["params"]["action"] == "删除"
    gone = rare_earth.call(approved[0], "ListProducts", dictionary_pb.ListProductsRequest(code="RE-C-900"))
    assert gone.total_size == 0


def test_customs_entries_need_ten_digits_and_a_unique_code(rare_earth):
    office = rare_earth.office()
    bad = rare_earth.fails(office, "CreateCustomsProduct", dictionary_pb.CreateCustomsProductRequest(
        code="2846", name="",
                                                                                          unit="千克"))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert bad.fields == {"code": "海关商品编号须为10位数字", "name": "请填写产品名称"}
    duplicate = rare_earth.fails(office, "CreateCustomsProduct", dictionary_pb.CreateCustomsProductRequest(
        code="2846.1010.00", name="氧化铈", unit="千克"))
    assert duplicate.code == grpc.StatusCode.ALREADY_EXISTS
    created = rare_earth.call(office, "CreateCustomsProduct", dictionary_pb.CreateCustomsProductRequest(
        code="3824999999", name="其他稀土化学品（演示）", unit="千克"))
    renamed = rare_earth.call(office, "UpdateCustomsProduct", dictionary_pb.UpdateCustomsProductRequest(
        id=created.id, unit="吨"))
    assert (renamed.code, renamed.unit) == ("3824999999", "吨")
    clash = rare_earth.fails(office, "UpdateCustomsProduct", dictionary_pb.UpdateCustomsProductRequest(
        id=created.id, code="2846101000"))
    assert clash.code == grpc.StatusCode.ALREADY_EXISTS
    rare_earth.call(office, "DeleteCustomsProduct", dictionary_pb.DeleteCustomsProductRequest(id=created.id))


def test_only_the_office_edits_the_dictionary(rare_earth):
    company = rare_earth.approved("想改字典的企业")
    for actor in (company, rare_earth.operator()):
        refused = rare_earth.fails(actor, "CreateProduct", dictionary_pb.CreateProductRequest(
            category="稀土功能材料", name="越权产品", code="RE-X-001"))
        assert refused.code == grpc.StatusCode.PERMISSION_DENIED
