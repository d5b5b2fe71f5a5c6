"""Looking at a PDF the way a viewer and a person do: structure (pikepdf), pixels (PDFium), the QR code (zxing)."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2
import zxingcpp
from PIL import Image


def structure_problems(data: bytes) -> list[str]:
    """What qpdf's check finds wrong with the file: nothing, for a good one."""
    with pikepdf.open(io.BytesIO(data)) as document:
        return list(document.check_pdf_syntax())


def embedded_fonts(data: bytes) -> list[str]:
    """The base names of the fonts whose programs are embedded in the PDF."""
    names = []
    with pikepdf.open(io.BytesIO(data)) as document:
        for page in document.pages:
            for font in page.Resources.Font.values():
                for descendant in font.get("/DescendantFonts", [font]):
                    descriptor = descendant.get("/FontDescriptor")
                    if descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                  "/FontFile3")):
                        names.append(str(descendant.BaseFont))
    return names


def page_text(data: bytes, index: int = 0) -> str:
    document = pypdfium2.PdfDocument(data)
    return document[index].get_textpage().get_text_range()


def page_count(data: bytes) -> int:
    return len(pypdfium2.PdfDocument(data))


def image_boxes(data: bytes, index: int = 0) -> list[tuple[float, float, float, float]]:
    """Where the page draws images: (left, bottom, right, top) in points."""
    page = pypdfium2.PdfDocument(data)[index]
    return [obj.get_bounds() for obj in page.get_objects(filter=(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE,))]


def page_image(data: bytes, index: int = 0, scale: float = 2.0) -> Image.Image:
    return pypdfium2.PdfDocument(data)[index].render(scale=scale).to_pil()


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]
