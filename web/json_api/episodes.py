"""Log a burst of the same trouble once, with a count, instead of once per event.

A slow-connection attack or an exhausted file table produces thousands of identical
events a second; one line when it begins and one with the count when it has been quiet
for a while keep the log readable and the disk from filling.
"""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger("motcua.http")


class Episode:
    """One kind of trouble (``event``); call ``happened`` from the event loop."""

    def __init__(self, event: str, quiet_seconds: float = 10.0) -> None:
        self.event = event
        self.quiet_seconds = quiet_seconds
        self.count = 0  # events in the current episode
        self.total = 0  # since the process started
        self._began = 0.0
        self._last = 0.0

    def happened(self, detail: str = "") -> None:
        now = time.monotonic()
        self.total += 1
        self.count += 1
        self._last = now
        if self.count == 1:
            self._began = now
            log.warning("event=%s_begin %s", self.event, detail)
            asyncio.get_running_loop().call_later(self.quiet_seconds, self._check_end)

    def _check_end(self) -> None:
        quiet_for = time.monotonic() - self._last
        if quiet_for < self.quiet_seconds:
            loop = asyncio.get_running_loop()
            loop.call_later(self.quiet_seconds - quiet_for, self._check_end)
            return
        log.warning(
            "event=%s_end count=%d seconds=%.0f",
            self.event,
            self.count,
            self._last - self._began,
        )
        self.count = 0
