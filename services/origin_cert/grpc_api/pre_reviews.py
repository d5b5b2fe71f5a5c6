"""Product pre-reviews, their documents and reminders; the tariff query and tariff versions."""

from __future__ import annotations

from protos.origin_cert.v1 import pre_reviews_pb2, pre_reviews_pb2_grpc, tariffs_pb2, tariffs_pb2_grpc
from services.chassis.documents.wire import AttachmentEndpoints
from services.chassis.wire import page_fields
from services.origin_cert.config import OriginCertContext
from services.origin_cert.grpc_api.base import Servicer, created
from services.origin_cert.handlers import pre_review_decisions as decisions
from services.origin_cert.handlers import pre_reviews, tariffs
from services.origin_cert.handlers.documents import PRE_REVIEW_DOCUMENTS
from services.origin_cert.views import pre_reviews as views
from services.origin_cert.views import tariffs as tariff_views


class PreReviewServicer(Servicer, pre_reviews_pb2_grpc.PreReviewServiceServicer):
    def __init__(self, context: OriginCertContext):
        super().__init__(context)
        self._documents = AttachmentEndpoints(context, context.providers.store, PRE_REVIEW_DOCUMENTS)

    def CreatePreReview(self, request, context):
        found = pre_reviews.create_pre_review(self._context, views.pre_review_input(request), submit=request.submit)
        return created(context, views.pre_review_pb(found))

    def CopyPreReview(self, request, context):
        return created(context, views.pre_review_pb(pre_reviews.copy_pre_review(self._context, request.id)))

    def ComputeValueContent(self, request, context):
        return views.value_content_pb(pre_reviews.compute(views.pre_review_input(request)))

    def ListPreReviews(self, request, context):
        page = pre_reviews.list_pre_reviews(self._context, hs_code=request.hs_code.strip(), name=request.name,
                                            status=request.status, page_size=request.page_size,
                                            page_token=request.page_token, number=request.number)
        return pre_reviews_pb2.ListPreReviewsResponse(pre_reviews=[views.pre_review_pb(v) for v in page.items],
                                                      **page_fields(page))

    def GetPreReview(self, request, context):
        return views.pre_review_pb(pre_reviews.get_pre_review(self._context, request.id))

    def UpdatePreReview(self, request, context):
        return views.pre_review_pb(pre_reviews.update_pre_review(
            self._context, request.id, views.pre_review_input(request), submit=request.submit))

    def SubmitPreReview(self, request, context):
        return views.pre_review_pb(pre_reviews.submit_pre_review(self._context, request.id))

    def ApprovePreReview(self, request, context):
        return views.pre_review_pb(decisions.approve_pre_review(self._context, request.id))

    def RejectPreReview(self, request, context):
        return views.pre_review_pb(decisions.reject_pre_review(self._context, request.id, request.reason))

    def VoidPreReview(self, request, context):
        return views.pre_review_pb(decisions.void_pre_review(self._context, request.id, request.reason))

    def AdjustPreReview(self, request, context):
        return created(context, views.pre_review_pb(decisions.adjust_pre_review(self._context, request.id)))

    def RedeclarePreReview(self, request, context):
        return created(context, views.pre_review_pb(decisions.redeclare_pre_review(self._context, request.id)))

    def ListReminders(self, request, context):
        page = decisions.list_reminders(self._context, request.kind, request.status, request.page_size,
                                        request.page_token)
        return pre_reviews_pb2.ListRemindersResponse(reminders=[views.reminder_pb(r) for r in page.items],
                                                     **page_fields(page))

    def AdjustFromReminder(self, request, context):
        return created(context, views.pre_review_pb(decisions.adjust_from_reminder(self._context, request.id)))

    def UploadPreReviewDocument(self, request, context):
        return created(context, self._documents.upload(request.id, request.kind, request.file))

    def ListPreReviewDocuments(self, request, context):
        return pre_reviews_pb2.ListPreReviewDocumentsResponse(documents=self._documents.list(request.id))

    def DownloadPreReviewDocument(self, request, context):
        return self._documents.download(context, request.id, request.attachment_id)

    def DeletePreReviewDocument(self, request, context):
        return self._documents.delete(request.id, request.attachment_id)


class TariffServicer(Servicer, tariffs_pb2_grpc.TariffServiceServicer):
    def QueryTariffs(self, request, context):
        return tariff_views.comparison_pb(tariffs.query_tariffs(self._context, request.origin_country,
                                                                request.destination_country, request.hs_code))

    def SearchHsCodes(self, request, context):
        page = tariffs.search_hs_codes(self._context, request.query, request.page_size, request.page_token)
        return tariffs_pb2.SearchHsCodesResponse(hs_codes=[tariff_views.hs_code_pb(i) for i in page.items],
                                                 **page_fields(page))

    def CreateTariffVersion(self, request, context):
        correlations = [(c.old_code.strip(), c.new_code.strip()) for c in request.correlations]
        found = tariffs.create_tariff_version(self._context, request.version, request.title, correlations)
        return created(context, tariff_views.version_pb(found))

    def ListTariffVersions(self, request, context):
        page = tariffs.list_tariff_versions(self._context, request.page_size, request.page_token)
        return tariffs_pb2.ListTariffVersionsResponse(tariff_versions=[tariff_views.version_pb(v) for v in page.items],
                                                      **page_fields(page))
