"""Record numbers: 备案申请号, 业务编号, 问题编号, 检查编号, 处置编号, 报告编号 and the filing certificate number."""

from __future__ import annotations

import secrets
from datetime import datetime

from services.inspection.domain.fields import CHINA

FILING = "BA"
COMMISSION = "WT"
QUALITY_ISSUE = "ZL"
CHECK = "JC"
DISPOSAL = "CZ"
ANNUAL_REPORT = "ND"
# 备案证书编号: ZJB (装前检备案), the year accepted, a running number within the year.
CERTIFICATE = "ZJB"


def record_number(prefix: str) -> str:
    """The prefix, the day in China and eight random digits: unique in practice, checked by a unique key."""
    return f"{prefix}{datetime.now(CHINA):%Y%m%d}{secrets.randbelow(10**8):08d}"


def certificate_number(year: int, sequence: int) -> str:
    return f"{CERTIFICATE}{year}{sequence:04d}"


def certificate_prefix(year: int) -> str:
    return f"{CERTIFICATE}{year}"
