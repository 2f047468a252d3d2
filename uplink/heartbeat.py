"""The link loop's heartbeat: when it last showed life (read by cli/service_watchdog.py).

The loop beats at every turn; waiting for the bandwidth cap is the loop at work too (one
chunk may take minutes on a slow cap), so the cap's waits beat as well. Only a loop that
is really stuck stops beating, and then systemd's watchdog restarts the process.
"""

from __future__ import annotations

import time

from settings.sync import SyncSettings
from sync.token_bucket import TokenBucket

#: Longest sleep between two beats while waiting for the cap.
_BEAT_SECONDS = 1.0


class Heartbeat:
    def __init__(self) -> None:
        self.last: float | None = None  # time.monotonic() of the last beat; None before

    def beat(self) -> None:
        self.last = time.monotonic()

    def paced_sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, beating at least every ``_BEAT_SECONDS``."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.beat()
            time.sleep(min(left, _BEAT_SECONDS))


def paced_bucket(settings: SyncSettings, heartbeat: Heartbeat) -> TokenBucket:
    """The link's bandwidth cap (a burst of at least one chunk), beating while it waits."""
    rate = settings.bandwidth_bytes_per_s
    burst = max(rate, settings.chunk_size + 64 * 1024)
    return TokenBucket(rate, burst, sleep=heartbeat.paced_sleep)
