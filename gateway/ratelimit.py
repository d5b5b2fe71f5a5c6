"""Per-client token buckets.

The buckets live in the worker process: each gunicorn worker limits on its own, so a
client's real ceiling is the per-process rate times the number of workers (and pods).
A shared limit would need a shared store (Redis or similar) that this platform does not
run; the per-process limit still stops one client from flooding a worker, which is the
point, and costs no network hop per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucketLimiter:
    """``rate`` tokens a second up to ``burst``; ``take(key)`` answers 0 or the seconds to wait."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 100_000):
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def take(self, key: str) -> float:
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - updated) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self._rate
            if len(self._buckets) > self._max_clients:
                self._forget_full_buckets(now)
        return wait

    def _forget_full_buckets(self, now: float) -> None:
        """Drop clients whose bucket has refilled: they are indistinguishable from new ones."""
        refill = self._burst / self._rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
