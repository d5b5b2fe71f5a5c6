"""The gRPC servicers, one per service of the protos: request -> plain values -> use case -> view."""

from __future__ import annotations

import grpc
from google.protobuf import empty_pb2
from google.protobuf.message import Message

from protos.ccc_exemption.v1 import applications_pb2 as applications_pb
from protos.ccc_exemption.v1 import (
    applications_pb2_grpc,
    attachments_pb2_grpc,
    catalogue_pb2_grpc,
    certificates_pb2_grpc,
    products_pb2_grpc,
    reference_pb2_grpc,
    review_pb2_grpc,
    todo_pb2_grpc,
    use_records_pb2_grpc,
    writeoffs_pb2_grpc,
)
from protos.ccc_exemption.v1 import attachments_pb2 as attachments_pb
from protos.ccc_exemption.v1 import catalogue_pb2 as catalogue_pb
from protos.ccc_exemption.v1 import certificates_pb2 as certificates_pb
from protos.ccc_exemption.v1 import products_pb2 as products_pb
from protos.ccc_exemption.v1 import reference_pb2 as reference_pb
from protos.ccc_exemption.v1 import resources_pb2 as resources_pb
from protos.ccc_exemption.v1 import review_pb2 as review_pb
from protos.ccc_exemption.v1 import todo_pb2 as todo_pb
from protos.ccc_exemption.v1 import use_records_pb2 as use_records_pb
from protos.ccc_exemption.v1 import writeoffs_pb2 as writeoffs_pb
from services.ccc_exemption import views
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import EXEMPTION_CLAUSES, FINAL_REVIEW, FIRST_REVIEW, TRADE_MODES
from services.ccc_exemption.handlers import (
    applications,
    catalogue,
    certificates,
    modification,
    printing,
    products,
    reference,
    review,
    submission,
    todo,
    use_records,
    writeoffs,
)
from services.ccc_exemption.handlers.attachments import APPLICATION_RULES
from services.ccc_exemption.handlers.review import ACCEPTANCE, COMPARISON, Decision
from services.chassis import wire
from services.chassis.documents.wire import AttachmentEndpoints, file_body, verify_endpoint
from services.chassis.http_metadata import set_http_status
from services.chassis.server import ServiceBinding

CREATED = 201


def _created(context: grpc.ServicerContext, message: Message) -> Message:
    set_http_status(context, CREATED)
    return message


class _Servicer:
    def __init__(self, context: CccContext):
        self._context = context


class ReferenceServicer(_Servicer, reference_pb2_grpc.ReferenceServiceServicer):
    def ListExemptionClauses(self, request, context):
        return reference_pb.ListExemptionClausesResponse(exemption_clauses=views.choices(EXEMPTION_CLAUSES))

    def ListTradeModes(self, request, context):
        return reference_pb.ListTradeModesResponse(trade_modes=views.choices(TRADE_MODES))

    def ListBureaus(self, request, context):
        page = reference.list_bureaus(self._context, request.page_size, request.page_token)
        return reference_pb.ListBureausResponse(bureaus=[views.bureau(b) for b in page.items],
                                                **wire.page_fields(page))

    def ListPorts(self, request, context):
        page = reference.list_ports(self._context, request.district_code.strip(), request.page_size,
                                    request.page_token)
        return reference_pb.ListPortsResponse(ports=[views.port(p, b) for p, b in page.items],
                                              **wire.page_fields(page))

    def ListDivisions(self, request, context):
        found = reference.list_divisions(request.parent_code.strip())
        return reference_pb.ListDivisionsResponse(divisions=[views.place(d.code) for d in found])


class CatalogueServicer(_Servicer, catalogue_pb2_grpc.CatalogueServiceServicer):
    def SearchHsCatalogue(self, request, context):
        result = catalogue.search(self._context, request.code, request.name, request.application_id,
                                  request.page_size, request.page_token)
        return catalogue_pb.SearchHsCatalogueResponse(
            hs_codes=[views.hs_code(c) for c in result.page.items], **wire.page_fields(result.page),
            form=views.product_form(result.form) if result.form else None)

    def GetHsCode(self, request, context):
        return views.product_form(catalogue.product_form(self._context, request.code, request.application_id))


