"""免于办理强制性产品认证证明 — the CCC exemption certificate and its schedule of products (附表)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm

from services.chassis.documents.certificates.common import Marking, date_text, render_pages
from services.chassis.documents.certificates.layout import MARGIN, PAGE_HEIGHT, PAGE_WIDTH, Column, Sheet, table

TITLE = "免于办理强制性产品认证证明"
SUBTITLE = "Certificate of Exemption from China Compulsory Certification"
PRODUCT_COLUMNS = (Column("序号\nNo.", 0.6), Column("产品名称\nProduct", 2.2), Column("HS 编码\nHS code", 1.3),
                   Column("规格/型号\nModel", 1.6), Column("数量\nQuantity", 1.2, "right"),
                   Column("商标\nBrand", 1.1), Column("生产厂\nManufacturer", 2.2))
TABLE_BOTTOM = 34 * mm


@dataclass(frozen=True)
class ExemptProduct:
    name: str
    hs_code: str
    model: str
    quantity: str
    unit: str
    brand: str = ""
    manufacturer: str = ""


@dataclass(frozen=True)
class CccExemptionCertificate:
    number: str
    applicant: str
    contract_number: str
    invoice_number: str
    bill_of_lading_number: str
    # The clause of AQSIQ Order 117 / the CNCA announcement, as its text.
    exemption_clause: str
    trade_mode: str
    final_use_location: str
    valid_from: date
    valid_until: date
    bureau: str
    issued_on: date
    products: Sequence[ExemptProduct]
    # 1 as issued; each confirmed modification (修改证明) is the next version.
    version: int = 1


def _rows(products: Sequence[ExemptProduct], start: int) -> list[list[str]]:
    return [[str(start + i), p.name, p.hs_code, p.model, f"{p.quantity} {p.unit}".strip(), p.brand, p.manufacturer]
            for i, p in enumerate(products)]


def _particulars(certificate: CccExemptionCertificate) -> list[tuple[str, str]]:
    return [
        ("申请人 Applicant", certificate.applicant),
        ("合同号 Contract No.", certificate.contract_number),
        ("发票号 Invoice No.", certificate.invoice_number),
        ("提/运单号 B/L No.", certificate.bill_of_lading_number),
        ("免办条款 Exemption clause", certificate.exemption_clause),
        ("贸易方式 Trade mode", certificate.trade_mode),
        ("最终使用地 Final use location", certificate.final_use_location),
        ("有效期 Valid", f"{date_text(certificate.valid_from)} 至 {date_text(certificate.valid_until)}"),
    ]


def render_ccc_exemption(certificate: CccExemptionCertificate, marking: Marking) -> bytes:
    """The certificate as a PDF (unsigned): particulars, the statement, the schedule over as many pages as it needs."""
    rows = _rows(certificate.products, 1)
    width = PAGE_WIDTH - 2 * MARGIN
    placed = {"count": 0}

    def first(sheet: Sheet) -> bool:
        top = PAGE_HEIGHT - MARGIN
        sheet.text(PAGE_WIDTH - MARGIN, top - 4 * mm, f"编号 No.: {certificate.number}", 9, align="right")
        if certificate.version > 1:
            sheet.text(PAGE_WIDTH - MARGIN, top - 9 * mm, f"第 {certificate.version} 版（修改后）", 8, align="right")
        sheet.text(PAGE_WIDTH / 2, top - 16 * mm, TITLE, 18, align="center")
        sheet.text(PAGE_WIDTH / 2, top - 22 * mm, SUBTITLE, 9, align="center")
        y = top - 28 * mm
        label_width = 48 * mm
        for label, value in _particulars(certificate):
            height = 8 * mm
            sheet.rect(MARGIN, y - height, label_width, height)
            sheet.rect(MARGIN + label_width, y - height, width - label_width, height)
            sheet.text(MARGIN + 2 * mm, y - 5.3 * mm, label, 8.5)
            sheet.paragraph(MARGIN + label_width + 2 * mm, y - 1.2 * mm, width - label_width - 4 * mm, value, 9,
                            bottom=y - height + 1 * mm)
            y -= height
        statement = ("经审核，上述申请人进口的下列产品符合免于办理强制性产品认证的条件，准予免于办理强制性产品认证。"
                     "本证明仅对附表所列产品、数量及有效期内进口有效，不得转让。")
        y = sheet.paragraph(MARGIN, y - 4 * mm, width, statement, 9.5) - 3 * mm
        sheet.text(MARGIN, y - 4 * mm, "附表：免办产品清单 Schedule of exempted products", 10)
        seal_top = TABLE_BOTTOM + 28 * mm
        placed["count"] = table(sheet, MARGIN, y - 6 * mm, width, seal_top, PRODUCT_COLUMNS, rows)
        sheet.rect(MARGIN, seal_top, width, y - 6 * mm - seal_top)
        sheet.text(PAGE_WIDTH - MARGIN - 4 * mm, seal_top - 8 * mm, f"签发机构：{certificate.bureau}（电子签章）",
                   10, align="right")
        sheet.text(PAGE_WIDTH - MARGIN - 4 * mm, seal_top - 15 * mm, f"签发日期：{date_text(certificate.issued_on)}",
                   10, align="right")
        sheet.text(MARGIN, seal_top - 8 * mm, f"共 {len(rows)} 项产品", 9)
        return placed["count"] < len(rows)

    def continuation(sheet: Sheet) -> bool:
        start = placed["count"]
        top = PAGE_HEIGHT - MARGIN
        sheet.text(MARGIN, top - 6 * mm, f"{TITLE} 附表（续） 编号 No.: {certificate.number}", 11)
        fitted = table(sheet, MARGIN, top - 10 * mm, width, TABLE_BOTTOM, PRODUCT_COLUMNS, rows[start:])
        sheet.rect(MARGIN, TABLE_BOTTOM, width, top - 10 * mm - TABLE_BOTTOM)
        placed["count"] = start + max(fitted, 1)
        return placed["count"] < len(rows)

    return render_pages(TITLE, marking, first, continuation)
