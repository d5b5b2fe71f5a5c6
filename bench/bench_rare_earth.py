"""Rare earth: a 100,000-row SALES ledger uploaded and confirmed over gRPC, beside python-calamine reading the same
file alone (the parse floor), with the service process's peak memory; and the trace of a 10-hop chain over a
PostgreSQL database holding a year of ledgers for 1,000 enterprises, beside one indexed lookup of a code.

The service runs as a subprocess (this file with ``serve``) so its peak RSS (VmHWM) is its own.
``BENCH_RARE_EARTH_ROWS`` and ``BENCH_RARE_EARTH_RUNS`` change the ledger size and the repetitions;
``BENCH_RARE_EARTH_TRACE=0`` skips the trace part (writing its year of ledgers takes a while).

Where the upload's memory went (100,000 rows, 3 runs; calamine alone: 82 MB). The rows already
streamed (validated and staged as calamine's iterator gives them), and one upload's peak was
near the floor: about 82 MB in process, 95-100 MB over gRPC, whose copies of the 4.3 MB request
(received, parsed, handed to the handler) come on top. What failed the goal was the peak growing
upload by upload, 100 -> 126 -> 145 MB above idle (1.77x), while Python's own traced memory
stayed flat:

- The row validator's compiled rules are bound to it, a reference cycle, so an upload's codes
  seen (14 MB for 100,000 codes) and cell caches waited for the collector's next full pass; a
  gc.collect() after an upload gave back 8 MB. RowValidator.forget() drops them as the file ends.
- glibc raises its mapping threshold to the largest block freed (to 32 MB): after the first
  upload the sheet's cells grew inside the heap, copied at each growth, leaving holes the next
  upload could not reuse. Fixed thresholds (1 MB), set as the ledger handlers load, keep each
  upload where the first was.

After: 212 -> 220 -> 225 MB peak (idle 116) upload by upload; the bench's line 106 MB above idle (1.29x).

Where the trace's time goes (quiet machine, load 0.4-1.5, medians): 10.4 ms a call, 7.3 ms of it in the
handler, the rest gRPC and the interceptors. The one statement (both directions, the PL/pgSQL function,
about 130 index probes, 1.3 ms executing) costs 1.9-2.4 ms, 0.5 ms of it fixed (a code found nowhere);
whether psycopg keeps it prepared made no steady difference. The unit of work's round trips (pre-ping,
BEGIN READ ONLY, ROLLBACK) cost about 1.5 ms: A/B'd, read-only units of work in autocommit were 1.0 ms
faster and without the pre-ping 0.5 ms faster, a chassis decision not taken here. Reading the statement's
rows took 0.73 ms of Python: now by position, one dict per row rather than per fetch meeting it, indexed in
id order once (0.19 ms; 12.2 -> 11.4 ms a call A/B'd on one database); the response's 30 rows take 0.7 ms.
The floor: the first lookups ran cold (96 ms, then 16 ms) and after the traces, so load fell unevenly (±133%).
Both are now warmed and taken in turns, 50 each, the lookup timed on a pooled connection without its
checkout. Round trips dominate both, so a loaded machine flatters the ratio: a bare psycopg lookup takes
0.3 ms quiet, and gRPC alone (2.4 ms) is most of 5x that.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date

import grpc
from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import insert, select, text
from stdnum.cn import uscc as uscc_number

from bench import goals
from bench.report import Figure, percentile, print_figure, print_header, repeat
from protos.rare_earth.v1 import ledgers_pb2, ledgers_pb2_grpc, resources_pb2, trace_pb2, trace_pb2_grpc
from services.chassis import testing
from services.chassis.config import ServiceSettings
from services.chassis.db import utcnow

ROWS = int(os.environ.get("BENCH_RARE_EARTH_ROWS", "100000"))
RUNS = int(os.environ.get("BENCH_RARE_EARTH_RUNS", "3"))
TRACE = os.environ.get("BENCH_RARE_EARTH_TRACE", "1") != "0"
ENTERPRISES = 1000
BACKGROUND_ROWS_PER_KIND = 15  # per enterprise and month: 4 kinds x 15 rows x 12 months x 1,000 = 720,000 rows
HOPS = 10
TRACES = 50
YEAR, MONTH = 2030, 3
OXIDE = ("稀土氧化物及其他化合物", "氧化镨钕")


def _uscc(serial: int) -> str:
    body = f"91360700MA{serial:07d}"
    return body + uscc_number.calc_check_digit(body)


# --- the service, in its own process ----------------------------------------------------------


def serve(url: str, jwks_path: str) -> None:
    """Child process: the rare_earth service on ``url`` trusting the keys in ``jwks_path``; prints its port."""
    import dataclasses
    import signal
    import threading

    from services.chassis.auth import TokenVerifier
    from services.chassis.cli import serve as start
    from services.chassis.context import build_context
    from services.rare_earth.definition import DEFINITION

    with open(jwks_path, encoding="utf-8") as keys:
        jwks = json.load(keys)
    # No identity runs here: tokens verify against the bench's own keys, and no call needs a USCC.
    definition = dataclasses.replace(DEFINITION, token_verifier=lambda _context: TokenVerifier(lambda: jwks))
    environ = {"RARE_EARTH_DATABASE_URL": url, "TONGBAN_ENV": "test", "LOG_LEVEL": "WARNING"}
    context = build_context(definition, ServiceSettings.from_env("rare_earth", environ), environ=environ)
    running = start(definition, context, port=0)
    print(running.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    running.stop(1)


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- data -------------------------------------------------------------------------------------


def _prepare(context) -> tuple[str, str]:
    """One approved seller and its buyer, and the bench month's window open wide."""
    from services.rare_earth.models import Enterprise, ReportingWindow

    # Written as rows, not walked through registration and review: the bench measures ledgers.
    with context.engine.begin() as connection:
        connection.execute(insert(Enterprise.__table__), [
            {"id": f"bench-{name}", "organization_id": f"org-bench-{name}", "uscc": _uscc(index),
             "status": "APPROVED", "enterprise_type": "SMELTING_SEPARATION", "enterprise_name": f"压测{name}",
             "created_by": "bench", "approved_at": utcnow()}
            for index, name in ((1, "seller"), (2, "buyer"))])
        connection.execute(insert(ReportingWindow.__table__).values(
            month=f"{YEAR}-{MONTH:02d}", opens_on=date(2000, 1, 1), closes_on=date(2099, 12, 31), set_by="bench"))
    return "org-bench-seller", _uscc(2)


