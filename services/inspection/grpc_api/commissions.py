"""CommissionService: the enterprise's commission and the institution's acceptance of it."""

from __future__ import annotations

from google.protobuf import empty_pb2

from protos.inspection.v1 import commissions_pb2 as pb
from protos.inspection.v1 import commissions_pb2_grpc
from services.chassis import wire
from services.chassis.documents.wire import upload_of
from services.inspection.domain.commissions import GoodsInput
from services.inspection.grpc_api.attachments import AttachmentCalls
from services.inspection.grpc_api.common import Servicer, created, enum_of, every, given, plain
from services.inspection.handlers import acceptance, commissions, goods
from services.inspection.views import commissions as views


class CommissionServicer(Servicer, commissions_pb2_grpc.CommissionServiceServicer):
    def __init__(self, context):
        super().__init__(context)
        self._attachments = AttachmentCalls(context, commissions.COMMISSION_ATTACHMENTS)

    def CreateCommission(self, request, context):
        view = commissions.create_commission(self._context, every(request, commissions.FIELDS))
        return created(context, views.commission_view(view))

    def ListCommissions(self, request, context):
        query = plain(commissions.CommissionQuery, request,
                      status=enum_of(pb.Commission.Status, request.status, "status"))
        page = commissions.list_commissions(self._context, query, request.page_size, request.page_token)
        return pb.ListCommissionsResponse(commissions=[views.commission(c) for c in page.items],
                                          **wire.page_fields(page))

    def GetCommission(self, request, context):
        return views.commission_view(commissions.get_commission(self._context, request.id))

    def UpdateCommission(self, request, context):
        view = commissions.update_commission(self._context, request.id, given(request, commissions.FIELDS))
        return views.commission_view(view)

    def AddGoods(self, request, context):
        item, _commission = goods.add_goods(self._context, request.id, plain(GoodsInput, request))
        return created(context, views.goods_line(item))

    def DeleteGoods(self, request, context):
        goods.delete_goods(self._context, request.id, [request.goods_id])
        return empty_pb2.Empty()

    def SubmitCommission(self, request, context):
        return views.commission_view(commissions.submit_commission(self._context, request.id))

    def AcceptCommission(self, request, context):
        return views.commission_view(acceptance.accept_commission(self._context, request.id))

    def ReturnCommission(self, request, context):
        return views.commission_view(acceptance.return_commission(self._context, request.id, request.reason))

    def CompleteCommission(self, request, context):
        file = upload_of(request.file) if request.HasField("file") and request.file.content else None
        result = acceptance.Result(request.certificate_number, request.valid_until, file)
        return views.commission_view(acceptance.complete_commission(self._context, request.id, result))

    def UploadCommissionAttachment(self, request, context):
        return created(context, self._attachments.upload(request))

    def ListCommissionAttachments(self, request, context):
        return self._attachments.list(request)

    def DownloadCommissionAttachment(self, request, context):
        return self._attachments.download(request, context)

    def DeleteCommissionAttachment(self, request, context):
        return self._attachments.delete(request)
