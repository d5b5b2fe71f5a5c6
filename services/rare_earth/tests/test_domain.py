"""Rules that need no server: the division list, decimal figures, state machines, agencies, notices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.chassis.divisions import divisions, region_prefix
from services.chassis.errors import FailedPrecondition, Violations
from services.chassis.states import machines_of
from services.rare_earth import events
from services.rare_earth.domain.agencies import region_of
from services.rare_earth.domain.enterprises import check_share_ratio, registration_gate_message
from services.rare_earth.domain.ledgers import check_confirmable
from services.rare_earth.domain.quota import check_quota
from services.rare_earth.domain.states import AFFILIATION, OVERRIDE, REGISTRATION
from services.rare_earth.models import Base


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


@pytest.mark.parametrize(("sent", "expected"), [("600.5", "600.500"), ("0.001", "0.001"), ("1000", "1000.000"),
                                                ("12.5000", "12.500")])
def test_quotas_are_kept_at_the_scale_they_are_stored_with(sent, expected):
    violations = Violations()
    assert str(check_quota(Decimal(sent), "quota", violations)) == expected
    assert not violations


@pytest.mark.parametrize("sent", ["0", "-1", "1.0001", "1000000000000"])
def test_bad_quotas_are_refused(sent):
    violations = Violations()
    check_quota(Decimal(sent), "quota", violations)
    assert [v.field for v in violations.items] == ["quota"]


def test_share_ratio_is_a_percentage_with_two_decimals():
    violations = Violations()
    assert check_share_ratio(Decimal("33.33"), violations) == Decimal("33.33")
    assert check_share_ratio(None, violations) == Decimal("0.00")
    check_share_ratio(Decimal("100.01"), violations)
    check_share_ratio(Decimal("12.345"), violations)
    assert [v.description for v in violations.items] == ["占股比例须在0到100之间", "占股比例最多保留2位小数"]


def test_state_machines_refuse_moves_they_do_not_allow():
    assert REGISTRATION.check("REJECTED", "PENDING_REVIEW") == "PENDING_REVIEW"
    with pytest.raises(FailedPrecondition):
        REGISTRATION.check("APPROVED", "PENDING_REVIEW")
    with pytest.raises(FailedPrecondition):
        AFFILIATION.check("DECLARED", "PENDING")
    with pytest.raises(FailedPrecondition) as refused:
        OVERRIDE.check("APPROVED", "REJECTED")
    assert refused.value.reason == "OVERRIDE_STATE_INVALID"


@pytest.mark.parametrize(("status", "reason"), [("INVALID", "LEDGER_IMPORT_INVALID"),
                                                ("CONFIRMED", "LEDGER_IMPORT_CONFIRMED"),
                                                ("EXPIRED", "LEDGER_IMPORT_EXPIRED")])
def test_only_a_valid_upload_may_be_confirmed_and_the_refusal_says_why(status, reason):
    check_confirmable("VALID")
    with pytest.raises(FailedPrecondition) as refused:
        check_confirmable(status)
    assert refused.value.reason == reason


def test_every_status_column_is_bound_to_its_machine():
    bound = {(mapper.class_.__name__, attribute): machine.name
             for mapper in Base.registry.mappers for attribute, machine in machines_of(mapper.class_).items()}
    assert bound == {("Enterprise", "status"): "REGISTRATION", ("Affiliation", "status"): "AFFILIATION",
                     ("QuotaAllocation", "confirmation_status"): "QUOTA_CONFIRMATION",
                     ("LedgerImport", "status"): "LEDGER_IMPORT", ("LedgerOverride", "status"): "OVERRIDE",
                     ("SupervisionCase", "status"): "CASE"}


def test_the_gate_message_says_what_the_registration_waits_for():
    assert "提交审核" in registration_gate_message(None)
    assert registration_gate_message("PENDING_REVIEW").startswith("审核中")
    assert "（名称不符）" in registration_gate_message("REJECTED", "名称不符")


def test_local_authorities_are_named_by_region_as_the_registry_has_them():
    assert region_of("LOCAL_AUTHORITY:360700") == "360700"
    assert region_of("LOCAL_AUTHORITY:36") is None
    assert region_of("MIIT_RE_OFFICE") is None


def test_a_broadcast_is_split_into_batches_of_recipients():
    organizations = [f"org-{i}" for i in range(events.BROADCAST_BATCH * 2 + 1)]
    messages = events.system_notice_to_all("rare_earth.dictionary.changed", organizations,
                                           {"dictionary": "海关产品目录", "action": "新增", "item": "x"})
    assert [len(m.payload["recipients"]) for m in messages] == [events.BROADCAST_BATCH, events.BROADCAST_BATCH, 1]
    assert all(m.routing_key == "notify.request" and m.payload["system"] == "rare_earth" for m in messages)


def test_a_notice_with_the_wrong_params_is_a_programming_error():
    with pytest.raises(ValueError):
        events.notice_to_organization("rare_earth.registration.approved", "org", {"name": "x"})
