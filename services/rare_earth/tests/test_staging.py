"""Reading an upload into the staging tables, on both databases a service runs on: SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import weakref

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.chassis.db import make_engine
from services.rare_earth.domain.ledgers import RowValidator
from services.rare_earth.handlers import staging
from services.rare_earth.models import Base, ledger_rows, staged_batch_links, staged_ledger_rows

OXIDE = ("稀土氧化物及其他化合物", "氧化镨钕")
USCC = "91110000600037341L"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, postgres_database):
    url = f"sqlite:///{tmp_path / 'staging.db'}" if request.param == "sqlite" else postgres_database("staging")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _stage(engine, kind: str, rows: list[list]) -> tuple[staging.Outcome, list[tuple], list[tuple]]:
    validator = RowValidator(kind, "ent-1", 2026, 10, {OXIDE}, set())
    with Session(engine) as session, session.begin():
        outcome = staging.validate_and_stage(session, validator, iter(rows), "imp-1")
        staged = [tuple(r) for r in session.execute(
            select(staged_ledger_rows.c.row_number, staged_ledger_rows.c.traceability_code,
                   staged_ledger_rows.c.batch_no, staged_ledger_rows.c.quantity)
            .order_by(staged_ledger_rows.c.row_number))]
        links = sorted(tuple(r) for r in session.execute(
            select(staged_batch_links.c.input_batch_no, staged_batch_links.c.output_batch_no)))
    return outcome, staged, links


def _sale(batch: str, code: str = "") -> list:
    return ["2026-10-05", "客户", USCC, *OXIDE, 12.5, code, "", "", batch]


def test_valid_rows_are_staged_in_order_and_blank_rows_skipped(engine):
    outcome, staged, _links = _stage(engine, "SALES", [_sale("B-1", "CODE-0001"), ["", None, "  "],
                                                       _sale("B-2", "CODE-0002")])
    assert (outcome.row_count, outcome.error_count, len(outcome.preview)) == (2, 0, 2)
    assert [(row, code, batch, str(quantity)) for row, code, batch, quantity in staged] == [
        (2, "CODE-0001", "B-1", "12.500"), (4, "CODE-0002", "B-2", "12.500")]


def test_a_production_row_is_staged_with_one_link_per_input_batch(engine):
    outcome, staged, links = _stage(engine, "PRODUCTION", [
        ["2026-10-05", *OXIDE, 10, "IN-1；IN-2、IN-1", "OUT-1"], ["2026-10-06", *OXIDE, 5, "IN-3", "OUT-2"]])
    assert outcome.error_count == 0 and len(staged) == 2
    assert links == [("IN-1", "OUT-1"), ("IN-2", "OUT-1"), ("IN-3", "OUT-2")]


def test_codes_another_enterprise_issued_are_named_for_the_first_batch_holding_any(engine, monkeypatch):
    monkeypatch.setattr(staging, "STAGE_BATCH", 2)
    with engine.begin() as connection:
        connection.execute(insert(ledger_rows), [
            {"enterprise_id": owner, "kind": "SALES", "year": 2026, "month": 9, "row_number": n, "import_id": "old",
             "traceability_code": code, "counterparty_name": "", "counterparty_uscc": "", "product_category": "",
             "product_name": "", "batch_no": "", "input_batch_nos": "", "output_batch_no": "",
             "export_product_code": "", "destination_country": ""}
            for n, (owner, code) in enumerate([("other", "TAKEN-0001"), ("other", "TAKEN-0002"),
                                               ("ent-1", "MINE-00001")])])
    rows = [_sale("B-1", "MINE-00001"), _sale("B-2", "FREE-0001"),  # batch 1: its own code is no clash
            _sale("B-3", "TAKEN-0001"), _sale("B-4", "TAKEN-0002"),  # batch 2: both named
            _sale("B-5", "FREE-0002"), _sale("B-6", "TAKEN-0001x"),
            ["2026-11-01", "客户", USCC, *OXIDE, 1, "", "", "", "B-7"]]  # a bad date: named after them
    outcome, _staged, _links = _stage(engine, "SALES", rows)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(4, "G"), (5, "G"), (8, "A")]
    assert "TAKEN-0001" in outcome.errors[0]["message"] and outcome.error_count == 3
    assert [row["row_number"] for row in outcome.preview] == [2, 3, 4, 5]


def test_an_error_stops_the_staging_and_leaves_the_batch_under_way_unchecked(engine, monkeypatch):
    monkeypatch.setattr(staging, "STAGE_BATCH", 2)
    with engine.begin() as connection:
        connection.execute(insert(ledger_rows), [{
            "enterprise_id": "other", "kind": "SALES", "year": 2026, "month": 9, "row_number": 1, "import_id": "old",
            "traceability_code": "TAKEN-0001", "counterparty_name": "", "counterparty_uscc": "", "product_category": "",
            "product_name": "", "batch_no": "", "input_batch_nos": "", "output_batch_no": "",
            "export_product_code": "", "destination_country": ""}])
    outcome, _staged, _links = _stage(engine, "SALES", [
        _sale("B-1"), _sale("B-2"), _sale("B-3", "TAKEN-0001"), ["bad", "客户", USCC, *OXIDE, 1, "", "", "", "B"]])
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(5, "A")]


def test_an_upload_leaves_no_validator_behind_for_the_collector(tmp_path):
    # The codes seen by a long upload are megabytes: they go when the upload does, not at a full gc pass.
    engine = make_engine(f"sqlite:///{tmp_path / 'staging.db'}")
    Base.metadata.create_all(engine)
    validator = RowValidator("SALES", "ent-1", 2026, 10, {OXIDE}, set())
    gone = weakref.ref(validator)
    gc.disable()
    try:
        with Session(engine) as session, session.begin():
            outcome = staging.validate_and_stage(session, validator, iter([_sale("B-1"), _sale("B-2")]), "imp-1")
        del validator
        assert outcome.row_count == 2 and gone() is None
    finally:
        gc.enable()
        engine.dispose()
