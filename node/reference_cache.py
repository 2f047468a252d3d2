"""The work calendar and catalog, kept in memory between changes.

Every dossier reception needs both; rebuilding the calendar from its rows on each request
was a measurable share of a create. The cache key is the number of catalog and calendar
events: the log only grows, so any import (from this process, the CLI, or the city)
changes the key, and a stale entry can never be used.
"""

from __future__ import annotations

import threading
from datetime import time

import apsw

from node import reference_data
from node.reference_data import Procedure
from rules.reference_streams import CALENDAR_STREAM, CATALOG_STREAM
from rules.work_calendar import WorkCalendar

_KEY_SQL = (
    "SELECT (SELECT COUNT(*) FROM events WHERE stream = ?), "
    "(SELECT COUNT(*) FROM events WHERE stream = ?)"
)


class ReferenceCache:
    def __init__(self, periods: list[tuple[time, time]]) -> None:
        self._periods = periods
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._calendar: WorkCalendar | None = None
        self._procedures: dict[str, Procedure | None] = {}

    def _fresh(self, conn: apsw.Connection) -> None:
        row = conn.execute(_KEY_SQL, (CATALOG_STREAM, CALENDAR_STREAM)).fetchone()
        assert row is not None
        key = (int(row[0]), int(row[1]))
        if key != self._key:
            self._key, self._calendar, self._procedures = key, None, {}

    def calendar(self, conn: apsw.Connection) -> WorkCalendar:
        with self._lock:
            self._fresh(conn)
            if self._calendar is None:
                self._calendar = reference_data.work_calendar(conn, self._periods)
            return self._calendar

    def procedure(self, conn: apsw.Connection, code: str) -> Procedure | None:
        """The current version of ``code``."""
        with self._lock:
            self._fresh(conn)
            if code not in self._procedures:
                self._procedures[code] = reference_data.get_procedure(conn, code)
            return self._procedures[code]
