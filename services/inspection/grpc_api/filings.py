"""FilingService and FilingChangeService: the institution's filing, its sub-tables, and customs' review."""

from __future__ import annotations

from google.protobuf import empty_pb2

from protos.inspection.v1 import filings_pb2 as pb
from protos.inspection.v1 import filings_pb2_grpc
from services.chassis import wire
from services.inspection.domain.filings import CHANGEABLE, FILING_FIELDS
from services.inspection.grpc_api.attachments import AttachmentCalls
from services.inspection.grpc_api.common import Servicer, created, enum_of, every, given, plain
from services.inspection.handlers import filing_changes, filing_rows, filings
from services.inspection.views import filings as views

TEXT_FIELDS = tuple(name for name in FILING_FIELDS if name != "id_type")


def _with_id_type(request, values: dict[str, str]) -> dict[str, str]:
    """The ID type travels as an enum: its name, when given."""
    if request.id_type:
        values["id_type"] = enum_of(pb.IdType, request.id_type, "idType")
    return values


class FilingServicer(Servicer, filings_pb2_grpc.FilingServiceServicer):
    def __init__(self, context):
        super().__init__(context)
        self._attachments = AttachmentCalls(context, filings.FILING_ATTACHMENTS)

    def CreateFiling(self, request, context):
        values = {**every(request, TEXT_FIELDS), "id_type": enum_of(pb.IdType, request.id_type, "idType")}
        return created(context, views.filing_view(filings.create_filing(self._context, values)))

    def ListFilings(self, request, context):
        page = filings.list_filings(self._context, enum_of(pb.Filing.Status, request.status, "status"),
                                    request.certificate_number, request.name, request.page_size, request.page_token)
        return pb.ListFilingsResponse(filings=[views.filing(f) for f in page.items], **wire.page_fields(page))

    def GetFiling(self, request, context):
        return views.filing_view(filings.get_filing(self._context, request.id))

    def UpdateFiling(self, request, context):
        values = _with_id_type(request, given(request, TEXT_FIELDS))
        return views.filing_view(filings.update_filing(self._context, request.id, values))

    def SubmitFiling(self, request, context):
        return views.filing_view(filings.submit_filing(self._context, request.id))

    def AcceptFiling(self, request, context):
        return views.filing_view(filings.accept_filing(self._context, request.id, request.certificate_number,
                                                       request.opinion))

    def RefuseFiling(self, request, context):
        return views.filing_view(filings.refuse_filing(self._context, request.id, request.opinion))

    def RequestFilingSupplement(self, request, context):
        return views.filing_view(filings.request_supplement(self._context, request.id, request.opinion))

    def AddDepartment(self, request, context):
        data = plain(filing_rows.DepartmentInput, request)
        return created(context, views.department(filing_rows.add_department(self._context, request.id, data)))

    def AddEquipment(self, request, context):
        data = plain(filing_rows.EquipmentInput, request)
        return created(context, views.equipment(filing_rows.add_equipment(self._context, request.id, data)))

    def AddCertification(self, request, context):
        data = plain(filing_rows.CertificationInput, request)
        return created(context, views.certification(filing_rows.add_certification(self._context, request.id, data)))

    def AddPastInspection(self, request, context):
        data = plain(filing_rows.InspectionInput, request)
        return created(context, views.past_inspection(filing_rows.add_inspection(self._context, request.id, data)))

    def _delete_row(self, table: str, request) -> empty_pb2.Empty:
        filing_rows.delete_rows(self._context, request.id, table, [request.row_id])
        return empty_pb2.Empty()

    def DeleteDepartment(self, request, context):
        return self._delete_row("departments", request)

    def DeleteEquipment(self, request, context):
        return self._delete_row("equipment", request)

    def DeleteCertification(self, request, context):
        return self._delete_row("certifications", request)

    def DeletePastInspection(self, request, context):
        return self._delete_row("inspections", request)

    def UploadFilingAttachment(self, request, context):
        return created(context, self._attachments.upload(request))

    def ListFilingAttachments(self, request, context):
        return self._attachments.list(request)

    def DownloadFilingAttachment(self, request, context):
        return self._attachments.download(request, context)

    def DeleteFilingAttachment(self, request, context):
        return self._attachments.delete(request)


class FilingChangeServicer(Servicer, filings_pb2_grpc.FilingChangeServiceServicer):
    def CreateFilingChange(self, request, context):
        values = _with_id_type(request, given(request, [n for n in CHANGEABLE if n != "id_type"]))
        return created(context, views.filing_change(filing_changes.create_change(self._context, request.id, values)))

    def ListFilingChanges(self, request, context):
        page = filing_changes.list_changes(self._context, request.filing_id,
                                           enum_of(pb.FilingChange.Status, request.status, "status"), request.page_size,
                                           request.page_token)
        return pb.ListFilingChangesResponse(filing_changes=[views.filing_change(v) for v in page.items],
                                            **wire.page_fields(page))

    def GetFilingChange(self, request, context):
        return views.filing_change(filing_changes.get_change(self._context, request.id))

    def ApproveFilingChange(self, request, context):
        return views.filing_change(filing_changes.approve_change(self._context, request.id, request.opinion))

    def RejectFilingChange(self, request, context):
        return views.filing_change(filing_changes.reject_change(self._context, request.id, request.opinion))
