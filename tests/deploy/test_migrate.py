"""deploy.migrate: pods starting together migrate one at a time, on a real PostgreSQL."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from deploy import migrate
from services.chassis.db import make_engine, single_run

RECORD = "import sys, time; f = open(sys.argv[1], 'a'); f.write(f'start {time.monotonic()}\\n'); f.flush(); " \
         "time.sleep(0.4); f.write(f'end {time.monotonic()}\\n')"


def test_runs_holding_the_lock_do_not_overlap(postgres_database, tmp_path):
    url = postgres_database("migrate_lock")
    logs = [tmp_path / f"run{i}.log" for i in range(3)]
    codes: list[int] = []
    threads = [threading.Thread(target=lambda log=log: codes.append(
        migrate.run_locked(url, "svc.migrate", [sys.executable, "-c", RECORD, str(log)], poll=0.05)))
        for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert codes == [0, 0, 0]
    spans = sorted(tuple(float(line.split()[1]) for line in log.read_text().splitlines()) for log in logs)
    for (_start, end), (next_start, _end) in itertools.pairwise(spans):
        assert next_start >= end, spans


def test_a_run_waits_for_the_lock_and_gives_up_after_its_timeout(postgres_database, tmp_path):
    url = postgres_database("migrate_wait")
    marker = tmp_path / "ran"
    engine = make_engine(url)
    try:
        with single_run(engine, "svc.migrate") as held:
            assert held
            code = migrate.run_locked(url, "svc.migrate", [sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
                                      timeout=0.5, poll=0.1)
        assert code == 1 and not marker.exists()
        # Another service's lock is another lock.
        with single_run(engine, "other.migrate"):
            assert migrate.run_locked(url, "svc.migrate", [sys.executable, "-c", "raise SystemExit(3)"]) == 3
    finally:
        engine.dispose()


def test_concurrent_migrations_of_a_real_service_leave_the_schema_at_head(postgres_database):
    url = postgres_database("migrate_inspection")
    env = {"INSPECTION_DATABASE_URL": url, "TONGBAN_ENV": "test", "PATH": "/usr/bin:/bin"}
    runs = [subprocess.Popen([sys.executable, "-m", "deploy.migrate", "inspection"], env=env,
                             cwd=Path(migrate.__file__).resolve().parents[1], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert sum("Running upgrade" in output for output in outputs) == 1, outputs
    engine = make_engine(url)
    try:
        assert {"alembic_version", "outbox_messages"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("argv", [["nonexistent"], ["rare-earth"]])
def test_an_unknown_service_is_refused(argv, capsys):
    assert migrate.main(argv) == 2
    assert "no service" in capsys.readouterr().err
