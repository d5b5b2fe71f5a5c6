"""Field rules, masking, the account and membership machines, the lockout policy and the key store (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
from stdnum.cn import ric

from services.chassis.errors import FailedPrecondition
from services.chassis.registry import agency_examples, systems_of_agency
from services.chassis.states import machines_of
from services.identity import domain
from services.identity.keys import KeysNotLoaded, KeyStore, new_signing_key, signing_and_published
from services.identity.models import Account, Membership, SigningKey
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
    refusal = domain.agency_problem("FBI")
    assert refusal.startswith("所属机构无效，可为 MIIT_RE_OFFICE、") and " 或 " in refusal
    assert all(example in refusal for example in agency_examples())
    assert systems_of_agency("CCPIT:beijing") == ("origin_cert",)


@pytest.mark.parametrize("current, target, allowed", [
    ("PENDING", "ACTIVE", True), ("PENDING", "REJECTED", True), ("ACTIVE", "DISABLED", True),
    ("DISABLED", "ACTIVE", True), ("DISABLED", "REMOVED", True), ("REJECTED", "PENDING", True),
    ("PENDING", "REMOVED", True),
    ("REMOVED", "ACTIVE", False), ("REJECTED", "ACTIVE", False), ("ACTIVE", "PENDING", False),
])
def test_membership_state_machine(current, target, allowed):
    membership = Membership(status=current)
    if allowed:
        domain.move_membership(membership, target)
        assert membership.status == target
    else:
        with pytest.raises(FailedPrecondition) as refused:
            domain.move_membership(membership, target)
        assert membership.status == current
        assert refused.value.reason == "MEMBERSHIP_STATE_INVALID"
        assert refused.value.message == (f"成员状态为{domain.MEMBERSHIP.label(current)}，"
                                         f"不能变为{domain.MEMBERSHIP.label(target)}")


def test_a_deleted_account_stays_deleted_and_a_disabled_one_may_come_back():
    assert domain.ACCOUNT.can("ACTIVE", "DISABLED") and domain.ACCOUNT.can("DISABLED", "ACTIVE")
    assert domain.ACCOUNT.can("DISABLED", "DELETED")
    assert domain.ACCOUNT.final == frozenset({"DELETED"}) and domain.ACCOUNT.initial == frozenset({"ACTIVE"})


def test_every_status_column_is_bound_to_its_machine():
    assert machines_of(Account) == {"status": domain.ACCOUNT}
    assert machines_of(Membership) == {"status": domain.MEMBERSHIP}


def test_an_active_account_inside_its_lockout_window_shows_as_locked():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    later = now + timedelta(minutes=1)
    assert domain.shown_account_status("ACTIVE", later, now) == "LOCKED"
    assert domain.shown_account_status("ACTIVE", now - timedelta(minutes=1), now) == "ACTIVE"
    assert domain.shown_account_status("DISABLED", later, now) == "DISABLED"


@pytest.mark.parametrize("status, stored, scope, refusal", [
    ("ACTIVE", "rare_earth", "rare_earth", ""), ("ACTIVE", "", "rare_earth", "SCOPE_NOT_GRANTED"),
    ("PENDING", "", "rare_earth", "NO_MEMBERSHIP"), ("REJECTED", "", "rare_earth", "NO_MEMBERSHIP"),
    ("DISABLED", "rare_earth", "rare_earth", "MEMBER_NOT_ACTIVE"), ("REMOVED", "", "rare_earth", "MEMBER_NOT_ACTIVE"),
])
def test_a_scope_is_refused_for_what_the_membership_lacks(status, stored, scope, refusal):
    assert domain.scope_refusal("AGENT", status, stored, scope) == refusal


def test_owner_holds_every_scope_and_others_what_was_granted():
    assert domain.effective_scopes("OWNER", []) == list(domain.SCOPES)
    assert domain.effective_scopes("AGENT", ["origin_cert", "moon"]) == ["origin_cert"]


def test_the_fifth_failure_in_the_window_locks_for_fifteen_minutes():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert not domain.lockout_after_failure(4, now).locked
    decision = domain.lockout_after_failure(5, now)
    assert decision.locked and decision.locked_until == now + domain.LOCKOUT_DURATION


def test_superseded_keys_stay_published_until_their_tokens_expire():
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


def _secrets() -> Secrets:
    return Secrets(IdentityConfig.from_env({"IDENTITY_SECRET_KEY": "x" * 32, "IDENTITY_PASSWORD_TIME_COST": "1",
                                            "IDENTITY_PASSWORD_MEMORY_KIB": "1024"}))


def test_the_key_store_signs_from_memory_with_the_key_activated_by_now():
    secrets = _secrets()
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    clock = [now]
    store = KeyStore(secrets, 900, clock=lambda: clock[0])
    with pytest.raises(KeysNotLoaded):
        store.sign({"sub": "a"})
    current = new_signing_key(secrets, now - timedelta(days=1))
    rotated = new_signing_key(secrets, now + timedelta(seconds=60))
    store.load([rotated, current])
    # Published before it signs, so verifiers know it before they meet a token it signed.
    assert {k["kid"] for k in store.jwks()["keys"]} == {current.kid, rotated.kid}
    assert jwt.get_unverified_header(store.sign({"sub": "a"}))["kid"] == current.kid
    clock[0] = now + timedelta(seconds=61)
    assert jwt.get_unverified_header(store.sign({"sub": "a"}))["kid"] == rotated.kid


def test_the_key_cache_lifetime_is_a_setting_bounded_by_the_activation_delay():
    from services.chassis.config import ConfigError

    base = {"IDENTITY_SECRET_KEY": "x" * 32}
    assert IdentityConfig.from_env(base).key_cache_seconds == 10.0
    assert IdentityConfig.from_env({**base, "IDENTITY_KEY_CACHE_SECONDS": "0.2"}).key_cache_seconds == 0.2
    with pytest.raises(ConfigError, match="IDENTITY_KEY_CACHE_SECONDS"):
        IdentityConfig.from_env({**base, "IDENTITY_KEY_CACHE_SECONDS": "60"})
