"""What the service publishes: notification requests (templates ``origin_cert.<event>``) and domain events.

Every decision reaches the enterprise in the notify inbox, by SMS and by e-mail (its members holding the
``origin_cert`` scope); what waits for CCPIT reaches the branch's staff (agency ``CCPIT:<branch>``) in the inbox.

Domain events on ``tongban.events``:

- ``origin_cert.certificate.issued``: ``{certificateId, number, certificateType, organizationId, branch}``;
- ``origin_cert.certificate.voided``: ``{certificateId, number, amendedById}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.chassis.messages import (
    OutboundMessage,
    agency_recipient,
    domain_event,
    notification_request,
    organization_recipient,
)
from services.origin_cert.domain.actors import SCOPE, SYSTEM, agency_of_branch

DECISION_CHANNELS = ("IN_SITE", "SMS", "EMAIL")
# Organisations per notification request when many are told one thing (a questionnaire, a tariff version).
BATCH = 100

# Template code -> the params it is sent with (notify's template list is checked against it).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "origin_cert.branch_migration.requested": ("organizationName", "fromBranch", "toBranch"),
    "origin_cert.branch_migration.approved": ("organizationName", "toBranch"),
    "origin_cert.branch_migration.rejected": ("organizationName", "toBranch", "reason"),
    "origin_cert.pre_review.submitted": ("organizationName", "number", "productName"),
    "origin_cert.pre_review.approved": ("number", "productName"),
    "origin_cert.pre_review.adjusted": ("number", "productName", "version"),
    "origin_cert.pre_review.rejected": ("number", "productName", "reason"),
    "origin_cert.pre_review.voided": ("number", "productName", "reason"),
    "origin_cert.tariff_version.reminder": ("version", "count", "products"),
    "origin_cert.certificate.submitted": ("organizationName", "certificateType", "invoiceNumber"),
    "origin_cert.certificate.approved": ("certificateType", "invoiceNumber", "number"),
    "origin_cert.certificate.rejected": ("certificateType", "invoiceNumber", "reason"),
    "origin_cert.certificate.voided": ("number", "reason"),
    "origin_cert.lost_reissue.requested": ("organizationName", "number"),
    "origin_cert.lost_reissue.approved": ("number",),
    "origin_cert.lost_reissue.rejected": ("number", "reason"),
    "origin_cert.verification.opened": ("number", "questions", "dueDate"),
    "origin_cert.verification.answered": ("organizationName", "number"),
    "origin_cert.verification.reopened": ("number", "note"),
    "origin_cert.verification.closed": ("number", "result", "conclusion"),
    "origin_cert.questionnaire.published": ("title",),
}


def _params(template: str, params: Mapping[str, Any]) -> dict[str, str]:
    wanted = TEMPLATES[template]
    if sorted(params) != sorted(wanted):
        raise ValueError(f"{template} is sent with {wanted}, not {sorted(params)}")
    return {key: "" if value is None else str(value) for key, value in params.items()}


def notice_to_organization(template: str, organization_ids: str | Iterable[str], params: Mapping[str, Any], *,
                           channels: Iterable[str] = DECISION_CHANNELS) -> list[OutboundMessage]:
    """A decision told to the enterprise(s), to their members acting in this system; batched for many."""
    ids = [organization_ids] if isinstance(organization_ids, str) else list(dict.fromkeys(organization_ids))
    sent = _params(template, params)
    return [notification_request(system=SYSTEM, category="RECEIVED", template=template, params=sent,
                                 recipients=[organization_recipient(i, SCOPE) for i in ids[start:start + BATCH]],
                                 channels=list(channels))
            for start in range(0, len(ids), BATCH)]


def notice_to_agencies(template: str, branches: Iterable[str], params: Mapping[str, Any]) -> OutboundMessage:
    """What waits for CCPIT, told to the staff of each branch in their inbox."""
    return notification_request(system=SYSTEM, category="RECEIVED", template=template, params=_params(template, params),
                                recipients=[agency_recipient(agency_of_branch(b)) for b in dict.fromkeys(branches)],
                                channels=["IN_SITE"])


def certificate_issued(certificate_id: str, number: str, certificate_type: str, organization_id: str,
                       branch: str) -> OutboundMessage:
    return domain_event("origin_cert.certificate.issued", {
        "certificateId": certificate_id, "number": number, "certificateType": certificate_type,
        "organizationId": organization_id, "branch": branch})


def certificate_voided(certificate_id: str, number: str, amended_by_id: str) -> OutboundMessage:
    return domain_event("origin_cert.certificate.voided",
                        {"certificateId": certificate_id, "number": number, "amendedById": amended_by_id})
