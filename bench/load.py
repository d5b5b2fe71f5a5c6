"""A small closed-loop load generator: worker processes, each with threads, each with one keep-alive connection.

The same generator drives every HTTP target so their figures compare; gRPC targets get
the same process and thread layout with one channel per process.
"""

from __future__ import annotations

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


def _http_worker(url: str, headers: Mapping[str, str], seconds: float, threads: int, queue) -> None:
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", parts.path, headers=dict(headers))
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors[0]))


def _grpc_worker(make_call: Callable[[], Callable[[], object]], seconds: float, threads: int, queue) -> None:
    call = make_call()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
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
