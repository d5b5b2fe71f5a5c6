"""Documents: certificate PDFs rendered and signed per second (PAdES, pyHanko) beside ReportLab rendering
the same page unsigned, measured in the same run; and verification of a signed PDF per second.

The page is the RCEP sample: every box, two goods lines, the QR code and the embedded CJK font subset.
``BENCH_DOCUMENTS_SECONDS`` sets how long each run lasts.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.report import Figure, print_figure, print_header
from services.chassis.documents.samples import render_sample, sample_reference
from services.chassis.documents.signing import development_signer
from services.chassis.documents.verification import check_signature

SECONDS = float(os.environ.get("BENCH_DOCUMENTS_SECONDS", "3"))
RUNS = 5
KIND = "ORIGIN_RCEP"


def _rate(work: Callable[[], object]) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        work()
        done += 1
    return done / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        signer = development_signer(Path(folder), "origin_cert")
        reference = sample_reference(KIND)
        render_sample(KIND)  # the font is registered once per process, not per page
        signed = signer.sign(render_sample(KIND), reference)
        rendered, signed_rate, verified = [], [], []
        for _ in range(RUNS):  # interleaved, so both see the same machine
            rendered.append(_rate(lambda: render_sample(KIND)))
            signed_rate.append(_rate(lambda: signer.sign(render_sample(KIND), reference)))
            verified.append(_rate(lambda: check_signature(signed, signer.trust)))
    print_header("certificate PDFs (RCEP sample, one page)")
    floor = Figure("ReportLab render, unsigned", rendered, "PDFs/s")
    print_figure(Figure("render + PAdES sign", signed_rate, "PDFs/s"), floor)
    print_figure(Figure("verify a signed PDF (pyHanko)", verified, "PDFs/s"), floor)


if __name__ == "__main__":
    main()
