"""Who acts in the certificate-of-origin system, from the verified token's claims.

- exporters: members of an organisation holding the ``origin_cert`` scope; OWNER and ADMIN manage (the manual
  reserves 企业信息管理 for the administrator), SIGNER (手签员) and AGENT members declare;
- CCPIT branch staff: agency ``CCPIT:<branch>``, roles PRE_REVIEWER (产品预审) and VISA_OFFICER (签证) in their
  token; the head office (``CCPIT:HQ``) sees every branch and keeps the reference data;
- customs users: agency ``CUSTOMS:<code>``, who check certificates with more fields;
- the public, who check a certificate by its number and check code.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.registry import spec

SYSTEM = "origin_cert"
SCOPE = spec(SYSTEM).scope or SYSTEM
CCPIT = "CCPIT"
CUSTOMS = "CUSTOMS"
HEAD_OFFICE = "HQ"
PRE_REVIEWER, VISA_OFFICER = "PRE_REVIEWER", "VISA_OFFICER"
OWNER, ADMIN, SIGNER, AGENT = "OWNER", "ADMIN", "SIGNER", "AGENT"
MANAGERS = (OWNER, ADMIN)
DECLARANTS = (OWNER, ADMIN, SIGNER, AGENT)


def agency_kind(agency: str | None) -> str:
    return (agency or "").split(":", 1)[0]


def branch_of(agency: str | None) -> str | None:
    """``CCPIT:SHANGHAI`` -> ``SHANGHAI``; None for any other agency."""
    kind, _, branch = (agency or "").partition(":")
    return branch or None if kind == CCPIT else None


@dataclass(frozen=True)
class Exporter:
    """An enterprise member acting for its organisation."""

    organization_id: str
    account_id: str
    role: str
    name: str

    @property
    def manages(self) -> bool:
        return self.role in MANAGERS


@dataclass(frozen=True)
class Officer:
    """A CCPIT staff member of one branch (or the head office)."""

    account_id: str
    branch: str
    roles: frozenset[str]
    name: str

    @property
    def head_office(self) -> bool:
        return self.branch == HEAD_OFFICE

    def covers(self, branch: str) -> bool:
        """Whether records filed with ``branch`` are this officer's to see and decide."""
        return self.head_office or self.branch == branch

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def agency(self) -> str:
        return f"{CCPIT}:{self.branch}"


def agency_of_branch(branch: str) -> str:
    return f"{CCPIT}:{branch}"
