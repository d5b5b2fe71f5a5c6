"""What every certificate carries: its number, a check code, the QR code of its public check, its reference.

The reference (system, kind, record id, number) is written into the PDF's catalog when it
is signed, inside the signed revision, so verification can tell which record a PDF
belongs to and no one can change that without breaking the signature.
"""

from __future__ import annotations

import hmac
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from services.chassis.documents.certificates.layout import MARGIN, PAGE_HEIGHT, PAGE_WIDTH, Sheet

CCC_EXEMPTION = "CCC_EXEMPTION"
ORIGIN_RCEP = "ORIGIN_RCEP"
ORIGIN_FORM_E = "ORIGIN_FORM_E"
ORIGIN_GENERAL = "ORIGIN_GENERAL"
KINDS = (CCC_EXEMPTION, ORIGIN_RCEP, ORIGIN_FORM_E, ORIGIN_GENERAL)

# No 0/O, 1/I/L: a check code is read off paper and typed in.
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_CODE_LENGTH = 8


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(CHECK_CODE_LENGTH))


def check_code_matches(expected: str, given: str) -> bool:
    """Compare in constant time, ignoring case and spaces as a person types them."""
    typed = "".join((given or "").split()).upper()
    return hmac.compare_digest(expected.encode(), typed.encode())


def check_url(public_url: str, path: str, number: str, code: str) -> str:
    """The public check link of one certificate: ``{public_url}{path}/{number}?checkCode={code}``."""
    return f"{public_url.rstrip('/')}{path}/{quote(number, safe='')}?{urlencode({'checkCode': code})}"


@dataclass(frozen=True)
class CertificateReference:
    """Which record a certificate PDF is: embedded in it, read back by verification."""

    system: str
    kind: str
    record_id: str
    number: str


@dataclass(frozen=True)
class Marking:
    """What the footer strip of every page shows: number, check code, the QR code to the check link."""

    number: str
    check_code: str
    check_url: str
    issuer: str


def date_text(day: date | None) -> str:
    return day.isoformat() if day else ""


def footer(sheet: Sheet, marking: Marking, page: int) -> None:
    """Below the form: the QR code, the number and check code, where to check, and the page."""
    side = 20 * mm
    sheet.qr(marking.check_url, PAGE_WIDTH - MARGIN - side, 6 * mm, side)
    x, y = MARGIN, 6 * mm + side - 3 * mm
    sheet.text(x, y, f"证书编号 Certificate No.: {marking.number}", 8)
    sheet.text(x, y - 4 * mm, f"查验码 Check code: {marking.check_code}", 8)
    sheet.text(x, y - 8 * mm, "扫描右侧二维码或访问以下地址查验真伪 Scan the QR code or visit:", 6.5)
    sheet.text(x, y - 11.5 * mm, marking.check_url, 6.5)
    sheet.text(PAGE_WIDTH - MARGIN - side - 3 * mm, 7 * mm, f"{marking.issuer}  第 {page} 页",
               6.5, align="right")


# Draws one page; answers whether another (a continuation) is needed.
PageDrawer = Callable[[Sheet], bool]
MAX_PAGES = 50


def render_pages(title: str, marking: Marking, first: PageDrawer, continuation: PageDrawer | None = None) -> bytes:
    """A PDF of the first page and as many continuation pages as it asks for, each with the footer strip."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=0, pageCompression=1)
    canvas.setTitle(f"{title} {marking.number}")
    canvas.setAuthor(marking.issuer)
    canvas.setSubject(title)
    canvas.setCreator("Tongban")
    draw, page = first, 1
    while True:
        sheet = Sheet(canvas)
        more = draw(sheet)
        footer(sheet, marking, page)
        canvas.showPage()
        if not more or continuation is None or page >= MAX_PAGES:
            break
        draw, page = continuation, page + 1
    canvas.save()
    return buffer.getvalue()
