"""打印申请: a submitted application as a PDF, drawn with the documents chassis' sheet and table."""

from __future__ import annotations

import io
import itertools

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import EXEMPTION_CLAUSES, TRADE_MODES
from services.ccc_exemption.domain.states import DRAFT
from services.ccc_exemption.handlers.access import load_application, require_viewer
from services.ccc_exemption.handlers.applications import RECORD_TYPE
from services.ccc_exemption.handlers.issue import place_text, quantity_text
from services.ccc_exemption.handlers.records import china_today
from services.ccc_exemption.models import Bureau, Product
from services.chassis.documents.certificates.common import MAX_PAGES, date_text
from services.chassis.documents.certificates.layout import MARGIN, PAGE_HEIGHT, PAGE_WIDTH, Column, Sheet, table
from services.chassis.errors import FailedPrecondition

TITLE = "免于办理强制性产品认证申请书"
COLUMNS = (Column("序号", 0.5), Column("产品名称", 2.0), Column("HS 编码", 1.2), Column("规格型号", 1.5),
           Column("数量/重量", 1.2, "right"), Column("HS 标准量", 1.2, "right"), Column("生产厂", 2.0))


def print_application(context: CccContext, application_id: str) -> tuple[str, bytes]:
    """The file name and PDF of a submitted application; a draft is refused (it is not an application yet)."""
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        application = load_application(session, viewer, application_id)
        if application.status == DRAFT:
            raise FailedPrecondition("未提交的申请不能打印", reason="APPLICATION_NOT_SUBMITTED")
        bureau = session.get(Bureau, application.bureau_code)
        products = list(session.scalars(select(Product).where(Product.application_id == application.id)
                                        .order_by(Product.sequence)))
        attachments = context.providers.store.list(session, RECORD_TYPE, application.id)
    rows = [[str(p.sequence), p.name, p.hs_code, p.model, f"{quantity_text(p.quantity)} {p.quantity_unit}",
             f"{quantity_text(p.standard_quantity)} {p.standard_unit}", p.manufacturer] for p in products]
    particulars = [
        ("申请单号", application.number), ("申请单位", f"{application.applicant_name}（{application.applicant_uscc}）"),
        ("免办条款", EXEMPTION_CLAUSES.get(application.exemption_clause, "")),
        ("贸易方式", TRADE_MODES.get(application.trade_mode, "")), ("合同号", application.contract_number),
        ("发票号", application.invoice_number), ("提/运单号", application.bill_of_lading_number),
        ("最终使用地", f"{place_text(application.final_use_code)} {application.final_use_address}".strip()),
        ("联系人", f"{application.contact_name} {application.contact_phone} {application.contact_email}".strip()),
        ("受理检验检疫局", bureau.name if bureau else ""),
        ("提交时间", date_text(china_today(application.submitted_at) if application.submitted_at else None)),
        ("电子附件", "、".join(a.file_name for a in attachments) or "无"),
    ]
    placed = {"count": 0}
    width = PAGE_WIDTH - 2 * MARGIN

    def first(sheet: Sheet) -> bool:
        top = PAGE_HEIGHT - MARGIN
        sheet.text(PAGE_WIDTH / 2, top - 12 * mm, TITLE, 16, align="center")
        y = top - 20 * mm
        for label, value in particulars:
            sheet.rect(MARGIN, y - 7 * mm, 36 * mm, 7 * mm)
            sheet.rect(MARGIN + 36 * mm, y - 7 * mm, width - 36 * mm, 7 * mm)
            sheet.text(MARGIN + 2 * mm, y - 4.8 * mm, label, 8.5)
            sheet.paragraph(MARGIN + 38 * mm, y - 1.2 * mm, width - 40 * mm, value, 8.5, bottom=y - 6.5 * mm)
            y -= 7 * mm
        sheet.text(MARGIN, y - 6 * mm, "申请附表：免办产品", 10)
        placed["count"] = table(sheet, MARGIN, y - 8 * mm, width, 20 * mm, COLUMNS, rows)
        return placed["count"] < len(rows)

    def continuation(sheet: Sheet) -> bool:
        start = placed["count"]
        sheet.text(MARGIN, PAGE_HEIGHT - MARGIN - 6 * mm, f"{TITLE}（续） {application.number}", 11)
        placed["count"] = start + max(table(sheet, MARGIN, PAGE_HEIGHT - MARGIN - 10 * mm, width, 20 * mm, COLUMNS,
                                            rows[start:]), 1)
        return placed["count"] < len(rows)

    return f"{application.number}.pdf", _pages(application.number, first, continuation)


def _pages(number: str, first, continuation) -> bytes:
    """The pages with the chassis sheet, numbered; no certificate footer (an application has no check code)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=0, pageCompression=1)
    canvas.setTitle(f"{TITLE} {number}")
    drawers = itertools.chain([first], itertools.repeat(continuation, MAX_PAGES - 1))
    for page, draw in enumerate(drawers, start=1):
        sheet = Sheet(canvas)
        more = draw(sheet)
        sheet.text(PAGE_WIDTH / 2, 12 * mm, f"申请单号 {number}  第 {page} 页", 8, align="center")
        canvas.showPage()
        if not more:
            break
    canvas.save()
    return buffer.getvalue()
