"""seed-reference adds the reference data once and keeps the head office's edits; import-tariffs replaces the lines a
full schedule names, all or nothing."""

from __future__ import annotations

from protos.origin_cert.v1 import reference_pb2, tariffs_pb2
from services.origin_cert.seed import import_tariffs, import_tariffs_command, read_tariffs, rows_of, seed_reference


def test_seeding_again_adds_nothing_and_keeps_an_edited_agreement(origin):
    hq = origin.officer("HQ")
    edited = origin.call(hq, "SaveAgreement", reference_pb2.SaveAgreementRequest(
        code="MALDIVES", name="中国—马尔代夫自由贸易协定", name_en="CHINA-MALDIVES FTA", preferential=True,
        number_prefix="MV", member_countries=["MV"], criteria=["WO", "RVC"], rvc_threshold="45"))
    assert edited.rvc_threshold == "45"
    again = seed_reference(origin.context)
    assert (again.branches, again.countries, again.agreements, again.tariff_lines) == (0, 0, 0, 0)
    agreements = origin.call(hq, "ListAgreements", reference_pb2.ListAgreementsRequest(page_size=100)).agreements
    maldives = next(a for a in agreements if a.code == "MALDIVES")
    assert maldives.rvc_threshold == "45" and [c.code for c in maldives.criteria] == ["WO", "RVC"]


def test_a_full_schedule_replaces_the_lines_it_names(origin, tmp_path):
    rows, problems = read_tariffs(rows_of([("JP", "RCEP", "610910", "4.1", "2027"), ("JP", "MFN", "6109100010", "9",
                                                                                   "2027")]))
    assert not problems and import_tariffs(origin.context, rows) == 2
    comparison = origin.call(None, "QueryTariffs", tariffs_pb2.QueryTariffsRequest(
        origin_country="CN", destination_country="JP", hs_code="6109100010"))
    assert comparison.mfn.rate == "9" and comparison.mfn.hs_code == "6109100010"
    assert [(r.agreement, r.rate, r.year) for r in comparison.rates] == [("RCEP", "4.1", 2027)]
    broken = tmp_path / "broken.csv"
    broken.write_text(rows_of([("JP", "RCEP", "610910", "1", "2028"), ("JAPAN", "RCEP", "61", "x", "2028")]))
    assert import_tariffs_command(origin.context, [str(broken)]) == 1
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(rows_of([("JP", "NOSUCH", "610910", "1", "2028")]))
    assert import_tariffs_command(origin.context, [str(unknown)]) == 1
    still = origin.call(None, "QueryTariffs", tariffs_pb2.QueryTariffsRequest(
        origin_country="CN", destination_country="JP", hs_code="610910"))
    assert [(r.agreement, r.rate) for r in still.rates] == [("RCEP", "4.1")]
    _rows, bad = read_tariffs("country,rate\nJP,1\n")
    assert bad and "missing columns" in bad[0]
