"""Traceability (spec §5): follow a code across enterprises, upstream and downstream, one query per direction.

The chain: a sale issues a code in lot (seller, batch); a buyer's purchase quoting the code
puts it in lot (buyer, batch); production links input lots to output lots inside one
enterprise; the next sale of that lot issues the next code. Each direction is one statement:
a recursive CTE walks the codes and lots within reach (each step an indexed lookup: codes by
``ix_ledger_rows_code``, lots by ``ix_ledger_rows_batch``, ``ix_ledger_rows_output_batch`` and
the link indexes), and the same statement answers every ledger row and link of the lots and
codes reached, with their enterprises. The walk that gives each row its depth then runs over
those rows in memory, hop by hop as before, so depths, the truncation at ``MAX_HOPS`` and the
visibility (who traded with whom) are what they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import String, TextClause, column, text
from sqlalchemy.orm import Session

from services.chassis.db import is_postgresql
from services.chassis.errors import InvalidArgument, NotFound
from services.rare_earth.config import RareEarthContext
from services.rare_earth.handlers.access import require_viewer
from services.rare_earth.models import Enterprise, batch_links, ledger_rows

MAX_HOPS = 40

Lot = tuple[str, str]
_ROW_COLUMNS = [c.name for c in ledger_rows.columns]
_ENTERPRISE_COLUMNS = ("enterprise_name", "uscc", "city_code", "province_code")


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


# --- one statement per direction ---------------------------------------------------------------

@dataclass(frozen=True)
class _Step:
    """From a node (``C`` a code, ``L`` a lot: enterprise and batch) of kind ``source`` through ``table``
    (aliased ``x``; ``n`` is the node) to a node of kind ``target``."""

    source: str
    target: str
    table: str
    enterprise: str
    key: str
    match: str


@dataclass(frozen=True)
class _Fetch:
    """The rows of ``table`` (``ledger_rows`` or the links, aliased ``x``) a node of kind ``source`` stands for."""

    source: str
    table: str
    match: str


_ROWS, _LINKS = ledger_rows.name, batch_links.name
_BY_CODE = "x.traceability_code = n.key"
_IN_LOT = "x.enterprise_id = n.enterprise_id AND x.batch_no = n.key"
_OUT_OF_LOT = "x.enterprise_id = n.enterprise_id AND x.output_batch_no = n.key"
_LINK_IN = "x.enterprise_id = n.enterprise_id AND x.input_batch_no = n.key"
_LINK_OUT = _OUT_OF_LOT

# Downstream: a code is bought into lots; a lot is made into lots and sold under codes.
_DOWN_STEPS = (
    _Step("C", "L", _ROWS, "x.enterprise_id", "x.batch_no", f"x.kind = 'PURCHASE' AND {_BY_CODE}"),
    _Step("L", "L", _LINKS, "x.enterprise_id", "x.output_batch_no", _LINK_IN),
    _Step("L", "C", _ROWS, "''", "x.traceability_code", f"x.kind = 'SALES' AND {_IN_LOT}"),
)
_DOWN_FETCHES = (
    _Fetch("C", _ROWS, f"x.kind IN ('PURCHASE', 'SALES') AND {_BY_CODE}"),
    _Fetch("L", _ROWS, f"x.kind = 'SALES' AND {_IN_LOT}"),
    _Fetch("L", _ROWS, f"x.kind = 'PRODUCTION' AND {_OUT_OF_LOT}"),
    _Fetch("L", _LINKS, _LINK_IN),
)
# Upstream: a code was sold out of a lot; a lot was made of lots and bought under codes.
_UP_STEPS = (
    _Step("C", "L", _ROWS, "x.enterprise_id", "x.batch_no", f"x.kind = 'SALES' AND {_BY_CODE}"),
    _Step("L", "L", _LINKS, "x.enterprise_id", "x.input_batch_no", _LINK_OUT),
    _Step("L", "C", _ROWS, "''", "x.traceability_code",
          f"x.kind = 'PURCHASE' AND x.traceability_code <> '' AND {_IN_LOT}"),
)
_UP_FETCHES = (
    _Fetch("C", _ROWS, f"x.kind = 'SALES' AND {_BY_CODE}"),
    _Fetch("L", _ROWS, f"x.kind = 'PRODUCTION' AND {_OUT_OF_LOT}"),
    _Fetch("L", _ROWS, f"x.kind = 'PURCHASE' AND {_IN_LOT}"),
    _Fetch("L", _LINKS, _LINK_OUT),
)


def _varchar(sql: str) -> str:
    return f"CAST({sql} AS VARCHAR)"


def _selected(fetch: _Fetch) -> str:
    """A fetch's columns: the tag, every ledger column (a link fills its enterprise and batches), then
    the enterprise's (only an enterprise's own line fills those)."""
    if fetch.table == _ROWS:
        columns = [f"x.{name}" for name in _ROW_COLUMNS]
        tag = "'row'"
    else:
        links = {"enterprise_id": "x.enterprise_id", "batch_no": "x.input_batch_no",
                 "output_batch_no": "x.output_batch_no"}
        columns = [links.get(name, "NULL") for name in _ROW_COLUMNS]
        tag = "'link'"
    return ", ".join([tag, *columns, *[_varchar("NULL")] * len(_ENTERPRISE_COLUMNS)])


def _walk(name: str, steps: Sequence[_Step], postgresql: bool, code: str, hops: str) -> str:
    """The recursive CTE ``name``: the codes and lots within ``hops`` steps of ``code`` (both SQL).

    PostgreSQL allows one recursive reference, so its steps are a LATERAL union run per node;
    SQLite has no LATERAL and takes one recursive SELECT per step. Either way each step is an
    indexed lookup for one node.
    """
    if postgresql:
        union = "\n      UNION ALL ".join(
            f"SELECT {_varchar(repr(s.target))} AS node, {_varchar(s.enterprise)} AS enterprise_id, "
            f"{_varchar(s.key)} AS key FROM {s.table} x WHERE n.node = '{s.source}' AND {s.match}" for s in steps)
        recursion = (f"SELECT step.node, step.enterprise_id, step.key, n.distance + 1 FROM {name} n "
                     f"CROSS JOIN LATERAL (\n      {union}) step WHERE n.distance < {hops}")
    else:
        recursion = "\n    UNION ".join(
            f"SELECT {_varchar(repr(s.target))}, {_varchar(s.enterprise)}, {_varchar(s.key)}, n.distance + 1 "
            f"FROM {name} n JOIN {s.table} x ON n.node = '{s.source}' AND {s.match} WHERE n.distance < {hops}"
            for s in steps)
    return (f"{name}(node, enterprise_id, key, distance) AS (\n    SELECT {_varchar(repr('C'))}, "
            f"{_varchar(repr(''))}, {_varchar(code)}, 0\n    UNION {recursion})")


def _fetched(walk: str, fetches: Sequence[_Fetch], postgresql: bool) -> str:
    """Every row and link the nodes of ``walk`` stand for."""
    nodes = f"(SELECT DISTINCT node, enterprise_id, key FROM {walk})"
    if postgresql:
        union = "\n      UNION ALL ".join(
            f"SELECT {_selected(f)} FROM {f.table} x WHERE n.node = '{f.source}' AND {f.match}" for f in fetches)
        return f"SELECT found.* FROM {nodes} n CROSS JOIN LATERAL (\n      {union}) found"
    return "\n    UNION ALL ".join(f"SELECT {_selected(f)} FROM {nodes} n JOIN {f.table} x ON n.node = '{f.source}' "
                                   f"AND {f.match}" for f in fetches)


def _statement(postgresql: bool, code: str, hops: str) -> str:
    """Both directions' walks, the rows and links they reach and the enterprises of those rows, in one statement
    of ``code`` and ``hops`` (SQL: parameters or placeholders)."""
    ledger_nulls = ", ".join(["NULL"] * (len(_ROW_COLUMNS) - 2))
    # An array of keys makes PostgreSQL look the enterprises up by their key rather than scan them all.
    ids = "= ANY(ARRAY(SELECT enterprise_id FROM found))" if postgresql else "IN (SELECT enterprise_id FROM found)"
    enterprises = (f"SELECT 'enterprise', NULL, e.id, {ledger_nulls}, "
                   f"{', '.join(f'e.{name}' for name in _ENTERPRISE_COLUMNS)} FROM {Enterprise.__tablename__} e "
                   f"WHERE e.id {ids}")
    walks = ",\n  ".join(_walk(name, steps, postgresql, code, hops) for name, steps in (("down", _DOWN_STEPS),
                                                                                     ("up", _UP_STEPS)))
    return (f"WITH RECURSIVE\n  {walks},\n"
            f"  found AS (\n    {_fetched('down', _DOWN_FETCHES, postgresql)}\n    UNION ALL "
            f"{_fetched('up', _UP_FETCHES, postgresql)})\n"
            f"SELECT * FROM found\nUNION ALL {enterprises}")


# On PostgreSQL the statement is the body of a function (its migration creates it): the planner spends
# longer on this statement than the executor does, and a function keeps its plan for the session's life,
# where a read-only unit of work ends in a rollback that discards the driver's prepared statements.
TRACE_FUNCTION = "rare_earth_trace"


def postgresql_function_body() -> str:
    """What the migration's ``rare_earth_trace(trace_code, trace_hops)`` runs; a test keeps the two the same."""
    return f"#variable_conflict use_column\nBEGIN\nRETURN QUERY\n{_statement(True, 'trace_code', 'trace_hops')};\nEND\n"


