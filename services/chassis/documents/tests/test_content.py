"""What an upload is, by its bytes: accepted types, refusals that name the field, clean file names."""

from __future__ import annotations

import hashlib

import pytest

from services.chassis.documents.content import (
    DOCX,
    JPEG,
    MB,
    PDF,
    PNG,
    XLSX,
    AttachmentKind,
    AttachmentKinds,
    Upload,
    check_upload,
    clean_file_name,
    detect_content_type,
)
from services.chassis.documents.tests import files
from services.chassis.errors import InvalidArgument

CONTRACT = AttachmentKind("CONTRACT", "合同")


@pytest.mark.parametrize(("data", "expected"), [
    (files.MINIMAL_PDF, PDF), (files.image("JPEG"), JPEG), (files.image("PNG"), PNG), (files.xlsx(), XLSX),
    (files.docx(), DOCX), (files.EXECUTABLE, None), (files.plain_zip(), None), (b"PK\x03\x04broken", None),
    (b"hello", None),
])
def test_the_type_is_told_by_the_bytes(data, expected):
    assert detect_content_type(data) == expected


def test_an_accepted_file_is_named_typed_and_hashed_by_its_content():
    data = files.xlsx()
    checked = check_upload(Upload("C:\\fakepath\\合同.pdf", data, "application/pdf"), CONTRACT)
    assert checked.content_type == XLSX
    assert checked.file_name == "合同.pdf"
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size_bytes == len(data)


def refusal(upload: Upload, kind: AttachmentKind = CONTRACT) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as caught:
        check_upload(upload, kind)
    return caught.value


def test_a_renamed_executable_is_refused_naming_the_field_and_what_it_is():
    error = refusal(Upload("合同.pdf", files.EXECUTABLE, "application/pdf", field="file"))
    assert [v.field for v in error.violations] == ["file"]
    assert "可执行文件" in error.message
    assert error.reason == "ATTACHMENT_TYPE_REFUSED"


def test_an_empty_file_is_refused_naming_the_field():
    error = refusal(Upload("合同.pdf", b"", field="evidence[1]"))
    assert [v.field for v in error.violations] == ["evidence[1]"]
    assert "为空" in error.message


def test_a_file_over_its_kinds_limit_is_refused_with_the_limit():
    data = files.MINIMAL_PDF + b"0" * (5 * MB)
    error = refusal(Upload("合同.pdf", data))
    assert error.violations[0].field == "file"
    assert "5 MB" in error.message and error.reason == "ATTACHMENT_TOO_LARGE"
    assert error.metadata["maxBytes"] == str(5 * MB)


def test_exactly_the_limit_is_accepted():
    data = files.MINIMAL_PDF + b"0" * (5 * MB - len(files.MINIMAL_PDF))
    assert check_upload(Upload("合同.pdf", data), CONTRACT).size_bytes == 5 * MB


def test_a_kind_takes_only_its_types():
    photo = AttachmentKind("PHOTO", "照片", types=frozenset({JPEG, PNG}))
    assert "请上传 JPEG 图片、PNG 图片" in refusal(Upload("a.pdf", files.MINIMAL_PDF), photo).message


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_an_image_that_does_not_read_is_refused_as_broken_and_a_whole_one_is_taken(kind):
    photo = AttachmentKind("MARKS", "图片唛头", types=frozenset({JPEG, PNG}))
    whole = files.image(kind)
    assert check_upload(Upload("mark", whole), photo).content_type == (PNG if kind == "PNG" else JPEG)
    broken = whole[:len(whole) // 2] + b"\x00" * 16 if kind == "PNG" else whole[:12] + b"\x00" * 40
    refused = refusal(Upload("mark", broken, field="file"), photo)
    assert refused.reason == "ATTACHMENT_UNREADABLE" and "图片唛头图片无法读取" in refused.message
    assert [v.field for v in refused.violations] == ["file"]


def test_an_unknown_kind_is_refused_listing_the_kinds():
    with pytest.raises(InvalidArgument) as caught:
        AttachmentKinds.of([CONTRACT]).get("RECEIPT")
    assert caught.value.violations[0].field == "kind" and "CONTRACT（合同）" in caught.value.message


@pytest.mark.parametrize(("given", "expected"), [
    ("../../etc/passwd", "passwd"), ("报关\x00单.pdf", "报关单.pdf"), ("", "附件"), ("  . ", "附件"),
    ("很长" * 200 + ".pdf", ("很长" * 200)[:251] + ".pdf"),
])
def test_file_names_keep_only_their_last_segment_and_printable_characters(given, expected):
    assert clean_file_name(given) == expected
