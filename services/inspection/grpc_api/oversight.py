"""QualityIssueService, CheckService, DisposalService and AnnualReportService."""

from __future__ import annotations

from protos.inspection.v1 import (
    annual_reports_pb2,
    annual_reports_pb2_grpc,
    checks_pb2,
    checks_pb2_grpc,
    disposals_pb2,
    disposals_pb2_grpc,
    quality_issues_pb2,
    quality_issues_pb2_grpc,
)
from services.chassis import wire
from services.inspection.domain.oversight import QUALITY_ISSUE_FIELDS, REPORT_FIELDS
from services.inspection.grpc_api.attachments import AttachmentCalls
from services.inspection.grpc_api.common import Servicer, created, enum_of, every, given, plain
from services.inspection.handlers import annual_reports, checks, disposals, quality
from services.inspection.handlers.oversight import OversightQuery
from services.inspection.views import oversight as views


def _query(request, status_enum) -> OversightQuery:
    return plain(OversightQuery, request, status=enum_of(status_enum, request.status, "status"))


class _WithAttachments(Servicer):
    holder = None

    def __init__(self, context):
        super().__init__(context)
        self._attachments = AttachmentCalls(context, self.holder)


class QualityIssueServicer(_WithAttachments, quality_issues_pb2_grpc.QualityIssueServiceServicer):
    holder = quality.QUALITY_ATTACHMENTS

    def CreateQualityIssue(self, request, context):
        issue = quality.raise_issue(self._context, request.filing_id, every(request, QUALITY_ISSUE_FIELDS))
        return created(context, views.quality_issue(issue))

    def ListQualityIssues(self, request, context):
        page = quality.list_issues(self._context, _query(request, quality_issues_pb2.QualityIssue.Status),
                                   request.page_size, request.page_token)
        return quality_issues_pb2.ListQualityIssuesResponse(
            quality_issues=[views.quality_issue(q) for q in page.items], **wire.page_fields(page))

    def GetQualityIssue(self, request, context):
        return views.quality_issue(quality.get_issue(self._context, request.id))

    def ReplyQualityIssue(self, request, context):
        return views.quality_issue(quality.reply(self._context, request.id, request.reply))

    def UploadQualityIssueAttachment(self, request, context):
        return created(context, self._attachments.upload(request))

    def ListQualityIssueAttachments(self, request, context):
        return self._attachments.list(request)

    def DownloadQualityIssueAttachment(self, request, context):
        return self._attachments.download(request, context)

    def DeleteQualityIssueAttachment(self, request, context):
        return self._attachments.delete(request)


class CheckServicer(_WithAttachments, checks_pb2_grpc.CheckServiceServicer):
    holder = checks.CHECK_ATTACHMENTS

    def CreateCheck(self, request, context):
        results = checks_pb2.CreateCheckRequest.OnsiteResult
        passed = {results.PASS: True, results.REQUIRE_SUPPLEMENT: False}.get(request.onsite_result)
        kind = enum_of(checks_pb2.CheckKind, request.kind, "kind")
        view = checks.create_check(self._context, request.filing_id, kind, every(request, ("title", "requirements")),
                                   passed, request.opinion)
        return created(context, views.check(view))

    def ListChecks(self, request, context):
        page = checks.list_checks(self._context, _query(request, checks_pb2.Check.Status),
                                  enum_of(checks_pb2.CheckKind, request.kind, "kind"), request.page_size,
                                  request.page_token)
        return checks_pb2.ListChecksResponse(checks=[views.check(c) for c in page.items], **wire.page_fields(page))

    def GetCheck(self, request, context):
        return views.check(checks.get_check(self._context, request.id))

    def SubmitCheck(self, request, context):
        return views.check(checks.submit_check(self._context, request.id, request.text))

    def PassCheck(self, request, context):
        return views.check(checks.decide_check(self._context, request.id, True, request.opinion))

    def RequireCheckSupplement(self, request, context):
        return views.check(checks.decide_check(self._context, request.id, False, request.opinion))

    def UploadCheckAttachment(self, request, context):
        return created(context, self._attachments.upload(request))

    def ListCheckAttachments(self, request, context):
        return self._attachments.list(request)

    def DownloadCheckAttachment(self, request, context):
        return self._attachments.download(request, context)

    def DeleteCheckAttachment(self, request, context):
        return self._attachments.delete(request)


class DisposalServicer(_WithAttachments, disposals_pb2_grpc.DisposalServiceServicer):
    holder = disposals.DISPOSAL_ATTACHMENTS

    def CreateDisposal(self, request, context):
        data = plain(disposals.DisposalInput, request, kind=enum_of(disposals_pb2.DisposalKind, request.kind, "kind"))
        return created(context, views.disposal(disposals.impose(self._context, data)))

    def ListDisposals(self, request, context):
        page = disposals.list_disposals(self._context, _query(request, disposals_pb2.Disposal.Status),
                                        enum_of(disposals_pb2.DisposalKind, request.kind, "kind"), request.page_size,
                                        request.page_token)
        return disposals_pb2.ListDisposalsResponse(disposals=[views.disposal(d) for d in page.items],
                                                   **wire.page_fields(page))

    def GetDisposal(self, request, context):
        return views.disposal(disposals.get_disposal(self._context, request.id))

    def SubmitDisposalMaterials(self, request, context):
        return views.disposal(disposals.submit_materials(self._context, request.id, request.text))

    def LiftDisposal(self, request, context):
        return views.disposal(disposals.lift(self._context, request.id, request.opinion))

    def RequireDisposalSupplement(self, request, context):
        return views.disposal(disposals.require_supplement(self._context, request.id, request.opinion))

    def UploadDisposalAttachment(self, request, context):
        return created(context, self._attachments.upload(request))

    def ListDisposalAttachments(self, request, context):
        return self._attachments.list(request)

    def DownloadDisposalAttachment(self, request, context):
        return self._attachments.download(request, context)

    def DeleteDisposalAttachment(self, request, context):
        return self._attachments.delete(request)


class AnnualReportServicer(Servicer, annual_reports_pb2_grpc.AnnualReportServiceServicer):
    def CreateAnnualReport(self, request, context):
        report = annual_reports.open_report(self._context, request.filing_id, request.year, request.due_on,
                                            request.requirements)
        return created(context, views.annual_report(report))

    def ListAnnualReports(self, request, context):
        query = OversightQuery(status=enum_of(annual_reports_pb2.AnnualReport.Status, request.status, "status"),
                               filing_id=request.filing_id)
        page = annual_reports.list_reports(self._context, query, request.year, request.page_size, request.page_token)
        return annual_reports_pb2.ListAnnualReportsResponse(
            annual_reports=[views.annual_report(r) for r in page.items], **wire.page_fields(page))

    def GetAnnualReport(self, request, context):
        return views.annual_report(annual_reports.get_report(self._context, request.id))

    def UpdateAnnualReport(self, request, context):
        figures = annual_reports.ReportFigures(**given(request, ("inspection_count", "certificate_count",
                                                                 "goods_value", "currency")))
        report = annual_reports.update_report(self._context, request.id, figures, given(request, REPORT_FIELDS))
        return views.annual_report(report)

    def SubmitAnnualReport(self, request, context):
        return views.annual_report(annual_reports.submit_report(self._context, request.id))