def _sales_file(rows: int, buyer_uscc: str) -> bytes:
    from services.rare_earth.domain.ledgers import COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("销售台账")
    sheet.append([c.header for c in COLUMNS["SALES"]])
    for n in range(rows):
        sheet.append([f"{YEAR}-{MONTH:02d}-{n % 28 + 1:02d}", "压测buyer", buyer_uscc, *OXIDE, 100 + n % 900, "",
                      "", "", f"BATCH-{n}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _calamine_seconds(content: bytes) -> float:
    started = time.perf_counter()
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    count = sum(1 for _ in workbook.get_sheet_by_index(0).iter_rows())
    assert count == ROWS + 1
    return time.perf_counter() - started


_CALAMINE_MEMORY = """
import io, sys
from python_calamine import CalamineWorkbook
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
content = open(sys.argv[1], "rb").read()
before = hwm()
sum(1 for _ in CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).iter_rows())
print(hwm() - before)
"""


def _calamine_peak_growth_mb(content: bytes) -> float:
    """How much calamine alone raises a fresh process's peak RSS reading the file: the memory floor."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as file:
        file.write(content)
    try:
        result = subprocess.run([sys.executable, "-c", _CALAMINE_MEMORY, file.name], capture_output=True, text=True,
                                timeout=120, check=True)
        return float(result.stdout.strip())
    finally:
        os.unlink(file.name)


def _background(context) -> None:
    """A year of ledgers for 1,000 enterprises, written with set-based INSERT ... SELECT (PostgreSQL)."""
    with context.engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO enterprises (id, organization_id, uscc, status, enterprise_type, enterprise_name,
                province_code, city_code, address, contact_name, contact_phone, email, rejection_reason,
                created_by, created_at, updated_at)
            SELECT 'bg-' || e, 'org-bg-' || e, '', 'APPROVED', 'SMELTING_SEPARATION', '背景企业' || e,
                   '360000', '360700', '', '', '', '', '', 'bench', now(), now()
            FROM generate_series(1, :enterprises) AS e"""), {"enterprises": ENTERPRISES})
        # Purchases quote the previous enterprise's sales codes and production links each lot onwards,
        # so the indexes hold a realistic web of codes and batches.
        connection.execute(text("""
            INSERT INTO ledger_rows (enterprise_id, kind, year, month, row_number, import_id, entry_date,
                counterparty_name, counterparty_uscc, product_category, product_name, quantity,
                traceability_code, batch_no, input_batch_nos, output_batch_no, export_product_code,
                destination_country)
            SELECT 'bg-' || e, k.kind, 2029, m, r, 'bench', make_date(2029, m, 1 + r % 28), '', '',
                   :category, :name, 100 + r,
                   CASE k.kind WHEN 'SALES' THEN 'BG-' || e || '-' || m || '-' || r
                               WHEN 'PURCHASE' THEN 'BG-' || (CASE WHEN e = 1 THEN :enterprises ELSE e - 1 END)
                                                    || '-' || m || '-' || r
                               ELSE '' END,
                   CASE k.kind WHEN 'PURCHASE' THEN 'IN-' || m || '-' || r
                               WHEN 'SALES' THEN 'OUT-' || m || '-' || r ELSE '' END,
                   CASE k.kind WHEN 'PRODUCTION' THEN 'IN-' || m || '-' || r ELSE '' END,
                   CASE k.kind WHEN 'PRODUCTION' THEN 'OUT-' || m || '-' || r ELSE '' END, '', ''
            FROM generate_series(1, :enterprises) AS e, generate_series(1, 12) AS m,
                 generate_series(1, :rows) AS r,
                 (VALUES ('SALES'), ('PURCHASE'), ('PRODUCTION'), ('INVENTORY')) AS k(kind)"""),
            {"enterprises": ENTERPRISES, "rows": BACKGROUND_ROWS_PER_KIND, "category": OXIDE[0], "name": OXIDE[1]})
        connection.execute(text("""
            INSERT INTO ledger_batch_links (enterprise_id, year, month, import_id, input_batch_no, output_batch_no)
            SELECT 'bg-' || e, 2029, m, 'bench', 'IN-' || m || '-' || r, 'OUT-' || m || '-' || r
            FROM generate_series(1, :enterprises) AS e, generate_series(1, 12) AS m,
                 generate_series(1, :rows) AS r"""),
            {"enterprises": ENTERPRISES, "rows": BACKGROUND_ROWS_PER_KIND})
        connection.execute(text("ANALYZE"))


