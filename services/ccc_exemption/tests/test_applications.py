"""Applications: the draft, its basic information, products and attachments, submit and routing, visibility."""

from __future__ import annotations

import grpc

from protos.ccc_exemption.v1 import applications_pb2 as pb
from protos.ccc_exemption.v1 import attachments_pb2 as attachments_pb
from protos.ccc_exemption.v1 import products_pb2 as products_pb
from services.ccc_exemption.tests.support import NANSHAN, PDF, PUDONG, SHANGHAI, SHENZHEN

MB = 1024 * 1024


def test_a_draft_needs_the_declaration_and_both_the_clause_and_the_trade_mode(ccc):
    refusal = ccc.fails(ccc.enterprise(), "CreateApplication", pb.CreateApplicationRequest())
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refusal.fields) == {"declarationAccepted", "exemptionClause", "tradeMode"}


def test_the_applicant_comes_from_the_organisation_and_the_draft_has_a_number(ccc):
    enterprise = ccc.enterprise("深圳南山测试电子有限公司")
    created = ccc.call(enterprise, "CreateApplication", pb.CreateApplicationRequest(
        declaration_accepted=True, exemption_clause="COMMERCIAL_DISPLAY", trade_mode="TEMPORARY_IMPORT_EXPORT",
        organization_id="someone-else"))
    assert created.applicant_name == "深圳南山测试电子有限公司"
    assert created.organization_id == enterprise.organization_id
    assert created.status == pb.Application.DRAFT and created.status_label == "未提交"
    assert created.number.startswith("SQ") and created.editable
    assert created.exemption_clause_label == "仅用于商业展示，但不销售的产品"
    assert created.draft_expire_time.seconds - created.create_time.seconds == 10 * 86400


def test_bad_basic_information_is_refused_naming_each_field(ccc):
    enterprise = ccc.enterprise()
    application = ccc.draft(enterprise)
    refusal = ccc.fails(enterprise, "UpdateApplication", pb.UpdateApplicationRequest(
        id=application.id, final_use_location_code="310000", contact_phone="12345", contact_email="not-mail",
        contract_number="x" * 51))
    assert set(refusal.fields) == {"finalUseLocationCode", "contactPhone", "contactEmail", "contractNumber"}


def test_a_product_needs_every_characteristic_its_code_requires(ccc):
    enterprise = ccc.enterprise()
    application = ccc.draft(enterprise)
    refusal = ccc.fails(enterprise, "CreateProduct", products_pb.CreateProductRequest(
        application_id=application.id, product=products_pb.ProductFields(
            hs_code="8415101000", name="分体式空调器", model="KFR-35", manufacturer="大金", quantity="0",
            quantity_unit="吨", standard_quantity="abc")))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"product.characteristics", "product.quantity", "product.quantityUnit",
            "product.standardQuantity"} <= set(refusal.fields)


def test_products_default_their_location_and_are_listed_by_a_fuzzy_query_edited_and_deleted(ccc):
    enterprise = ccc.enterprise()
    application = ccc.draft(enterprise)
    first = ccc.add_product(enterprise, application.id)
    ccc.add_product(enterprise, application.id, code="8415101000", name="分体式空调器", model="KFR-35GW")
    assert first.final_use_location.code == PUDONG and first.standard_unit == "台" and first.quantity == "10"
    found = ccc.call(enterprise, "ListProducts", products_pb.ListProductsRequest(application_id=application.id,
                                                                                model="35g"))
    assert found.total_size == 0
    found = ccc.call(enterprise, "ListProducts", products_pb.ListProductsRequest(application_id=application.id,
                                                                                model="35GW"))
    assert [p.name for p in found.products] == ["分体式空调器"]
    product = products_pb.ProductFields(
        hs_code=first.hs_code, characteristics=first.characteristics, name="工控机", model=first.model,
        manufacturer=first.manufacturer, quantity="12.5", quantity_unit="台", standard_quantity="12.5",
        final_use_location_code="330106")
    edited = ccc.call(enterprise, "UpdateProduct", products_pb.UpdateProductRequest(
        application_id=application.id, id=first.id, product=product))
    assert (edited.name, edited.quantity, edited.final_use_location.code) == ("工控机", "12.5", "330106")
    ccc.call(enterprise, "DeleteProduct", products_pb.ProductRequest(application_id=application.id, id=first.id))
    assert ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id)).product_count == 1


def test_a_file_over_5_mb_is_refused_naming_the_file(ccc):
    enterprise = ccc.enterprise()
    application = ccc.draft(enterprise)
    big = PDF + b"0" * (6 * MB)
    refusal = ccc.service.refused("UploadAttachment", attachments_pb.UploadAttachmentRequest(
        application_id=application.id, kind="INVOICE",
        file=__import__("protos.common.v1.common_pb2", fromlist=["FileUpload"]).FileUpload(
            file_name="invoice.pdf", content=big)), enterprise.token)
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and list(refusal.fields) == ["file"]
    assert "5 MB" in refusal.message


