"""Supporting documents (佐证资料) of pre-reviews, certificates and verifications, through the chassis attachments.

Who may touch a record's files is the record's own rule: its enterprise changes them while the record is
editable, and the enterprise and CCPIT staff of its branch read them; anyone else gets a 404.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.chassis.documents.attachments import AttachmentRules
from services.chassis.documents.content import JPEG, MB, PDF, PNG, AttachmentKind, AttachmentKinds
from services.chassis.errors import FailedPrecondition
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import Officer
from services.origin_cert.handlers import certificates, pre_reviews
from services.origin_cert.handlers.common import exporter, exporter_or_officer

_IMAGES = frozenset({JPEG, PNG})


def _pre_review_access(session: Session, record_id: str, *, change: bool) -> None:
    viewer = exporter() if change else exporter_or_officer()
    found = pre_reviews.load(session, viewer, record_id)
    if change and (isinstance(viewer, Officer) or found.status not in states.EDITABLE_PRE_REVIEW):
        raise FailedPrecondition("已提交的产品预审不能再修改佐证资料", reason="RECORD_NOT_EDITABLE")


PRE_REVIEW_DOCUMENTS = AttachmentRules("pre_review", AttachmentKinds.of([
    AttachmentKind("INVOICE", "发票"), AttachmentKind("BOM", "物料清单及成本明细"),
    AttachmentKind("PROCESS", "生产工艺说明"), AttachmentKind("PURCHASE", "原材料采购凭证"),
    AttachmentKind("OTHER", "其他佐证资料")]), _pre_review_access)

CERTIFICATE_KIND = AttachmentKind("CERTIFICATE", "原产地证书", max_bytes=16 * MB, types=frozenset({PDF}))
MARKS_KIND = AttachmentKind("MARKS", "图片唛头", max_bytes=2 * MB, types=_IMAGES)


def _certificate_access(session: Session, record_id: str, *, change: bool) -> None:
    viewer = exporter() if change else exporter_or_officer()
    found = certificates.load(session, viewer, record_id)
    if change and found.status not in states.EDITABLE_CERTIFICATE:
        raise FailedPrecondition("已发送的证书不能再修改佐证资料", reason="RECORD_NOT_EDITABLE")


CERTIFICATE_DOCUMENTS = AttachmentRules("certificate", AttachmentKinds.of([
    AttachmentKind("INVOICE", "商业发票"), AttachmentKind("CONTRACT", "合同"),
    AttachmentKind("BILL_OF_LADING", "提/运单"), AttachmentKind("PACKING_LIST", "装箱单"), MARKS_KIND,
    AttachmentKind("OTHER", "其他佐证资料")]), _certificate_access)
# What the system itself keeps on a certificate: the signed original and the copy printed after a lost-reissue.
ISSUED_KINDS = (CERTIFICATE_KIND.code, "COPY")