def _chain(context) -> str:
    """Enterprises chain-0 .. chain-10: each buys the previous one's code, produces, and sells on."""
    from services.rare_earth.models import batch_links, ledger_rows

    base = {"year": YEAR, "month": 1, "import_id": "bench", "entry_date": date(YEAR, 1, 5),
            "counterparty_name": "", "counterparty_uscc": "", "product_category": OXIDE[0],
            "product_name": OXIDE[1], "quantity": 100, "input_batch_nos": "", "output_batch_no": "",
            "export_product_code": "", "destination_country": "", "traceability_code": "", "batch_no": ""}
    rows, links = [], []
    for hop in range(HOPS + 1):
        enterprise = f"bg-{hop + 1}"
        if hop:
            rows.append({**base, "enterprise_id": enterprise, "kind": "PURCHASE", "row_number": 1,
                         "traceability_code": f"CHAIN-{hop - 1}", "batch_no": f"CIN-{hop}"})
            rows.append({**base, "enterprise_id": enterprise, "kind": "PRODUCTION", "row_number": 1,
                         "input_batch_nos": f"CIN-{hop}", "output_batch_no": f"COUT-{hop}"})
            links.append({"enterprise_id": enterprise, "year": YEAR, "month": 1, "import_id": "bench",
                          "input_batch_no": f"CIN-{hop}", "output_batch_no": f"COUT-{hop}"})
        if hop < HOPS:
            rows.append({**base, "enterprise_id": enterprise, "kind": "SALES", "row_number": 1,
                         "traceability_code": f"CHAIN-{hop}", "batch_no": f"COUT-{hop}"})
    with context.engine.begin() as connection:
        connection.execute(insert(ledger_rows), rows)
        connection.execute(insert(batch_links), links)
    return f"CHAIN-{HOPS // 2}"