class ApplicationServicer(_Servicer, applications_pb2_grpc.ApplicationServiceServicer):
    def CreateApplication(self, request, context):
        created = applications.create_application(self._context, request.declaration_accepted,
                                                  request.exemption_clause, request.trade_mode,
                                                  request.organization_id)
        return _created(context, views.application(created))

    def ListApplications(self, request, context):
        filters = {name: getattr(request, name) for name in ("number", "contract_number", "bill_of_lading_number",
                                                             "certificate_number", "applicant", "status")}
        page = applications.list_applications(self._context, filters,
                                              wire.enum_name(resources_pb.Post, request.post), request.page_size,
                                              request.page_token)
        return applications_pb.ListApplicationsResponse(applications=[views.application(v) for v in page.items],
                                                        **wire.page_fields(page))

    def GetApplication(self, request, context):
        return views.application(applications.get_application(self._context, request.id))

    def UpdateApplication(self, request, context):
        names = ("exemption_clause", "trade_mode", "contract_number", "invoice_number", "bill_of_lading_number",
                 "final_use_location_code", "final_use_address", "contact_name", "contact_phone", "contact_email")
        changes = {name: wire.optional(request, name) for name in names}
        return views.application(applications.update_application(self._context, request.id, changes))

    def DeleteApplication(self, request, context):
        applications.delete_application(self._context, request.id)
        return empty_pb2.Empty()

    def SubmitApplication(self, request, context):
        return views.application(submission.submit_application(self._context, request.id))

    def PrintApplication(self, request, context):
        name, pdf = printing.print_application(self._context, request.id)
        return file_body(context, name, "application/pdf", pdf, inline=True)


def _decision(request: review_pb.ReviewRequest) -> Decision:
    return Decision(wire.enum_name(review_pb.ReviewRequest.Decision, request.decision), request.reason,
                    request.paper_notice, request.valid_from, request.valid_until)


class ReviewServicer(_Servicer, review_pb2_grpc.ReviewServiceServicer):
    def ReviewAcceptance(self, request, context):
        return views.application(review.review(self._context, request.id, ACCEPTANCE, _decision(request)))

    def ReviewFirst(self, request, context):
        return views.application(review.review(self._context, request.id, FIRST_REVIEW, _decision(request)))

    def ReviewComparison(self, request, context):
        return views.application(review.review(self._context, request.id, COMPARISON, _decision(request)))

    def ReviewFinal(self, request, context):
        return views.application(review.review(self._context, request.id, FINAL_REVIEW, _decision(request)))

    def TerminateApplication(self, request, context):
        return views.application(review.terminate(self._context, request.id, request.reason))


def _product_input(fields: products_pb.ProductFields) -> products.ProductInput:
    return products.ProductInput(
        hs_code=fields.hs_code, characteristics=[(c.name, c.value) for c in fields.characteristics],
        name=fields.name, model=fields.model, brand=fields.brand, manufacturer=fields.manufacturer,
        quantity=fields.quantity, quantity_unit=fields.quantity_unit, standard_quantity=fields.standard_quantity,
        final_use_location_code=fields.final_use_location_code)


class ProductServicer(_Servicer, products_pb2_grpc.ProductServiceServicer):
    def CreateProduct(self, request, context):
        created = products.create_product(self._context, request.application_id, _product_input(request.product))
        return _created(context, views.product(created))

    def ListProducts(self, request, context):
        page = products.list_products(self._context, request.application_id, request.name, request.hs_code,
                                      request.model, request.page_size, request.page_token)
        return products_pb.ListProductsResponse(products=[views.product(p) for p in page.items],
                                                **wire.page_fields(page))

    def GetProduct(self, request, context):
        return views.product(products.get_product(self._context, request.application_id, request.id))

    def UpdateProduct(self, request, context):
        return views.product(products.update_product(self._context, request.application_id, request.id,
                                                     _product_input(request.product)))

    def DeleteProduct(self, request, context):
        products.delete_product(self._context, request.application_id, request.id)
        return empty_pb2.Empty()


