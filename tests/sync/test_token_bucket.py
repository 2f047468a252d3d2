"""Token bucket on a fake clock: rate, burst, debt for oversize requests, timeouts, threads."""

from __future__ import annotations

import threading

import pytest

from sync.token_bucket import TokenBucket


class FakeClock:
    """Time that moves only when someone sleeps; thread-safe."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the bucket must never busy-loop with zero sleeps"
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def bucket(rate: float, burst: float, clock: FakeClock) -> TokenBucket:
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)


def test_starts_full_and_bursts_without_waiting() -> None:
    clock = FakeClock()
    b = bucket(1000, 500, clock)
    assert b.wait_time(500) == 0.0
    assert b.acquire(500)
    assert clock.slept == []


def test_waits_for_refill_at_the_rate() -> None:
    clock = FakeClock()
    b = bucket(1000, 500, clock)
    assert b.acquire(500)
    assert b.wait_time(250) == pytest.approx(0.25)
    assert b.acquire(250)
    assert sum(clock.slept) == pytest.approx(0.25)


def test_wait_time_consumes_nothing() -> None:
    clock = FakeClock()
    b = bucket(100, 100, clock)
    for _ in range(3):
        assert b.wait_time(100) == 0.0
    assert b.try_acquire(100)
    assert not b.try_acquire(1)


def test_refill_is_capped_at_burst() -> None:
    clock = FakeClock()
    b = bucket(1000, 500, clock)
    assert b.acquire(500)
    clock.advance(60)  # an idle minute does not bank 60 kB
    assert b.acquire(500)
    assert not b.try_acquire(1)


def test_long_run_rate_holds_for_many_small_acquires() -> None:
    clock = FakeClock()
    b = bucket(10_000, 1_000, clock)
    start = clock()
    for _ in range(100):
        assert b.acquire(1_000)
    # 100 kB at 10 kB/s, the first 1 kB from the initial burst.
    assert clock() - start == pytest.approx(9.9)


def test_oversize_request_waits_for_full_bucket_then_goes_into_debt() -> None:
    clock = FakeClock()
    b = bucket(1000, 100, clock)
    assert b.acquire(100)
    assert b.wait_time(1000) == pytest.approx(0.1)  # needs a full bucket, not 1000 tokens
    assert b.acquire(1000)
    # 900 tokens of debt: the next 100 bytes wait for debt + 100 tokens.
    assert b.wait_time(100) == pytest.approx(1.0)


def test_timeout_gives_up_without_taking_tokens() -> None:
    clock = FakeClock()
    b = bucket(100, 100, clock)
    assert b.acquire(100)
    assert not b.acquire(50, timeout=0.1)  # needs 0.5 s
    assert clock.slept == []  # gave up at once: waiting could not have helped
    assert b.acquire(50, timeout=0.5)
    assert not b.try_acquire(1)


def test_zero_rate_is_unlimited() -> None:
    clock = FakeClock()
    b = bucket(0, 0, clock)
    assert b.wait_time(10**12) == 0.0
    assert b.acquire(10**12, timeout=0)
    assert b.try_acquire(10**12)
    assert clock.slept == []


@pytest.mark.parametrize(("rate", "burst"), [(-1, 10), (10, 0), (10, -5)])
def test_rejects_bad_settings(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)


def test_rejects_negative_requests() -> None:
    with pytest.raises(ValueError, match="negative"):
        TokenBucket(10, 10).acquire(-1)


def test_clock_stepping_back_adds_no_tokens() -> None:
    clock = FakeClock()
    b = bucket(100, 100, clock)
    assert b.acquire(100)
    clock.advance(-50)
    assert not b.try_acquire(1)


def test_threads_share_the_budget() -> None:
    clock = FakeClock()
    b = bucket(1_000, 100, clock)
    start = clock()
    taken: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            assert b.acquire(10)
            with lock:
                taken.append(10)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sum(taken) == 4_000
    # Never more than burst + rate * elapsed, whatever the interleaving.
    assert sum(taken) <= 100 + 1_000 * (clock() - start) + 1e-6
