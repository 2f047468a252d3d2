"""A wrong wall clock for a real process, for the end-to-end tests of clock faults.

``MOTCUA_CLOCK_SKEW_FILE=PATH`` makes this process's wall clock (``rules.clock.utc_now``)
run ahead by the number of seconds written in PATH (negative: behind), read again at most
every ``REREAD_SECONDS``, so a test can step the clock of a running node as an operator or
a bad NTP server would. The monotonic clock is left alone, as a real step leaves it. Unset
(always, in production) nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rules.clock import use_clock

ENV = "MOTCUA_CLOCK_SKEW_FILE"
REREAD_SECONDS = 0.05


def install_from_environment() -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    skew_file = Path(path)
    cached = [0.0, -REREAD_SECONDS]  # skew in seconds, monotonic time it was read

    def skewed() -> datetime:
        now = time.monotonic()
        if now - cached[1] >= REREAD_SECONDS:
            with contextlib.suppress(OSError, ValueError):  # being rewritten: keep the last
                cached[0] = float(skew_file.read_text().strip() or 0)
            cached[1] = now
        return datetime.now(UTC) + timedelta(seconds=cached[0])

    use_clock(skewed)
