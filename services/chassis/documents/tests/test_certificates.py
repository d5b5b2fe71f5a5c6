"""Certificate PDFs: well-formed, Chinese text in an embedded font that renders, the QR code to the check link."""

from __future__ import annotations

import io
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from reportlab.lib.units import mm

from services.chassis.documents.certificates.ccc import ExemptProduct, render_ccc_exemption
from services.chassis.documents.certificates.common import (
    CHECK_ALPHABET,
    KINDS,
    ORIGIN_RCEP,
    check_code_matches,
    check_url,
    new_check_code,
)
from services.chassis.documents.certificates.layout import PAGE_HEIGHT, wrap
from services.chassis.documents.certificates.origin import GoodsLine, render_origin_certificate
from services.chassis.documents.samples import CCC_SAMPLE, NUMBERS, origin_sample, render_sample, sample_marking
from services.chassis.documents.tests import pdfs

TITLES = {"CCC_EXEMPTION": "免于办理强制性产品认证证明", "ORIGIN_RCEP": "Form RCEP", "ORIGIN_FORM_E": "FORM E",
          "ORIGIN_GENERAL": "中华人民共和国原产地证明书"}
# Box titles of each form, as numbered on the real documents.
BOXES = {"ORIGIN_RCEP": ["1. Exporter", "2. Producer", "3. Importer", "4. Means of transport", "5. For official use",
                         "6. Item", "9. HS Code", "10. Origin", "11. RCEP", "13. Invoice", "14. Remarks",
                         "15. Declaration", "16. Certification"],
         "ORIGIN_FORM_E": ["1. Products consigned from", "2. Products consigned to", "3. Means of transport",
                           "4. For Official Use", "5. Item", "8. Origin criteria", "10. Number and date",
                           "11. Declaration", "12. Certification", "13."],
         "ORIGIN_GENERAL": ["1. Exporter", "2. Consignee", "3. Means of transport", "4. Country / region",
                            "5. For certifying authority", "8. H.S. Code", "9. Quantity", "11. Declaration",
                            "12. Certification"],
         "CCC_EXEMPTION": ["申请人", "合同号", "发票号", "提/运单号", "免办条款", "贸易方式", "最终使用地", "有效期",
                           "附表", "签发机构"]}


@pytest.mark.parametrize("kind", KINDS)
def test_each_certificate_is_a_well_formed_pdf_with_its_cjk_font_embedded(kind):
    data = render_sample(kind)
    assert pdfs.structure_problems(data) == []
    assert any(name.endswith("+WenQuanYiMicroHei-0") for name in pdfs.embedded_fonts(data))


@pytest.mark.parametrize("kind", KINDS)
def test_each_certificate_shows_its_title_boxes_number_and_check_code(kind):
    text = pdfs.page_text(render_sample(kind, check_code="7KQ4M9TX"))
    for words in [TITLES[kind], NUMBERS[kind], "7KQ4M9TX", *BOXES[kind]]:
        assert words in text, words


@pytest.mark.parametrize("kind", KINDS)
def test_the_qr_code_opens_the_public_check_of_that_certificate(kind):
    code = new_check_code()
    data = render_sample(kind, "AB 2026/001", code, "https://tongban.example.cn")
    [url] = pdfs.qr_texts(pdfs.page_image(data))
    assert url == sample_marking(kind, "AB 2026/001", code, "https://tongban.example.cn").check_url
    parts = urlsplit(url)
    assert parts.netloc == "tongban.example.cn" and parts.path.endswith("/AB%202026%2F001")
    assert parse_qs(parts.query) == {"checkCode": [code]}


def test_the_font_has_a_glyph_for_every_character_the_certificates_print():
    """No character falls back to the empty box (.notdef)."""
    from reportlab.pdfbase import pdfmetrics

    from services.chassis.documents.certificates.fonts import cjk_font

    glyphs = pdfmetrics.getFont(cjk_font()).face.charToGlyph
    text = "".join(pdfs.page_text(render_sample(kind)) for kind in KINDS)
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in glyphs}
    assert not missing


def test_the_chinese_title_is_drawn_in_ink():
    image = pdfs.page_image(render_sample("CCC_EXEMPTION"), scale=1).convert("L")
    width, _ = image.size
    title_band = image.crop((int(width * 0.3), 95, int(width * 0.7), 130))
    dark = sum(title_band.histogram()[:128])
    assert dark > 800, dark