_STATEMENTS: dict[bool, TextClause] = {}


def _query(postgresql: bool) -> TextClause:
    """The dialect's statement, built once, its columns typed like the ledger's and the enterprises'."""
    if postgresql not in _STATEMENTS:
        typed = [column("tag", String()), *[column(name, ledger_rows.c[name].type) for name in _ROW_COLUMNS],
                 *[column(name, Enterprise.__table__.c[name].type) for name in _ENTERPRISE_COLUMNS]]
        sql = f"SELECT * FROM {TRACE_FUNCTION}(:code, :hops)" if postgresql else _statement(False, ":code", ":hops")
        _STATEMENTS[postgresql] = text(sql).columns(*typed)
    return _STATEMENTS[postgresql]


# --- the walk, over what the statements found ----------------------------------------------------

class _Party(NamedTuple):
    """An enterprise on the chain: what the trace shows of it, and the region a local authority's sight reads."""

    enterprise_name: str
    uscc: str
    city_code: str
    province_code: str


# Where a statement's columns sit: the tag, the ledger's columns, then the enterprise's.
_ID = 1 + _ROW_COLUMNS.index("id")
_ENTERPRISE_ID = 1 + _ROW_COLUMNS.index("enterprise_id")
_BATCH_NO = 1 + _ROW_COLUMNS.index("batch_no")
_OUTPUT_BATCH_NO = 1 + _ROW_COLUMNS.index("output_batch_no")
_PARTY = 1 + len(_ROW_COLUMNS)


