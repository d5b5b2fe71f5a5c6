"""Rules that need no server: the division list, decimals as sent in JSON, state machines, notices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.chassis.errors import FailedPrecondition, Violations
from services.rare_earth import events
from services.rare_earth.divisions import divisions, region_prefix
from services.rare_earth.domain import AFFILIATION, REGISTRATION, parse_quota, parse_share_ratio


def test_the_division_list_has_every_province_and_prefecture_level_division():
    places = divisions()
    assert places.province_count == 31
    assert places.city_count == 342
    assert places.name_of("360700") == "赣州市"
    assert places.name_of("150200") == "包头市"
    assert places.name_of("540600") == "那曲市"  # became a city in 2018
    assert places.city("371200") is None  # 莱芜市, merged into 济南 in 2019
    assert places.city_in_province("110100", "110000")
    assert not places.city_in_province("360700", "150000")


def test_region_codes_become_prefixes_of_the_codes_inside_them():
    assert region_prefix("360000") == "36"
    assert region_prefix("360700") == "3607"
    assert region_prefix("360702") == "360702"


@pytest.mark.parametrize(("sent", "expected"), [(600.5, Decimal("600.5")), (0.001, Decimal("0.001")),
                                                (1000, Decimal("1000"))])
def test_quotas_keep_the_decimal_the_client_meant(sent, expected):
    violations = Violations()
    assert parse_quota(sent, "quota", violations) == expected
    assert not violations


@pytest.mark.parametrize("sent", [0, -1, 1.0001, float("nan"), 1e13])
def test_bad_quotas_are_refused(sent):
    violations = Violations()
    parse_quota(sent, "quota", violations)
    assert [v.field for v in violations.items] == ["quota"]


def test_share_ratio_is_a_percentage_with_two_decimals():
    violations = Violations()
    assert parse_share_ratio(33.33, violations) == Decimal("33.33")
    parse_share_ratio(100.01, violations)
    parse_share_ratio(12.345, violations)
    assert len(violations.items) == 2


def test_state_machines_refuse_moves_they_do_not_allow():
    assert REGISTRATION.check("REJECTED", "PENDING_REVIEW") == "PENDING_REVIEW"
    with pytest.raises(FailedPrecondition):
        REGISTRATION.check("APPROVED", "PENDING_REVIEW")
    with pytest.raises(FailedPrecondition):
        AFFILIATION.check("DECLARED", "PENDING")


def test_a_broadcast_is_split_into_batches_of_recipients():
    organizations = [f"org-{i}" for i in range(events.BROADCAST_BATCH * 2 + 1)]
    messages = events.system_notice_to_all("rare_earth.dictionary.changed", organizations,
                                           {"dictionary": "海关产品目录", "action": "新增", "item": "x"})
    assert [len(m.payload["recipients"]) for m in messages] == [events.BROADCAST_BATCH, events.BROADCAST_BATCH, 1]
    assert all(m.routing_key == "notify.request" and m.payload["system"] == "rare_earth" for m in messages)


def test_a_notice_with_the_wrong_params_is_a_programming_error():
    with pytest.raises(ValueError):
        events.notice_to_organization("rare_earth.registration.approved", "org", {"name": "x"})
