"""How many events the node still owes the city, their bytes and the oldest's time, cheaply.

The sync page (refreshed every few seconds), ``/healthz`` and every Birth ask. Summing the
bodies of every pending event each time costs a scan of the log's pending part: 157,000
pending events (a node that never synced 50,000 dossiers) took 0.2-0.3 s a request. The log
is append-only (triggers refuse an update or a delete), so the bytes of a seq range never
change: the sum is kept per database and origin and moved by the ranges that joined or left
since the last ask, which are a few events between two refreshes.

The count is ``head - mark`` (seqs are dense per origin, a trigger refuses a gap) and the
oldest is the first pending event: seq order is the order events were written, whatever
the clock said when they were stamped.

``motcua reconcile`` renumbers events with the node stopped; a remembered sum is used only
while the event at its head seq still has the id it had, otherwise it is recounted.
"""

from __future__ import annotations

import threading

import apsw
import msgspec

from node import event_log


class PendingEvents(msgspec.Struct, frozen=True):
    count: int
    bytes: int
    oldest_recorded_at: str | None  # the first pending event's stamp (UTC ISO)


class _Sum(msgspec.Struct, frozen=True):
    mark: int
    head: int
    head_id: str | None
    bytes: int


_sums: dict[tuple[str, str], _Sum] = {}
_lock = threading.Lock()


def _bytes(conn: apsw.Connection, origin: str, after: int, upto: int) -> int:
    """Bytes of the bodies of seqs ``after + 1 .. upto``."""
    if upto <= after:
        return 0
    row = conn.execute(
        "SELECT COALESCE(SUM(LENGTH(body)), 0) FROM events WHERE origin = ? AND seq > ?"
        " AND seq <= ?",
        (origin, after, upto),
    ).fetchone()
    return 0 if row is None else int(row[0])


def _id_at(conn: apsw.Connection, origin: str, seq: int) -> str | None:
    row = conn.execute(
        "SELECT id FROM events WHERE origin = ? AND seq = ?", (origin, seq)
    ).fetchone()
    return None if row is None else str(row[0])


def _moved(conn: apsw.Connection, origin: str, was: _Sum, mark: int, head: int) -> int | None:
    """The bytes of (mark, head] from ``was``, or None where it cannot serve (the mark went
    back, the log was renumbered, or the ranges no longer overlap)."""
    if mark < was.mark or head < was.head or mark > was.head:
        return None
    if _id_at(conn, origin, was.head) != was.head_id:
        return None
    return was.bytes - _bytes(conn, origin, was.mark, mark) + _bytes(conn, origin, was.head, head)


def pending_events(conn: apsw.Connection, origin: str, mark: int) -> PendingEvents:
    """The events of ``origin`` above ``mark``. The sums are remembered per database file
    (an in-memory database, with no file name, is always counted whole)."""
    head = event_log.head_seq(conn, origin)
    mark = min(mark, head)
    key = (conn.filename, origin)
    with _lock:
        was = _sums.get(key) if conn.filename else None
    total = None if was is None else _moved(conn, origin, was, mark, head)
    if total is None:
        total = _bytes(conn, origin, mark, head)
    with _lock:
        _sums[key] = _Sum(mark, head, _id_at(conn, origin, head), total)
    oldest = conn.execute(
        "SELECT recorded_at FROM events WHERE origin = ? AND seq = ?", (origin, mark + 1)
    ).fetchone()
    return PendingEvents(head - mark, total, None if oldest is None else str(oldest[0]))