@dataclass
class _Found:
    """The rows and links within reach of the code, indexed as the walk asks for them."""

    by_code: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    by_lot: dict[tuple[str, str, Lot], list[dict]] = field(default_factory=dict)
    links: dict[tuple[bool, Lot], set[Lot]] = field(default_factory=dict)
    enterprises: dict[str, _Party] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, code: str) -> _Found:
        found = cls()
        statement = _query(is_postgresql(session.get_bind()))
        # The fetches meet a row once per node that stands for it: a row becomes a dict only the first time,
        # read by position, for the statement's 40-odd rows are most of a trace's own Python work.
        rows: dict[int, dict] = {}
        for record in session.execute(statement, {"code": code, "hops": MAX_HOPS + 1}):
            tag = record[0]
            if tag == "row":
                if record[_ID] not in rows:
                    rows[record[_ID]] = dict(zip(_ROW_COLUMNS, record[1:_PARTY], strict=True))
            elif tag == "link":
                enterprise_id = record[_ENTERPRISE_ID]
                lot_in, lot_out = (enterprise_id, record[_BATCH_NO]), (enterprise_id, record[_OUTPUT_BATCH_NO])
                found.links.setdefault((True, lot_in), set()).add(lot_out)
                found.links.setdefault((False, lot_out), set()).add(lot_in)
            else:
                found.enterprises[record[_ENTERPRISE_ID]] = _Party(*record[_PARTY:])
        # Indexed in id order, as an index scan gives rows of one key: where two sales share a code, the
        # walk takes the later one for its seller, as it did reading them from the database.
        by_code, by_lot = found.by_code, found.by_lot
        for row_id in sorted(rows):
            row = rows[row_id]
            kind, enterprise_id = row["kind"], row["enterprise_id"]
            by_code.setdefault((kind, row["traceability_code"]), []).append(row)
            by_lot.setdefault((kind, "batch_no", (enterprise_id, row["batch_no"])), []).append(row)
            by_lot.setdefault((kind, "output_batch_no", (enterprise_id, row["output_batch_no"])), []).append(row)
        return found


