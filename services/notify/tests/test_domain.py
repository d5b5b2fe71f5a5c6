"""Notify's rules without I/O."""

from __future__ import annotations

import pytest

from services.chassis.errors import FailedPrecondition, InvalidArgument
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


def test_final_delivery_states_are_never_left_and_guards_list_every_legal_source():
    machine = domain.DELIVERY
    assert machine.sources_of(domain.SENDING) == (domain.CREATED, domain.TEMPORARY_FAILURE)
    assert machine.sources_of(domain.DELIVERED) == (domain.SENT,)
    assert machine.final == {domain.DELIVERED, domain.PERMANENT_FAILURE, domain.TECHNICAL_FAILURE}
    for final in machine.final:
        assert not any(machine.can(final, target) for target in machine.states)
    assert not machine.can(domain.CREATED, domain.SENT)
    with pytest.raises(FailedPrecondition) as refused:
        machine.check(domain.DELIVERED, domain.SENDING)
    assert refused.value.reason == "DELIVERY_STATE_INVALID"


def test_a_notification_is_decided_once_and_an_announcement_fans_out_forward_only():
    assert domain.NOTIFICATION.final == set(domain.NOTIFICATION.states)
    fanout = domain.ANNOUNCEMENT_FANOUT
    assert fanout.sources_of(domain.FANOUT_DONE) == (domain.FANOUT_QUEUED,)
    assert not fanout.can(domain.FANOUT_DONE, domain.FANOUT_QUEUED)
    assert domain.FANOUT_DONE not in fanout.initial


def test_retry_delays_grow_exponentially():
    assert [domain.retry_delay(n, 10) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


def test_a_template_with_bad_placeholders_or_a_too_long_sms_is_refused_naming_the_field():
    with pytest.raises(InvalidArgument) as error:
        domain.check_template("identity.x", "identity", "{中文}" + "长" * 600, "", "", "", "", "【通办】")
    assert {v.field for v in error.value.violations} == {"smsText"}
    with pytest.raises(InvalidArgument) as error:
        domain.check_template("Bad Code", "", "", "主题", "", "", "", "")
    assert {v.field for v in error.value.violations} == {"code", "smsText"}


def test_a_verification_code_is_not_shown_back_in_production():
    code = "identity.verification_code.login"
    assert domain.visible_body(code, "验证码123456", production=False) == "验证码123456"
    assert "123456" not in domain.visible_body(code, "验证码123456", production=True)
    assert domain.visible_body("rare_earth.case.closed", "已办结", production=True) == "已办结"
