"""Certificates (§1.4): smart creation, edit with gaps, submit refused naming each gap, withdraw, review,
approve with a number, print once, copy within and across types, queries, and who may see what."""

from __future__ import annotations

import io
import re

import grpc
import pytest
from PIL import Image

from protos.common.v1 import common_pb2
from protos.origin_cert.v1 import certificate_review_pb2 as review_pb
from protos.origin_cert.v1 import certificates_pb2 as pb
from protos.origin_cert.v1 import parties_pb2
from services.chassis.documents.tests import pdfs
from services.origin_cert.tests.certificate_support import complete, drafted, goods, issued
from services.origin_cert.tests.test_pre_reviews import approved, lamp


def _options(origin, admin, pre_review_id, destination):
    return origin.call(admin, "ListCertificateOptions", pb.CertificateOptionsRequest(
        pre_review_id=pre_review_id, destination_country=destination, hs_code="940521"))


def test_smart_creation_offers_rcep_with_its_rvc_and_general_to_a_member_and_only_general_elsewhere(origin):
    admin = origin.organization("smart")
    pre_review = approved(origin, admin)
    japan = _options(origin, admin, pre_review.id, "JP")
    assert [o.certificate_type for o in japan.options] == ["RCEP", "GENERAL"]
    rcep = japan.options[0]
    rvc = next(c for c in rcep.criteria if c.code == "RVC")
    assert rvc.holds and (rvc.value, rvc.threshold, rvc.basis) == ("60.00", "40", "FOB")
    assert "日本为区域全面经济伙伴关系协定（RCEP）成员" in rcep.reason and "RVC" not in japan.destination_name
    usa = _options(origin, admin, pre_review.id, "US")
    assert [o.certificate_type for o in usa.options] == ["GENERAL"] and not usa.not_applicable
    vietnam = _options(origin, admin, pre_review.id, "VN")
    assert {o.certificate_type for o in vietnam.options} == {"RCEP", "ASEAN", "GENERAL"}
    wrong_code = origin.fails(admin, "ListCertificateOptions", pb.CertificateOptionsRequest(
        pre_review_id=pre_review.id, destination_country="JP", hs_code="851671"))
    assert "hsCode" in wrong_code.fields
    home = origin.fails(admin, "ListCertificateOptions", pb.CertificateOptionsRequest(
        pre_review_id=pre_review.id, destination_country="CN"))
    assert "destinationCountry" in home.fields
    unapproved = origin.call(admin, "CreatePreReview", lamp())
    assert "preReviewId" in origin.fails(admin, "ListCertificateOptions", pb.CertificateOptionsRequest(
        pre_review_id=unapproved.id, destination_country="JP")).fields


def test_a_type_or_criterion_that_does_not_apply_is_refused_with_its_reason(origin):
    admin = origin.organization("refused-type")
    pre_review = approved(origin, admin)
    asean = origin.fails(admin, "CreateCertificate", pb.CreateCertificateRequest(
        pre_review_id=pre_review.id, destination_country="JP", certificate_type="ASEAN", origin_criterion="RVC"))
    assert "不是" in asean.fields["certificateType"]
    wholly = origin.fails(admin, "CreateCertificate", pb.CreateCertificateRequest(
        pre_review_id=pre_review.id, destination_country="JP", certificate_type="RCEP", origin_criterion="WO"))
    assert "CTC" in wholly.fields["originCriterion"]