@dataclass
class _Walk:
    found: _Found
    rows: dict[int, tuple[int, dict]] = field(default_factory=dict)
    # (seller enterprise, buyer enterprise) pairs met on the chain.
    trades: set[tuple[str, str]] = field(default_factory=set)
    truncated: bool = False

    def keep(self, depth: int, found: Iterable[dict]) -> list[dict]:
        new = [r for r in found if r["id"] not in self.rows]
        for row in new:
            self.rows[row["id"]] = (depth, row)
        return new

    def by_lots(self, kind: str, column: str, lots: set[Lot]) -> list[dict]:
        return [row for lot in lots for row in self.found.by_lot.get((kind, column, lot), ())]

    def by_codes(self, kind: str, codes: set[str]) -> list[dict]:
        return [row for code in codes for row in self.found.by_code.get((kind, code), ())]

    def linked(self, lots: set[Lot], *, downstream: bool) -> set[Lot]:
        """Lots one production step away from ``lots`` inside the same enterprise."""
        return {linked for lot in lots for linked in self.found.links.get((downstream, lot), ())}


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
            walk.keep(depth, walk.by_lots("PRODUCTION", "output_batch_no", made))
            lots |= made
            frontier = made
        seen_lots |= lots
        depth += 1
        sales = walk.keep(depth, walk.by_lots("SALES", "batch_no", lots))
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
            walk.keep(depth, walk.by_lots("PRODUCTION", "output_batch_no", frontier))
            inputs = walk.linked(frontier, downstream=False) - seen_lots
            lots |= inputs
            frontier = inputs
        seen_lots |= lots
        depth -= 1
        purchases = walk.keep(depth, walk.by_lots("PURCHASE", "batch_no", lots))
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
        walk = _Walk(_Found.of(session, code))
        origin = walk.keep(0, walk.by_codes("SALES", {code}))
        if not origin:
            # A purchase quoting a code nobody sold: the chain starts there.
            walk.keep(1, walk.by_codes("PURCHASE", {code}))
        _downstream(walk, {code})
        _upstream(walk, origin)
        if not walk.rows:
            raise NotFound("未找到该追溯码", reason="TRACE_CODE_NOT_FOUND")
        enterprises = {r["enterprise_id"] for _, r in walk.rows.values()}
        info = walk.found.enterprises
        if viewer.staff is not None:
            def visible(_enterprise_id: str) -> bool:
                # sees() reads the region of an enterprise, which a party carries.
                return viewer.staff.sees(info[_enterprise_id]) if _enterprise_id in info else False  # type: ignore[arg-type]
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
