"""Field rules, masking, the membership state machine and the lockout policy (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from stdnum.cn import ric

from services.chassis.errors import FailedPrecondition
from services.identity import domain
from services.identity.keys import signing_and_published
from services.identity.models import SigningKey
from services.identity.secrets import IdentityConfig, Secrets

TODAY = date(2026, 11, 23)


def _id(first_17: str) -> str:
    return first_17 + ric.calc_check_digit(first_17 + "0")


@pytest.mark.parametrize("name, ok", [("abc123", True), ("a_b_c_d_e_f_g_h", True), ("abc12", False),
                                      ("abcdefghijklmnop", False), ("abc 123", False), ("张三abcdef", False)])
def test_login_name_rules(name, ok):
    assert (domain.login_name_problem(name) is None) == ok


@pytest.mark.parametrize("password, problem", [("abc123", None), ("abcdef", "密码须同时包含字母和数字"),
                                               ("123456", "密码须同时包含字母和数字"), ("a1", "密码长度须为6-16位"),
                                               ("a1" * 9, "密码长度须为6-16位")])
def test_password_rules(password, problem):
    assert domain.password_problem(password) == problem


def test_uscc_check_character_and_letter_authorities():
    valid = domain.uscc_with_check_character("91110108MA01ABCD2")
    assert domain.uscc_problem(valid) is None
    broken = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert domain.uscc_problem(broken) == "统一社会信用代码校验位错误"
    # stdnum refuses these (letters in the first eight), GB 32100 allows them
    for first in "YN":
        assert domain.uscc_problem(domain.uscc_with_check_character(first + "1110108MA01ABCD2")) is None
    assert domain.uscc_problem("123") == "统一社会信用代码须为18位"
    assert domain.uscc_problem("I" * 18) == "统一社会信用代码含有无效字符"


def test_resident_id_checks_check_digit_birth_date_and_province_but_not_county_history():
    assert domain.resident_id_problem(_id("11010119900307123"), TODAY) is None
    good = _id("11010119900307123")
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert domain.resident_id_problem(wrong, TODAY) == "居民身份证号码校验位错误"
    assert domain.resident_id_problem(_id("11010119901332123"), TODAY) == "居民身份证号码出生日期无效"
    assert domain.resident_id_problem(_id("99010119900307123"), TODAY) == "居民身份证号码地区码无效"
    assert domain.resident_id_problem(_id("11010120300307123"), TODAY) == "居民身份证号码出生日期无效"
    # A county code created after the birth year: stdnum refuses it, a real card can carry it.
    late_county = _id("33011019500101123")  # Hangzhou Yuhang district code 330110 dates from 2001
    assert not ric.is_valid(late_county)
    assert domain.resident_id_problem(late_county, TODAY) is None


def test_other_id_types_are_only_format_checked():
    assert domain.id_number_problem("PASSPORT", "E12345678", TODAY) is None
    assert domain.id_number_problem("PASSPORT", "bad id!", TODAY) == "证件号码格式错误"


def test_masks_show_first_three_and_last_four():
    assert domain.mask_id_number("110101199003071234") == "110***********1234"
    assert domain.mask_phone("13812345678") == "138****5678"
    assert domain.mask_email("zhang@example.com") == "z***@example.com"


def test_industry_and_agency_formats():
    assert domain.industry_problem("C") is None and domain.industry_problem("C32") is None
    assert domain.industry_problem("C3") is not None and domain.industry_problem("Z") is not None
    assert domain.agency_problem("LOCAL_AUTHORITY:110000") is None and domain.agency_problem("CIQ:1100") is None
    assert domain.agency_problem("FBI") is not None
    assert domain.systems_for_agency("CCPIT:beijing") == ["origin_cert"]


@pytest.mark.parametrize("current, target, allowed", [
    ("PENDING", "ACTIVE", True), ("PENDING", "REJECTED", True), ("ACTIVE", "DISABLED", True),
    ("DISABLED", "ACTIVE", True), ("DISABLED", "REMOVED", True), ("REJECTED", "PENDING", True),
    ("REMOVED", "ACTIVE", False), ("REJECTED", "ACTIVE", False), ("ACTIVE", "PENDING", False),
])
def test_membership_state_machine(current, target, allowed):
    if allowed:
        domain.check_membership_transition(current, target)
    else:
        with pytest.raises(FailedPrecondition):
            domain.check_membership_transition(current, target)


def test_owner_holds_every_scope_and_others_what_was_granted():
    assert domain.effective_scopes("OWNER", []) == list(domain.SCOPES)
    assert domain.effective_scopes("AGENT", ["origin_cert", "moon"]) == ["origin_cert"]


def test_the_fifth_failure_in_the_window_locks_for_fifteen_minutes():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert not domain.lockout_after_failure(4, now).locked
    decision = domain.lockout_after_failure(5, now)
    assert decision.locked and decision.locked_until == now + domain.LOCKOUT_DURATION


def test_superseded_keys_stay_published_until_their_tokens_expire():
    from datetime import timedelta

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    ttl = timedelta(minutes=15)
    old = SigningKey(kid="old", activates_at=now - timedelta(days=1))
    new = SigningKey(kid="new", activates_at=now - timedelta(minutes=5))
    future = SigningKey(kid="future", activates_at=now + timedelta(minutes=1))
    signing, published = signing_and_published([future, new, old], now, ttl)
    assert signing.kid == "new" and {k.kid for k in published} == {"old", "new", "future"}
    signing, published = signing_and_published([new, old], now + timedelta(minutes=30), ttl)
    assert signing.kid == "new" and [k.kid for k in published] == ["new"]


def test_secrets_encrypt_hash_and_refuse_a_missing_key_outside_dev():
    config = IdentityConfig.from_env({"IDENTITY_SECRET_KEY": "x" * 32, "IDENTITY_PASSWORD_TIME_COST": "1",
                                      "IDENTITY_PASSWORD_MEMORY_KIB": "1024"})
    secrets = Secrets(config)
    blob = secrets.encrypt("110101199003071234", "id-number")
    assert b"1101011990" not in blob and secrets.decrypt(blob, "id-number") == "110101199003071234"
    assert secrets.lookup_hash("a") == secrets.lookup_hash("a") != secrets.lookup_hash("b")
    hashed = secrets.hash_password("abc123")
    assert hashed.startswith("$argon2id$") and secrets.verify_password(hashed, "abc123")
    assert not secrets.verify_password(hashed, "abc124")
    from services.chassis.config import ConfigError

    with pytest.raises(ConfigError, match="IDENTITY_SECRET_KEY"):
        IdentityConfig.from_env({"TONGBAN_ENV": "prod"})
    assert IdentityConfig.from_env({"TONGBAN_ENV": "dev"}).password_time_cost == 3


@pytest.mark.parametrize("login", ["admin", "ops_admin", "A" * 32])
def test_platform_admin_login_names_are_not_bound_by_the_enterprise_form(login):
    assert domain.admin_login_name_problem(login) is None
    assert domain.login_name_problem("admin") is not None


@pytest.mark.parametrize("login", ["ab", "", "has space", "A" * 33])
def test_a_malformed_platform_admin_login_name_is_refused(login):
    assert domain.admin_login_name_problem(login)
