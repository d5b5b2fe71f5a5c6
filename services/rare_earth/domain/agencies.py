"""The rare_earth service as the registry knows it: its notice system, its scope and its staff agencies.

Every name here is looked up in the registry, so a service or agency the registry lacks fails at import.
"""

from __future__ import annotations

from services.chassis import registry

SERVICE = registry.spec("rare_earth")
# The system a notice belongs to, and the scope an enterprise's token carries to act here.
SYSTEM = SERVICE.name
SCOPE = SERVICE.scope or ""


def _agency(kind: str) -> str:
    if not any(agency.kind == kind for agency in SERVICE.agencies):
        raise LookupError(f"the registry names no {kind} agency for {SERVICE.name}")
    return kind


# 稀土办: issues plans, sets reporting windows, edits the dictionary, reviews overrides.
OFFICE = _agency("MIIT_RE_OFFICE")
# 运营机构: reviews registrations and takes the cases transferred to it.
OPERATOR = _agency("RE_OPERATOR")
# 地方主管部门: ``LOCAL_AUTHORITY:<region code>``, sees the enterprises of its region.
LOCAL_AUTHORITY = _agency("LOCAL_AUTHORITY")


def local_authority(region: str) -> str:
    """The agency of the local authority of ``region`` (``LOCAL_AUTHORITY:360700``)."""
    return f"{LOCAL_AUTHORITY}:{region}"


def region_of(agency: str) -> str | None:
    """The region of a local authority agency, None for any other agency."""
    kind, _, region = agency.partition(":")
    return region if kind == LOCAL_AUTHORITY and region and registry.AGENCY_NAME.fullmatch(agency) else None
