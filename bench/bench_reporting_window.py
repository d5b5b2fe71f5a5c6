"""The reporting window's rush: 40 enterprises log in and upload a 5,000-row SALES ledger each at the same moment.

The whole platform runs as `make run` starts it on PostgreSQL with RabbitMQ (the production-like
e2e profile), and every call goes through the gateway over HTTP: the enterprises are registered,
approved and logged in by the e2e flows' own steps (tests/e2e), then upload at once, each coming
back after a 429 when Retry-After says (tests/e2e/test_reporting_window_rush.py, the same walk at
6 × 1,000 rows, runs in `make test`).

Printed, beside the same upload made by one enterprise alone in the same run:
- throughput: the rush's rows over the seconds until its last upload landed, beside the rows per
  second of uploads made one after another;
- p95: seconds from an enterprise's first try until its upload landed, beside one upload alone;
- errors other than 429 (a 504 for work that went on, a 5xx): goal none.

Before the uploads' queue admitted work against its caller's deadline (services/chassis/work_queue.py),
8 of 40 such uploads answered 504 at the gateway's 10 s deadline while the service went on with them.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import goals
from bench.report import Figure, percentile, print_figure, print_header
from services.chassis import testing
from services.chassis.testing.stack import PRODUCTION_LIKE, Stack, stack_environment
from tests.e2e.test_reporting_window_rush import enterprises_in_the_window, rush, sales_ledger, upload_until_landed

ENTERPRISES = 40
ROWS = 5000
MONTH = (2047, 1)
ALONE_RUNS = 3
# The gateway's rate limit stays out of the way: the rush is about the service's work, not one client's pace.
STACK_ENV = {"GATEWAY_RATE_LIMIT_PER_SECOND": "1000", "GATEWAY_RATE_LIMIT_BURST": "2000", "LOG_LEVEL": "WARNING"}


def main() -> None:
    databases: list[str] = []
    vhost = testing.create_rabbit_vhost("bench_rush")

    def database(service: str) -> str:
        databases.append(testing.create_postgres_database(f"bench_rush_{service}"))
        return databases[-1]

    with tempfile.TemporaryDirectory(prefix="tb-bench-rush-") as folder:
        env = stack_environment(PRODUCTION_LIKE, Path(folder), database_url=database, amqp_url=vhost, extra=STACK_ENV)
        stack = Stack(PRODUCTION_LIKE, Path(folder), env).start()
        try:
            _measure(stack)
        finally:
            stack.stop()
            for url in databases:
                testing.drop_postgres_database(url)
            testing.delete_rabbit_vhost(vhost)


def _measure(stack: Stack) -> None:
    year, month = MONTH
    began = time.monotonic()
    enterprises = enterprises_in_the_window(stack, ENTERPRISES, year, month)
    buyer, other_buyer = enterprises[0], enterprises[1]
    to_buyer = sales_ledger(other_buyer, buyer, year, month, ROWS)
    to_other = sales_ledger(buyer, other_buyer, year, month, ROWS)
    print_header(f"reporting-window rush through the gateway: {ENTERPRISES} enterprises x {ROWS:,}-row SALES "
                 f"ledger ({len(to_buyer) / 1e3:,.0f} KB .xlsx) at once, PostgreSQL "
                 f"({ENTERPRISES} registered, approved and logged in in {time.monotonic() - began:.0f}s)")

    alone = []
    for _ in range(ALONE_RUNS):
        upload = upload_until_landed(enterprises[2], to_buyer, year, month)
        assert upload.statuses == [201] and upload.answer and upload.answer["status"] == "VALID", upload.statuses
        alone.append(upload.seconds or 0.0)

    uploads, total = rush(enterprises, lambda api: to_other if api is buyer else to_buyer, year, month)
    statuses = Counter(status for upload in uploads for status in upload.statuses)
    landed = [u for u in uploads if u.answer and u.answer.get("status") == "VALID" and u.answer["rowCount"] == ROWS]
    errors = sum(1 for u in uploads for status in u.statuses if status not in (201, 429))
    print(f"answers: {dict(sorted(statuses.items()))}; {len(landed)} of {ENTERPRISES} uploads landed whole in "
          f"{total:.1f}s; {statuses[429]} refusals with Retry-After before any work", flush=True)

    rush_rate = Figure("rush throughput (rows landed / seconds until the last)", [len(landed) * ROWS / total],
                       "rows/s")
    alone_rate = Figure("one upload at a time", [ROWS / s for s in alone], "rows/s")
    print_figure(rush_rate, alone_rate)
    waits = [u.seconds for u in uploads if u.seconds is not None]
    print_figure(Figure("an enterprise's first try to landed, p95", [percentile(waits, 0.95)], "s"),
                 Figure("one upload alone", alone, "s"), higher_is_better=False)
    goals.check(f"reporting-window rush, uploads answered other than 201 or 429 ({ENTERPRISES} x {ROWS:,} rows)",
                Figure("uploads answered otherwise", [errors], "uploads"),
                Figure("uploads", [ENTERPRISES], "uploads"), at_most=0)
    goals.check("reporting-window rush throughput", rush_rate, alone_rate, at_least=0.8)


if __name__ == "__main__":
    main()
