"""Drawing a certificate: text that wraps Chinese and Latin alike, numbered boxes, tables (a cell may hold a
picture: an image shipping mark), the QR strip.

Coordinates are ReportLab points from the bottom-left corner of an A4 page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from services.chassis.documents.certificates.fonts import cjk_font

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
# A Latin word, a run of spaces, or any other single character (a Chinese character breaks anywhere).
_TOKENS = re.compile(r"[A-Za-z0-9@#$%&*+\-_/.,;:!?'\"()\[\]<>=~`^|\\]+|\s+|.", re.S)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` at ``size`` points; newlines are kept."""
    font = cjk_font()
    lines: list[str] = []
    for paragraph in (text or "").split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph):
            candidate = line + token
            if stringWidth(candidate, font, size) <= width or not line.strip():
                if stringWidth(candidate, font, size) > width:  # one token wider than the line: cut it
                    for char in token:
                        if stringWidth(line + char, font, size) > width and line:
                            lines.append(line)
                            line = ""
                        line += char
                else:
                    line = candidate
                continue
            lines.append(line.rstrip())
            line = token.lstrip()
        lines.append(line.rstrip())
    return lines


@dataclass
class Sheet:
    """One page being drawn, with the font set and helpers for what every certificate has."""

    canvas: Canvas

    def __post_init__(self) -> None:
        self.font = cjk_font()

    def text(self, x: float, y: float, text: str, size: float = 9, *, align: str = "left") -> None:
        self.canvas.setFont(self.font, size)
        if align == "center":
            self.canvas.drawCentredString(x, y, text)
        elif align == "right":
            self.canvas.drawRightString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def paragraph(self, x: float, top: float, width: float, text: str, size: float = 9,
                  leading: float | None = None, bottom: float | None = None) -> float:
        """Draw wrapped text from ``top`` down; shrinks the size until it fits above ``bottom``; answers the y after."""
        while True:
            step = leading or size * 1.3
            lines = wrap(text, width, size)
            if bottom is None or top - len(lines) * step >= bottom or size <= 5:
                break
            size -= 0.5
        y = top - size
        for line in lines:
            self.text(x, y, line, size)
            y -= step
        return y + step - size * 0.3

    def rect(self, x: float, y: float, width: float, height: float, line: float = 0.6) -> None:
        self.canvas.setLineWidth(line)
        self.canvas.rect(x, y, width, height, stroke=1, fill=0)

    def box(self, x: float, y: float, width: float, height: float, title: str, content: str = "",
            size: float = 9) -> None:
        """A numbered box: its rule, its printed title small at the top, the filled-in content below."""
        self.rect(x, y, width, height)
        below = self.paragraph(x + 2 * mm, y + height - 1.2 * mm, width - 4 * mm, title, 6.5)
        if content:
            self.paragraph(x + 3 * mm, below - 1 * mm, width - 6 * mm, content, size, bottom=y + 1.5 * mm)

    def checkbox(self, x: float, y: float, label: str, checked: bool = False, size: float = 7.5) -> float:
        """A tick box and its label; answers the x after it."""
        side = size * 0.9
        self.rect(x, y - 0.5, side, side, 0.5)
        if checked:
            self.canvas.line(x + 1, y + 0.5, x + side - 1, y + side - 1.5)
            self.canvas.line(x + 1, y + side - 1.5, x + side - 1, y + 0.5)
        self.text(x + side + 1.5 * mm, y, label, size)
        return x + side + 3 * mm + stringWidth(label, self.font, size)

    def qr(self, url: str, x: float, y: float, side: float) -> None:
        """The QR code of ``url`` as vector squares (quiet zone included) with its lower-left corner at (x, y)."""
        matrix = segno.make(url, error="m").matrix
        border = 2
        cell = side / (len(matrix) + 2 * border)
        self.canvas.setFillColorRGB(0, 0, 0)
        for row, cells in enumerate(matrix):
            for column, dark in enumerate(cells):
                if dark:
                    self.canvas.rect(x + (column + border) * cell, y + side - (row + border + 1) * cell,
                                     cell, cell, stroke=0, fill=1)


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # of the table's width
    align: str = "left"


@dataclass(frozen=True)
class Picture:
    """An image (PNG or JPEG bytes) in a table cell, scaled to the cell's width and at most ``max_height`` tall,
    its proportions kept; ``caption`` is printed under it."""

    data: bytes
    max_height: float = 24 * mm
    caption: str = ""

    @cached_property
    def image(self) -> ImageReader:
        """Read once: the row's height is measured before the cell is drawn, and again on a continuation sheet."""
        return ImageReader(io.BytesIO(self.data))

    def size_within(self, width: float) -> tuple[float, float]:
        image_width, image_height = self.image.getSize()
        scale = min(width / image_width, self.max_height / image_height)
        return image_width * scale, image_height * scale


def _cell_height(value: str | Picture, width: float, size: float) -> float:
    if isinstance(value, Picture):
        return value.size_within(width)[1] + len(wrap(value.caption, width, size)) * size * 1.3 + 1 * mm
    return len(wrap(value, width, size)) * size * 1.3


def _draw_cell(sheet: Sheet, value: str | Picture, left: float, top: float, width: float, column: Column,
               size: float) -> None:
    if isinstance(value, Picture):
        image_width, image_height = value.size_within(width - 3 * mm)
        sheet.canvas.drawImage(value.image, left + 1.5 * mm, top - 1.2 * mm - image_height,
                               image_width, image_height, mask="auto")
        top -= image_height + 1 * mm
        value = value.caption
    for index, line in enumerate(wrap(value, width - 3 * mm, size)):
        baseline = top - 1.2 * mm - size - index * size * 1.3
        if column.align == "right":
            sheet.text(left + width - 1.5 * mm, baseline, line, size, align="right")
        else:
            sheet.text(left + 1.5 * mm, baseline, line, size)


def table(sheet: Sheet, x: float, top: float, width: float, bottom: float, columns: Sequence[Column],
          rows: Sequence[Sequence[str | Picture]], size: float = 8, header_size: float = 6.5) -> int:
    """Draw a ruled table from ``top`` down to ``bottom`` at most; answers how many rows fitted."""
    widths = [width * c.share / sum(c.share for c in columns) for c in columns]
    header = [wrap(c.title, w - 3 * mm, header_size) for c, w in zip(columns, widths, strict=True)]
    header_height = max(len(lines) for lines in header) * header_size * 1.25 + 2 * mm
    y = top - header_height
    edges = [x]
    for w in widths:
        edges.append(edges[-1] + w)
    for lines, left in zip(header, edges, strict=False):
        for index, line in enumerate(lines):
            sheet.text(left + 1.5 * mm, top - 1.5 * mm - header_size - index * header_size * 1.25, line, header_size)
    sheet.canvas.setLineWidth(0.6)
    sheet.canvas.line(x, y, x + width, y)
    drawn = 0
    for row in rows:
        height = max(_cell_height(value, w - 3 * mm, size) for value, w in zip(row, widths, strict=True)) + 2 * mm
        if y - height < bottom:
            break
        for value, left, column, w in zip(row, edges[:-1], columns, widths, strict=True):
            _draw_cell(sheet, value, left, y, w, column, size)
        y -= height
        drawn += 1
    for edge in edges[1:-1]:
        sheet.canvas.line(edge, top, edge, bottom)
    return drawn
