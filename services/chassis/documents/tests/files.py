"""Real files of every kind, made in memory: what an applicant would upload."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook
from PIL import Image

MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")
# The first bytes of a Windows program, as a renamed ``setup.exe`` would start.
EXECUTABLE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
              + b"This program cannot be run in DOS mode")


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def xlsx() -> bytes:
    book = Workbook()
    book.active.append(["合同号", "金额"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx() -> bytes:
    """The smallest package Word opens: content types, the relationship to the document, the document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office file")
    return buffer.getvalue()
