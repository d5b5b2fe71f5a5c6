"""What the service publishes: notification requests (templates ``inspection.<event>``).

Institutions and enterprises hear by in-site message, SMS and e-mail (the OWNER of the
organisation and its members holding the ``inspection`` scope, as identity resolves them);
customs offices hear in their staff's inbox (``CUSTOMS:<code>``). Category ``RECEIVED`` is a
notice addressed to the reader (我收到的通知).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.chassis.messages import (
    OutboundMessage,
    agency_recipient,
    notification_request,
    organization_recipient,
)
from services.inspection.domain.actors import SCOPE, SYSTEM

RECEIVED = "RECEIVED"
MEMBER_CHANNELS = ("IN_SITE", "SMS", "EMAIL")
STAFF_CHANNELS = ("IN_SITE",)

# Template code -> the params it is sent with (for notify's template list and its coverage test).
TEMPLATES: dict[str, tuple[str, ...]] = {
    # To the institution.
    "inspection.filing.accepted": ("institutionName", "applicationNumber", "certificateNumber"),
    "inspection.filing.not_accepted": ("institutionName", "applicationNumber", "reason"),
    "inspection.filing.supplement_required": ("institutionName", "applicationNumber", "notice"),
    "inspection.filing_change.approved": ("institutionName", "certificateNumber"),
    "inspection.filing_change.rejected": ("institutionName", "certificateNumber", "reason"),
    "inspection.commission.received": ("institutionName", "commissionNumber", "enterpriseName"),
    "inspection.quality_issue.raised": ("institutionName", "issueNumber", "title"),
    "inspection.check.requested": ("institutionName", "checkNumber", "title", "requirements"),
    "inspection.check.recorded": ("institutionName", "checkNumber", "title", "result", "opinion"),
    "inspection.check.supplement_required": ("institutionName", "checkNumber", "checkKind", "title", "opinion"),
    "inspection.check.passed": ("institutionName", "checkNumber", "checkKind", "title"),
    "inspection.disposal.imposed": ("institutionName", "disposalNumber", "disposalKind", "period", "reason"),
    "inspection.disposal.supplement_required": ("institutionName", "disposalNumber", "opinion"),
    "inspection.disposal.lifted": ("institutionName", "disposalNumber", "disposalKind"),
    "inspection.disposal.ended": ("institutionName", "disposalNumber", "disposalKind", "endsOn"),
    "inspection.annual_report.opened": ("institutionName", "reportNumber", "year", "dueOn"),
    # To the enterprise.
    "inspection.commission.accepted": ("enterpriseName", "commissionNumber", "institutionName"),
    "inspection.commission.returned": ("enterpriseName", "commissionNumber", "institutionName", "reason"),
    "inspection.commission.completed": ("enterpriseName", "commissionNumber", "institutionName",
                                        "certificateNumber", "validUntil"),
    # To customs.
    "inspection.filing.submitted": ("institutionName", "applicationNumber"),
    "inspection.filing_change.submitted": ("institutionName", "certificateNumber"),
    "inspection.quality_issue.replied": ("institutionName", "issueNumber"),
    "inspection.check.submitted": ("institutionName", "checkNumber"),
    "inspection.disposal.materials_submitted": ("institutionName", "disposalNumber"),
    "inspection.annual_report.submitted": ("institutionName", "reportNumber", "year"),
}


def notice_to_organization(template: str, organization_id: str, params: Mapping[str, Any]) -> OutboundMessage:
    """A notice to an institution or an enterprise: in the inbox, by SMS and by e-mail."""
    _check(template, params)
    return notification_request(system=SYSTEM, category=RECEIVED, template=template,
                                recipients=[organization_recipient(organization_id, SCOPE)],
                                channels=MEMBER_CHANNELS, params=params)


def notice_to_agencies(template: str, agencies: Iterable[str], params: Mapping[str, Any]) -> OutboundMessage:
    """A notice to the staff of a customs office, in their inbox."""
    _check(template, params)
    recipients = [agency_recipient(agency) for agency in dict.fromkeys(agencies) if agency]
    if not recipients:
        raise ValueError(f"{template} needs at least one agency")
    return notification_request(system=SYSTEM, category=RECEIVED, template=template, recipients=recipients,
                                channels=STAFF_CHANNELS, params=params)


def _check(template: str, params: Mapping[str, Any]) -> None:
    expected = TEMPLATES[template]
    if set(params) != set(expected):
        raise ValueError(f"{template} takes params {expected}, got {sorted(params)}")
