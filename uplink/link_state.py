"""The sync process's view of its link, kept in ``sync_link`` for status readers.

``motcua sync status`` and the API may run in another process than the link, so the
link writes what only it knows (connected, since when, last error, throughput, the round
trip to the city's answer, last progress) every couple of seconds; everything else is
derived from the database.
"""

from __future__ import annotations

import logging
import time

from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from uplink.flow import AckTimer

WRITE_EVERY_SECONDS = 2.0
log = logging.getLogger("motcua.sync.node")


class LinkStateWriter:
    def __init__(self, rt: NodeRuntime, ack_timer: AckTimer | None = None) -> None:
        self._rt = rt
        # The link's round-trip measure (its smoothed RTT), shown beside the throughput:
        # what a new event waits beyond the bytes ahead of it (see uplink/flow.py).
        self._ack_timer = ack_timer
        self._written_at = 0.0
        self._window_start = time.monotonic()
        self._window_bytes = 0
        self.throughput = 0.0  # bytes/s sent over the last write interval
        self._progress_at: str | None = None
        # Per key ("diverged": the city's copy of this log; "city_diverged": this log's
        # copy of the city's events): None is unknown at start, so the first call writes.
        self._diverged: dict[str, str | None] = {}
        self._damaged: str | None = None

    def count_sent(self, n: int) -> None:
        self._window_bytes += n

    def progress(self) -> None:
        """The city acknowledged something: the link is draining."""
        self._progress_at = to_utc_iso(utc_now())

    def diverged(self, detail: str, key: str = "diverged") -> None:
        """Record (or clear, with "") that the city's log of this node is not this log
        (``key`` "diverged") or that the city's events are not the ones held here
        ("city_diverged")."""
        if detail == self._diverged.get(key):
            return
        self._diverged[key] = detail
        if detail:
            log.error("event=log_diverged key=%s detail=%s", key, detail)
        with self._rt.db.write() as conn:
            conn.execute(
                "INSERT INTO sync_link (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, detail),
            )

    def damaged_files(self, detail: str) -> None:
        """Record (or clear, with "") the local files set aside because their copy is bad."""
        if detail == self._damaged:
            return
        self._damaged = detail
        with self._rt.db.write() as conn:
            conn.execute(
                "INSERT INTO sync_link (key, value) VALUES ('damaged_files', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (detail,),
            )

    def maybe_write(self, connected: bool, error: str) -> None:
        if time.monotonic() - self._written_at >= WRITE_EVERY_SECONDS:
            self.write(connected=connected, error=error)

    def write(self, *, connected: bool, error: str, since: str | None = None) -> None:
        now = time.monotonic()
        elapsed = max(now - self._window_start, 1e-6)
        self.throughput = self._window_bytes / elapsed
        self._window_start, self._window_bytes, self._written_at = now, 0, now
        values = {
            "connected": "1" if connected else "0",
            "last_error": error,
            "throughput_bytes_per_s": f"{self.throughput:.0f}",
            "updated_at": to_utc_iso(utc_now()),
        }
        if self._ack_timer is not None:  # "" until measured: not an earlier process's figure
            srtt = self._ack_timer.srtt
            values["round_trip_seconds"] = "" if srtt is None else f"{srtt:.3f}"
        if since is not None:
            values["connected_since"] = since
        if self._progress_at is not None:
            values["last_progress_at"] = self._progress_at
        with self._rt.db.write() as conn:
            for key, value in values.items():
                conn.execute(
                    "INSERT INTO sync_link (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
