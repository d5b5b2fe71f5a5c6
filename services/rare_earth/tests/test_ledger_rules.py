"""Ledger rules without I/O: reporting windows and holidays, row validation, codes, who reports what."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from services.chassis.errors import FailedPrecondition, InvalidArgument
from services.rare_earth.domain.ledgers import (
    RowValidator,
    check_kind_allowed,
    column_letter,
    header_problem,
    required_kinds,
    traceability_code,
)
from services.rare_earth.domain.windows import default_window, parse_month, previous_months

OXIDE = ("稀土氧化物及其他化合物", "氧化镨钕")
USCC = "91110000600037341L"


def test_window_is_the_first_ten_days_of_the_next_month_without_holidays():
    window = default_window(2026, 10)
    assert (window.opens_on, window.closes_on) == (date(2026, 11, 1), date(2026, 11, 10))
    assert window.is_open(date(2026, 11, 10)) and window.has_closed(date(2026, 11, 11))


def test_statutory_holidays_inside_the_window_move_the_close_later():
    # National Day: 1–7 October 2026 are days off, so ten reporting days end on the 17th.
    assert default_window(2026, 9).closes_on == date(2026, 10, 17)
    # December's data: New Year's Day holidays push the close past the 10th.
    assert default_window(2025, 12).closes_on > date(2026, 1, 10)


def test_years_the_holiday_calendar_lacks_keep_the_plain_rule():
    assert default_window(2090, 9).closes_on == date(2090, 10, 10)


def test_months_parse_and_count_back_across_years():
    assert parse_month("2026-03") == (2026, 3)
    with pytest.raises(InvalidArgument):
        parse_month("2026-13")
    assert previous_months(date(2026, 2, 3), 3) == [(2026, 1), (2025, 12), (2025, 11)]


def _validator(kind: str) -> RowValidator:
    return RowValidator(kind, "ent-1", 2026, 10, {OXIDE}, {"2805301100"})


def test_sales_row_becomes_a_record_with_a_stable_code_when_left_blank():
    record, errors = _validator("SALES").check(2, ["2026-10-05", "客户", USCC, *OXIDE, 12.5, None, None, None, 123])
    assert errors == []
    assert record["quantity"] == Decimal("12.500") and record["batch_no"] == "123"
    assert record["traceability_code"] == traceability_code("ent-1", 2026, 10, 2, "123", USCC)
    again, _ = _validator("SALES").check(2, ["2026-10-05", "客户", USCC, *OXIDE, 12.5, None, None, None, 123])
    assert again["traceability_code"] == record["traceability_code"]


def test_dates_from_cells_or_text_must_fall_in_the_month():
    validator = _validator("PRODUCTION")
    _, ok = validator.check(2, [datetime(2026, 10, 31), *OXIDE, 1, "A;B", "C"])
    _, wrong = validator.check(3, ["2026/11/01", *OXIDE, 1, "A", "C"])
    _, junk = validator.check(4, ["yesterday", *OXIDE, 1, "A", "C"])
    assert ok == [] and wrong[0][0] == 0 and "月内" in wrong[0][1] and "格式" in junk[0][1]


def test_quantities_need_three_places_at_most_and_must_be_positive():
    validator = _validator("PURCHASE")
    for value, message in ((1.2345, "3位小数"), (0, "大于0"), ("abc", "数字")):
        _, errors = validator.check(2, ["2026-10-01", "供应商", USCC, *OXIDE, value, "", "B"])
        assert errors == [(5, errors[0][1])] and message in errors[0][1]


def test_name_must_belong_to_the_category_and_duplicate_sales_codes_are_named():
    validator = _validator("SALES")
    _, errors = validator.check(2, ["2026-10-01", "客户", USCC, OXIDE[0], "氧化铽", 1, "DUP-CODE-1", "", "", "B"])
    assert [i for i, _ in errors] == [4]
    _, errors = validator.check(3, ["2026-10-01", "客户", USCC, *OXIDE, 1, "DUP-CODE-1", "", "", "B"])
    assert errors == [(6, "追溯码与第2行重复")]


def test_header_must_match_the_template_column_by_column():
    header = ["产品类别", "产品名称", "期初库存（千克）", "本月入库（千克）", "本月出库（千克）", "期末库存（千克）"]
    assert header_problem("INVENTORY", header) is None
    assert "第C列" in header_problem("INVENTORY", ["产品类别", "产品名称", "期初"])
    assert column_letter(0) == "A" and column_letter(27) == "AB"


def test_who_reports_which_ledgers():
    assert required_kinds("DOMESTIC_TRADE") == ("PURCHASE", "SALES", "INVENTORY")
    assert "PURCHASE" not in required_kinds("MINING")
    assert required_kinds("GROUP") == ()
    with pytest.raises(FailedPrecondition):
        check_kind_allowed("PRODUCTION", "FOREIGN_TRADE")
    check_kind_allowed("PRODUCTION", "MINING")
