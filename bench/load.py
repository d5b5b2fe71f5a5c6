"""A small closed-loop load generator: worker processes, each with threads, each with one keep-alive connection.

The same generator drives every HTTP target so their figures compare; gRPC targets get
the same process and thread layout with one channel per process.
"""

from __future__ import annotations

import functools
import http.client
import multiprocessing
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.report import percentile


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


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
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors[0]))


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
    latencies = [value for chunk, _ in results for value in chunk]
    errors = sum(failed for _, failed in results)
    return LoadResult(
        requests_per_second=len(latencies) / seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=errors,
    )


def http_load(url: str, *, headers: Mapping[str, str] | None = None, seconds: float = 4.0, processes: int = 2,
              threads: int = 4) -> LoadResult:
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
