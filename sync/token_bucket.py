"""A token-bucket rate limiter for the node's upstream bandwidth cap.

Tokens are bytes. The bucket refills at ``rate`` bytes per second up to ``burst``. A
request larger than ``burst`` (a 256 KiB chunk under a 64 KiB burst) is not refused
forever: it waits until the bucket is full and then drives it into debt, so the long-run
rate still holds and the next caller waits the debt off. ``rate == 0`` means unlimited.

The clock and the sleep are injectable so tests run on a fake clock without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

#: Tolerance in tokens, so that sleeping exactly the computed wait always suffices.
_EPSILON: Final = 1e-6


class TokenBucket:
    """Thread-safe limiter: ``acquire(n)`` blocks until ``n`` bytes may be sent."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 0:
            raise ValueError(f"rate must be >= 0 bytes/s (0 = unlimited), got {rate}")
        if rate > 0 and burst <= 0:
            raise ValueError(f"burst must be > 0 bytes when a rate is set, got {burst}")
        self._rate = float(rate)
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)  # start full: a fresh connection may burst
        self._updated = clock()

    @property
    def rate(self) -> float:
        """Refill rate in bytes per second; 0 means unlimited."""
        return self._rate

    @property
    def burst(self) -> float:
        """Bucket capacity in bytes."""
        return self._burst

    def _refill(self) -> None:
        # Caller holds the lock.
        now = self._clock()
        elapsed = max(0.0, now - self._updated)  # a clock stepping back adds nothing
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now

    def _wait_locked(self, n: int) -> float:
        # Caller holds the lock and has refilled. Oversize requests need a full bucket.
        needed = min(float(n), self._burst)
        if self._tokens + _EPSILON >= needed:  # float refills may land a hair short
            return 0.0
        return (needed - self._tokens) / self._rate

    def wait_time(self, n: int) -> float:
        """Seconds until ``acquire(n)`` could proceed (0.0 if now); consumes nothing."""
        self._check(n)
        if self._rate == 0:
            return 0.0
        with self._lock:
            self._refill()
            return self._wait_locked(n)

    def try_acquire(self, n: int) -> bool:
        """Take ``n`` tokens if available right now; never blocks."""
        self._check(n)
        if self._rate == 0:
            return True
        with self._lock:
            self._refill()
            if self._wait_locked(n) > 0:
                return False
            self._tokens -= n
            return True

    def acquire(self, n: int, timeout: float | None = None) -> bool:
        """Block until ``n`` tokens are taken; False (nothing taken) if ``timeout`` runs out.

        Gives up early when the wait already exceeds what is left of ``timeout``: tokens
        arrive only at ``rate`` and other threads can only make the wait longer.
        """
        self._check(n)
        if self._rate == 0:
            return True
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                self._refill()
                wait = self._wait_locked(n)
                if wait == 0:
                    self._tokens -= n
                    return True
                now = self._updated
            if deadline is not None and now + wait > deadline:
                return False
            self._sleep(wait)

    @staticmethod
    def _check(n: int) -> None:
        if n < 0:
            raise ValueError(f"cannot acquire a negative number of tokens ({n})")
