"""Product pre-review (§1.3): value contents, the review, copy, voids and their reminders, adjustment to a new
version, tariff-version upgrades with 立即调整, and who may see what."""

from __future__ import annotations

import grpc

from protos.common.v1 import common_pb2
from protos.origin_cert.v1 import pre_reviews_pb2 as pb
from protos.origin_cert.v1 import tariffs_pb2
from services.chassis.documents.tests.files import MINIMAL_PDF


def lamp(**overrides) -> pb.SavePreReviewRequest:
    """LED desk lamps: one originating and two non-originating materials (VNM 40.00 on FOB 100.00, EXW 90.00)."""
    fields = dict(product_name="LED台灯", product_name_en="LED DESK LAMP", hs_code="940521", unit="台",
                  exw_price="90.00", fob_price="100.00", materials=[
                      pb.Material(name="灯座外壳", hs_code="392690", origin_country="CN", originating=True,
                                  unit_price="20.00", usage_ratio="1"),
                      pb.Material(name="LED芯片", hs_code="854140", origin_country="JP", unit_price="15.00",
                                  usage_ratio="2"),
                      pb.Material(name="电源线", hs_code="854449", origin_country="VN", unit_price="2.50",
                                  usage_ratio="4")])
    fields.update(overrides)
    return pb.SavePreReviewRequest(**fields)


def approved(origin, admin, **overrides) -> pb.PreReview:
    created = origin.call(admin, "CreatePreReview", lamp(submit=True, **overrides))
    return origin.call(origin.officer("BEIJING", "PRE_REVIEWER"), "ApprovePreReview",
                       pb.PreReviewActionRequest(id=created.id))


def test_a_pre_review_shows_the_value_contents_worked_by_hand_and_is_approved_with_notices(origin):
    admin = origin.organization("lamps")
    signer = admin.member("SIGNER")
    draft = origin.call(signer, "CreatePreReview", lamp())
    assert draft.status == "DRAFT" and draft.number.startswith("CP") and draft.version == 1
    assert (draft.value_content.non_originating_value, draft.value_content.originating_value) == ("40", "20")
    assert (draft.value_content.fob_value_content, draft.value_content.exw_value_content) == ("60.00", "55.55")
    assert [m.value for m in draft.materials] == ["20", "30", "10"]
    with origin.new_notices("origin_cert.pre_review.submitted") as asked:
        submitted = origin.call(signer, "SubmitPreReview", pb.PreReviewActionRequest(id=draft.id))
    assert submitted.status == "SUBMITTED" and asked[0]["recipients"] == [{"agency": "CCPIT:BEIJING"}]
    visa_only = origin.fails(origin.officer("BEIJING", "VISA_OFFICER"), "ApprovePreReview",
                             pb.PreReviewActionRequest(id=draft.id))
    assert visa_only.code == grpc.StatusCode.PERMISSION_DENIED
    elsewhere = origin.fails(origin.officer("SHANGHAI"), "ApprovePreReview", pb.PreReviewActionRequest(id=draft.id))
    assert elsewhere.code == grpc.StatusCode.NOT_FOUND
    with origin.new_notices("origin_cert.pre_review.approved") as told:
        done = origin.call(origin.officer("BEIJING", "PRE_REVIEWER"), "ApprovePreReview",
                           pb.PreReviewActionRequest(id=draft.id))
    assert done.status == "APPROVED" and [h.action for h in done.history] == ["CREATED", "SUBMITTED", "APPROVED"]
    assert told[0]["params"] == {"number": draft.number, "productName": "LED台灯"}
    edit = origin.fails(admin, "UpdatePreReview", lamp(id=draft.id))
    assert edit.code == grpc.StatusCode.FAILED_PRECONDITION