def test_an_rcep_certificate_is_saved_with_gaps_refused_naming_each_then_sent_withdrawn_resent_and_approved(origin):
    admin = origin.organization("walk")
    pre_review, draft = drafted(origin, admin)
    assert draft.status == "DRAFT" and draft.exporter_name == "WALK IMPORT AND EXPORT CO., LTD."
    line = draft.goods[0]
    assert (line.hs_code, line.origin_criterion_shown, line.pre_review_number) == ("940521", "RVC 60.00%",
                                                                                   pre_review.number)
    no_invoice = origin.fails(admin, "UpdateCertificate", pb.UpdateCertificateRequest(id=draft.id))
    assert "发票" in no_invoice.fields["invoiceNumber"]
    saved = origin.call(admin, "UpdateCertificate", pb.UpdateCertificateRequest(
        id=draft.id, invoice_number="INV-1", goods=[goods(pre_review.id, marks="", fob_value="")]))
    assert {"importerName", "goods[0].marks", "goods[0].fobValue"} <= {g.field for g in saved.gaps}
    refused = origin.fails(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    assert refused.reason == "CERTIFICATE_INCOMPLETE"
    assert {"invoiceDate", "importerName", "importerAddress", "departureDate", "transportMeans", "portOfLoading",
            "portOfDischarge", "goods[0].marks", "goods[0].fobValue"} <= set(refused.fields)
    filled = origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id))
    assert not filled.gaps
    assert filled.goods[0].description == "TWO HUNDRED (200) CARTONS OF LED DESK LAMPS"
    with origin.new_notices("origin_cert.certificate.submitted") as asked:
        sent = origin.call(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    assert sent.status == "SUBMITTED" and asked[0]["recipients"] == [{"agency": "CCPIT:BEIJING"}]
    withdrawn = origin.call(admin, "WithdrawCertificate", review_pb.CertificateActionRequest(id=draft.id))
    assert withdrawn.status == "DRAFT"
    origin.call(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    officer = origin.officer("BEIJING", "VISA_OFFICER")
    assert origin.call(officer, "StartCertificateReview", review_pb.CertificateActionRequest(id=draft.id)).status == \
        "IN_REVIEW"
    late = origin.fails(admin, "WithdrawCertificate", review_pb.CertificateActionRequest(id=draft.id))
    assert late.reason == "REVIEW_STARTED"
    with origin.new_notices("origin_cert.certificate.approved") as told:
        done = origin.call(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(id=draft.id))
    assert done.status == "APPROVED" and re.fullmatch(r"R\d{2}1100\d{7}", done.number) and len(done.check_code) == 8
    assert told[0]["params"]["number"] == done.number
    assert [h.action for h in done.history][-3:] == ["SUBMITTED", "REVIEW_STARTED", "APPROVED"]


def test_the_issued_certificate_prints_once_as_a_signed_pdf_whose_qr_opens_its_public_check(origin):
    admin = origin.organization("printer")
    certificate = issued(origin, admin)
    data = origin.call(admin, "PrintCertificate", review_pb.CertificateActionRequest(id=certificate.id))
    assert data.content_type == "application/pdf" and data.data.startswith(b"%PDF")
    text = pdfs.page_text(data.data)
    assert certificate.number in text and "TOKYO LIGHTING" in text and "60.00%" in text
    [url] = pdfs.qr_texts(pdfs.page_image(data.data))
    assert url == f"http://localhost:8080/v1/origin/checks/{certificate.number}?checkCode={certificate.check_code}"
    after = origin.call(admin, "GetCertificate", pb.GetCertificateRequest(id=certificate.id))
    assert (after.status, after.print_status) == ("PRINTED", "PRINTED") and after.print_number
    again = origin.fails(admin, "PrintCertificate", review_pb.CertificateActionRequest(id=certificate.id))
    assert again.reason == "ALREADY_PRINTED"
    preview = origin.call(admin, "PreviewCertificate", review_pb.CertificateActionRequest(id=certificate.id))
    assert preview.data == data.data


def test_an_image_shipping_mark_uploaded_for_the_certificate_is_printed_on_it(origin):
    admin = origin.organization("marker")
    pre_review, draft = drafted(origin, admin)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 150), (200, 0, 0)).save(buffer, "PNG")
    elsewhere = drafted(origin, admin)[1]
    foreign = origin.call(admin, "UploadCertificateDocument", pb.UploadCertificateDocumentRequest(
        id=elsewhere.id, kind="MARKS", file=common_pb2.FileUpload(file_name="marks.png", content=buffer.getvalue())))
    # A picture of another certificate's is not this one's mark.
    refused = origin.fails(admin, "UpdateCertificate", complete(draft.id, pre_review.id, lines=[
        goods(pre_review.id, marks="", marks_image_id=foreign.id)]))
    assert list(refused.fields) == ["goods[0].marksImageId"]
    mark = origin.call(admin, "UploadCertificateDocument", pb.UploadCertificateDocumentRequest(
        id=draft.id, kind="MARKS", file=common_pb2.FileUpload(file_name="marks.png", content=buffer.getvalue())))
    origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id, lines=[
        goods(pre_review.id, marks="", marks_image_id=mark.id)]))
    origin.call(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    preview = origin.call(origin.officer("BEIJING"), "PreviewCertificate",
                          review_pb.CertificateActionRequest(id=draft.id))
    assert len(pdfs.image_boxes(preview.data)) == 1
    origin.call(origin.officer("BEIJING", "VISA_OFFICER"), "ApproveCertificate",
                review_pb.ApproveCertificateRequest(id=draft.id))
    printed = origin.call(admin, "PrintCertificate", review_pb.CertificateActionRequest(id=draft.id)).data
    [(left, bottom, right, top)] = pdfs.image_boxes(printed)
    assert right - left == pytest.approx(2 * (top - bottom), rel=0.01)
    assert "N/M" not in pdfs.page_text(printed)  # the picture is the mark


def test_a_draft_is_not_previewed_and_a_sent_one_previews_unsigned(origin):
    admin = origin.organization("previewer")
    pre_review, draft = drafted(origin, admin)
    refused = origin.fails(admin, "PreviewCertificate", review_pb.CertificateActionRequest(id=draft.id))
    assert refused.reason == "DRAFT_NOT_PREVIEWABLE"
    origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id))
    origin.call(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    preview = origin.call(origin.officer("BEIJING"), "PreviewCertificate",
                          review_pb.CertificateActionRequest(id=draft.id))
    assert "PREVIEW" in pdfs.page_text(preview.data) and b"/ByteRange" not in preview.data


def test_general_certificates_choose_hs_digits_and_may_show_an_intermediary_preferential_ones_may_not(origin):
    admin = origin.organization("general")
    pre_review, draft = drafted(origin, admin, "GENERAL", "US")
    ten = origin.call(admin, "UpdateCertificate", complete(
        draft.id, pre_review.id, intermediary_name="HK TRADING LTD.", intermediary_shown=True,
        lines=[goods(pre_review.id, origin_criterion="", hs_code="9405210000")]))
    assert ten.goods[0].hs_code == "9405210000" and ten.intermediary_shown and not ten.gaps
    bad = origin.fails(admin, "UpdateCertificate", complete(draft.id, pre_review.id, lines=[
        goods(pre_review.id, origin_criterion="", hs_code="851671")]))
    assert "goods[0].hsCode" in bad.fields
    _pre, rcep = drafted(origin, admin)
    refused = origin.fails(admin, "UpdateCertificate", complete(rcep.id, _pre.id, intermediary_name="HK LTD."))
    assert "intermediaryName" in refused.fields
    digits = origin.fails(admin, "UpdateCertificate", complete(rcep.id, _pre.id, lines=[
        goods(_pre.id, hs_code="94052100")]))
    assert "goods[0].hsCode" in digits.fields


def test_copies_clear_the_invoice_and_marks_within_a_type_the_goods_across_and_follow_the_type_rules(origin):
    admin = origin.organization("copier")
    source = issued(origin, admin)
    same = origin.call(admin, "CopyCertificate", pb.CopyCertificateRequest(id=source.id))
    assert (same.certificate_type, same.invoice_number, same.status) == ("RCEP", "", "DRAFT")
    assert len(same.goods) == 1 and same.goods[0].marks == "" and same.importer_name == source.importer_name
    across = origin.call(admin, "CopyCertificate", pb.CopyCertificateRequest(id=source.id, certificate_type="GENERAL"))
    assert across.certificate_type == "GENERAL" and not across.goods and across.invoice_number == source.invoice_number
    refused = origin.fails(admin, "CopyCertificate", pb.CopyCertificateRequest(id=source.id, certificate_type="ASEAN"))
    assert refused.reason == "COPY_NOT_ALLOWED" and "优惠证可复制新增为一般证" in refused.message
    back = origin.call(admin, "CopyCertificate", pb.CopyCertificateRequest(id=across.id, certificate_type="RCEP"))
    assert back.certificate_type == "RCEP" and back.copied_from_id == across.id


def test_another_organisations_certificate_and_party_are_not_found(origin):
    admin, other = origin.organization("owner-co"), origin.organization("other-co")
    certificate = issued(origin, admin)
    for method, request in (("GetCertificate", pb.GetCertificateRequest(id=certificate.id)),
                            ("PrintCertificate", review_pb.CertificateActionRequest(id=certificate.id)),
                            ("CopyCertificate", pb.CopyCertificateRequest(id=certificate.id)),
                            ("AmendCertificate", review_pb.AmendCertificateRequest(id=certificate.id, reason="x"))):
        assert origin.fails(other, method, request).code == grpc.StatusCode.NOT_FOUND, method
    assert origin.fails(origin.officer("SHANGHAI"), "GetCertificate",
                        pb.GetCertificateRequest(id=certificate.id)).code == grpc.StatusCode.NOT_FOUND
    importer = origin.call(admin, "CreateParty", parties_pb2.SavePartyRequest(
        kind="IMPORTER", name="OSAKA IMPORTS", address="1-1 UMEDA, OSAKA", country="JP"))
    assert origin.fails(other, "GetParty", parties_pb2.GetPartyRequest(id=importer.id)).code == \
        grpc.StatusCode.NOT_FOUND
    pre_review, draft = drafted(origin, other)
    borrowed = origin.fails(other, "UpdateCertificate", complete(draft.id, pre_review.id,
                                                                 importer_party_id=importer.id))
    assert "importerPartyId" in borrowed.fields
    stolen = origin.fails(other, "UpdateCertificate", complete(draft.id, pre_review.id, lines=[
        goods(certificate.goods[0].pre_review_id)]))
    assert "goods[0].preReviewId" in stolen.fields


def test_parties_fill_the_importer_and_special_clauses_the_remarks(origin):
    admin = origin.organization("filler")
    importer = origin.call(admin, "CreateParty", parties_pb2.SavePartyRequest(
        kind="IMPORTER", name="OSAKA IMPORTS", address="1-1 UMEDA, OSAKA", country="JP"))
    clause = origin.call(admin, "CreateParty", parties_pb2.SavePartyRequest(
        kind="SPECIAL_CLAUSE", name="L/C条款", text="L/C NO. LC-2026-001"))
    pre_review, draft = drafted(origin, admin)
    filled = origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id, importer_party_id=importer.id,
                                                              special_clause_ids=[clause.id]))
    assert (filled.importer_name, filled.importer_address) == ("OSAKA IMPORTS", "1-1 UMEDA, OSAKA")
    assert "L/C NO. LC-2026-001" in filled.remarks
    listed = origin.call(admin, "ListParties", parties_pb2.ListPartiesRequest(kind="IMPORTER"))
    assert [p.id for p in listed.parties] == [importer.id]
    bad = origin.fails(admin, "CreateParty", parties_pb2.SavePartyRequest(kind="IMPORTER", name=""))
    assert {"name", "country"} <= set(bad.fields)
    origin.call(admin, "DeleteParty", parties_pb2.GetPartyRequest(id=clause.id))
    assert origin.fails(admin, "GetParty", parties_pb2.GetPartyRequest(id=clause.id)).code == grpc.StatusCode.NOT_FOUND


