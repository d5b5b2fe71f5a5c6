"""The conversions at the gRPC boundary: decimals as strings, timestamps, optional fields, enums."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from protos.testing.v1 import echo_pb2
from services.chassis import wire
from services.chassis.errors import InvalidArgument


@pytest.mark.parametrize(("value", "text"), [(Decimal("12.500"), "12.500"), (Decimal("1E+3"), "1000"),
                                             (Decimal("0.35"), "0.35"), (7, "7"), (None, "")])
def test_a_decimal_travels_in_plain_notation(value, text):
    assert wire.decimal_text(value) == text


def test_a_decimal_string_is_read_exactly():
    assert wire.decimal_value("0.1", "quota") + wire.decimal_value("0.2", "quota") == Decimal("0.3")


@pytest.mark.parametrize("bad", ["abc", "1e5", "NaN", "Infinity", "1,5", "1" * 40])
def test_a_malformed_decimal_is_a_400_naming_the_field(bad):
    with pytest.raises(InvalidArgument) as refused:
        wire.decimal_value(bad, "allocations[1].quota", label="配额")
    assert [v.field for v in refused.value.violations] == ["allocations[1].quota"]
    assert "配额" in refused.value.message


def test_a_decimal_below_its_minimum_or_with_too_many_places_is_refused():
    with pytest.raises(InvalidArgument, match="不能小于 0"):
        wire.decimal_value("-1", "quantity", minimum=Decimal(0))
    with pytest.raises(InvalidArgument, match="3 位小数"):
        wire.decimal_value("1.2345", "quantity", places=3)
    assert wire.decimal_value("1.234", "quantity", places=3) == Decimal("1.234")


def test_a_missing_decimal_is_refused_unless_optional():
    with pytest.raises(InvalidArgument):
        wire.decimal_value("  ", "quota")
    assert wire.decimal_value("", "quota", required=False) is None


def test_timestamps_round_trip_as_aware_utc_and_naive_values_are_read_as_utc():
    naive = datetime(2026, 12, 1, 8, 30)
    stamp = wire.timestamp(naive)
    assert stamp.ToDatetime(tzinfo=UTC) == naive.replace(tzinfo=UTC)
    assert wire.timestamp(None) is None


def test_an_absent_field_is_none_and_a_present_one_its_value_even_when_empty():
    message = echo_pb2.EchoMessage()
    assert wire.optional(message, "maybe") is None and wire.moment(message, "time") is None
    message.maybe = ""
    message.time.FromDatetime(datetime(2026, 12, 1, tzinfo=UTC))
    assert wire.optional(message, "maybe") == ""
    assert wire.moment(message, "time") == datetime(2026, 12, 1, tzinfo=UTC)


def test_an_enum_zero_is_read_as_not_given():
    assert wire.enum_name(echo_pb2.Color, 0) == "" and wire.enum_name(echo_pb2.Color, 2) == "GREEN"
    assert wire.enum_value(echo_pb2.Color, "") == 0 and wire.enum_value(echo_pb2.Color, "BLUE") == 3


def test_a_use_case_gets_its_keyword_parameters_from_the_request_fields_of_those_names():
    def register(context, *, text: str, numbers: tuple[int, ...], bool_value: bool) -> None: ...

    request = echo_pb2.EchoMessage(text="张三", numbers=[3, 1], bool_value=True, int32_value=9)
    assert wire.arguments(request, register) == {"text": "张三", "numbers": (3, 1), "bool_value": True}