def test_bad_input_is_refused_naming_each_field_and_another_organisation_sees_nothing(origin):
    admin, other = origin.organization("badinput"), origin.organization("nosy")
    bad = origin.fails(admin, "CreatePreReview", lamp(hs_code="94052", materials=[pb.Material(
        name="", hs_code="85", origin_country="japan", unit_price="-1", usage_ratio="0")]))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"hsCode", "materials[0].name", "materials[0].hsCode", "materials[0].originCountry",
            "materials[0].unitPrice", "materials[0].usageRatio"} <= set(bad.fields)
    assert "6位" in bad.fields["hsCode"]
    ecfa = origin.fails(admin, "CreatePreReview", lamp(ecfa=True))
    assert "8位" in ecfa.fields["hsCode"]
    word = origin.fails(admin, "CreatePreReview", lamp(fob_price="1e3"))
    assert "fobPrice" in word.fields
    created = origin.call(admin, "CreatePreReview", lamp())
    for method in ("GetPreReview", "SubmitPreReview", "CopyPreReview"):
        request = pb.GetPreReviewRequest(id=created.id) if method == "GetPreReview" else pb.PreReviewActionRequest(
            id=created.id)
        assert origin.fails(other, method, request).code == grpc.StatusCode.NOT_FOUND
    assert origin.call(other, "ListPreReviews", pb.ListPreReviewsRequest()).total_size == 0
    unfiled = origin.organization("unfiled", filed_with=None)
    assert origin.fails(unfiled, "CreatePreReview", lamp()).reason == "ENTERPRISE_NOT_FILED"


def test_submit_names_every_gap_and_a_rejected_one_is_edited_and_sent_again(origin):
    admin = origin.organization("gaps")
    draft = origin.call(admin, "CreatePreReview", lamp(exw_price="", fob_price="", unit=""))
    refused = origin.fails(admin, "SubmitPreReview", pb.PreReviewActionRequest(id=draft.id))
    assert set(refused.fields) == {"unit", "exwPrice", "fobPrice"} and refused.reason == "PRE_REVIEW_INCOMPLETE"
    sent = origin.call(admin, "UpdatePreReview", lamp(id=draft.id, submit=True))
    reviewer = origin.officer("BEIJING", "PRE_REVIEWER")
    assert "reason" in origin.fails(reviewer, "RejectPreReview", pb.PreReviewActionRequest(id=sent.id)).fields
    with origin.new_notices("origin_cert.pre_review.rejected") as told:
        rejected = origin.call(reviewer, "RejectPreReview", pb.PreReviewActionRequest(id=sent.id, reason="单价偏低"))
    assert rejected.status == "REJECTED" and told[0]["params"]["reason"] == "单价偏低"
    again = origin.call(admin, "UpdatePreReview", lamp(id=draft.id, fob_price="110.00", submit=True))
    assert again.status == "SUBMITTED" and again.value_content.fob_value_content == "63.63"


def test_copy_and_query_by_hs_code_name_and_status(origin):
    admin = origin.organization("finder")
    first = approved(origin, admin)
    copy = origin.call(admin, "CopyPreReview", pb.PreReviewActionRequest(id=first.id))
    assert copy.status == "DRAFT" and copy.number != first.number and len(copy.materials) == 3
    origin.call(admin, "CreatePreReview", lamp(product_name="不锈钢电水壶", hs_code="851671"))
    by_code = origin.call(admin, "ListPreReviews", pb.ListPreReviewsRequest(hs_code="9405"))
    assert by_code.total_size == 2 and {p.hs_code for p in by_code.pre_reviews} == {"940521"}
    by_name = origin.call(admin, "ListPreReviews", pb.ListPreReviewsRequest(name="水壶"))
    assert [p.product_name for p in by_name.pre_reviews] == ["不锈钢电水壶"]
    by_number = origin.call(admin, "ListPreReviews", pb.ListPreReviewsRequest(number=first.number))
    assert [p.id for p in by_number.pre_reviews] == [first.id]
    by_status = origin.call(admin, "ListPreReviews", pb.ListPreReviewsRequest(status="APPROVED"))
    assert [p.id for p in by_status.pre_reviews] == [first.id]
    assert "status" in origin.fails(admin, "ListPreReviews", pb.ListPreReviewsRequest(status="LOST")).fields
    staff = origin.call(origin.officer("BEIJING"), "ListPreReviews", pb.ListPreReviewsRequest(name="水壶"))
    assert admin.organization_id in {p.organization_id for p in staff.pre_reviews}


