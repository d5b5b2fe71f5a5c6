"""Reporting windows (manual §7): month M is reported from the 1st to the 10th of M+1, later by statutory holidays.

No I/O except reading the clock (dev and test may pin today: see ``services.rare_earth.config``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import chinese_calendar

from services.chassis.errors import InvalidArgument

REPORTING_DAYS = 10
CHINA = ZoneInfo("Asia/Shanghai")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Window(NamedTuple):
    """A month's reporting window, both days included; ``custom`` when the office set it."""

    month: str
    opens_on: date
    closes_on: date
    custom: bool

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on

    def has_closed(self, today: date) -> bool:
        return today > self.closes_on


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(text: str, field: str = "month") -> tuple[int, int]:
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidArgument.for_field(field, "月份格式应为YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def is_statutory_holiday(day: date) -> bool:
    """A day off for a named holiday (weekends alone don't count); years the calendar lacks have none."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False
    return bool(on_holiday and name)


def default_window(year: int, month: int) -> Window:
    """The 1st of the next month until ten days not taken by statutory holidays have passed."""
    opens = date(year + month // 12, month % 12 + 1, 1)
    day, counted = opens, 0
    while True:
        if not is_statutory_holiday(day):
            counted += 1
            if counted == REPORTING_DAYS:
                return Window(month_key(year, month), opens, day, False)
        day += timedelta(days=1)


def previous_months(today: date, count: int) -> list[tuple[int, int]]:
    """The ``count`` months before ``today``'s, latest first."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append((year, month))
    return months


def today(pinned: date | None = None) -> date:
    """Today in China, or ``pinned`` when dev or test pinned it so nothing depends on the real calendar."""
    return pinned or datetime.now(CHINA).date()
