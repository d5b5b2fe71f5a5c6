"""Chassis thread-pool gRPC server vs a grpc.aio server, serving the same trivial unary method.

Each server runs in its own process; the client is this process. Figures: calls/s and
p50/p99 latency with one call in flight (one sequential client) and with eight
client threads. The aio server is the baseline, so a ratio above 1 favours threads.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable

import grpc

from bench.report import Figure, percentile, print_figure, print_header

SERVICE = "tongban.bench.v1.Bench"
METHOD = f"/{SERVICE}/Echo"
PAYLOAD = b"x" * 128
SECONDS_PER_RUN = 2.0
RUNS = 3
CONCURRENCY = 8


def _echo(request: bytes, _context) -> bytes:
    return request


def _serve_thread_pool(ports, with_interceptors: bool) -> None:
    from services.chassis.interceptors import AuthInterceptor, ErrorInterceptor
    from services.chassis.server import ServiceBinding, run_until_signalled, start_server
    from services.chassis.telemetry import server_interceptors

    handler = grpc.method_handlers_generic_handler(SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(_echo)})
    binding = ServiceBinding(SERVICE, lambda server: server.add_generic_rpc_handlers((handler,)))
    interceptors = [*server_interceptors(), AuthInterceptor(None), ErrorInterceptor()] if with_interceptors else []
    running = start_server([binding], host="127.0.0.1", port=0, interceptors=interceptors)
    ports.put(running.port)
    run_until_signalled(running, 0)


def _serve_aio(ports) -> None:
    import asyncio

    from services.chassis.server import SERVER_OPTIONS

    async def echo(request: bytes, _context) -> bytes:
        return request

    async def serve() -> None:
        server = grpc.aio.server(options=SERVER_OPTIONS)
        handler = grpc.method_handlers_generic_handler(SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(echo)})
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        ports.put(port)
        await server.wait_for_termination()

    asyncio.run(serve())


def _load(port: int, threads: int) -> tuple[float, list[float]]:
    """Calls for SECONDS_PER_RUN from ``threads`` client threads: (calls/s, latencies in ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(METHOD)
        call(PAYLOAD, timeout=10)  # connect before timing
        deadline = time.perf_counter() + SECONDS_PER_RUN

        def work() -> None:
            mine = []
            while (started := time.perf_counter()) < deadline:
                call(PAYLOAD, timeout=10)
                mine.append((time.perf_counter() - started) * 1000)
            with lock:
                latencies.extend(mine)

        began = time.perf_counter()
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies


def _measure(name: str, target: Callable, *args) -> dict[int, tuple[Figure, Figure, Figure]]:
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    process = context.Process(target=target, args=(ports, *args), daemon=True)
    process.start()
    try:
        port = ports.get(timeout=60)
        figures = {}
        for threads in (1, CONCURRENCY):
            rates, p50s, p99s = [], [], []
            for _ in range(RUNS):
                rate, latencies = _load(port, threads)
                rates.append(rate)
                p50s.append(percentile(latencies, 0.50))
                p99s.append(percentile(latencies, 0.99))
            label = f"{name}, {threads} client thread{'s' if threads > 1 else ''}"
            figures[threads] = (Figure(f"{label}: unary", rates, "calls/s"),
                                Figure(f"{label}: p50", p50s, "ms"), Figure(f"{label}: p99", p99s, "ms"))
        return figures
    finally:
        process.terminate()
        process.join(10)


def main() -> None:
    print_header("gRPC server: chassis thread pool vs grpc.aio (server and client in separate processes)")
    aio = _measure("grpc.aio server", _serve_aio)
    threads = _measure("thread-pool server", _serve_thread_pool, False)
    chassis = _measure("thread-pool server + chassis interceptors", _serve_thread_pool, True)
    for clients in (1, CONCURRENCY):
        for index, higher_is_better in ((0, True), (1, False), (2, False)):
            print_figure(threads[clients][index], aio[clients][index], higher_is_better=higher_is_better)
        for index, higher_is_better in ((0, True), (1, False), (2, False)):
            print_figure(chassis[clients][index], threads[clients][index], higher_is_better=higher_is_better)


if __name__ == "__main__":
    main()
