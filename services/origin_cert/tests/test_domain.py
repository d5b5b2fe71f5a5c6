"""The value contents against cases worked by hand, the origin criteria and smart options, copy rules,
description auto-fill and tariff ordering — the domain alone, no I/O."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.chassis.errors import FailedPrecondition
from services.origin_cert.domain import certificates, origin, states, tariffs, values, words
from services.origin_cert.domain.origin import Product


def _material(name: str, hs: str, originating: bool, price: str, ratio: str, country: str = "JP") -> values.Material:
    return values.Material(name, hs, "CN" if originating else country, originating, Decimal(price), Decimal(ratio))


# The e2e product: one originating and two non-originating materials.
LAMP = (_material("灯座外壳", "392690", True, "20.00", "1"), _material("LED芯片", "854140", False, "15.00", "2"),
        _material("电源线", "854449", False, "2.50", "4", "VN"))


def test_value_contents_match_the_case_worked_by_hand():
    # VNM = 15.00 x 2 + 2.50 x 4 = 40.00; FOB (100 - 40) / 100 = 60.00 %; EXW (90 - 40) / 90 = 55.555... % -> 55.55.
    content = values.value_content(Decimal("100.00"), Decimal("90.00"), LAMP)
    assert content.non_originating_value == Decimal("40.00")
    assert content.originating_value == Decimal("20.00")
    assert content.fob_percent == Decimal("60.00")
    assert content.exw_percent == Decimal("55.55")


def test_a_threshold_met_exactly_holds_and_one_missed_by_a_hair_is_shown_below_it():
    exact = values.value_content(Decimal("12.50"), None, [_material("m", "854140", False, "7.50", "1")])
    assert exact.fob_percent == Decimal("40.00") and exact.reaches(values.FOB, Decimal(40))
    # (100 - 60.004) / 100 = 39.996 %: rounding to two places would show 40.00 and claim RVC40; cutting shows 39.99.
    short = values.value_content(Decimal("100.00"), None, [_material("m", "854140", False, "30.002", "2")])
    assert short.fob_percent == Decimal("39.99") and not short.reaches(values.FOB, Decimal(40))
    assert exact.exw_percent is None and not exact.reaches(values.EXW, Decimal(40))


def test_materials_worth_more_than_the_price_give_a_negative_content_cut_downwards():
    content = values.value_content(Decimal("10"), Decimal("9"), [_material("m", "854140", False, "3.0001", "4")])
    assert content.fob_percent == Decimal("-20.01") and content.exw_percent == Decimal("-33.34")


def test_fractional_usage_ratios_multiply_exactly():
    content = values.value_content(Decimal("1"), None, [_material("m", "520512", False, "0.3333", "3")])
    assert content.non_originating_value == Decimal("0.9999") and content.fob_percent == Decimal("0.01")


def test_hs_code_lengths_are_six_digits_or_eight_for_ecfa():
    assert values.product_hs_problem("940521", ecfa=False) is None
    assert values.product_hs_problem("94052100", ecfa=True) is None
    assert "6位" in values.product_hs_problem("9405210", ecfa=False)
    assert "8位" in values.product_hs_problem("940521", ecfa=True)
    assert values.product_hs_problem("94052A", ecfa=False)


RCEP = origin.Agreement("RCEP", "RCEP", "RCEP", True, frozenset({"JP", "VN", "KR"}), origin.CRITERIA, Decimal(40))
ASEAN = origin.Agreement("ASEAN", "东盟", "ASEAN", True, frozenset({"VN"}), origin.CRITERIA, Decimal(40))
GENERAL = origin.Agreement("GENERAL", "一般证", "GENERAL", False, frozenset(), origin.CRITERIA, Decimal(30))
SWISS = origin.Agreement("SWITZERLAND", "瑞士", "CH", True, frozenset({"CH"}), origin.CRITERIA, Decimal(60),
                         value_basis=values.EXW)


def _lamp(**changes) -> Product:
    fields = dict(hs_code="940521", wholly_obtained=False, fob_price=Decimal("100.00"), exw_price=Decimal("90.00"),
                  materials=LAMP)
    fields.update(changes)
    return Product(**fields)


def test_smart_options_for_a_member_offer_the_agreement_with_its_rvc_and_general_and_for_others_only_general():
    to_japan = origin.smart_options([GENERAL, RCEP, ASEAN], _lamp(), "JP", "日本")
    applying = [o for o in to_japan if o.applies]
    assert [o.agreement.code for o in applying] == ["RCEP", "GENERAL"]
    rvc = next(c for c in applying[0].criteria if c.code == origin.RVC)
    assert rvc.holds and rvc.value == Decimal("60.00") and rvc.shown == "RVC 60.00%"
    assert "日本为RCEP成员" in applying[0].reason and "FOB价值成分60.00%" in applying[0].reason
    assert [c.code for c in applying[0].holding] == ["CTC", "RVC"]
    asean = next(o for o in to_japan if o.agreement.code == "ASEAN")
    assert not asean.applies and "不是东盟成员" in asean.reason
    to_us = [o.agreement.code for o in origin.smart_options([GENERAL, RCEP, ASEAN], _lamp(), "US") if o.applies]
    assert to_us == ["GENERAL"]


def test_criteria_say_why_they_fail():
    same_heading = _lamp(materials=(*LAMP, _material("灯罩", "940599", False, "1.00", "1")))
    ctc = origin.judge(RCEP, same_heading, origin.CTC)
    assert not ctc.holds and "灯罩" in ctc.reason and "9405" in ctc.reason
    low = _lamp(fob_price=Decimal("60.00"))
    assert not origin.judge(RCEP, low, origin.RVC).holds
    assert origin.judge(RCEP, _lamp(materials=LAMP[:1]), origin.PE).holds
    assert origin.judge(RCEP, _lamp(materials=(), wholly_obtained=True), origin.WO).holds
    # The Swiss threshold is on the ex-works price: (90 - 40) / 90 = 55.55 % < 60 %.
    swiss = origin.judge(SWISS, _lamp(), origin.RVC)
    assert not swiss.holds and swiss.basis == values.EXW and swiss.value == Decimal("55.55")


def test_ecfa_takes_only_eight_digit_pre_reviews():
    ecfa = origin.Agreement("ECFA", "ECFA", "ECFA", True, frozenset({"TW"}), origin.CRITERIA, Decimal(40),
                            hs_digits=8, needs_ecfa_code=True)
    assert not origin.option_for(ecfa, _lamp(), "TW").applies
    assert origin.option_for(ecfa, _lamp(hs_code="94052100", ecfa=True), "TW").applies
    assert not origin.option_for(GENERAL, _lamp(hs_code="94052100", ecfa=True), "TW").applies


def test_copy_rules_follow_the_manual():
    assert origin.may_copy("RCEP", "RCEP") and origin.may_copy("RCEP", "GENERAL")
    assert not origin.may_copy("RCEP", "ASEAN")
    assert origin.may_copy("GENERAL", "ASEAN") and origin.may_copy("GENERAL", "GENERAL")


def test_description_autofill_puts_the_packages_in_words_and_figures_once():
    filled = words.described("led desk lamps", 200, "cartons")
    assert filled == "TWO HUNDRED (200) CARTONS OF led desk lamps"
    assert words.described(filled, 200, "cartons") == filled
    assert words.number_words(1250) == "ONE THOUSAND TWO HUNDRED FIFTY"
    assert words.number_words(21) == "TWENTY-ONE" and words.number_words(1_000_005) == "ONE MILLION FIVE"


def test_gaps_name_every_missing_field_and_rvc_lines_need_their_fob_value():
    fields = certificates.CertificateFields(invoice_number="INV-1", goods=(certificates.GoodsLine(
        pre_review_id="p", origin_criterion=origin.RVC, marks="", description="LAMPS"),))
    found = {g.field for g in certificates.gaps(fields, "RCEP", exporter_ready=True, hs_digits=6)}
    assert {"invoiceDate", "importerName", "importerAddress", "departureDate", "transportMeans", "portOfLoading",
            "portOfDischarge", "goods[0].marks", "goods[0].packageQuantity", "goods[0].hsCode",
            "goods[0].fobValue", "goods[0].grossWeight"} <= found
    assert "invoiceNumber" not in found and "goods[0].originCriterion" not in found


def test_amend_and_lost_reissue_refusals_use_the_manuals_words():
    with pytest.raises(FailedPrecondition, match="审核通过的证书才可发起改证重发"):
        certificates.check_amendable(states.SUBMITTED, open_amendment=False)
    with pytest.raises(FailedPrecondition, match="改证重发审核通过，原证书不可发起失证重发"):
        certificates.check_lost_reissuable(states.VOIDED, amended=True, reissues=())
    with pytest.raises(FailedPrecondition, match="已完成打印"):
        certificates.check_lost_reissuable(states.APPROVED, amended=False, reissues=())
    with pytest.raises(FailedPrecondition, match="已失证重发"):
        certificates.check_lost_reissuable(states.PRINTED, amended=False, reissues=(states.APPROVED,))
    certificates.check_lost_reissuable(states.PRINTED, amended=False, reissues=(states.REJECTED,))


def test_tariff_rates_take_the_longest_code_and_come_best_first():
    found = tariffs.longest_match([
        tariffs.Rate("MFN", "9405", Decimal(8), "8%", 2026), tariffs.Rate("MFN", "940521", Decimal(5), "5%", 2026),
        tariffs.Rate("RCEP", "940521", Decimal("2.5"), "2.5%", 2026),
        tariffs.Rate("ASEAN", "9405", Decimal(0), "0", 2026),
        tariffs.Rate("KOREA", "940529", Decimal(0), "0", 2026)], "94052110")
    assert found["MFN"].rate == Decimal(5) and "KOREA" not in found
    assert [r.agreement for r in tariffs.best_first([found["RCEP"], found["ASEAN"]])] == ["ASEAN", "RCEP"]