def test_ccpit_voids_the_enterprise_sees_the_reminder_and_re_declares(origin):
    admin = origin.organization("voided")
    first = approved(origin, admin)
    assert "reason" in origin.fails(origin.officer(), "VoidPreReview", pb.PreReviewActionRequest(id=first.id)).fields
    with origin.new_notices("origin_cert.pre_review.voided") as told:
        voided = origin.call(origin.officer("BEIJING", "PRE_REVIEWER"), "VoidPreReview",
                             pb.PreReviewActionRequest(id=first.id, reason="原材料来源需重新核实"))
    assert (voided.status, voided.void_source) == ("VOIDED", "CCPIT")
    assert told[0]["recipients"] == [{"organizationId": admin.organization_id, "scope": "origin_cert"}]
    reminders = origin.call(admin, "ListReminders", pb.ListRemindersRequest(kind="VOID", status="OPEN"))
    assert [r.pre_review_id for r in reminders.reminders] == [first.id] and "重新申报" in reminders.reminders[0].message
    again = origin.call(admin, "RedeclarePreReview", pb.PreReviewActionRequest(id=first.id))
    assert (again.status, again.number, again.version, again.previous_id) == ("DRAFT", first.number, 2, first.id)
    handled = origin.call(admin, "ListReminders", pb.ListRemindersRequest(kind="VOID"))
    assert handled.reminders[0].status == "HANDLED" and handled.reminders[0].follow_up_id == again.id
    twice = origin.fails(admin, "RedeclarePreReview", pb.PreReviewActionRequest(id=first.id))
    assert twice.reason == "VERSION_OPEN"


def test_an_adjusted_version_voids_the_one_it_replaces_when_approved(origin):
    admin = origin.organization("adjuster")
    first = approved(origin, admin)
    adjusted = origin.call(admin, "AdjustPreReview", pb.PreReviewActionRequest(id=first.id))
    assert (adjusted.number, adjusted.version, adjusted.status) == (first.number, 2, "DRAFT")
    assert origin.fails(admin, "AdjustPreReview", pb.PreReviewActionRequest(id=first.id)).reason == "VERSION_OPEN"
    origin.call(admin, "UpdatePreReview", lamp(id=adjusted.id, fob_price="120.00", submit=True))
    assert origin.call(admin, "GetPreReview", pb.GetPreReviewRequest(id=first.id)).status == "APPROVED"
    with origin.new_notices("origin_cert.pre_review.adjusted") as told:
        origin.call(origin.officer("BEIJING", "PRE_REVIEWER"), "ApprovePreReview",
                    pb.PreReviewActionRequest(id=adjusted.id))
    old = origin.call(admin, "GetPreReview", pb.GetPreReviewRequest(id=first.id))
    assert (old.status, old.void_source) == ("VOIDED", "ADJUSTED") and told[0]["params"]["version"] == "2"
    own = approved(origin, admin, product_name="另一个产品")
    mine = origin.call(admin, "VoidPreReview", pb.PreReviewActionRequest(id=own.id, reason="停产"))
    assert (mine.status, mine.void_source) == ("VOIDED", "ENTERPRISE")
    assert origin.call(admin, "ListReminders", pb.ListRemindersRequest(kind="VOID")).total_size == 0


