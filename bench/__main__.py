"""`make bench`: run every benchmark module (bench/bench_*.py) in turn, or those named.

``python -m bench gateway identity`` runs bench_gateway.py and bench_identity.py only. The goals the
benchmarks checked are printed again at the end, each met or not.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from bench import goals


def main(argv: list[str]) -> int:
    names = argv or sorted(path.stem.removeprefix("bench_") for path in Path(__file__).parent.glob("bench_*.py"))
    failed = []
    for name in names:
        started = time.monotonic()
        print(f"\n######## {name}", flush=True)
        try:
            importlib.import_module(f"bench.bench_{name}").main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"benchmark {name} failed: {exc!r}", flush=True)
        print(f"({name}: {time.monotonic() - started:.0f}s)", flush=True)
    goals.print_summary()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
