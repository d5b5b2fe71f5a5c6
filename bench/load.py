"""Load generators: wrk for HTTP when it is installed, else a small closed-loop one in Python.

The Python one runs worker processes, each with threads, each with one keep-alive
connection; it costs CPU on the same cores as the server it measures, which wrk (in C)
hardly does. gRPC targets always get the Python one, the same process and thread layout
with one channel per process. :func:`cpu_seconds` reads what a server process and its
children (gunicorn's workers) have spent, to put a server's own CPU per call beside its
throughput; the Python generator also reports what its own processes spent while they
called (``client_cpu_seconds``), which for gRPC is the client's side of each call.
"""

from __future__ import annotations

import functools
import http.client
import multiprocessing
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.report import percentile


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    # Calls answered 200 (or without error, for gRPC) over the whole run.
    completed: int = 0
    # CPU the Python generator's processes spent while their threads called (0 for wrk, which is not measured).
    client_cpu_seconds: float = 0.0

    @property
    def client_cpu_ms_per_call(self) -> float:
        return self.client_cpu_seconds * 1000 / max(1, self.completed)


def _drive(make_thread_call: Callable[[], Callable[[], None]], seconds: float, threads: int, queue) -> None:
    """Each thread repeats its own call until the deadline; the latencies of the ones that succeeded go back."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
        call = make_thread_call()
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                call()
            except Exception:
                failed += 1
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=run) for _ in range(threads)]
    # From the threads' start to their end only: not the process's start-up, imports or channel.
    cpu_before = time.process_time()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors[0], time.process_time() - cpu_before))


def _keep_alive_get(url: str, headers: Mapping[str, str]) -> Callable[[], None]:
    """One keep-alive connection per thread; a broken one is replaced on the next call."""
    parts = urlsplit(url)
    connection = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)]

    def get() -> None:
        try:
            connection[0].request("GET", parts.path, headers=dict(headers))
            response = connection[0].getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection[0].close()
            connection[0] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")

    return get


def _http_worker(url: str, headers: Mapping[str, str], seconds: float, threads: int, queue) -> None:
    _drive(functools.partial(_keep_alive_get, url, headers), seconds, threads, queue)


def _grpc_worker(make_call: Callable[[], Callable[[], object]], seconds: float, threads: int, queue) -> None:
    call = make_call()  # one channel per process, shared by its threads
    _drive(lambda: call, seconds, threads, queue)


def _collect(targets: list[multiprocessing.Process], queue, seconds: float) -> LoadResult:
    for process in targets:
        process.start()
    results = [queue.get(timeout=seconds + 60) for _ in targets]
    for process in targets:
        process.join()
    latencies = [value for chunk, _, _ in results for value in chunk]
    errors = sum(failed for _, failed, _ in results)
    return LoadResult(
        requests_per_second=len(latencies) / seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=errors,
        completed=len(latencies),
        client_cpu_seconds=sum(cpu for _, _, cpu in results),
    )


def http_generator() -> str:
    """Which HTTP load generator :func:`http_load` uses: ``wrk`` when it is on the PATH, else ``python``."""
    return "wrk" if shutil.which("wrk") else "python"


def http_load(url: str, *, headers: Mapping[str, str] | None = None, seconds: float = 4.0, processes: int = 2,
              threads: int = 4) -> LoadResult:
    """``processes`` x ``threads`` keep-alive connections for ``seconds``: wrk's threads and connections, or ours."""
    if http_generator() == "wrk":
        return wrk_load(url, headers=headers, seconds=seconds, threads=processes, connections=processes * threads)
    return python_http_load(url, headers=headers, seconds=seconds, processes=processes, threads=threads)


def python_http_load(url: str, *, headers: Mapping[str, str] | None = None, seconds: float = 4.0,
                     processes: int = 2, threads: int = 4) -> LoadResult:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    targets = [context.Process(target=_http_worker, args=(url, dict(headers or {}), seconds, threads, queue))
               for _ in range(processes)]
    return _collect(targets, queue, seconds)


def grpc_load(make_call: Callable[[], Callable[[], object]], *, seconds: float = 4.0, processes: int = 2,
              threads: int = 4) -> LoadResult:
    """``make_call`` runs in each worker process (after the spawn) and returns the call to repeat."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    targets = [context.Process(target=_grpc_worker, args=(make_call, seconds, threads, queue))
               for _ in range(processes)]
    return _collect(targets, queue, seconds)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk_load(url: str, *, headers: Mapping[str, str] | None = None, seconds: float = 4.0, threads: int = 2,
             connections: int = 8) -> LoadResult:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    for name, value in (headers or {}).items():
        argv[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return parse_wrk(output, seconds)


def parse_wrk(output: str, seconds: float) -> LoadResult:
    """wrk's summary as a LoadResult: requests and non-2xx answers, the 50% and 99% latencies."""
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    latency = {share: float(value) * _UNITS[unit]
               for share, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", output, re.MULTILINE)}
    completed = total - (int(non_2xx.group(1)) if non_2xx else 0)
    return LoadResult(requests_per_second=completed / seconds, p50_ms=latency.get("50", 0.0),
                      p99_ms=latency.get("99", 0.0), errors=errors, completed=completed)


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process and all its descendants have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in _tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found
