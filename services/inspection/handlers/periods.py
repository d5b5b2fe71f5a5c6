"""A list's creation-day filter (委托时间, 创建时间): two yyyy-mm-dd days, both included, counted in China."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from services.chassis.errors import Violations
from services.inspection.domain.fields import CHINA, parse_date


def created_between(statement: Any, column: Any, created_from: str, created_to: str, label: str) -> Any:
    """``statement`` narrowed to the days given; either day may be empty, a malformed one is a 400."""
    violations = Violations()
    start = parse_date(created_from, "createdFrom", f"{label}（起）", violations, required=False)
    end = parse_date(created_to, "createdTo", f"{label}（止）", violations, required=False)
    if start and end and start > end:
        violations.add("createdTo", f"{label}（止）不能早于{label}（起）")
    violations.raise_if_any("查询条件有误")
    if start:
        statement = statement.where(column >= datetime.combine(start, time(), CHINA))
    if end:
        statement = statement.where(column < datetime.combine(end + timedelta(days=1), time(), CHINA))
    return statement
