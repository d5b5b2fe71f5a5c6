"""Token buckets: ``rate`` tokens a second, bursts up to ``burst``; one bucket, or one per client key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# A refill computed in floating point can fall short of a whole token by a rounding error.
_ROUNDING = 1e-9


def _take(tokens: float, updated: float, now: float, rate: float, burst: float) -> tuple[float, float]:
    """The bucket after trying to take a token at ``now``, and how long to wait (0 when one was taken)."""
    tokens = min(burst, tokens + (now - updated) * rate)
    if tokens >= 1.0 - _ROUNDING:
        return max(0.0, tokens - 1.0), 0.0
    return tokens, (1.0 - tokens) / rate


class TokenBucket:
    """One bucket; :meth:`acquire` waits for a token (a provider's sending rate)."""

    def __init__(self, rate: float, burst: float | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a token and answer 0, or answer how long to wait for one."""
        with self._lock:
            now = self._clock()
            self._tokens, wait = _take(self._tokens, self._updated, now, self.rate, self.burst)
            self._updated = now
            return wait

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)


class KeyedTokenBuckets:
    """A bucket per client key; ``take(key)`` answers 0 or the seconds to wait. A rate of 0 turns it off."""

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
            tokens, wait = _take(tokens, updated, now, self._rate, self._burst)
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._max_clients:
                self._forget_full_buckets(now)
        return wait

    def _forget_full_buckets(self, now: float) -> None:
        """Drop clients whose bucket has refilled: they are indistinguishable from new ones."""
        refill = self._burst / self._rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
