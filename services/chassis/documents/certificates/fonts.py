"""The CJK font every certificate is set in, embedded (subset) in each PDF so any viewer shows the Chinese.

WenQuanYi Micro Hei (TrueType outlines, which ReportLab embeds) comes from the
``paperang-p2-fonts-cjk`` wheel the project depends on, so ``pip install`` is the whole
installation; ``TONGBAN_CJK_FONT`` names another TrueType file (.ttf, or .ttc: its first face).
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "TongbanCJK"
_lock = threading.Lock()


def font_path() -> Path:
    configured = os.environ.get("TONGBAN_CJK_FONT")
    if configured:
        return Path(configured)
    return Path(str(importlib.resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))


def cjk_font() -> str:
    """The registered font's name (registered on first use, once per process)."""
    with _lock:
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            path = font_path()
            face = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), **face))
    return FONT_NAME
