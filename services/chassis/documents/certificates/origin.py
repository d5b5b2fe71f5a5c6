"""Certificates of origin with their numbered boxes: RCEP, ASEAN-China Form E, and the general (non-preferential) one.

Each form is declared once as a :class:`Form` (its title block, the boxes down the left,
the goods table's numbered columns, the declaration and certification boxes) and drawn
by one renderer; goods that do not fit continue on continuation sheets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm

from services.chassis.documents.certificates.common import (
    ORIGIN_FORM_E,
    ORIGIN_GENERAL,
    ORIGIN_RCEP,
    Marking,
    date_text,
    render_pages,
)
from services.chassis.documents.certificates.layout import (
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Column,
    Picture,
    Sheet,
    table,
)


@dataclass(frozen=True)
class GoodsLine:
    marks: str
    # Number and kind of packages; description of goods.
    description: str
    hs_code: str
    # WO, PE, CTC, "RVC 40%"... (preferential forms).
    origin_criterion: str = ""
    country_of_origin: str = "CHINA"
    # Gross weight or other quantity.
    quantity: str = ""
    # FOB value, where a value-content criterion is applied.
    fob_value: str = ""
    # An image shipping mark (图片唛头, PNG or JPEG), drawn in the marks column above any text marks.
    marks_image: bytes | None = None


def _marks(goods: GoodsLine) -> str | Picture:
    return Picture(goods.marks_image, caption=goods.marks) if goods.marks_image else goods.marks


@dataclass(frozen=True)
class OriginCertificate:
    kind: str
    number: str
    exporter: str
    importer: str
    destination_country: str
    invoice_number: str
    invoice_date: date | None
    goods: Sequence[GoodsLine]
    issuing_branch: str
    producer: str = ""
    departure_date: date | None = None
    transport: str = ""
    port_of_loading: str = ""
    port_of_discharge: str = ""
    remarks: str = ""
    declaration_place_date: str = ""
    certification_place_date: str = ""
    third_party_invoicing: bool = False
    back_to_back: bool = False
    issued_retroactively: bool = False
    exhibition: bool = False


Text = Callable[[OriginCertificate], str]


@dataclass(frozen=True)
class Form:
    title: str
    title_lines: tuple[tuple[str, float], ...]
    number_label: str
    left_boxes: tuple[tuple[str, Text], ...]
    official_box: str
    columns: tuple[Column, ...]
    row: Callable[[OriginCertificate, int, GoodsLine], list[str | Picture]]
    declaration: tuple[str, Text]
    certification: tuple[str, Text]
    remarks_box: str = ""
    checkboxes: tuple[tuple[str, Callable[[OriginCertificate], bool]], ...] = ()
    checkbox_title: str = ""


def _transport(c: OriginCertificate) -> str:
    return "\n".join(line for line in (
        f"Departure date: {date_text(c.departure_date)}" if c.departure_date else "",
        f"Vessel's name/Aircraft etc.: {c.transport}" if c.transport else "",
        f"Port of loading: {c.port_of_loading}" if c.port_of_loading else "",
        f"Port of discharge: {c.port_of_discharge}" if c.port_of_discharge else "",
    ) if line)


def _invoice(c: OriginCertificate) -> str:
    return f"{c.invoice_number}\n{date_text(c.invoice_date)}"


def _quantity_and_value(line: GoodsLine) -> str:
    return "\n".join(part for part in (line.quantity, f"FOB {line.fob_value}" if line.fob_value else "") if part)


def _with_place(text: str, place_date: str, signer: str) -> Text:
    return lambda c: f"{text.format(country=c.destination_country)}\n\n{getattr(c, place_date)}\n{signer}"


RCEP = Form(
    title="RCEP 原产地证书",
    title_lines=(("CERTIFICATE OF ORIGIN", 11), ("Form RCEP", 14), ("区域全面经济伙伴关系协定原产地证书", 10),
                 ("Issued in THE PEOPLE'S REPUBLIC OF CHINA", 8), ("(see Overleaf Notes)", 7)),
    number_label="Certificate No.",
    left_boxes=(
        ("1. Exporter's name, address and country 出口商名称、地址、国家", lambda c: c.exporter),
        ("2. Producer's name, address and country (if known) 生产商名称、地址、国家", lambda c: c.producer),
        ("3. Importer's/Consignee's name, address and country 进口商/收货人名称、地址、国家", lambda c: c.importer),
        ("4. Means of transport and route (if known) 运输方式及路线", _transport),
    ),
    official_box="5. For official use 供官方使用\n□ Preferential treatment given  □ Preferential treatment not given\n"
                 "Signature of authorised signatory of the customs authority of the importing country",
    columns=(Column("6. Item number\n项目号", 0.8), Column("7. Marks and numbers on packages\n唛头及包装号", 1.5),
             Column("8. Number and kind of packages; and description of goods\n包装数量及种类；商品描述", 3.0),
             Column("9. HS Code of the goods (6 digit-level)\nHS编码", 1.1),
             Column("10. Origin criterion\n原产地标准", 1.0), Column("11. RCEP country of origin\n原产国", 1.1),
             Column("12. Quantity (gross weight or other measurement), and value (FOB) where RVC is applied\n"
                    "数量及价值", 1.5),
             Column("13. Invoice number(s) and date of invoice(s)\n发票号及日期", 1.4)),
    row=lambda c, i, g: [str(i), _marks(g), g.description, g.hs_code, g.origin_criterion, g.country_of_origin,
                         _quantity_and_value(g), _invoice(c)],
    remarks_box="14. Remarks 备注",
    checkboxes=(("Back-to-back Certificate of Origin", lambda c: c.back_to_back),
                ("Third-party invoicing", lambda c: c.third_party_invoicing),
                ("ISSUED RETROACTIVELY", lambda c: c.issued_retroactively)),
    declaration=("15. Declaration by the exporter or producer 出口商或生产商声明", _with_place(
        "The undersigned hereby declares that the above details and statement are correct and that the goods "
        "covered in this Certificate comply with the requirements specified in the RCEP Agreement. "
        "These goods are exported to: {country}", "declaration_place_date",
        "Place and date, signature of authorised signatory")),
    certification=("16. Certification 证明", _with_place(
        "On the basis of control carried out, it is hereby certified that the information herein is correct and "
        "that the goods described comply with the origin requirements specified in the RCEP Agreement.",
        "certification_place_date", "Place and date, signature and stamp of the Issuing Body")),
)

FORM_E = Form(
    title="中国—东盟自由贸易区优惠原产地证书（FORM E）",
    title_lines=(("ASEAN-CHINA FREE TRADE AREA", 10), ("PREFERENTIAL TARIFF", 10), ("CERTIFICATE OF ORIGIN", 11),
                 ("(Combined Declaration and Certificate)", 7.5), ("FORM E", 14), ("中国—东盟自由贸易区原产地证书", 9),
                 ("Issued in THE PEOPLE'S REPUBLIC OF CHINA (Country)", 7.5), ("See Notes Overleaf", 7)),
    number_label="Reference No.",
    left_boxes=(
        ("1. Products consigned from (Exporter's business name, address, country) 出口商", lambda c: c.exporter),
        ("2. Products consigned to (Importer's/Consignee's name, address, country) 进口商/收货人",
         lambda c: c.importer),
        ("3. Means of transport and route (as far as known) 运输方式及路线", _transport),
    ),
    official_box="4. For Official Use 供官方使用\n□ Preferential Treatment Given Under ASEAN-China Free Trade Area "
                 "Preferential Tariff\n□ Preferential Treatment Not Given (Please state reason/s)\n"
                 "Signature of Authorised Signatory of the Importing Party",
    columns=(Column("5. Item number\n项目号", 0.8), Column("6. Marks and numbers on packages\n唛头及包装号", 1.6),
             Column("7. Number and type of packages, description of products (including quantity where "
                    "appropriate and HS number of the importing Party)\n包装数量及种类、商品描述", 3.6),
             Column("8. Origin criteria (see Notes overleaf)\n原产地标准", 1.2),
             Column("9. Gross weight or other quantity and value (FOB) only when RVC criterion is applied\n"
                    "毛重或其他数量及价值", 1.6),
             Column("10. Number and date of invoices\n发票号及日期", 1.5)),
    row=lambda c, i, g: [str(i), _marks(g), f"{g.description}\nHS {g.hs_code}", g.origin_criterion,
                         _quantity_and_value(g), _invoice(c)],
    checkbox_title="13.",
    checkboxes=(("Issued Retroactively", lambda c: c.issued_retroactively),
                ("Exhibition", lambda c: c.exhibition),
                ("Movement Certificate", lambda c: c.back_to_back),
                ("Third Party Invoicing", lambda c: c.third_party_invoicing)),
    declaration=("11. Declaration by the exporter 出口商声明", _with_place(
        "The undersigned hereby declares that the above details and statements are correct; that all the products "
        "were produced in CHINA and that they comply with the rules of origin, as provided in the ACFTA for the "
        "products exported to {country}", "declaration_place_date",
        "Place and date, signature of authorised signatory")),
    certification=("12. Certification 证明", _with_place(
        "It is hereby certified, on the basis of control carried out, that the declaration by the exporter is correct.",
        "certification_place_date", "Place and date, signature and stamp of certifying authority")),
)

GENERAL = Form(
    title="中华人民共和国原产地证明书",
    title_lines=(("CERTIFICATE OF ORIGIN", 13), ("OF", 9), ("THE PEOPLE'S REPUBLIC OF CHINA", 11),
                 ("中华人民共和国原产地证明书", 12)),
    number_label="Certificate No.",
    left_boxes=(
        ("1. Exporter 出口商", lambda c: c.exporter),
        ("2. Consignee 收货人", lambda c: c.importer),
        ("3. Means of transport and route 运输方式和路线", _transport),
        ("4. Country / region of destination 目的国（地区）", lambda c: c.destination_country),
    ),
    official_box="5. For certifying authority use only 签证机构用栏",
    columns=(Column("6. Marks and numbers\n唛头及包装号", 1.6),
             Column("7. Number and kind of packages; description of goods\n包装件数及种类；商品名称", 3.6),
             Column("8. H.S. Code\nHS编码", 1.1), Column("9. Quantity\n数量", 1.2),
             Column("10. Number and date of invoices\n发票号及日期", 1.5)),
    row=lambda c, i, g: [_marks(g), g.description, g.hs_code, g.quantity, _invoice(c)],
    declaration=("11. Declaration by the exporter 出口商声明", _with_place(
        "The undersigned hereby declares that the above details and statements are correct, that all the goods "
        "were produced in China and that they comply with the Rules of Origin of the People's Republic of China.",
        "declaration_place_date", "Place and date, signature and stamp of authorized signatory")),
    certification=("12. Certification 签证机构证明", _with_place(
        "It is hereby certified that the declaration by the exporter is correct.",
        "certification_place_date", "Place and date, signature and stamp of certifying authority")),
)

FORMS = {ORIGIN_RCEP: RCEP, ORIGIN_FORM_E: FORM_E, ORIGIN_GENERAL: GENERAL}
FRAME_BOTTOM = 34 * mm
HEADER_HEIGHT = 100 * mm
BOTTOM_BOXES = 52 * mm


def render_origin_certificate(certificate: OriginCertificate, marking: Marking) -> bytes:
    """The certificate as a PDF (unsigned), laid out as its form."""
    form = FORMS[certificate.kind]
    rows = [form.row(certificate, i, g) for i, g in enumerate(certificate.goods, start=1)]
    width = PAGE_WIDTH - 2 * MARGIN
    top = PAGE_HEIGHT - MARGIN
    placed = {"count": 0}

    def first(sheet: Sheet) -> bool:
        goods_top = _header(sheet, form, certificate, top, width)
        goods_bottom = FRAME_BOTTOM + BOTTOM_BOXES
        if form.remarks_box:
            goods_bottom += 14 * mm
            sheet.box(MARGIN, FRAME_BOTTOM + BOTTOM_BOXES, width, 14 * mm, form.remarks_box, certificate.remarks)
        if form.checkboxes:
            goods_bottom += 7 * mm
            _checkboxes(sheet, form, certificate, goods_bottom - 7 * mm, width)
        placed["count"] = table(sheet, MARGIN, goods_top, width, goods_bottom, form.columns, rows)
        sheet.rect(MARGIN, goods_bottom, width, goods_top - goods_bottom)
        if placed["count"] < len(rows):
            sheet.text(MARGIN + 2 * mm, goods_bottom + 2 * mm, "(continued on the continuation sheet 见续页)", 7)
        half = width / 2
        for index, (title, text) in enumerate((form.declaration, form.certification)):
            sheet.box(MARGIN + index * half, FRAME_BOTTOM, half, BOTTOM_BOXES, title, text(certificate), 7.5)
        return placed["count"] < len(rows)

    def continuation(sheet: Sheet) -> bool:
        start = placed["count"]
        sheet.text(MARGIN, top - 6 * mm, f"{form.title} 续页 Continuation sheet", 11)
        sheet.text(PAGE_WIDTH - MARGIN, top - 6 * mm, f"{form.number_label}: {certificate.number}", 9, align="right")
        fitted = table(sheet, MARGIN, top - 10 * mm, width, FRAME_BOTTOM, form.columns, rows[start:])
        sheet.rect(MARGIN, FRAME_BOTTOM, width, top - 10 * mm - FRAME_BOTTOM)
        placed["count"] = start + max(fitted, 1)
        return placed["count"] < len(rows)

    return render_pages(form.title, marking, first, continuation)


def _header(sheet: Sheet, form: Form, certificate: OriginCertificate, top: float, width: float) -> float:
    """The boxes down the left, the number and title block and the official-use box on the right; answers their foot."""
    left = width * 0.56
    bottom = top - HEADER_HEIGHT
    height = HEADER_HEIGHT / len(form.left_boxes)
    for index, (title, text) in enumerate(form.left_boxes):
        sheet.box(MARGIN, top - (index + 1) * height, left, height, title, text(certificate))
    right_x, right_width = MARGIN + left, width - left
    official_height = 30 * mm
    sheet.rect(right_x, bottom + official_height, right_width, HEADER_HEIGHT - official_height)
    sheet.text(right_x + 3 * mm, top - 6 * mm, f"{form.number_label}: {certificate.number}", 9.5)
    y = top - 10 * mm
    center = right_x + right_width / 2
    for line, size in form.title_lines:
        y -= size * 1.45
        sheet.text(center, y, line, size, align="center")
    sheet.text(center, bottom + official_height + 4 * mm, certificate.issuing_branch, 8, align="center")
    sheet.box(right_x, bottom, right_width, official_height, form.official_box)
    return bottom


def _checkboxes(sheet: Sheet, form: Form, certificate: OriginCertificate, y: float, width: float) -> None:
    sheet.rect(MARGIN, y, width, 7 * mm)
    x = MARGIN + 2 * mm
    if form.checkbox_title:
        sheet.text(x, y + 2.3 * mm, form.checkbox_title, 7.5)
        x += 6 * mm
    for label, ticked in form.checkboxes:
        x = sheet.checkbox(x, y + 2.3 * mm, label, ticked(certificate))
