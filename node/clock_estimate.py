"""This node's last estimate of the city's time, and the verdict on its clock.

The sync link measures the estimate from the city's acks (``uplink/clock_watch.py``) and
keeps it in ``sync_link`` under ``clock_estimate``, so the API process, ``motcua check``
and a restart with the link down all read the same one. The math is in
``rules/clock_offset.py``.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import apsw
import msgspec

from node.runtime import NodeRuntime
from rules.clock import utc_now
from rules.clock_offset import ClockCheck, ClockEstimate, check
from rules.errors import ClockUnsafe

KEY = "clock_estimate"
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_decoder = msgspec.json.Decoder(ClockEstimate)


@functools.cache
def boot_id() -> str:
    """This boot's id: the monotonic clock is comparable across processes within it."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def load(conn: apsw.Connection) -> ClockEstimate | None:
    row = conn.execute("SELECT value FROM sync_link WHERE key = ?", (KEY,)).fetchone()
    if row is None:
        return None
    try:
        return _decoder.decode(str(row[0]))
    except msgspec.DecodeError:
        return None  # written by another version: as if never measured


def save(conn: apsw.Connection, estimate: ClockEstimate) -> None:
    conn.execute(
        "INSERT INTO sync_link (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEY, msgspec.json.encode(estimate).decode()),
    )


def newest_own_event_at(conn: apsw.Connection, node_id: str) -> str | None:
    row = conn.execute(
        "SELECT recorded_at FROM events WHERE origin = ? ORDER BY seq DESC LIMIT 1", (node_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def clock_check(
    rt: NodeRuntime, conn: apsw.Connection | None = None, estimate: ClockEstimate | None = None
) -> ClockCheck:
    """Is this machine's clock fit to record dossier times? (see ``rules.clock_offset``)

    ``estimate``: judge by this one instead of the one stored."""
    conn = conn or rt.db.read()
    return check(
        estimate or load(conn),
        now_monotonic=time.monotonic(),
        now_wall=utc_now(),
        boot=boot_id(),
        threshold=rt.config.sync.clock_alarm_seconds,
        newest_own_event_at=newest_own_event_at(conn, rt.node_id),
    )


def require_sound_clock(rt: NodeRuntime, conn: apsw.Connection | None = None) -> None:
    """Raise ``ClockUnsafe`` (nothing written) while the clock is known to be off."""
    verdict = clock_check(rt, conn)
    if verdict.alarm is not None:
        raise ClockUnsafe(verdict.message, "clock")
