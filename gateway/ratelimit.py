"""The gateway's rate limit per client (token subject, else address): shared through Redis, or per worker.

With ``REDIS_URL`` every worker of every pod counts in the same Redis (the ``limits``
package's moving window: ``burst`` requests in any ``burst / rate`` seconds, the same
ceiling as a token bucket of that rate and burst, averaged over the window). Without it
each worker process keeps its own token buckets, so a client's real ceiling is the rate
times the workers and pods. When Redis does not answer, requests pass: the limit protects
the platform, it must not take it down.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

from services.chassis.ratelimit import KeyedTokenBuckets

log = logging.getLogger(__name__)

# A Redis that does not answer within this costs each request no more than this.
REDIS_TIMEOUT_SECONDS = 0.25
# How often a Redis outage is logged while it lasts.
OUTAGE_LOG_SECONDS = 30.0


class Limiter(Protocol):
    def wait(self, key: str) -> float:
        """0 when ``key`` may make this request now; else the seconds until it may."""


class WorkerLimiter:
    """Token buckets in this worker process (``rate`` 0 turns them off)."""

    def __init__(self, rate: float, burst: int):
        self._buckets = KeyedTokenBuckets(rate, burst)

    def wait(self, key: str) -> float:
        return self._buckets.take(key)


class RedisLimiter:
    """One moving window per client in Redis, shared by every worker and pod."""

    def __init__(self, url: str, rate: float, burst: int, *, prefix: str = "tongban-gateway"):
        from limits import RateLimitItemPerSecond
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self._item = RateLimitItemPerSecond(burst, max(1, round(burst / rate)))
        self._storage = RedisStorage(url, key_prefix=prefix, wrap_exceptions=True,
                                     socket_timeout=REDIS_TIMEOUT_SECONDS,
                                     socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self._strategy = MovingWindowRateLimiter(self._storage)
        self._outage_logged_at: float | None = None

    def wait(self, key: str) -> float:
        from limits.errors import StorageError

        try:
            if self._strategy.hit(self._item, key):
                self._outage_logged_at = None
                return 0.0
            reset_at = self._strategy.get_window_stats(self._item, key).reset_time
        except StorageError as error:
            now = time.monotonic()
            if self._outage_logged_at is None or now - self._outage_logged_at >= OUTAGE_LOG_SECONDS:
                self._outage_logged_at = now
                log.warning("the rate limit's Redis does not answer (%s); requests pass unlimited", error)
            return 0.0
        # Whole seconds, as Retry-After says them; never 0 for a refusal.
        return max(1.0, math.ceil(reset_at - time.time()))


def make_limiter(rate: float, burst: int, redis_url: str | None) -> Limiter:
    if rate <= 0:
        return WorkerLimiter(0.0, burst)
    if redis_url:
        return RedisLimiter(redis_url, rate, burst)
    return WorkerLimiter(rate, burst)
