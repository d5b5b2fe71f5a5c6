"""Reference and demo data, both idempotent: what is already there (by list and code, HS code and name,
title, application number) is left as it is, so customs' edits survive a re-run.

- ``seed-reference``: the dropdown lists (customs offices, destinations, usages, currencies, countries),
  which every deployment needs;
- ``seed-demo``: example business rules and regulations and two filed institutions, so the public
  queries answer something on a fresh stack; in production the official catalogues replace them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from services.chassis.db import insert_ignoring_duplicates, new_id, utcnow
from services.inspection.config import InspectionContext
from services.inspection.domain.states import ACCEPTED, DRAFT, FILING, SUBMITTED
from services.inspection.models import BusinessRule, Filing, ReferenceItem, Regulation
from services.inspection.seed_data import (
    COUNTRIES,
    CURRENCIES,
    CUSTOMS_OFFICES,
    DEMO_INSTITUTIONS,
    DESTINATIONS,
    REGULATIONS,
    RULES,
    USAGES,
)

log = logging.getLogger(__name__)

LISTS = {"CUSTOMS": CUSTOMS_OFFICES, "DESTINATION": DESTINATIONS, "USAGE": USAGES, "CURRENCY": CURRENCIES,
         "COUNTRY": COUNTRIES}


def seed_lists(context: InspectionContext) -> int:
    """The dropdown entries that are missing; answers how many were added."""
    with context.unit_of_work() as uow:
        rows = [{"id": new_id(), "list_code": list_code, "code": code, "name": name, "sort_order": order}
                for list_code, entries in LISTS.items() for order, (code, name) in enumerate(entries)]
        items = insert_ignoring_duplicates(uow.session, ReferenceItem.__table__, rows, returning=ReferenceItem.id)
        uow.commit()
    return len(items)


def seed_examples(context: InspectionContext) -> dict[str, int]:
    """The demo rules, regulations and filed institutions that are missing; answers how many of each."""
    with context.unit_of_work() as uow:
        session = uow.session
        rule_keys = select(BusinessRule.hs_code, BusinessRule.product_name)
        known_rules = {(hs, name) for hs, name in session.execute(rule_keys)}
        rules = [BusinessRule(hs_code=hs, product_name=name, category=category, requirement=requirement, basis=basis,
                              remarks="", created_at=utcnow(), updated_at=utcnow())
                 for hs, name, category, requirement, basis in RULES if (hs, name) not in known_rules]
        known_titles = set(session.scalars(select(Regulation.title)))
        regulations = [Regulation(title=title, kind=kind, document_number=number, issuer=issuer,
                                  published_on=date.fromisoformat(published), summary=summary, link="",
                                  created_at=utcnow(), updated_at=utcnow())
                       for title, kind, number, issuer, published, summary in REGULATIONS
                       if title not in known_titles]
        known_filings = set(session.scalars(select(Filing.application_number)))
        filings = [_demo_filing(*demo) for demo in DEMO_INSTITUTIONS if demo[0] not in known_filings]
        session.add_all([*rules, *regulations, *filings])
        uow.commit()
    return {"business rules": len(rules), "regulations": len(regulations), "filed institutions": len(filings)}


def _demo_filing(application_number: str, certificate_number: str, name: str, country: str, address: str,
                 contact: str, phone: str, email: str) -> Filing:
    now = utcnow()
    organization_id = f"demo-{application_number.lower()}"
    filing = Filing(application_number=application_number, organization_id=organization_id,
                    live_organization_id=organization_id,
                    status=DRAFT, certificate_number=certificate_number, name=name, country=country,
                    address=address, legal_representative=contact, contact_name=contact, phone=phone, email=email,
                    id_type="PASSPORT", id_number="C01X00T47", created_by="seed", created_at=now, updated_at=now,
                    submitted_at=now, reviewed_at=now, accepted_at=now)
    # As if applied for and accepted: the filing machine walks it there.
    FILING.move(filing, SUBMITTED)
    FILING.move(filing, ACCEPTED)
    return filing


def seed_reference(context: InspectionContext) -> None:
    """Both, as a fresh development stack has them."""
    seed_lists(context)
    seed_examples(context)


def seed_reference_command(context: InspectionContext, _argv: Sequence[str]) -> int:
    log.info("inspection reference lists: %d entries added", seed_lists(context))
    return 0


def seed_demo_command(context: InspectionContext, _argv: Sequence[str]) -> int:
    added = seed_examples(context)
    log.info("inspection demo data added: %s", ", ".join(f"{count} {what}" for what, count in added.items()))
    return 0