# --- measuring --------------------------------------------------------------------------------


def _bare_insert_select_seconds(context, import_id: str) -> float:
    """The confirm's floor: the staged rows copied into the ledger by one INSERT ... SELECT, rolled back."""
    from services.rare_earth.handlers.staging import ROW_COLUMNS
    from services.rare_earth.models import ledger_rows, staged_ledger_rows

    staged = select(*[staged_ledger_rows.c[name] for name in ROW_COLUMNS]).where(
        staged_ledger_rows.c.import_id == import_id)
    with context.engine.connect() as connection:
        transaction = connection.begin()
        try:
            started = time.perf_counter()
            connection.execute(insert(ledger_rows).from_select(ROW_COLUMNS, staged))
            return time.perf_counter() - started
        finally:
            transaction.rollback()


def _upload_and_confirm(stub, context, token: str, content: bytes) -> tuple[float, float, float]:
    """(upload to validated, the bare INSERT ... SELECT of its staged rows, confirm), in seconds."""
    metadata = [("authorization", f"Bearer {token}")]
    started = time.perf_counter()
    imported = stub.ImportLedger(ledgers_pb2.ImportLedgerRequest(kind=resources_pb2.SALES, year=YEAR, month=MONTH,
                                                                 file=content), metadata=metadata, timeout=600)
    validated = time.perf_counter() - started
    assert imported.status == ledgers_pb2.LedgerImport.VALID and imported.row_count == ROWS, imported.errors[:3]
    floor = _bare_insert_select_seconds(context, imported.import_id)
    started = time.perf_counter()
    stub.ConfirmLedgerImport(ledgers_pb2.ConfirmLedgerImportRequest(id=imported.import_id), metadata=metadata,
                             timeout=600)
    return validated, floor, time.perf_counter() - started


