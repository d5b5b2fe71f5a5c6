"""Reference and demo data (``seed-reference``) and full tariff schedules (``import-tariffs FILE.csv``).

``seed-reference`` is idempotent: it adds what is missing and leaves what is there (the head office's edits of an
agreement survive a re-run). ``import-tariffs`` loads a schedule in the sample's CSV columns
(``importing_country,agreement,hs_code,rate,year``), replacing the lines it names, all or nothing.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import delete, select, tuple_

from services.chassis.db import insert_ignoring_duplicates
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain.tariffs import MFN
from services.origin_cert.domain.values import country_problem
from services.origin_cert.models import Agreement, AgreementMember, Branch, Country, HsItem, TariffRate
from services.origin_cert.reference import AGREEMENTS, BRANCHES, COUNTRIES

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_TARIFFS = DATA / "sample_tariffs.csv"
HS_ITEMS = DATA / "hs_items.csv"
TARIFF_COLUMNS = ("importing_country", "agreement", "hs_code", "rate", "year")


@dataclass(frozen=True)
class Loaded:
    branches: int
    countries: int
    agreements: int
    hs_items: int
    tariff_lines: int


def _agreement_rows() -> tuple[list[dict], list[dict]]:
    agreements, members = [], []
    for position, (code, entry) in enumerate(AGREEMENTS.items()):
        name, name_en, prefix, countries, criteria, threshold, basis, ctc, digits, ecfa = entry
        agreements.append({"code": code, "name": name, "name_en": name_en, "preferential": code != "GENERAL",
                           "number_prefix": prefix, "criteria": criteria, "rvc_threshold": Decimal(threshold),
                           "value_basis": basis, "ctc_digits": ctc, "hs_digits": digits, "needs_ecfa_code": ecfa,
                           "position": position})
        members += [{"agreement_code": code, "country_code": country} for country in countries]
    return agreements, members


def read_tariffs(text: str) -> tuple[list[dict], list[str]]:
    """The schedule lines of a CSV text, and every problem found (with its line number)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in TARIFF_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [f"missing columns: {', '.join(missing)}"]
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        country, agreement = (raw["importing_country"] or "").strip().upper(), (raw["agreement"] or "").strip()
        code = (raw["hs_code"] or "").strip()
        try:
            rate, year = Decimal(raw["rate"].strip()), int(raw["year"])
        except (InvalidOperation, ValueError, AttributeError):
            problems.append(f"line {line}: rate must be a decimal and year a whole number")
            continue
        if country_problem(country) or not agreement or not code.isdigit() or not 4 <= len(code) <= 10 or rate < 0:
            problems.append(f"line {line}: bad country, agreement, HS code (4-10 digits) or negative rate")
            continue
        rows.append({"importing_country": country, "agreement": agreement, "hs_code": code, "rate": rate,
                     "rate_text": f"{rate.normalize():f}%", "year": year})
    return rows, problems


def _hs_items() -> list[dict]:
    with HS_ITEMS.open(encoding="utf-8") as source:
        return [dict(row) for row in csv.DictReader(source)]


def seed_reference(context: OriginCertContext) -> Loaded:
    agreements, members = _agreement_rows()
    tariffs, problems = read_tariffs(SAMPLE_TARIFFS.read_text(encoding="utf-8"))
    if problems:
        raise ValueError(f"the shipped sample schedule is broken: {problems}")
    with context.unit_of_work() as uow:
        session = uow.session
        new = (
            insert_ignoring_duplicates(session, Branch.__table__, [
                {"code": c, "name": n, "name_en": e, "serial_code": s, "position": i}
                for i, (c, n, e, s) in enumerate(BRANCHES)], returning=Branch.code),
            insert_ignoring_duplicates(session, Country.__table__, [
                {"code": c, "name": n, "name_en": e} for c, n, e in COUNTRIES], returning=Country.code),
            insert_ignoring_duplicates(session, Agreement.__table__, agreements, returning=Agreement.code),
            insert_ignoring_duplicates(session, HsItem.__table__, _hs_items(), returning=HsItem.code),
            insert_ignoring_duplicates(session, TariffRate.__table__, tariffs, returning=TariffRate.hs_code),
        )
        # Members only of agreements this run created: an edited agreement keeps its own.
        created = set(new[2])
        insert_ignoring_duplicates(session, AgreementMember.__table__,
                                   [m for m in members if m["agreement_code"] in created])
        uow.commit()
    return Loaded(*(len(rows) for rows in new))


def import_tariffs(context: OriginCertContext, rows: Sequence[dict]) -> int:
    """Replace the schedule lines named by ``rows`` (country, agreement, HS code); answers how many."""
    known = {MFN}
    with context.unit_of_work() as uow:
        session = uow.session
        known |= set(session.scalars(select(Agreement.code)))
        unknown = sorted({r["agreement"] for r in rows} - known)
        if unknown:
            raise ValueError(f"unknown agreements: {', '.join(unknown)}")
        keys = [(r["importing_country"], r["agreement"], r["hs_code"]) for r in rows]
        for start in range(0, len(keys), 500):
            session.execute(delete(TariffRate).where(tuple_(
                TariffRate.importing_country, TariffRate.agreement, TariffRate.hs_code).in_(keys[start:start + 500])))
        session.execute(TariffRate.__table__.insert(), list(rows))
        uow.commit()
    return len(rows)


def seed_reference_command(context: OriginCertContext, _argv: Sequence[str]) -> int:
    loaded = seed_reference(context)
    print(f"origin_cert reference data: {loaded.branches} branches, {loaded.countries} countries, "
          f"{loaded.agreements} certificate types, {loaded.hs_items} HS items, {loaded.tariff_lines} sample tariff "
          "lines added (sample schedules; `import-tariffs FILE.csv` loads full ones)")
    return 0


def import_tariffs_command(context: OriginCertContext, argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m services.origin_cert import-tariffs FILE.csv "
              f"(columns: {','.join(TARIFF_COLUMNS)})", file=sys.stderr)
        return 2
    rows, problems = read_tariffs(Path(argv[0]).read_text(encoding="utf-8-sig"))
    if problems:
        print("import-tariffs: nothing imported:\n  " + "\n  ".join(problems[:50]), file=sys.stderr)
        return 1
    try:
        count = import_tariffs(context, rows)
    except ValueError as error:
        print(f"import-tariffs: nothing imported: {error}", file=sys.stderr)
        return 1
    print(f"imported {count} tariff lines")
    return 0


def rows_of(lines: Iterable[Sequence[str]]) -> str:
    """CSV text of the given lines under the schedule's header (for tests and tools)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TARIFF_COLUMNS)
    writer.writerows(lines)
    return out.getvalue()
