"""Requests per client address over a sliding window, failures counted more strictly
(``[lookup]`` settings). In the process's memory: a restart forgets, which only ever
lets a client in sooner; with several city processes, each counts its own share.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from settings.public_pages import LookupSettings

#: Addresses remembered at most; past it the longest idle is forgotten first, so a flood of
#: spoofed addresses cannot grow the process without bound.
MAX_CLIENTS = 50_000


@dataclass
class _Client:
    requests: deque[float] = field(default_factory=deque)
    failures: deque[float] = field(default_factory=deque)


class ClientLimiter:
    def __init__(
        self,
        limits: LookupSettings,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._max_clients = max_clients
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds before ``address`` may ask again, or None when it may ask now."""
        with self._lock:
            now = self._clock()
            client = self._clients.get(address)
            if client is None:
                return None
            self._forget_old(client, now)
            waits = [
                times[0] + self._limits.window_seconds - now
                for times, limit in (
                    (client.requests, self._limits.max_requests),
                    (client.failures, self._limits.max_failures),
                )
                if len(times) >= limit
            ]
            return max(1, math.ceil(max(waits))) if waits else None

    def record(self, address: str, *, failed: bool) -> None:
        """Count one answered request (and one failure: a wrong code or PIN)."""
        with self._lock:
            now = self._clock()
            client = self._clients.pop(address, None) or _Client()
            self._clients[address] = client  # most recent last
            client.requests.append(now)
            if failed:
                client.failures.append(now)
            while len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)

    def _forget_old(self, client: _Client, now: float) -> None:
        horizon = now - self._limits.window_seconds
        for times in (client.requests, client.failures):
            while times and times[0] <= horizon:
                times.popleft()
