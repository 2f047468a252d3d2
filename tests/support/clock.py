"""A wall clock set ahead to a chosen office time, for in-process tests whose answer
depends on the time of day (today's deadlines, this week's, this month's figures).

``rules.clock.utc_now`` is where every time the node records or judges comes from, so
setting it ahead (``rules.clock.use_clock``, as ``cli/clock_skew.py`` does for a real
process) moves the pages, the services and the sessions together. Ahead, never back: what
the node already stored (its migrations, its birth) stays in the past, as it would on a
machine where time simply went on. The clock keeps running from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from rules.clock import OFFICE_TZ, use_clock

ANY_DAY = None


@contextmanager
def office_time(at: time, weekday: int | None = ANY_DAY) -> Iterator[datetime]:
    """This process's wall clock reads the next ``at`` (office time) of ``weekday``
    (0 = Monday; any day when None), then runs on; the system clock again afterwards.

    Yields that starting moment, in the office's time zone. Log in (``staff_client``)
    inside the block: a session begun before it looks a week idle once the clock jumps.
    """
    real = datetime.now(UTC)
    local = real.astimezone(OFFICE_TZ)
    start = datetime.combine(local.date(), at, OFFICE_TZ)
    while start <= local or (weekday is not None and start.weekday() != weekday):
        start += timedelta(days=1)
    ahead = start - real
    use_clock(lambda: datetime.now(UTC) + ahead)
    try:
        yield start
    finally:
        use_clock(None)