def test_submit_names_every_missing_field_and_the_attachment_each_filled_number_needs(ccc):
    enterprise = ccc.enterprise()
    created = ccc.call(enterprise, "CreateApplication", pb.CreateApplicationRequest(
        declaration_accepted=True, exemption_clause="RESEARCH_TESTING", trade_mode="GENERAL_TRADE"))
    ccc.call(enterprise, "UpdateApplication", pb.UpdateApplicationRequest(
        id=created.id, invoice_number="INV-1", contract_number="C-1"))
    ccc.attach(enterprise, created.id, "CONTRACT")
    refusal = ccc.fails(enterprise, "SubmitApplication", pb.SubmitApplicationRequest(id=created.id))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refusal.fields) == {"finalUseLocationCode", "contactName", "contactPhone", "attachments.INVOICE",
                                   "products"}
    assert "发票号" in refusal.fields["attachments.INVOICE"]


def test_submit_routes_by_the_final_use_location_and_answers_the_number_and_the_bureau(ccc):
    shanghai = ccc.submitted(ccc.enterprise(), location=PUDONG)
    assert shanghai.status == pb.Application.ACCEPTING and shanghai.status_label == "受理中"
    assert shanghai.bureau.code == SHANGHAI and shanghai.bureau.name == "上海市出入境检验检疫局"
    assert shanghai.bureau.contact_phone and shanghai.number and not shanghai.editable
    # Shenzhen has a bureau of its own, which the delegation table prefers to Guangdong's.
    assert ccc.submitted(ccc.enterprise(), location=NANSHAN).bureau.code == SHENZHEN
    assert ccc.submitted(ccc.enterprise(), location="440106").bureau.code == "440000"


def test_a_submitted_application_is_read_only_to_the_enterprise(ccc):
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    refusal = ccc.fails(enterprise, "UpdateApplication", pb.UpdateApplicationRequest(id=application.id,
                                                                                     contact_name="改"))
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION and refusal.reason == "APPLICATION_NOT_EDITABLE"
    assert ccc.fails(enterprise, "DeleteApplication", pb.DeleteApplicationRequest(id=application.id)).code == \
        grpc.StatusCode.FAILED_PRECONDITION


def test_another_organisations_application_is_a_404_everywhere(ccc):
    owner, other = ccc.enterprise(), ccc.enterprise("别家公司")
    application = ccc.draft(owner)
    for method, request in (("GetApplication", pb.GetApplicationRequest(id=application.id)),
                            ("UpdateApplication", pb.UpdateApplicationRequest(id=application.id, contact_name="x")),
                            ("SubmitApplication", pb.SubmitApplicationRequest(id=application.id)),
                            ("ListProducts", products_pb.ListProductsRequest(application_id=application.id)),
                            ("ListAttachments", attachments_pb.ListAttachmentsRequest(application_id=application.id))):
        assert ccc.fails(other, method, request).code == grpc.StatusCode.NOT_FOUND, method
    listed = ccc.call(other, "ListApplications", pb.ListApplicationsRequest(number=application.number))
    assert listed.total_size == 0


def test_a_bureau_sees_no_draft_and_no_other_bureaus_application(ccc):
    enterprise = ccc.enterprise()
    draft = ccc.draft(enterprise)
    submitted = ccc.submitted(enterprise)
    shanghai, shenzhen = ccc.bureau(SHANGHAI), ccc.bureau(SHENZHEN)
    assert ccc.fails(shanghai, "GetApplication", pb.GetApplicationRequest(id=draft.id)).code == \
        grpc.StatusCode.NOT_FOUND
    assert ccc.call(shanghai, "GetApplication", pb.GetApplicationRequest(id=submitted.id)).number == submitted.number
    assert ccc.fails(shenzhen, "GetApplication", pb.GetApplicationRequest(id=submitted.id)).code == \
        grpc.StatusCode.NOT_FOUND


def test_the_list_queries_by_each_field_fuzzily_and_pages_with_the_total(ccc):
    enterprise = ccc.enterprise("列表查询测试有限公司")
    applications = [ccc.draft(enterprise, contract_number=f"LIST-{i}") for i in range(3)]
    page = ccc.call(enterprise, "ListApplications", pb.ListApplicationsRequest(page_size=2))
    assert page.total_size == 3 and len(page.applications) == 2 and page.next_page_token
    assert ccc.call(enterprise, "ListApplications", pb.ListApplicationsRequest(
        contract_number="ST-1")).applications[0].id == applications[1].id
    assert ccc.call(enterprise, "ListApplications", pb.ListApplicationsRequest(
        number=applications[2].number[-6:])).total_size == 1
    assert ccc.call(enterprise, "ListApplications", pb.ListApplicationsRequest(status="未提")).total_size == 3
    assert ccc.call(enterprise, "ListApplications", pb.ListApplicationsRequest(status="ISSUED")).total_size == 0


def test_a_draft_is_deleted_with_its_products_and_attachments(ccc):
    enterprise = ccc.enterprise()
    application = ccc.draft(enterprise)
    ccc.add_product(enterprise, application.id)
    ccc.attach(enterprise, application.id)
    ccc.call(enterprise, "DeleteApplication", pb.DeleteApplicationRequest(id=application.id))
    assert ccc.fails(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id)).code == \
        grpc.StatusCode.NOT_FOUND
