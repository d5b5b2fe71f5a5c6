"""Traceability across enterprises: both directions, through production, with the visibility the spec gives."""

from __future__ import annotations

import itertools

import grpc

from protos.rare_earth.v1 import resources_pb2 as resources_pb
from protos.rare_earth.v1 import trace_pb2 as trace_pb
from services.rare_earth.tests.ledger_support import ORE, OXIDE, open_month, production, purchase, report, sale

_chains = itertools.count(1)


def _chain(rare_earth):
    """mine --ore--> smelter (production ore -> oxide) --oxide--> magnet maker --> trader; codes unique per chain."""
    n = next(_chains)
    mine = rare_earth.approved("追溯矿业公司", "MINING")
    smelter = rare_earth.approved("追溯冶炼公司", "SMELTING_SEPARATION")
    magnets = rare_earth.approved("追溯磁材公司", "FUNCTIONAL_MATERIAL")
    trader = rare_earth.approved("追溯贸易公司", "DOMESTIC_TRADE")
    year, month = open_month(rare_earth)
    report(rare_earth, mine, "SALES", year, month,
           [sale(year, month, smelter, "M-1", 5000, code=f"ORE-CODE-0001-{n}", product=ORE)])
    report(rare_earth, smelter, "PURCHASE", year, month,
           [purchase(year, month, mine, f"ORE-CODE-0001-{n}", "S-IN-1", 5000, product=ORE)])
    report(rare_earth, smelter, "PRODUCTION", year, month, [production(year, month, "S-IN-1", "S-MID-1"),
                                                            production(year, month, "S-MID-1", "S-OUT-1")])
    report(rare_earth, smelter, "SALES", year, month,
           [sale(year, month, magnets, "S-OUT-1", 800, code=f"OXIDE-CODE-01-{n}")])
    report(rare_earth, magnets, "PURCHASE", year, month,
           [purchase(year, month, smelter, f"OXIDE-CODE-01-{n}", "MG-1", 800)])
    report(rare_earth, magnets, "SALES", year, month,
           [sale(year, month, trader, "MG-1", 800, code=f"MAG-CODE-001-{n}")])
    report(rare_earth, trader, "PURCHASE", year, month,
           [purchase(year, month, magnets, f"MAG-CODE-001-{n}", "T-1", 800)])
    return mine, smelter, magnets, trader, n


def _trace(rare_earth, actor, code) -> trace_pb.Trace:
    return rare_earth.call(actor, "TraceProduct", trace_pb.TraceProductRequest(code=code))


def test_staff_trace_follows_the_chain_both_ways_through_production(rare_earth):
    mine, smelter, magnets, trader, n = _chain(rare_earth)
    found = _trace(rare_earth, rare_earth.office(), f"OXIDE-CODE-01-{n}")
    steps = [(s.depth, s.enterprise_name, resources_pb.LedgerKind.Name(
        s.row.kind), s.row.batch_no or s.row.output_batch_no)
             for s in found.steps]
    assert (0, smelter.name, "SALES", "S-OUT-1") in steps
    upstream = [s for s in steps if s[0] < 0]
    assert (mine.name, "SALES", "M-1") in [s[1:] for s in upstream]
    assert {s[3] for s in upstream if s[2] == "PRODUCTION"} == {"S-MID-1", "S-OUT-1"}
    downstream = [s[1:] for s in steps if s[0] > 0]
    assert (magnets.name, "PURCHASE", "MG-1") in downstream
    assert (trader.name, "PURCHASE", "T-1") in downstream
    assert all(s.visible for s in found.steps) and not found.truncated
    # Sorted from the furthest upstream to the furthest downstream.
    assert [s.depth for s in found.steps] == sorted(s.depth for s in found.steps)
    assert found.steps[0].enterprise_name == mine.name and found.steps[-1].enterprise_name == trader.name


def test_enterprise_sees_its_own_rows_and_direct_counterparties_only(rare_earth):
    _mine, smelter, magnets, trader, n = _chain(rare_earth)
    found = _trace(rare_earth, magnets, f"ORE-CODE-0001-{n}")
    shown = {s.enterprise_name for s in found.steps if s.visible}
    assert shown == {magnets.name, smelter.name, trader.name}
    hidden = [s for s in found.steps if not s.visible]
    assert hidden and all(s.enterprise_name == "" and s.row.batch_no == "" for s in hidden)


def test_enterprise_off_the_chain_and_unknown_codes_find_nothing(rare_earth):
    n = _chain(rare_earth)[-1]
    outsider = rare_earth.approved("追溯无关公司", "SMELTING_SEPARATION")
    assert rare_earth.fails(outsider, "TraceProduct", trace_pb.TraceProductRequest(
        code=f"MAG-CODE-001-{n}")).code == grpc.StatusCode.NOT_FOUND
    assert rare_earth.fails(rare_earth.office(), "TraceProduct", trace_pb.TraceProductRequest(
        code="NO-SUCH-CODE")).code == grpc.StatusCode.NOT_FOUND


def test_production_cycle_does_not_loop(rare_earth):
    smelter = rare_earth.approved("循环冶炼公司", "SMELTING_SEPARATION")
    buyer = rare_earth.approved("循环磁材公司", "FUNCTIONAL_MATERIAL")
    year, month = open_month(rare_earth)
    report(rare_earth, smelter, "PRODUCTION", year, month, [production(year, month, "C-A", "C-B"),
                                                            production(year, month, "C-B", "C-A")])
    report(rare_earth, smelter, "SALES", year, month, [sale(year, month, buyer, "C-A", code="CYCLE-CODE-1")])
    found = _trace(rare_earth, rare_earth.office(), "CYCLE-CODE-1")
    assert len([s for s in found.steps if s.row.kind == resources_pb.LedgerKind.PRODUCTION]) == 2
    assert OXIDE[1] in {s.row.product_name for s in found.steps}


def test_the_migrated_trace_function_runs_the_statement_the_code_builds(rare_earth):
    from sqlalchemy import text

    from services.rare_earth.handlers.trace import TRACE_FUNCTION, postgresql_function_body

    with rare_earth.context.engine.connect() as connection:
        body = connection.scalar(text("SELECT prosrc FROM pg_proc WHERE proname = :name"), {"name": TRACE_FUNCTION})
    # A change to the walk needs a migration replacing the function with postgresql_function_body().
    assert body.strip() == postgresql_function_body().strip()
