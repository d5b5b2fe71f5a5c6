"""The inspection service as the registry knows it: its notice system, its scope and the customs agency.

Every name here is looked up in the registry, so a service or agency the registry lacks fails at import.
"""

from __future__ import annotations

from services.chassis import registry

SERVICE = registry.spec("inspection")
# The system a notice belongs to, and the scope every caller's token carries to act here.
SYSTEM = SERVICE.name
SCOPE = SERVICE.scope or ""
CUSTOMS = next(agency.kind for agency in SERVICE.agencies if agency.kind == "CUSTOMS")
# Identity's organisation kinds: overseas institutions register FOREIGN organisations, consignees DOMESTIC.
FOREIGN = "FOREIGN"
STAFF = "STAFF"


def is_customs_agency(agency: str | None) -> bool:
    """``CUSTOMS:<code>``, a customs office (海关) as the registry writes it."""
    return bool(agency) and agency.split(":", 1)[0] == CUSTOMS and bool(registry.AGENCY_NAME.fullmatch(agency))
