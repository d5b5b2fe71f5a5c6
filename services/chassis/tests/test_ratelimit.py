"""Token buckets: one that waits for a token (a provider's rate), and one per client (the gateway's limit)."""

from __future__ import annotations

import pytest

from services.chassis.ratelimit import KeyedTokenBuckets, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_bucket_lets_a_burst_through_then_waits_for_each_token_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        bucket.acquire()
    assert clock.slept and sum(clock.slept) == pytest.approx(0.2)


def test_keyed_buckets_allow_the_burst_then_ask_to_wait_until_a_token_refills():
    clock = FakeClock()
    limiter = KeyedTokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("a") == 0.0
    assert limiter.take("b") == 0.0


def test_keyed_buckets_at_rate_zero_never_limit():
    limiter = KeyedTokenBuckets(rate=0.0, burst=1)
    assert all(limiter.take("a") == 0.0 for _ in range(100))


def test_keyed_buckets_forget_idle_clients_when_they_hold_too_many():
    clock = FakeClock()
    limiter = KeyedTokenBuckets(rate=1.0, burst=1, clock=clock, max_clients=2)
    limiter.take("a")
    clock.now += 10
    limiter.take("b")
    limiter.take("c")
    assert "a" not in limiter._buckets and "c" in limiter._buckets