def main() -> None:
    from services.chassis.cli import migrate
    from services.chassis.context import build_context
    from services.rare_earth.definition import DEFINITION
    from services.rare_earth.models import ledger_rows
    from services.rare_earth.seed import seed_dictionary

    url = testing.create_postgres_database("bench_rare_earth")
    minter = testing.TokenMinter()
    context = child = None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as keys:
        json.dump(minter.jwks(), keys)
    try:
        context = build_context(DEFINITION, ServiceSettings.from_env(
            "rare_earth", {"RARE_EARTH_DATABASE_URL": url, "TONGBAN_ENV": "test"}))
        migrate(DEFINITION, context)
        seed_dictionary(context)
        organization, buyer_uscc = _prepare(context)
        child = subprocess.Popen([sys.executable, "-m", "bench.bench_rare_earth", "serve", url, keys.name],
                                 stdout=subprocess.PIPE, text=True)
        port = int(child.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[
            ("grpc.max_send_message_length", 16 * 1024 * 1024)])
        stub = ledgers_pb2_grpc.LedgerServiceStub(channel)
        tracer = trace_pb2_grpc.TraceServiceStub(channel)
        seller = minter.mint("bench-account", org=organization, roles=("OWNER",), scopes=("rare_earth",))
        office = minter.mint("bench-office", roles=("STAFF",), scopes=("rare_earth",), kind="STAFF",
                             agency="MIIT_RE_OFFICE")

        content = _sales_file(ROWS, buyer_uscc)
        idle_rss = _peak_rss_mb(child.pid)
        print_header(f"SALES ledger: {ROWS:,} rows, {len(content) / 1e6:.1f} MB .xlsx, {RUNS} runs "
                     "(upload = read + validate every row + stage; confirm = set-based swap)")
        floor = Figure("python-calamine alone reads the file", repeat(lambda: _calamine_seconds(content), RUNS), "s")
        timings = [_upload_and_confirm(stub, context, seller, content) for _ in range(RUNS)]
        uploads = Figure("upload to validated (gRPC ImportLedger)", [t[0] for t in timings], "s")
        confirms = Figure("confirm (replace the month)", [t[2] for t in timings], "s")
        bare_copies = Figure("a bare INSERT ... SELECT of the staged rows", [t[1] for t in timings], "s")
        print_figure(uploads, floor, higher_is_better=False)
        goals.check("100,000-row SALES upload to validated", uploads, floor, at_most=3)
        print_figure(Figure("upload rows per second", [ROWS / t[0] for t in timings], "rows/s"),
                     Figure("calamine rows per second", [ROWS / s for s in floor.samples], "rows/s"))
        print_figure(confirms, bare_copies, higher_is_better=False)
        goals.check("confirm (replace the month)", confirms, bare_copies, at_most=2)
        peak = _peak_rss_mb(child.pid)
        calamine_growth = _calamine_peak_growth_mb(content)
        print(f"service peak RSS (VmHWM): {peak:,.0f} MB after the runs, {peak - idle_rss:,.0f} MB above its "
              f"{idle_rss:,.0f} MB before the first upload | calamine alone raises a fresh process's peak by "
              f"{calamine_growth:,.0f} MB reading the same file", flush=True)
        goals.check("upload's peak memory", Figure("service peak RSS above idle", [peak - idle_rss], "MB"),
                    Figure("calamine's own peak growth", [calamine_growth], "MB"), at_most=1.5)
        with context.engine.connect() as connection:
            stored = connection.scalar(select(text("count(*)")).select_from(ledger_rows))
        assert stored == ROWS
        if TRACE:
            _trace(context, tracer, office)
        channel.close()
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)
        if context is not None:
            context.engine.dispose()
        os.unlink(keys.name)
        testing.drop_postgres_database(url)


def _trace(context, tracer, office: str) -> None:
    """The trace of a chain among a year of ledgers for 1,000 enterprises, beside one indexed lookup."""
    from services.rare_earth.models import ledger_rows

    print_header(f"trace of a {HOPS}-hop chain among a year of ledgers for {ENTERPRISES:,} enterprises")
    started = time.perf_counter()
    _background(context)
    code = _chain(context)
    with context.engine.connect() as connection:
        total = connection.scalar(select(text("count(*)")).select_from(ledger_rows))
    print(f"({total:,} ledger rows written in {time.perf_counter() - started:.1f}s)", flush=True)
    metadata = [("authorization", f"Bearer {office}")]

    def one_trace() -> float:
        began = time.perf_counter()
        found = tracer.TraceProduct(trace_pb2.TraceProductRequest(code=code), metadata=metadata, timeout=60)
        elapsed = time.perf_counter() - began
        assert len(found.steps) == 3 * HOPS, len(found.steps)
        return elapsed * 1000

    def one_lookup() -> float:
        with context.engine.connect() as connection:
            began = time.perf_counter()
            connection.execute(select(ledger_rows).where(ledger_rows.c.traceability_code == code,
                                                         ledger_rows.c.kind == "SALES")).all()
            return (time.perf_counter() - began) * 1000

    # Warmed (plans, the compiled lookup, pooled connections), then in turns: load falls on both alike.
    for _ in range(3):
        one_trace()
        one_lookup()
    traces, lookups = [], []
    for _ in range(TRACES):
        traces.append(one_trace())
        lookups.append(one_lookup())
    trace_figure = Figure(f"trace over gRPC ({3 * HOPS} rows, both directions)", traces, "ms")
    lookup_figure = Figure("one indexed lookup of the code (SQL)", lookups, "ms")
    print_figure(trace_figure, lookup_figure, higher_is_better=False)
    goals.check(f"{HOPS}-hop trace over a year of {ENTERPRISES:,} enterprises", trace_figure, lookup_figure,
                at_most=5)
    print(f"trace p95 {percentile(traces, 0.95):.1f} ms", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], sys.argv[3])
    else:
        main()