def test_a_long_schedule_continues_on_further_pages_with_every_product():
    products = tuple(ExemptProduct(f"测试产品{i:03d}", "8471500000", f"M-{i}", "1", "台") for i in range(70))
    certificate = replace(CCC_SAMPLE, products=products)
    data = render_ccc_exemption(certificate, sample_marking("CCC_EXEMPTION"))
    pages = pdfs.page_count(data)
    assert pages >= 3
    text = "".join(pdfs.page_text(data, i) for i in range(pages))
    assert all(f"测试产品{i:03d}" in text for i in range(70))
    assert "附表（续）" in pdfs.page_text(data, 1)


def test_goods_that_overflow_an_origin_form_continue_on_a_continuation_sheet():
    goods = tuple(GoodsLine(f"MARK-{i}", f"CARTONS OF ITEM {i:02d}", "940520", "WO") for i in range(40))
    data = render_origin_certificate(replace(origin_sample(ORIGIN_RCEP), goods=goods), sample_marking(ORIGIN_RCEP))
    assert pdfs.page_count(data) >= 2
    text = "".join(pdfs.page_text(data, i) for i in range(pdfs.page_count(data)))
    assert all(f"CARTONS OF ITEM {i:02d}" in text for i in range(40))
    assert "Continuation sheet" in pdfs.page_text(data, 1)


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["ORIGIN_RCEP", "ORIGIN_FORM_E", "ORIGIN_GENERAL"])
def test_an_image_shipping_mark_is_drawn_in_the_marks_column_in_proportion_with_its_text_below(kind):
    mark = _png(400, 200, (200, 0, 0))
    goods = (GoodsLine("N/M", "100 CARTONS OF LED LAMPS", "940520", "WO"),
             GoodsLine("E2E/TYO", "50 CARTONS OF DESK LAMPS", "940520", "WO", marks_image=mark))
    data = render_origin_certificate(replace(origin_sample(kind), goods=goods), sample_marking(kind))
    [(left, bottom, right, top)] = pdfs.image_boxes(data)
    assert right - left == pytest.approx(2 * (top - bottom), rel=0.01)  # the picture's 2:1 kept
    assert 10 < top - bottom <= 24 * mm + 0.01
    text = pdfs.page_text(data)
    assert "E2E/TYO" in text and "50 CARTONS OF DESK LAMPS" in text and "100 CARTONS OF LED LAMPS" in text
    # Drawn in ink on the page, where the box says it is (PDF points from the foot; pixels from the top).
    scale = 2.0
    page = pdfs.page_image(data, scale=scale).convert("RGB")
    inside = page.getpixel((int((left + right) / 2 * scale), int((PAGE_HEIGHT - (top + bottom) / 2) * scale)))
    assert inside[0] > 150 and inside[1] < 80 and inside[2] < 80, inside


def test_a_picture_cell_makes_its_row_as_tall_as_the_picture():
    tall = _png(100, 400, (0, 0, 200))
    goods = tuple(GoodsLine(f"M-{i}", f"ITEM {i:02d}", "940520", "WO", marks_image=tall) for i in range(12))
    data = render_origin_certificate(replace(origin_sample(ORIGIN_RCEP), goods=goods), sample_marking(ORIGIN_RCEP))
    pages = pdfs.page_count(data)
    # Twelve rows 24 mm tall do not fit on the first sheet: the rest continue, each row with its picture.
    assert pages >= 2
    assert sum(len(pdfs.image_boxes(data, i)) for i in range(pages)) == 12
    text = "".join(pdfs.page_text(data, i) for i in range(pages))
    assert all(f"ITEM {i:02d}" in text for i in range(12))


def test_wrapping_breaks_chinese_anywhere_and_latin_between_words():
    assert all(len(line) <= 10 for line in wrap("中华人民共和国原产地证明书" * 3, 90, 9))
    lines = wrap("TWO HUNDRED CARTONS OF LED DESK LAMPS", 80, 9)
    assert len(lines) > 1 and all(not line.startswith(" ") for line in lines)
    assert " ".join(lines).split() == ["TWO", "HUNDRED", "CARTONS", "OF", "LED", "DESK", "LAMPS"]


def test_check_codes_avoid_look_alike_characters_and_match_as_typed():
    code = new_check_code()
    assert len(code) == 8 and set(code) <= set(CHECK_ALPHABET)
    assert not set("01OIL") & set(CHECK_ALPHABET)
    assert check_code_matches(code, f" {code[:4].lower()} {code[4:]} ")
    assert not check_code_matches(code, code[:-1])


def test_the_check_url_escapes_the_number():
    assert check_url("http://h/", "/v1/origin/checks", "A/1 2", "X") == "http://h/v1/origin/checks/A%2F1%202?checkCode=X"
