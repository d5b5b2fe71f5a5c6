"""What the service publishes: notices of every decision (templates ``ccc_exemption.<event>``) and events.

Enterprises hear of every decision in the inbox, by SMS and by e-mail (the organisation's members
holding the ``ccc_exemption`` scope); a bureau hears of what waits for it in the inbox of its
agency (``CIQ:<bureau>``), which identity resolves to its staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ccc_exemption.domain.reference import CIQ, SCOPE, SYSTEM
from services.chassis.messages import OutboundMessage, agency_recipient, domain_event, notification_request
from services.chassis.messages import organization_recipient as _organization

_APP = ("applicationNumber", "bureauName")
_CERT = ("certificateNumber", "bureauName")

# Template code -> the params it is sent with (for notify's template list and its coverage test).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "ccc_exemption.application.submitted": ("applicationNumber", "applicantName", "postLabel"),
    "ccc_exemption.application.accepted": _APP,
    "ccc_exemption.application.refused": (*_APP, "reason"),
    "ccc_exemption.application.returned": (*_APP, "postLabel", "reason"),
    "ccc_exemption.application.first_review_passed": _APP,
    "ccc_exemption.application.first_review_failed": (*_APP, "reason"),
    "ccc_exemption.application.paper_requested": (*_APP, "notice"),
    "ccc_exemption.application.comparison_passed": _APP,
    "ccc_exemption.application.comparison_failed": (*_APP, "reason"),
    "ccc_exemption.application.final_review_failed": (*_APP, "reason"),
    "ccc_exemption.application.terminated": (*_APP, "officer", "reason"),
    "ccc_exemption.certificate.issued": (*_CERT, "applicationNumber", "validUntil"),
    "ccc_exemption.modification.opened": (*_CERT, "note"),
    "ccc_exemption.modification.submitted": ("certificateNumber", "applicantName"),
    "ccc_exemption.modification.confirmed": (*_CERT, "version"),
    "ccc_exemption.modification.sent_back": (*_CERT, "reason"),
    "ccc_exemption.pre_write_off.submitted": ("certificateNumber", "applicantName", "portName"),
    "ccc_exemption.pre_write_off.confirmed": ("certificateNumber", "portName"),
    "ccc_exemption.write_off.recorded": ("certificateNumber", "portName", "officer"),
    "ccc_exemption.use_record.submitted": ("certificateNumber", "applicantName", "kind"),
    "ccc_exemption.use_record.approved": (*_CERT, "kind"),
    "ccc_exemption.use_record.rejected": (*_CERT, "kind", "opinion"),
}

def _checked(template: str, params: Mapping[str, Any]) -> dict[str, Any]:
    expected = TEMPLATES[template]
    if set(params) != set(expected):
        raise ValueError(f"{template} takes params {expected}, got {sorted(params)}")
    return dict(params)


def to_enterprise(template: str, organization_id: str, params: Mapping[str, Any]) -> OutboundMessage:
    """A decision, told to the enterprise in the inbox, by SMS and by e-mail."""
    return notification_request(system=SYSTEM, category="RECEIVED", template=template,
                                recipients=[_organization(organization_id, SCOPE)],
                                channels=("IN_SITE", "SMS", "EMAIL"), params=_checked(template, params))


def to_bureau(template: str, bureau_code: str, params: Mapping[str, Any]) -> OutboundMessage:
    """What now waits at a bureau, in its staff's inbox."""
    return notification_request(system=SYSTEM, category="RECEIVED", template=template,
                                recipients=[agency_recipient(f"{CIQ}:{bureau_code}")], channels=("IN_SITE",),
                                params=_checked(template, params))


def certificate_issued(certificate_id: str, number: str, application_id: str, bureau_code: str,
                       version: int) -> OutboundMessage:
    """Every issued version, for other systems (customs clearance) to follow."""
    return domain_event("ccc_exemption.certificate.issued",
                        {"certificateId": certificate_id, "number": number, "applicationId": application_id,
                         "bureauCode": bureau_code, "version": version})
