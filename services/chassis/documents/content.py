"""What an upload is, judged by its bytes and never by its name, and whether its kind accepts it.

A renamed ``.exe`` is still an executable; a ``.docx`` is a ZIP with ``word/document.xml``
inside. Every refusal is a 400 naming the field the file came in, with a sentence a
person can act on.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from services.chassis.errors import FieldViolation, InvalidArgument

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# What each accepted type is called to a person, and the extension a download gets.
TYPE_LABELS: Mapping[str, str] = {PDF: "PDF", JPEG: "JPEG 图片", PNG: "PNG 图片", XLSX: "Excel (.xlsx)",
                                  DOCX: "Word (.docx)"}
EXTENSIONS: Mapping[str, str] = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", XLSX: ".xlsx", DOCX: ".docx"}
DOCUMENT_TYPES: frozenset[str] = frozenset(TYPE_LABELS)

MB = 1024 * 1024
MAX_FILE_NAME = 255

# Signatures of what is never accepted, named so the refusal says what the file really is.
_REFUSED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行文件"),
    (b"\x7fELF", "可执行文件"),
    (b"\xcf\xfa\xed\xfe", "可执行文件"),
    (b"#!", "脚本文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc/.xls）"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
)


def detect_content_type(data: bytes) -> str | None:
    """The MIME type of an accepted document, from its bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return None


def _office_type(data: bytes) -> str | None:
    """An Office Open XML package is a ZIP whose parts say which application it belongs to."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "xl/workbook.xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    return None


def describe_unaccepted(data: bytes) -> str:
    """What a refused file seems to be, for the refusal message."""
    for signature, label in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            return label
    if data.startswith(b"PK\x03\x04"):
        return "ZIP 压缩包"
    return "无法识别的文件"


def clean_file_name(name: str, fallback: str = "附件") -> str:
    """The last path segment of a client's file name, without control characters, at most 255 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    name = name.strip(". ") or fallback
    if len(name) > MAX_FILE_NAME:
        _stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = name[:MAX_FILE_NAME - len(keep) - 1] + ("." + keep if keep else "")
    return name


def size_text(size: int) -> str:
    return f"{size // MB} MB" if size % MB == 0 else f"{size / MB:.1f} MB"


@dataclass(frozen=True)
class AttachmentKind:
    """A kind of attachment a record takes (合同, 发票, 提/运单...): its size limit and the types it accepts."""

    code: str
    label: str
    max_bytes: int = 5 * MB
    types: frozenset[str] = DOCUMENT_TYPES


@dataclass(frozen=True)
class AttachmentKinds:
    """The kinds one record type accepts, by code."""

    kinds: Mapping[str, AttachmentKind] = field(default_factory=dict)

    @classmethod
    def of(cls, kinds: Iterable[AttachmentKind]) -> AttachmentKinds:
        return cls({kind.code: kind for kind in kinds})

    def get(self, code: str, field_name: str = "kind") -> AttachmentKind:
        kind = self.kinds.get(code)
        if kind is None:
            choices = "、".join(f"{k.code}（{k.label}）" for k in self.kinds.values())
            raise InvalidArgument.for_field(field_name, f"附件类型无效，可选：{choices}")
        return kind


@dataclass(frozen=True)
class Upload:
    """A file as received: the client's name and declared type (both advisory) and its bytes.

    ``field`` is the JSON path it came in (``file``, ``evidence[2]``), named by every refusal.
    """

    file_name: str
    content: bytes
    declared_type: str = ""
    field: str = "file"


@dataclass(frozen=True)
class CheckedFile:
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    content: bytes


def check_upload(upload: Upload, kind: AttachmentKind) -> CheckedFile:
    """The upload if its kind takes it: not empty, within the kind's limit, of an accepted type by content."""
    data = upload.content
    if not data:
        raise _refused(upload.field, f"{kind.label}文件为空，请重新选择文件", "ATTACHMENT_EMPTY")
    if len(data) > kind.max_bytes:
        raise _refused(upload.field,
                       f"{kind.label}文件大小 {size_text(len(data))}，超过 {size_text(kind.max_bytes)} 的上限",
                       "ATTACHMENT_TOO_LARGE", maxBytes=str(kind.max_bytes))
    detected = detect_content_type(data)
    if detected is None or detected not in kind.types:
        what = TYPE_LABELS.get(detected, "") if detected else describe_unaccepted(data)
        accepted = "、".join(TYPE_LABELS[t] for t in sorted(kind.types, key=list(TYPE_LABELS).index))
        raise _refused(upload.field, f"{kind.label}不接受{what}，请上传 {accepted}", "ATTACHMENT_TYPE_REFUSED")
    if detected in (JPEG, PNG) and not _image_reads(data):
        # Drawn later on a certificate (an image shipping mark): a broken one must be refused now, not then.
        raise _refused(upload.field, f"{kind.label}图片无法读取，文件可能已损坏，请重新上传", "ATTACHMENT_UNREADABLE")
    return CheckedFile(file_name=clean_file_name(upload.file_name, kind.label + EXTENSIONS[detected]),
                       content_type=detected, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                       content=data)


def _image_reads(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


def _refused(field_name: str, message: str, reason: str, **metadata: str) -> InvalidArgument:
    return InvalidArgument(message, [FieldViolation(field_name, message)], reason=reason,
                           metadata={"field": field_name, **metadata})