def test_certificates_are_found_by_the_manuals_query_fields(origin):
    admin = origin.organization("query")
    certificate = issued(origin, admin)
    _pre_review, draft = drafted(origin, admin, "GENERAL", "DE")
    for request, expected in (
            (pb.ListCertificatesRequest(certificate_type="GENERAL"), {draft.id}),
            (pb.ListCertificatesRequest(number=certificate.number), {certificate.id}),
            (pb.ListCertificatesRequest(invoice_number="0318"), {certificate.id}),
            (pb.ListCertificatesRequest(destination_country="DE"), {draft.id}),
            (pb.ListCertificatesRequest(status="APPROVED", print_status="NOT_PRINTED"), {certificate.id}),
            (pb.ListCertificatesRequest(importer="TOKYO"), {certificate.id}),
            (pb.ListCertificatesRequest(visa_officer=certificate.visa_officer_id), {certificate.id})):
        found = origin.call(admin, "ListCertificates", request)
        assert {c.id for c in found.certificates} == expected, request
    bad = origin.fails(admin, "ListCertificates", pb.ListCertificatesRequest(status="LOST", created_from="03/18"))
    assert "status" in bad.fields or "createdFrom" in bad.fields
    staff = origin.call(origin.officer("BEIJING"), "ListCertificates", pb.ListCertificatesRequest(
        number=certificate.number))
    assert staff.total_size == 1
    drafts = origin.call(origin.officer("BEIJING"), "ListCertificates", pb.ListCertificatesRequest(
        certificate_type="GENERAL", destination_country="DE"))
    assert draft.id not in {c.id for c in drafts.certificates}
