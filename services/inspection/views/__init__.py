"""What the use cases answer, as protos, one module per resource; decimals as strings, dates as yyyy-mm-dd."""

from __future__ import annotations

from datetime import date


def day(value: date | None) -> str:
    return value.isoformat() if value else ""
