"""Attachments as use cases: upload, list, download, delete; one unit of work each.

Who may see or change a record's attachments is the owning service's rule, given as
:class:`RecordAccess`: it raises ``NotFound`` for a record the caller may not see (so an
attachment of another organisation's record is a 404 like a missing one) and
``FailedPrecondition`` when the record no longer takes changes (submitted, issued).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from services.chassis.auth import current_caller
from services.chassis.context import ServiceContext
from services.chassis.documents.content import AttachmentKinds, Upload, check_upload
from services.chassis.documents.store import AttachmentStore, StoredAttachment
from services.chassis.errors import NotFound


class RecordAccess(Protocol):
    def __call__(self, session: Session, record_id: str, *, change: bool) -> Any:
        """Raise unless the current caller may see (``change=False``) or change the record's attachments."""


@dataclass(frozen=True)
class AttachmentRules:
    """One record type's attachments: what it is called, which kinds it takes, who may touch them."""

    record_type: str
    kinds: AttachmentKinds
    access: RecordAccess
    # The request field that names an attachment, for the 404 of one the caller cannot see.
    attachment_field: str = "attachmentId"


@dataclass(frozen=True)
class Download:
    attachment: StoredAttachment
    content: bytes


def attachment_not_found(field_name: str) -> NotFound:
    return NotFound("附件不存在或无权查看", reason="ATTACHMENT_NOT_FOUND", metadata={"field": field_name})


def upload_attachment(context: ServiceContext, store: AttachmentStore, rules: AttachmentRules, record_id: str,
                      kind: str, upload: Upload) -> StoredAttachment:
    """Keep a checked file as an attachment of the record; answers what was stored."""
    checked = check_upload(upload, rules.kinds.get(kind))
    caller = current_caller()
    with context.unit_of_work() as uow:
        rules.access(uow.session, record_id, change=True)
        stored = store.add(uow.session, record_type=rules.record_type, record_id=record_id, kind=kind, file=checked,
                           uploaded_by=caller.account_id, organization_id=caller.organization_id)
        uow.commit()
    return stored


def list_attachments(context: ServiceContext, store: AttachmentStore, rules: AttachmentRules, record_id: str,
                     kind: str | None = None) -> list[StoredAttachment]:
    if kind:
        rules.kinds.get(kind)
    with context.unit_of_work(read_only=True) as uow:
        rules.access(uow.session, record_id, change=False)
        return store.list(uow.session, rules.record_type, record_id, kind)


def download_attachment(context: ServiceContext, store: AttachmentStore, rules: AttachmentRules, record_id: str,
                        attachment_id: str) -> Download:
    with context.unit_of_work(read_only=True) as uow:
        rules.access(uow.session, record_id, change=False)
        attachment = store.find(uow.session, rules.record_type, record_id, attachment_id)
        if attachment is None:
            raise attachment_not_found(rules.attachment_field)
        return Download(attachment, store.content(uow.session, attachment))


def delete_attachment(context: ServiceContext, store: AttachmentStore, rules: AttachmentRules, record_id: str,
                      attachment_id: str) -> StoredAttachment:
    """Remove an attachment; answers it as it was."""
    with context.unit_of_work() as uow:
        rules.access(uow.session, record_id, change=True)
        attachment = store.find(uow.session, rules.record_type, record_id, attachment_id)
        if attachment is None:
            raise attachment_not_found(rules.attachment_field)
        store.remove(uow.session, attachment)
        uow.commit()
    return attachment
