"""Filling ledger templates for tests: the service's own template, rows written with openpyxl."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence

from openpyxl import load_workbook

from protos.rare_earth.v1 import ledgers_pb2 as ledgers_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.rare_earth.tests.support import Actor, RareEarthHarness

ORE = ("稀土矿产品", "离子型稀土精矿（混合碳酸稀土）")
OXIDE = ("稀土氧化物及其他化合物", "氧化镨钕")
NEODYMIUM_CODE = "2805301100"

# Months far from today, each with a window set by the office, so no test depends on the calendar.
_months = itertools.count(1)


def fill(template: bytes, rows: Sequence[Sequence[object]]) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=index, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template(harness: RareEarthHarness, actor: Actor, kind: str) -> bytes:
    return harness.call(actor, "GetLedgerTemplate", ledgers_pb.GetLedgerTemplateRequest(
        kind=resources_pb.LedgerKind.Value(kind))).data


def upload(harness: RareEarthHarness, actor: Actor, kind: str, year: int, month: int,
           rows: Sequence[Sequence[object]]) -> ledgers_pb.LedgerImport:
    content = fill(template(harness, actor, kind), rows)
    return harness.call(actor, "ImportLedger", ledgers_pb.ImportLedgerRequest(
        kind=resources_pb.LedgerKind.Value(kind), year=year, month=month, file=content))


def confirm(harness: RareEarthHarness, actor: Actor, imported: ledgers_pb.LedgerImport) -> ledgers_pb.LedgerImport:
    assert imported.status == ledgers_pb.LedgerImport.VALID, list(imported.errors)
    return harness.call(actor, "ConfirmLedgerImport", ledgers_pb.ConfirmLedgerImportRequest(id=imported.import_id))


def report(harness: RareEarthHarness, actor: Actor, kind: str, year: int, month: int,
           rows: Sequence[Sequence[object]]) -> ledgers_pb.LedgerImport:
    return confirm(harness, actor, upload(harness, actor, kind, year, month, rows))


def open_month(harness: RareEarthHarness) -> tuple[int, int]:
    """A fresh month whose window the office has opened wide."""
    serial = next(_months)
    year, month = 2040 + serial // 12, serial % 12 + 1
    set_window(harness, year, month, "2000-01-01", "2099-12-31")
    return year, month


def closed_month(harness: RareEarthHarness) -> tuple[int, int]:
    """A fresh month whose window closed long ago."""
    serial = next(_months)
    year, month = 2040 + serial // 12, serial % 12 + 1
    set_window(harness, year, month, "2001-01-01", "2001-01-10")
    return year, month


def set_window(harness: RareEarthHarness, year: int, month: int, opens_on: str,
               closes_on: str) -> ledgers_pb.ReportingWindow:
    return harness.call(harness.office(), "SetReportingWindow", ledgers_pb.SetReportingWindowRequest(
        month=f"{year:04d}-{month:02d}", opens_on=opens_on, closes_on=closes_on))


def day(year: int, month: int, number: int = 5) -> str:
    return f"{year:04d}-{month:02d}-{number:02d}"


def sale(year: int, month: int, buyer: Actor | None, batch: str, kg: float = 1000.0, code: str = "",
         product: tuple[str, str] = OXIDE, export: tuple[str, str] | None = None) -> list[object]:
    name, uscc = (buyer.name, buyer.uscc) if buyer else ("Overseas Magnetics Ltd", "")
    customs, country = export or ("", "")
    return [day(year, month), name, uscc, *product, kg, code, customs, country, batch]


def purchase(year: int, month: int, seller: Actor, code: str, batch: str, kg: float = 1000.0,
             product: tuple[str, str] = OXIDE) -> list[object]:
    return [day(year, month), seller.name, seller.uscc, *product, kg, code, batch]


def production(year: int, month: int, inputs: str, output: str, kg: float = 800.0,
               product: tuple[str, str] = OXIDE) -> list[object]:
    return [day(year, month), *product, kg, inputs, output]
