"""Traceability (spec §5): follow a code across enterprises, upstream and downstream, one set-based query per hop.

The chain: a sale issues a code in lot (seller, batch); a buyer's purchase quoting the code
puts it in lot (buyer, batch); production links input lots to output lots inside one
enterprise; the next sale of that lot issues the next code. Each hop asks for every row
of the whole frontier at once (indexed tuple IN), never one query per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from services.chassis.errors import InvalidArgument, NotFound
from services.rare_earth.config import RareEarthContext
from services.rare_earth.handlers.access import require_viewer
from services.rare_earth.models import Enterprise, batch_links, ledger_rows

MAX_HOPS = 40
# Tuples per IN list: well under every driver's parameter limit.
CHUNK = 1000

Lot = tuple[str, str]


@dataclass(frozen=True)
class TraceStepView:
    depth: int
    row: dict
    enterprise_name: str
    uscc: str
    visible: bool


@dataclass(frozen=True)
class TraceView:
    code: str
    steps: list[TraceStepView]
    truncated: bool


@dataclass
class _Walk:
    session: Session
    rows: dict[int, tuple[int, dict]] = field(default_factory=dict)
    # (seller enterprise, buyer enterprise) pairs met on the chain.
    trades: set[tuple[str, str]] = field(default_factory=set)
    truncated: bool = False

    def keep(self, depth: int, found: Iterable[dict]) -> list[dict]:
        new = [r for r in found if r["id"] not in self.rows]
        for row in new:
            self.rows[row["id"]] = (depth, row)
        return new

    def select(self, *conditions) -> list[dict]:
        return [dict(r._mapping) for r in self.session.execute(select(ledger_rows).where(*conditions))]

    def by_lots(self, kind: str, column, lots: set[Lot]) -> list[dict]:
        found: list[dict] = []
        for chunk in _chunks(sorted(lots)):
            found += self.select(ledger_rows.c.kind == kind,
                                 tuple_(ledger_rows.c.enterprise_id, column).in_(chunk))
        return found

    def by_codes(self, kind: str, codes: set[str]) -> list[dict]:
        found: list[dict] = []
        for chunk in _chunks(sorted(codes)):
            found += self.select(ledger_rows.c.kind == kind, ledger_rows.c.traceability_code.in_(chunk))
        return found

    def linked(self, lots: set[Lot], *, downstream: bool) -> set[Lot]:
        """Lots one production step away from ``lots`` inside the same enterprise."""
        source, target = ((batch_links.c.input_batch_no, batch_links.c.output_batch_no) if downstream
                          else (batch_links.c.output_batch_no, batch_links.c.input_batch_no))
        found: set[Lot] = set()
        for chunk in _chunks(sorted(lots)):
            found |= {(e, b) for e, b in self.session.execute(
                select(batch_links.c.enterprise_id, target).where(
                    tuple_(batch_links.c.enterprise_id, source).in_(chunk)))}
        return found


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _downstream(walk: _Walk, codes: set[str]) -> None:
    depth, seen_lots, seen_codes = 0, set(), set(codes)
    while codes:
        if depth >= MAX_HOPS:
            walk.truncated = True
            return
        depth += 1
        purchases = walk.keep(depth, walk.by_codes("PURCHASE", codes))
        sellers = {r["traceability_code"]: r["enterprise_id"] for r in walk.by_codes("SALES", codes)}
        walk.trades |= {(sellers[r["traceability_code"]], r["enterprise_id"]) for r in purchases
                        if r["traceability_code"] in sellers}
        lots = {(r["enterprise_id"], r["batch_no"]) for r in purchases} - seen_lots
        frontier = set(lots)
        while frontier and depth < MAX_HOPS:
            seen_lots |= frontier
            made = walk.linked(frontier, downstream=True) - seen_lots
            if not made:
                break
            depth += 1
            walk.keep(depth, walk.by_lots("PRODUCTION", ledger_rows.c.output_batch_no, made))
            lots |= made
            frontier = made
        seen_lots |= lots
        depth += 1
        sales = walk.keep(depth, walk.by_lots("SALES", ledger_rows.c.batch_no, lots))
        codes = {r["traceability_code"] for r in sales} - seen_codes
        seen_codes |= codes


def _upstream(walk: _Walk, origin_sales: list[dict]) -> None:
    depth, seen_lots = 0, set()
    seen_codes = {r["traceability_code"] for r in origin_sales}
    lots = {(r["enterprise_id"], r["batch_no"]) for r in origin_sales}
    while lots:
        if depth <= -MAX_HOPS:
            walk.truncated = True
            return
        frontier = lots - seen_lots
        lots = set(frontier)
        while frontier and depth > -MAX_HOPS:
            seen_lots |= frontier
            depth -= 1
            walk.keep(depth, walk.by_lots("PRODUCTION", ledger_rows.c.output_batch_no, frontier))
            inputs = walk.linked(frontier, downstream=False) - seen_lots
            lots |= inputs
            frontier = inputs
        seen_lots |= lots
        depth -= 1
        purchases = walk.keep(depth, walk.by_lots("PURCHASE", ledger_rows.c.batch_no, lots))
        codes = {r["traceability_code"] for r in purchases if r["traceability_code"]} - seen_codes
        seen_codes |= codes
        depth -= 1
        sales = walk.keep(depth, walk.by_codes("SALES", codes))
        by_code = {r["traceability_code"]: r["enterprise_id"] for r in sales}
        walk.trades |= {(by_code[r["traceability_code"]], r["enterprise_id"]) for r in purchases
                        if r["traceability_code"] in by_code}
        lots = {(r["enterprise_id"], r["batch_no"]) for r in sales} - seen_lots


def trace(context: RareEarthContext, code: str) -> TraceView:
    code = code.strip()
    if not code:
        raise InvalidArgument.for_field("code", "请输入追溯码")
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        viewer = require_viewer(session)
        walk = _Walk(session)
        origin = walk.keep(0, walk.by_codes("SALES", {code}))
        if not origin:
            # A purchase quoting a code nobody sold: the chain starts there.
            walk.keep(1, walk.by_codes("PURCHASE", {code}))
        _downstream(walk, {code})
        _upstream(walk, origin)
        if not walk.rows:
            raise NotFound("未找到该追溯码", reason="TRACE_CODE_NOT_FOUND")
        enterprises = {r["enterprise_id"] for _, r in walk.rows.values()}
        info = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(enterprises)))}
        if viewer.staff is not None:
            def visible(_enterprise_id: str) -> bool:
                return viewer.staff.sees(info[_enterprise_id]) if _enterprise_id in info else False
        else:
            me = viewer.enterprise.id
            if me not in enterprises:
                raise NotFound("未找到该追溯码", reason="TRACE_CODE_NOT_FOUND")
            partners = {b for a, b in walk.trades if a == me} | {a for a, b in walk.trades if b == me}

            def visible(_enterprise_id: str) -> bool:
                return _enterprise_id == me or _enterprise_id in partners
        steps = []
        for depth, row in sorted(walk.rows.values(), key=lambda item: (item[0], item[1]["id"])):
            shown = visible(row["enterprise_id"])
            enterprise = info.get(row["enterprise_id"])
            steps.append(TraceStepView(
                depth, row if shown else {"kind": row["kind"]},
                enterprise.enterprise_name if shown and enterprise else "",
                enterprise.uscc if shown and enterprise else "", shown))
        return TraceView(code, steps, walk.truncated)
