"""Processes of one instance answer one scrape: each serves its text on a socket, the scraped one adds them up."""

from __future__ import annotations

import socket
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

from services.chassis.config import REPO_ROOT
from services.chassis.metrics_siblings import ProcessSocket, merge
from services.chassis.testing import stop_process, wait_until

WORKER_A = b"""# HELP jobs_total Jobs done
# TYPE jobs_total counter
jobs_total{lane="codes"} 2.0
jobs_total{lane="bulk"} 5.0
"""
WORKER_B = b"""# HELP jobs_total Jobs done
# TYPE jobs_total counter
jobs_total{lane="codes"} 3.0
"""


def _samples(text: bytes) -> dict[tuple[str, str], float]:
    return {(s.name, s.labels.get("lane", "")): s.value
            for family in text_string_to_metric_families(text.decode()) for s in family.samples}


def test_series_with_the_same_name_and_labels_are_added_and_the_others_kept_once():
    merged = merge([WORKER_A, WORKER_B])
    assert _samples(merged) == {("jobs_total", "codes"): 5.0, ("jobs_total", "bulk"): 5.0}
    assert merged.count(b"# TYPE jobs_total counter") == 1


def test_a_process_scrape_adds_its_live_siblings_and_forgets_a_dead_ones_socket(tmp_path):
    own = ProcessSocket(tmp_path, lambda: WORKER_A)
    sibling_path = tmp_path / "metrics-999999.sock"
    try:
        sibling = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sibling.bind(str(sibling_path))  # bound, never listening: a process that died without cleaning up
        sibling.close()
        assert _samples(own.scrape()) == _samples(WORKER_A)
        assert not sibling_path.exists()
    finally:
        own.close()


def test_a_scrape_adds_what_another_process_serves_in_the_run_folder(tmp_path):
    serve_b = ("import sys, time; from pathlib import Path; "
               "from services.chassis.metrics_siblings import ProcessSocket; "
               f"ProcessSocket(Path(sys.argv[1]), lambda: {WORKER_B!r}); time.sleep(60)")
    other = subprocess.Popen([sys.executable, "-c", serve_b, str(tmp_path)], cwd=REPO_ROOT)
    own = ProcessSocket(tmp_path, lambda: WORKER_A)
    try:
        wait_until(lambda: len(list(tmp_path.glob("metrics-*.sock"))) == 2, timeout=30, what="the other's socket")
        assert _samples(own.scrape()) == {("jobs_total", "codes"): 5.0, ("jobs_total", "bulk"): 5.0}
    finally:
        own.close()
        stop_process(other)