def test_a_tariff_version_upgrade_reminds_the_products_whose_code_changed_and_adjust_now_fills_the_new_one(origin):
    admin = origin.organization("upgrade")
    split = approved(origin, admin, hs_code="940520")
    renamed = approved(origin, admin, product_name="皮鞋", hs_code="640399")
    untouched = approved(origin, admin, product_name="电水壶", hs_code="851671")
    request = tariffs_pb2.CreateTariffVersionRequest(version="2027", title="2027年税则转版", correlations=[
        tariffs_pb2.HsCorrelation(old_code="940520", new_code="940521"),
        tariffs_pb2.HsCorrelation(old_code="940520", new_code="940529"),
        tariffs_pb2.HsCorrelation(old_code="640399", new_code="640391"),
        tariffs_pb2.HsCorrelation(old_code="851671", new_code="851671")])
    assert origin.fails(origin.officer("BEIJING"), "CreateTariffVersion", request).code == \
        grpc.StatusCode.PERMISSION_DENIED
    with origin.new_notices("origin_cert.tariff_version.reminder") as told:
        version = origin.call(origin.officer("HQ"), "CreateTariffVersion", request)
    assert version.correlation_count == 4 and version.affected_products >= 2
    mine = [n for n in told if n["recipients"] == [{"organizationId": admin.organization_id, "scope": "origin_cert"}]]
    assert mine[0]["params"]["count"] == "2" and "皮鞋（640399→640391）" in mine[0]["params"]["products"]
    reminders = {r.pre_review_id: r for r in origin.call(admin, "ListReminders", pb.ListRemindersRequest(
        kind="TARIFF_VERSION")).reminders}
    assert set(reminders) == {split.id, renamed.id} and untouched.id not in reminders
    assert reminders[split.id].new_hs_code == "940521 940529"
    now = origin.call(admin, "AdjustFromReminder", pb.ReminderActionRequest(id=reminders[renamed.id].id))
    assert (now.hs_code, now.version, now.status, now.tariff_version) == ("640391", 2, "DRAFT", "2027")
    chosen = origin.call(admin, "AdjustFromReminder", pb.ReminderActionRequest(id=reminders[split.id].id))
    assert chosen.hs_code == "940520"
    assert origin.fails(admin, "AdjustFromReminder", pb.ReminderActionRequest(id=reminders[split.id].id)).code == \
        grpc.StatusCode.FAILED_PRECONDITION
    again = origin.fails(origin.officer("HQ"), "CreateTariffVersion", request)
    assert again.code == grpc.StatusCode.ALREADY_EXISTS


def test_supporting_documents_are_kept_while_editable_and_hidden_from_others(origin):
    admin, other = origin.organization("docs"), origin.organization("docs-nosy")
    draft = origin.call(admin, "CreatePreReview", lamp())
    upload = pb.UploadPreReviewDocumentRequest(id=draft.id, kind="BOM", file=common_pb2.FileUpload(
        file_name="成本明细.pdf", content_type="application/pdf", content=MINIMAL_PDF))
    stored = origin.call(admin, "UploadPreReviewDocument", upload)
    assert stored.kind == "BOM" and stored.content_type == "application/pdf"
    assert origin.fails(other, "UploadPreReviewDocument", upload).code == grpc.StatusCode.NOT_FOUND
    listed = origin.call(origin.officer("BEIJING"), "ListPreReviewDocuments",
                         pb.ListPreReviewDocumentsRequest(id=draft.id))
    assert [d.id for d in listed.documents] == [stored.id]
    origin.call(admin, "SubmitPreReview", pb.PreReviewActionRequest(id=draft.id))
    locked = origin.fails(admin, "UploadPreReviewDocument", upload)
    assert locked.reason == "RECORD_NOT_EDITABLE"


def test_the_form_computes_value_contents_without_saving(origin):
    admin = origin.organization("calc")
    content = origin.call(admin, "ComputeValueContent", lamp())
    assert (content.fob_value_content, content.exw_value_content) == ("60.00", "55.55")
    assert origin.call(admin, "ListPreReviews", pb.ListPreReviewsRequest()).total_size == 0