class AttachmentServicer(_Servicer, attachments_pb2_grpc.AttachmentServiceServicer):
    def __init__(self, context: CccContext):
        super().__init__(context)
        self._endpoints = AttachmentEndpoints(context, context.providers.store, APPLICATION_RULES)

    def UploadAttachment(self, request, context):
        return _created(context, self._endpoints.upload(request.application_id, request.kind, request.file))

    def ListAttachments(self, request, context):
        return attachments_pb.ListAttachmentsResponse(
            attachments=self._endpoints.list(request.application_id, request.kind))

    def DownloadAttachment(self, request, context):
        return self._endpoints.download(context, request.application_id, request.attachment_id)

    def DeleteAttachment(self, request, context):
        return self._endpoints.delete(request.application_id, request.attachment_id)


class CertificateServicer(_Servicer, certificates_pb2_grpc.CertificateServiceServicer):
    def ListCertificates(self, request, context):
        page = certificates.list_certificates(self._context, request.number, request.applicant, request.page_size,
                                              request.page_token)
        return certificates_pb.ListCertificatesResponse(certificates=[views.certificate(v) for v in page.items],
                                                        **wire.page_fields(page))

    def GetCertificate(self, request, context):
        return views.certificate(certificates.get_certificate(self._context, request.id))

    def DownloadCertificate(self, request, context):
        found = certificates.download_certificate(self._context, request.id)
        return file_body(context, found.attachment.file_name, found.attachment.content_type, found.content,
                         inline=True)

    def CheckCertificate(self, request, context):
        return views.check(certificates.check_certificate(self._context, request.number, request.check_code))

    def VerifyDocument(self, request, context):
        return verify_endpoint(self._context, self._context.providers.signer.trust,
                               certificates.certificate_status, request.file)


def _modified(items) -> list[modification.ModifiedProductInput]:
    return [modification.ModifiedProductInput(i.certificate_product_id, i.name, i.hs_code, i.model, i.quantity,
                                              i.brand, i.manufacturer) for i in items]


class ModificationServicer(_Servicer, certificates_pb2_grpc.ModificationServiceServicer):
    def OpenModification(self, request, context):
        return views.modification(modification.open_modification(self._context, request.id, request.note))

    def GetModification(self, request, context):
        return views.modification(modification.get_modification(self._context, request.id))

    def UpdateModification(self, request, context):
        return views.modification(modification.update_modification(
            self._context, request.id, wire.optional(request, "reason"), wire.optional(request, "valid_from"),
            wire.optional(request, "valid_until"), _modified(request.products)))

    def SubmitModification(self, request, context):
        return views.modification(modification.submit_modification(self._context, request.id))

    def ConfirmModification(self, request, context):
        return views.modification(modification.confirm_modification(self._context, request.id))

    def SendBackModification(self, request, context):
        return views.modification(modification.send_back_modification(self._context, request.id, request.reason))


def _items(items) -> list[writeoffs.ItemInput]:
    return [writeoffs.ItemInput(i.certificate_product_id, i.quantity, i.standard_quantity) for i in items]


class WriteOffServicer(_Servicer, writeoffs_pb2_grpc.WriteOffServiceServicer):
    def _pre_page(self, page) -> writeoffs_pb.ListPreWriteOffsResponse:
        return writeoffs_pb.ListPreWriteOffsResponse(pre_write_offs=[views.pre_write_off(v) for v in page.items],
                                                     **wire.page_fields(page))

    def CreatePreWriteOff(self, request, context):
        created = writeoffs.create_pre_write_off(self._context, request.certificate_id, request.port_code,
                                                 _items(request.items))
        return _created(context, views.pre_write_off(created))

    def ListPreWriteOffs(self, request, context):
        return self._pre_page(writeoffs.list_pre_write_offs(self._context, request.certificate_id, request.page_size,
                                                            request.page_token))

    def ListPendingPreWriteOffs(self, request, context):
        return self._pre_page(writeoffs.list_pending(self._context, request.page_size, request.page_token))

    def ConfirmPreWriteOff(self, request, context):
        return views.pre_write_off(writeoffs.confirm_pre_write_off(self._context, request.certificate_id, request.id,
                                                                   _items(request.items)))

    def CreateWriteOff(self, request, context):
        created = writeoffs.create_write_off(self._context, request.certificate_id, request.port_code,
                                             _items(request.items))
        return _created(context, views.write_off(created))

    def ListWriteOffs(self, request, context):
        page = writeoffs.list_write_offs(self._context, request.certificate_id, request.page_size,
                                         request.page_token)
        return writeoffs_pb.ListWriteOffsResponse(write_offs=[views.write_off(v) for v in page.items],
                                                  **wire.page_fields(page))


