"""Attachments of the service's records, on the chassis attachment store: commission documents and
inspection results, filing materials, and the materials of quality replies, checks and rectification.

Who may add or remove which kind, and when, is each record's own rule (a :class:`Holder`): the
enterprise its commission documents while it edits, the institution its results while it inspects.
Anyone who may see the record may list and download its attachments; others get a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.chassis.db import aware
from services.chassis.documents.attachments import Download, attachment_not_found
from services.chassis.documents.content import AttachmentKinds, Upload, check_upload
from services.chassis.documents.store import StoredAttachment
from services.chassis.uow import UnitOfWork
from services.inspection.config import InspectionContext
from services.inspection.handlers.access import Viewer, require_viewer


@dataclass(frozen=True)
class Holder:
    """A record type that holds attachments, and its rules."""

    record_type: str
    kinds: AttachmentKinds
    # The record if the viewer may see it (a 404 otherwise); locked when ``lock``.
    find: Callable[[Session, Viewer, str, bool], Any]
    # Raises unless the viewer may add or remove an attachment of ``kind`` to the record now.
    may_change: Callable[[Viewer, Any, str], None]


def store_upload(context: InspectionContext, uow: UnitOfWork, holder: Holder, viewer: Viewer, record_id: str,
                 kind: str, upload: Upload) -> StoredAttachment:
    """Keep a checked file in the caller's unit of work (a use case that takes a file with its action)."""
    checked = check_upload(upload, holder.kinds.get(kind))
    return context.providers.store.add(uow.session, record_type=holder.record_type, record_id=record_id,
                                             kind=kind, file=checked, uploaded_by=viewer.account_id,
                                             organization_id=viewer.organization_id or None)


def upload(context: InspectionContext, holder: Holder, record_id: str, kind: str, file: Upload) -> StoredAttachment:
    viewer = require_viewer()
    holder.kinds.get(kind)
    with context.unit_of_work() as uow:
        record = holder.find(uow.session, viewer, record_id, True)
        holder.may_change(viewer, record, kind)
        stored = store_upload(context, uow, holder, viewer, record_id, kind, file)
        uow.commit()
    return stored


def attachments(context: InspectionContext, holder: Holder, record_id: str, kind: str = "") -> list[StoredAttachment]:
    viewer = require_viewer()
    if kind:
        holder.kinds.get(kind)
    with context.unit_of_work(read_only=True) as uow:
        holder.find(uow.session, viewer, record_id, False)
        return context.providers.store.list(uow.session, holder.record_type, record_id, kind or None)


def download(context: InspectionContext, holder: Holder, record_id: str, attachment_id: str) -> Download:
    viewer = require_viewer()
    store = context.providers.store
    with context.unit_of_work(read_only=True) as uow:
        holder.find(uow.session, viewer, record_id, False)
        found = store.find(uow.session, holder.record_type, record_id, attachment_id)
        if found is None:
            raise attachment_not_found("attachmentId")
        return Download(found, store.content(uow.session, found))


def remove(context: InspectionContext, holder: Holder, record_id: str, attachment_id: str) -> StoredAttachment:
    viewer = require_viewer()
    store = context.providers.store
    with context.unit_of_work() as uow:
        record = holder.find(uow.session, viewer, record_id, True)
        found = store.find(uow.session, holder.record_type, record_id, attachment_id)
        if found is None:
            raise attachment_not_found("attachmentId")
        holder.may_change(viewer, record, found.kind)
        store.remove(uow.session, found)
        uow.commit()
    return found


def count(context: InspectionContext, session: Session, holder: Holder, record_id: str, kinds: tuple[str, ...]) -> int:
    """How many of the record's attachments are of ``kinds`` (what an action may require first)."""
    return sum(1 for a in context.providers.store.list(session, holder.record_type, record_id)
               if a.kind in kinds)


def uploaded_since(context: InspectionContext, session: Session, holder: Holder, record_id: str, kind: str,
                   since: datetime) -> int:
    """How many attachments of ``kind`` came after ``since``: what a repeated submission must bring anew."""
    found = context.providers.store.list(session, holder.record_type, record_id, kind)
    return sum(1 for a in found if aware(a.uploaded_at) >= aware(since))
