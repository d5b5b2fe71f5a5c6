"""Certificates of origin: a product pre-review's value contents (VNM, FOB and EXW build-down) and the smart-creation
options (every certificate type judged for a destination: WO, PE, CTC, RVC) for a product of 50 materials, per
second, beside a plain Decimal sum of the same 50 material values measured in the same run.

The domain computation is what the gRPC calls (ComputeValueContent, ListCertificateOptions) run for each request
once their rows are loaded; the floor is the one arithmetic step no implementation can skip.
``BENCH_ORIGIN_CERT_SECONDS`` sets how long each run lasts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from decimal import Decimal

from bench.report import Figure, print_figure, print_header
from services.origin_cert.domain import origin, values
from services.origin_cert.reference import AGREEMENTS

SECONDS = float(os.environ.get("BENCH_ORIGIN_CERT_SECONDS", "2"))
RUNS = 5
MATERIALS = 50


def _materials() -> list[values.Material]:
    """50 materials, every third originating, with prices and usage ratios of four and six places."""
    return [values.Material(f"material {i}", f"{8500 + i % 90:04d}{i % 100:02d}", "CN" if i % 3 == 0 else "JP",
                            i % 3 == 0, Decimal(f"{0.1234 + i * 0.0101:.4f}"), Decimal(f"{1 + (i % 7) * 0.125:.6f}"))
            for i in range(MATERIALS)]


def _agreements() -> list[origin.Agreement]:
    return [origin.Agreement(code, name, name_en, code != "GENERAL", frozenset(members), tuple(criteria.split()),
                             Decimal(threshold), basis, ctc, digits, ecfa, prefix)
            for code, (name, name_en, prefix, members, criteria, threshold, basis, ctc, digits, ecfa)
            in AGREEMENTS.items()]


def _per_second(work: Callable[[], object]) -> float:
    """Calls of ``work`` per second over about SECONDS: a first batch sizes the timed one."""
    count = 10
    while True:
        started = time.perf_counter()
        for _ in range(count):
            work()
        elapsed = time.perf_counter() - started
        if elapsed >= SECONDS / 10:
            break
        count *= 4
    count = max(1, round(count * SECONDS / elapsed))
    started = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - started)


def main() -> None:
    materials = _materials()
    amounts = [m.value for m in materials]
    fob, exw = Decimal("100.00"), Decimal("92.50")
    agreements = _agreements()

    def value_content() -> tuple[Decimal | None, Decimal | None]:
        content = values.value_content(fob, exw, materials)
        return content.fob_percent, content.exw_percent

    def options() -> list[origin.Option]:
        # A fresh product each time, as each request loads its own: nothing computed carries over.
        product = origin.Product("940521", False, fob, exw, materials)
        return origin.smart_options(agreements, product, "JP", "日本")

    assert [o.agreement.code for o in options() if o.applies] == ["RCEP", "GENERAL"]
    summed, computed, offered = [], [], []
    for _ in range(RUNS):  # interleaved, so all three see the same machine
        summed.append(_per_second(lambda: sum(amounts, Decimal(0))))
        computed.append(_per_second(value_content))
        offered.append(_per_second(options))
    print_header(f"pre-review value contents and smart-creation options ({MATERIALS} materials, "
                 f"{len(agreements)} certificate types)")
    floor = Figure(f"plain Decimal sum of the {MATERIALS} values", summed, "sums/s")
    print_figure(Figure("value contents (VNM, FOB and EXW build-down)", computed, "products/s"), floor)
    print_figure(Figure("smart-creation options for a destination", offered, "products/s"), floor)


if __name__ == "__main__":
    main()