def _use_input(fields: use_records_pb.UseRecordFields) -> use_records.UseRecordInput:
    return use_records.UseRecordInput(
        kind=wire.enum_name(use_records_pb.UseKind, fields.kind), certificate_product_id=fields.certificate_product_id,
        quantity=fields.quantity, user_unit_name=fields.user_unit_name, address=fields.address,
        contact_name=fields.contact_name, contact_phone=fields.contact_phone)


class UseRecordServicer(_Servicer, use_records_pb2_grpc.UseRecordServiceServicer):
    def __init__(self, context: CccContext):
        super().__init__(context)
        self._attachments = AttachmentEndpoints(context, context.providers.store, use_records.USE_RECORD_RULES)

    def _page(self, page) -> use_records_pb.ListUseRecordsResponse:
        return use_records_pb.ListUseRecordsResponse(use_records=[views.use_record(v) for v in page.items],
                                                     **wire.page_fields(page))

    def CreateUseRecord(self, request, context):
        created = use_records.create_use_record(self._context, request.certificate_id, _use_input(request.record),
                                                request.submit)
        return _created(context, views.use_record(created))

    def ListUseRecords(self, request, context):
        return self._page(use_records.list_use_records(
            self._context, request.certificate_id, wire.enum_name(use_records_pb.UseKind, request.kind),
            request.page_size, request.page_token))

    def ListBureauUseRecords(self, request, context):
        return self._page(use_records.list_bureau_use_records(
            self._context, wire.enum_name(use_records_pb.UseKind, request.kind),
            wire.enum_name(use_records_pb.UseRecord.Status, request.status), request.page_size, request.page_token))

    def GetUseRecord(self, request, context):
        return views.use_record(use_records.get_use_record(self._context, request.certificate_id, request.id))

    def UpdateUseRecord(self, request, context):
        return views.use_record(use_records.update_use_record(
            self._context, request.certificate_id, request.id, _use_input(request.record), request.submit))

    def SubmitUseRecord(self, request, context):
        return views.use_record(use_records.submit_use_record(self._context, request.certificate_id, request.id))

    def ApproveUseRecord(self, request, context):
        return views.use_record(use_records.review_use_record(self._context, request.certificate_id, request.id,
                                                             True, request.opinion))

    def RejectUseRecord(self, request, context):
        return views.use_record(use_records.review_use_record(self._context, request.certificate_id, request.id,
                                                             False, request.opinion))

    def UploadUseRecordAttachment(self, request, context):
        return _created(context, self._attachments.upload(request.use_record_id, "USE_EVIDENCE", request.file))

    def DownloadUseRecordAttachment(self, request, context):
        return self._attachments.download(context, request.use_record_id, request.attachment_id)

    def DeleteUseRecordAttachment(self, request, context):
        return self._attachments.delete(request.use_record_id, request.attachment_id)


class TodoServicer(_Servicer, todo_pb2_grpc.TodoServiceServicer):
    def ListTodos(self, request, context):
        return todo_pb.ListTodosResponse(todos=[views.todo(t) for t in todo.list_todos(self._context)])


SERVICERS = (ReferenceServicer, CatalogueServicer, ApplicationServicer, ReviewServicer, ProductServicer,
             AttachmentServicer, CertificateServicer, ModificationServicer, WriteOffServicer, UseRecordServicer,
             TodoServicer)


def bindings(context: CccContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(servicer(context)) for servicer in SERVICERS]
