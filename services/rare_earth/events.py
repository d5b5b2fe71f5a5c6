"""What the service publishes: domain events and notification requests (templates ``rare_earth.<event>``).

Notices reach enterprises through the notify inbox (``system=rare_earth``), and staff through their
agency (``MIIT_RE_OFFICE``, ``RE_OPERATOR``, ``LOCAL_AUTHORITY:<region>``), which identity resolves to
its active staff accounts; category
``RECEIVED`` is 我收到的通知 (from the office, the operating body, a parent),
``SYSTEM`` is 系统通知 (automatic: dictionary changes, reporting windows).
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
from services.rare_earth.domain.agencies import SCOPE, SYSTEM

RECEIVED = "RECEIVED"
SYSTEM_NOTICE = "SYSTEM"
# Recipients per notification request when every enterprise is told something.
BROADCAST_BATCH = 100

# Template code -> the params it is sent with (for notify's template list).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "rare_earth.registration.approved": ("enterpriseName",),
    "rare_earth.registration.rejected": ("enterpriseName", "reason"),
    "rare_earth.affiliation.requested": ("enterpriseName", "parentName", "relation", "shareRatio"),
    "rare_earth.affiliation.updated": ("enterpriseName", "parentName", "relation", "shareRatio"),
    "rare_earth.affiliation.approved": ("enterpriseName", "parentName"),
    "rare_earth.affiliation.rejected": ("enterpriseName", "parentName", "reason"),
    "rare_earth.quota.allocated": ("enterpriseName", "allocatingUnit", "year", "batch", "kind", "quota"),
    "rare_earth.plan_confirmation.mismatch": ("enterpriseName", "year", "batch", "kind", "allocatedQuota",
                                              "confirmedQuota"),
    "rare_earth.dictionary.changed": ("dictionary", "action", "item"),
    # Params as notify's seeded template has them.
    "rare_earth.reporting_window.set": ("period", "reportType", "opensAt", "closesAt"),
    "rare_earth.ledger_override.requested": ("enterpriseName", "month", "kind"),
    "rare_earth.ledger_override.approved": ("enterpriseName", "month", "kind"),
    "rare_earth.ledger_override.rejected": ("enterpriseName", "month", "kind", "reason"),
    "rare_earth.case.assigned": ("caseNumber", "caseKind", "enterpriseName", "description"),
    "rare_earth.case.transferred": ("caseNumber", "caseKind", "enterpriseName", "fromBody", "opinion"),
    "rare_earth.case.closed": ("caseNumber", "caseKind", "enterpriseName", "opinion"),
}


def notice_to_organization(template: str, organization_id: str, params: Mapping[str, Any], *,
                           category: str = RECEIVED, channels: Iterable[str] = ("IN_SITE",)) -> OutboundMessage:
    _check(template, params)
    return notification_request(system=SYSTEM, category=category, template=template,
                                recipients=[organization_recipient(organization_id, SCOPE)],
                                channels=channels, params=params)


def notice_to_agencies(template: str, agencies: Iterable[str], params: Mapping[str, Any], *,
                       channels: Iterable[str] = ("IN_SITE",)) -> OutboundMessage:
    """A notice to the staff of each agency (a regulator's desk rather than an enterprise)."""
    _check(template, params)
    recipients = [agency_recipient(agency) for agency in dict.fromkeys(agencies)]
    if not recipients:
        raise ValueError(f"{template} needs at least one agency")
    return notification_request(system=SYSTEM, category=RECEIVED, template=template, recipients=recipients,
                                channels=channels, params=params)


def system_notice_to_all(template: str, organization_ids: list[str],
                         params: Mapping[str, Any]) -> list[OutboundMessage]:
    """One request per batch of enterprises: the audience is exactly the enterprises registered here."""
    _check(template, params)
    return [
        notification_request(system=SYSTEM, category=SYSTEM_NOTICE, template=template,
                             recipients=[organization_recipient(org, SCOPE)
                                         for org in organization_ids[start:start + BROADCAST_BATCH]],
                             channels=("IN_SITE",), params=params)
        for start in range(0, len(organization_ids), BROADCAST_BATCH)
    ]


def _check(template: str, params: Mapping[str, Any]) -> None:
    expected = TEMPLATES[template]
    if set(params) != set(expected):
        raise ValueError(f"{template} takes params {expected}, got {sorted(params)}")


def registration_approved(enterprise_id: str, organization_id: str, enterprise_type: str) -> OutboundMessage:
    return domain_event("rare_earth.registration.approved",
                        {"enterpriseId": enterprise_id, "organizationId": organization_id,
                         "enterpriseType": enterprise_type})


def affiliation_changed(affiliation_id: str, enterprise_id: str, parent_id: str | None, status: str,
                        parent_may_view_ledgers: bool) -> OutboundMessage:
    return domain_event("rare_earth.affiliation.changed",
                        {"affiliationId": affiliation_id, "enterpriseId": enterprise_id,
                         "parentEnterpriseId": parent_id or "", "status": status,
                         "parentMayViewLedgers": parent_may_view_ledgers})


def dictionary_changed(dictionary: str, action: str, item_id: str) -> OutboundMessage:
    return domain_event("rare_earth.dictionary.changed",
                        {"dictionary": dictionary, "action": action, "itemId": item_id})


def ledger_confirmed(enterprise_id: str, kind: str, year: int, month: int, row_count: int,
                     import_id: str) -> OutboundMessage:
    return domain_event("rare_earth.ledger.confirmed",
                        {"enterpriseId": enterprise_id, "kind": kind, "year": year, "month": month,
                         "rowCount": row_count, "importId": import_id})


def case_changed(case_id: str, number: str, kind: str, status: str, holder_type: str,
                 holder_enterprise_id: str | None, holder_region: str) -> OutboundMessage:
    """Every case change, whoever holds it; the holder's notice is a separate notification request."""
    return domain_event("rare_earth.case.changed",
                        {"caseId": case_id, "number": number, "kind": kind, "status": status,
                         "holderType": holder_type, "holderEnterpriseId": holder_enterprise_id or "",
                         "holderRegion": holder_region})
