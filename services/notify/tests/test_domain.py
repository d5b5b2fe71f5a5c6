"""Notify's rules without I/O."""

from __future__ import annotations

import pytest

from services.chassis.errors import InvalidArgument
from services.notify import domain


def test_rendering_names_every_missing_parameter():
    with pytest.raises(domain.TemplateError, match="code, minutes"):
        domain.render("验证码{code}，{minutes}分钟内有效", {})
    assert domain.render("验证码{code}", {"code": "123456"}) == "验证码123456"


def test_sms_fragments_follow_ucs2_limits_and_over_long_text_is_refused():
    assert domain.sms_fragments("字" * 70) == 1
    assert domain.sms_fragments("字" * 71) == 2
    assert domain.check_sms("字" * domain.SMS_MAX_CHARS) == domain.SMS_MAX_FRAGMENTS
    with pytest.raises(domain.SmsTooLong):
        domain.check_sms("字" * (domain.SMS_MAX_CHARS + 1))
    with pytest.raises(domain.TemplateError):
        domain.check_sms("   ")


def test_final_states_are_never_left_and_guards_list_every_legal_source():
    assert domain.sources_of(domain.SENDING) == (domain.CREATED, domain.TEMPORARY_FAILURE)
    assert domain.sources_of(domain.DELIVERED) == (domain.SENT,)
    for final in domain.FINAL_STATUSES:
        assert not any(domain.can_move(final, target) for target in domain.STATUSES)
    assert not domain.can_move(domain.CREATED, domain.SENT)


def test_retry_delays_grow_exponentially():
    assert [domain.retry_delay(n, 10) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


def test_the_token_bucket_holds_the_rate_after_a_burst():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    bucket = domain.TokenBucket(rate=10, capacity=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        bucket.acquire()
    assert slept and sum(slept) == pytest.approx(0.2)


def test_a_template_with_bad_placeholders_or_a_too_long_sms_is_refused_naming_the_field():
    with pytest.raises(InvalidArgument) as error:
        domain.check_template("identity.x", "identity", "{中文}" + "长" * 600, "", "", "", "", "【通办】")
    assert {v.field for v in error.value.violations} == {"smsText"}
    with pytest.raises(InvalidArgument) as error:
        domain.check_template("Bad Code", "", "", "主题", "", "", "", "")
    assert {v.field for v in error.value.violations} == {"code", "smsText"}
