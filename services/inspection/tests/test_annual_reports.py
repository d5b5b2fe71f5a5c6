"""Annual reports: opened by customs for a year, filled and submitted by the institution, read by customs."""

from __future__ import annotations

import grpc

from protos.inspection.v1 import annual_reports_pb2 as pb
from services.inspection.tests.filing_support import filed


def test_customs_opens_a_year_the_institution_fills_and_submits_it(inspection):
    institution, filing = filed(inspection, name="年报检验机构")
    customs = inspection.customs("0100")
    mark = inspection.mark()
    report = inspection.act(customs, "CreateAnnualReport", pb.CreateAnnualReportRequest(
        filing_id=filing.id, year=2025, requirements="请如实填写2025年度装运前检验工作情况"))
    assert report.status == pb.AnnualReport.OPEN and report.number.startswith("ND")
    [opened] = inspection.notices("inspection.annual_report.opened", after=mark)
    assert opened["params"]["year"] == "2025"
    twice = inspection.fails(customs, "CreateAnnualReport", pb.CreateAnnualReportRequest(filing_id=filing.id,
                                                                                        year=2025))
    assert twice.code == grpc.StatusCode.ALREADY_EXISTS

    unfinished = inspection.fails(institution, "SubmitAnnualReport", pb.SubmitAnnualReportRequest(id=report.id))
    assert set(unfinished.fields) == {"summary"}
    bad = inspection.fails(institution, "UpdateAnnualReport", pb.UpdateAnnualReportRequest(
        id=report.id, inspection_count=-3, goods_value="lots", currency="XYZ"))
    assert set(bad.fields) == {"inspectionCount", "goodsValue", "currency"}
    filled = inspection.act(institution, "UpdateAnnualReport", pb.UpdateAnnualReportRequest(
        id=report.id, inspection_count=120, certificate_count=118, goods_value="35600000.00", currency="USD",
        summary="全年完成装运前检验120批"))
    assert filled.goods_value == "35600000.00" and filled.inspection_count == 120
    done = inspection.act(institution, "SubmitAnnualReport", pb.SubmitAnnualReportRequest(id=report.id))
    assert done.status == pb.AnnualReport.SUBMITTED
    [told] = inspection.notices("inspection.annual_report.submitted", after=mark)
    assert told["recipients"] == [{"agency": "CUSTOMS:0100"}]
    late = inspection.fails(institution, "UpdateAnnualReport", pb.UpdateAnnualReportRequest(id=report.id,
                                                                                           summary="改"))
    assert late.code == grpc.StatusCode.FAILED_PRECONDITION
    listed = inspection.act(customs, "ListAnnualReports", pb.ListAnnualReportsRequest(year=2025, filing_id=filing.id))
    assert [r.id for r in listed.annual_reports] == [report.id]
    other = inspection.institution("别家机构")
    assert inspection.fails(other, "GetAnnualReport", pb.GetAnnualReportRequest(id=report.id)).code == \
        grpc.StatusCode.NOT_FOUND
