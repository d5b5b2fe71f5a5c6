"""Who may touch an application's attachments: the chassis attachment use cases under this rule."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.ccc_exemption.domain.reference import APPLICATION_ATTACHMENTS
from services.ccc_exemption.handlers.access import load_application, require_viewer
from services.ccc_exemption.handlers.applications import RECORD_TYPE, require_editable
from services.chassis.documents.attachments import AttachmentRules


def application_access(session: Session, record_id: str, *, change: bool) -> None:
    """Seen by whoever sees the application (a 404 otherwise); changed only while the caller may edit it."""
    viewer = require_viewer()
    application = load_application(session, viewer, record_id)
    if change:
        require_editable(viewer, application)


APPLICATION_RULES = AttachmentRules(RECORD_TYPE, APPLICATION_ATTACHMENTS, application_access)
