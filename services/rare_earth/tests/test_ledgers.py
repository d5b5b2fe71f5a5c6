"""Ledger templates, imports, confirmation, windows and overrides over real gRPC on PostgreSQL."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import grpc
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, update

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import ledgers_pb2 as ledgers_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.chassis.db import utcnow
from services.rare_earth import jobs
from services.rare_earth.models import LedgerImport, staged_ledger_rows
from services.rare_earth.tests.ledger_support import (
    NEODYMIUM_CODE,
    OXIDE,
    closed_month,
    confirm,
    day,
    fill,
    open_month,
    production,
    purchase,
    report,
    sale,
    template,
    upload,
)


def _rows(harness, actor, kind, year, month) -> list[resources_pb.LedgerRow]:
    return list(harness.call(actor, "ListLedgerRows", ledgers_pb.ListLedgerRowsRequest(
        kind=resources_pb.LedgerKind.Value(kind), year=year, month=month, page_size=1000)).ledger_rows)


def test_template_has_the_kind_header_dropdowns_formats_and_instructions(rare_earth):
    seller = rare_earth.approved("模板稀土公司", "SMELTING_SEPARATION")
    content = template(rare_earth, seller, "SALES")
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["日期", "客户名称", "客户统一社会信用代码"]
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["F2"].number_format == "0.000"
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert any("字典" in formula for formula in lists.values())
    assert "填表说明" in workbook.sheetnames
    assert NEODYMIUM_CODE in [c.value for c in workbook["字典"]["C"]]


def test_valid_upload_previews_and_confirm_makes_it_the_months_data(rare_earth):
    seller = rare_earth.approved("预览稀土公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("预览磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    imported = upload(rare_earth, seller, "SALES", year, month, [
        sale(year, month, buyer, "B-1", 1200.5),
        sale(year, month, None, "B-2", 300, code="MYCODE-001", export=(NEODYMIUM_CODE, "日本")),
    ])
    assert imported.status == ledgers_pb.LedgerImport.VALID and imported.row_count == 2
    assert imported.preview[0].traceability_code.startswith(f"RE{year}{month:02d}")
    assert imported.preview[1].traceability_code == "MYCODE-001"
    assert _rows(rare_earth, seller, "SALES", year, month) == []

    confirmed = confirm(rare_earth, seller, imported)
    assert confirmed.status == ledgers_pb.LedgerImport.CONFIRMED
    again = rare_earth.fails(seller, "ConfirmLedgerImport", ledgers_pb.ConfirmLedgerImportRequest(
        id=imported.import_id))
    assert again.reason == "LEDGER_IMPORT_CONFIRMED"
    assert rare_earth.fails(buyer, "GetLedgerImport", ledgers_pb.GetLedgerImportRequest(
        id=imported.import_id)).code == grpc.StatusCode.NOT_FOUND
    rows = _rows(rare_earth, seller, "SALES", year, month)
    assert [(r.batch_no, r.quantity_kg, r.counterparty_uscc) for r in rows] == [
        ("B-1", "1200.500", buyer.uscc), ("B-2", "300.000", "")]
    assert rows[0].traceability_code == imported.preview[0].traceability_code


def test_every_bad_cell_is_named_by_row_and_column_and_nothing_is_stored(rare_earth):
    seller = rare_earth.approved("错误稀土公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("错误磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    report(rare_earth, seller, "SALES", year, month, [sale(year, month, buyer, "KEEP-1")])
    bad_uscc = buyer.uscc[:-1] + ("0" if buyer.uscc[-1] != "0" else "1")
    imported = upload(rare_earth, seller, "SALES", year, month, [
        sale(year, month, buyer, "OK-1"),
        [day(year, month), buyer.name, bad_uscc, *OXIDE, 10, "", "", "", "B"],
        [day(year, month + 1 if month < 12 else 1), buyer.name, buyer.uscc, "稀土金属", "不存在的产品", -3, "", "", "",
         "B"],
        [day(year, month), "海外客户", "", *OXIDE, 5, "", "9999999999", "美国", "B"],
        [day(year, month), "海外客户", "", *OXIDE, 5, "", "", "德国", "B"],
    ])
    assert imported.status == ledgers_pb.LedgerImport.INVALID
    found = {(e.row, e.column): e.message for e in imported.errors}
    assert "校验位" in found[(3, "C")]
    assert "月内" in found[(4, "A")]
    assert "产品类别" in found[(4, "D")]
    assert "大于0" in found[(4, "F")]
    assert "海关产品目录" in found[(5, "H")]
    assert "出口产品编号" in found[(6, "H")]
    assert imported.error_count == len(imported.errors)
    assert [r.batch_no for r in _rows(rare_earth, seller, "SALES", year, month)] == ["KEEP-1"]
    refused = rare_earth.fails(seller, "ConfirmLedgerImport", ledgers_pb.ConfirmLedgerImportRequest(
        id=imported.import_id))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION


def test_inventory_must_balance_and_name_the_closing_column(rare_earth):
    holder = rare_earth.approved("库存稀土公司", "METAL_SMELTING")
    year, month = open_month(rare_earth)
    imported = upload(rare_earth, holder, "INVENTORY", year, month, [
        [*OXIDE, 100, 50, 30, 120],
        [*OXIDE, 0, 0, 0, 0],
        ["稀土矿产品", "独居石精矿", 10, 5, 1, 13],
    ])
    found = {(e.row, e.column): e.message for e in imported.errors}
    assert set(found) == {(3, "B"), (4, "F")}
    assert "库存不平衡" in found[(4, "F")]


def test_unreadable_file_wrong_header_and_empty_upload_are_clear_400s(rare_earth):
    seller = rare_earth.approved("坏文件稀土公司", "SMELTING_SEPARATION")
    year, month = open_month(rare_earth)
    request = ledgers_pb.ImportLedgerRequest(
        kind=resources_pb.LedgerKind.SALES, year=year, month=month, file=b"not a spreadsheet")
    assert rare_earth.fails(seller, "ImportLedger", request).fields.keys() == {"file"}
    wrong = fill(template(rare_earth, seller, "PURCHASE"), [])
    request = ledgers_pb.ImportLedgerRequest(kind=resources_pb.LedgerKind.SALES, year=year, month=month, file=wrong)
    error = rare_earth.fails(seller, "ImportLedger", request)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT and "表头" in error.fields["file"]
    request = ledgers_pb.ImportLedgerRequest(kind=resources_pb.LedgerKind.SALES, year=year, month=13, file=wrong)
    assert "month" in rare_earth.fails(seller, "ImportLedger", request).fields
    oversized = b"PK" + b"\0" * (15 * 1024 * 1024)
    request = ledgers_pb.ImportLedgerRequest(kind=resources_pb.LedgerKind.SALES, year=year, month=month, file=oversized)
    assert "15MB" in rare_earth.fails(seller, "ImportLedger", request).fields["file"]
    request = ledgers_pb.ImportLedgerRequest(
        kind=resources_pb.LedgerKind.SALES, year=year, month=month, file=b"PK\3\4broken zip")
    assert "无法读取" in rare_earth.fails(seller, "ImportLedger", request).fields["file"]


def test_reupload_replaces_the_kind_and_month_and_leaves_others(rare_earth):
    seller = rare_earth.approved("重传稀土公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("重传磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    report(rare_earth, seller, "SALES", year, month, [sale(year, month, buyer, f"OLD-{i}") for i in range(3)])
    report(rare_earth, seller, "INVENTORY", year, month, [[*OXIDE, 100, 0, 0, 100]])
    report(rare_earth, seller, "SALES", year, month, [sale(year, month, buyer, "NEW-1")])
    assert [r.batch_no for r in _rows(rare_earth, seller, "SALES", year, month)] == ["NEW-1"]
    assert len(_rows(rare_earth, seller, "INVENTORY", year, month)) == 1


def test_concurrent_confirms_of_one_month_leave_exactly_one_upload(rare_earth):
    seller = rare_earth.approved("并发稀土公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("并发磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    uploads = [upload(rare_earth, seller, "SALES", year, month,
                      [sale(year, month, buyer, f"U{n}-{i}") for i in range(50)]) for n in range(3)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda imported: confirm(rare_earth, seller, imported), uploads))
    batches = {r.batch_no.split("-")[0] for r in _rows(rare_earth, seller, "SALES", year, month)}
    assert len(batches) == 1 and len(_rows(rare_earth, seller, "SALES", year, month)) == 50


def test_trade_enterprise_has_no_production_ledger(rare_earth):
    trader = rare_earth.approved("贸易稀土公司", "DOMESTIC_TRADE")
    year, month = open_month(rare_earth)
    content = fill(template(rare_earth, trader, "PRODUCTION"), [production(year, month, "A", "B")])
    error = rare_earth.fails(trader, "ImportLedger", ledgers_pb.ImportLedgerRequest(
        kind=resources_pb.LedgerKind.PRODUCTION, year=year, month=month, file=content))
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION and error.reason == "TRADE_ENTERPRISE_NO_PRODUCTION"


def test_upload_after_the_window_is_refused_until_an_override_is_approved(rare_earth):
    seller = rare_earth.approved("截止稀土公司", "SMELTING_SEPARATION")
    year, month = closed_month(rare_earth)
    rows = [purchase(year, month, seller, "CODE-123456", "P-1")]
    content = fill(template(rare_earth, seller, "PURCHASE"), rows)
    request = ledgers_pb.ImportLedgerRequest(
        kind=resources_pb.LedgerKind.PURCHASE, year=year, month=month, file=content)
    refused = rare_earth.fails(seller, "ImportLedger", request)
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and "报送时间已截止" in refused.message

    override = rare_earth.call(seller, "CreateLedgerOverride", ledgers_pb.CreateLedgerOverrideRequest(
        kind=resources_pb.LedgerKind.PURCHASE, year=year, month=month, reason="补报上月漏报的采购记录"))
    assert rare_earth.fails(seller, "ImportLedger", request).reason == "REPORTING_WINDOW_CLOSED"
    assert rare_earth.fails(seller, "ApproveLedgerOverride", ledgers_pb.ApproveLedgerOverrideRequest(
        id=override.id)).code == grpc.StatusCode.PERMISSION_DENIED
    with rare_earth.new_notices("rare_earth.ledger_override.approved") as notices:
        approved = rare_earth.call(rare_earth.office(), "ApproveLedgerOverride",
                                   ledgers_pb.ApproveLedgerOverrideRequest(id=override.id))
    assert approved.status == ledgers_pb.LedgerOverride.APPROVED and len(notices) == 1
    confirm(rare_earth, seller, rare_earth.call(seller, "ImportLedger", request))
    # The override covers that kind only.
    sales = fill(template(rare_earth, seller, "SALES"), [])
    assert rare_earth.fails(seller, "ImportLedger", ledgers_pb.ImportLedgerRequest(
        kind=resources_pb.LedgerKind.SALES, year=year, month=month, file=sales)).reason == "REPORTING_WINDOW_CLOSED"


def test_office_sets_a_window_with_a_notice_to_every_enterprise(rare_earth):
    rare_earth.approved("通知稀土公司", "MINING")
    office = rare_earth.office()
    with rare_earth.new_notices("rare_earth.reporting_window.set") as notices:
        window = rare_earth.call(office, "SetReportingWindow", ledgers_pb.SetReportingWindowRequest(
            month="2039-03", opens_on="2039-04-01", closes_on="2039-04-20"))
    assert (window.opens_on, window.closes_on, window.custom) == ("2039-04-01", "2039-04-20", True)
    assert notices and all(n["category"] == "SYSTEM" for n in notices)
    bad = rare_earth.fails(office, "SetReportingWindow", ledgers_pb.SetReportingWindowRequest(
        month="2039-03", opens_on="2039-04-21", closes_on="2039-04-20"))
    assert "closesOn" in bad.fields
    enterprise = rare_earth.approved("窗口查询稀土公司", "MINING")
    assert rare_earth.fails(enterprise, "SetReportingWindow", ledgers_pb.SetReportingWindowRequest(
        month="2039-03", opens_on="2039-04-01", closes_on="2039-04-20")).code == grpc.StatusCode.PERMISSION_DENIED
    default = rare_earth.call(enterprise, "GetReportingWindow", ledgers_pb.GetReportingWindowRequest(month="2026-09"))
    assert (default.opens_on, default.closes_on, default.custom) == ("2026-10-01", "2026-10-17", False)


def test_parent_reads_a_childs_ledger_only_while_allowed(rare_earth):
    group = rare_earth.approved("读台账集团", "GROUP")
    child = rare_earth.approved("读台账子公司", "SMELTING_SEPARATION")
    stranger = rare_earth.approved("无关稀土公司", "SMELTING_SEPARATION")
    year, month = open_month(rare_earth)
    report(rare_earth, child, "INVENTORY", year, month, [[*OXIDE, 1, 2, 3, 0]])
    request = ledgers_pb.ListEnterpriseLedgerRowsRequest(
        id=child.enterprise_id, kind=resources_pb.LedgerKind.INVENTORY, year=year,
                                                 month=month)
    # Before the affiliation the child is out of the group's sight: as absent as an enterprise that never was.
    assert rare_earth.fails(group, "ListEnterpriseLedgerRows", request).code == grpc.StatusCode.NOT_FOUND
    affiliation = rare_earth.affiliate(child, group)
    assert len(rare_earth.call(group, "ListEnterpriseLedgerRows", request).ledger_rows) == 1
    assert rare_earth.fails(stranger, "ListEnterpriseLedgerRows", request).code == grpc.StatusCode.NOT_FOUND
    rare_earth.call(child, "UpdateAffiliation", affiliation_pb.UpdateAffiliationRequest(id=affiliation.id,
                                                                            parent_may_view_ledgers=False))
    rare_earth.call(group, "ApproveAffiliation", affiliation_pb.ApproveAffiliationRequest(id=affiliation.id))
    assert rare_earth.fails(group, "ListEnterpriseLedgerRows", request).code == grpc.StatusCode.PERMISSION_DENIED
    assert len(rare_earth.call(rare_earth.office(), "ListEnterpriseLedgerRows", request).ledger_rows) == 1


def test_large_upload_is_staged_in_batches_and_paged_back(rare_earth):
    seller = rare_earth.approved("大文件稀土公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("大文件磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    imported = upload(rare_earth, seller, "SALES", year, month,
                      [sale(year, month, buyer, f"L-{i}", 1 + i) for i in range(4500)])
    assert imported.row_count == 4500 and len(imported.preview) == 20
    confirm(rare_earth, seller, imported)
    page = rare_earth.call(seller, "ListLedgerRows", ledgers_pb.ListLedgerRowsRequest(
        kind=resources_pb.LedgerKind.SALES, year=year, month=month, page_size=100))
    assert page.total_size == 4500 and len(page.ledger_rows) == 100 and page.next_page_token
    content = CalamineWorkbook.from_filelike(io.BytesIO(template(rare_earth, seller, "SALES")))
    assert content.sheet_names[0] == "销售台账"


def test_a_sales_code_already_issued_by_another_enterprise_is_refused(rare_earth):
    first = rare_earth.approved("先用追溯码公司", "SMELTING_SEPARATION")
    second = rare_earth.approved("后用追溯码公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("追溯码买方公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    report(rare_earth, first, "SALES", year, month, [sale(year, month, buyer, "A-1", code="SHARED-CODE-1")])
    imported = upload(rare_earth, second, "SALES", year, month, [sale(year, month, buyer, "B-0", code="OWN-CODE-1"),
                                                                 sale(year, month, buyer, "B-1", code="SHARED-CODE-1")])
    assert imported.status == ledgers_pb.LedgerImport.INVALID
    assert [(e.row, e.column) for e in imported.errors] == [(3, "G")]
    # The enterprise that issued it may re-upload its own code.
    report(rare_earth, first, "SALES", year, month, [sale(year, month, buyer, "A-2", code="SHARED-CODE-1")])


def test_an_upload_left_unconfirmed_for_a_week_expires_and_its_staged_rows_go(rare_earth):
    seller = rare_earth.approved("过期上传稀土公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("过期上传磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    imported = upload(rare_earth, seller, "SALES", year, month, [sale(year, month, buyer, "E-1")])
    with rare_earth.context.engine.begin() as connection:
        connection.execute(update(LedgerImport).where(LedgerImport.id == imported.import_id)
                           .values(created_at=utcnow() - timedelta(days=8)))
    assert jobs.run(rare_earth.context, date.today(), []).expired_imports >= 1
    refused = rare_earth.fails(seller, "ConfirmLedgerImport", ledgers_pb.ConfirmLedgerImportRequest(
        id=imported.import_id))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "LEDGER_IMPORT_EXPIRED"
    seen = rare_earth.call(seller, "GetLedgerImport", ledgers_pb.GetLedgerImportRequest(id=imported.import_id))
    assert seen.status == ledgers_pb.LedgerImport.EXPIRED
    with rare_earth.context.engine.connect() as connection:
        staged = connection.scalar(select(func.count()).select_from(staged_ledger_rows)
                                   .where(staged_ledger_rows.c.import_id == imported.import_id))
    assert staged == 0
