"""What the node still owes the city, read from the event log and the blob table.

The event log is the outbox: an event is pending while its seq is above the acknowledged
mark. A file is pending while some document event names it and the city has not said it
holds it whole.
"""

from __future__ import annotations

import apsw
import msgspec

from node import event_log
from rules.clock import to_utc_iso, utc_now
from rules.event_record import EventRecord
from storage.db import scalar
from uplink.pending_events import pending_events


class PendingBlob(msgspec.Struct, frozen=True):
    sha256: str
    size: int
    acked_offset: int


def acked_upto(conn: apsw.Connection, origin: str) -> int:
    value = scalar(conn, "SELECT upto_seq FROM sync_acked WHERE origin = ?", (origin,))
    return 0 if value is None else int(value)


def record_ack(conn: apsw.Connection, origin: str, upto: int) -> bool:
    """Move the mark forward (never back: acks can arrive out of order). True if it moved."""
    head = event_log.head_seq(conn, origin)
    upto = min(upto, head)  # the city cannot hold what we never wrote
    if upto <= acked_upto(conn, origin):
        return False
    conn.execute(
        "INSERT INTO sync_acked (origin, upto_seq, acked_at) VALUES (?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET upto_seq = excluded.upto_seq, "
        "acked_at = excluded.acked_at",
        (origin, upto, to_utc_iso(utc_now())),
    )
    return True


def rewind_ack(conn: apsw.Connection, origin: str, upto: int) -> bool:
    """Move the mark back to ``upto``: the city asked again from ``upto + 1``, so it no
    longer holds what it acknowledged (its store was restored). The log still has every
    event, so they are simply sent again. True if the mark moved."""
    if upto >= acked_upto(conn, origin):
        return False
    conn.execute(
        "UPDATE sync_acked SET upto_seq = ?, acked_at = ? WHERE origin = ?",
        (max(0, upto), to_utc_iso(utc_now()), origin),
    )
    return True


def last_ack_at(conn: apsw.Connection, origin: str) -> str | None:
    value = scalar(conn, "SELECT acked_at FROM sync_acked WHERE origin = ?", (origin,))
    return None if value is None else str(value)


def events_after(conn: apsw.Connection, origin: str, seq: int, limit: int) -> list[EventRecord]:
    return event_log.after(conn, origin, seq, limit)


def pending_event_stats(conn: apsw.Connection, origin: str) -> tuple[int, int, str | None]:
    """(count, bytes, recorded_at of the oldest) of events not yet acknowledged."""
    found = pending_events(conn, origin, acked_upto(conn, origin))
    return found.count, found.bytes, found.oldest_recorded_at


_PENDING_BLOBS = """
    SELECT b.sha256, b.size, COALESCE(s.acked_offset, 0)
    FROM blobs b LEFT JOIN sync_blobs s ON s.sha256 = b.sha256
    WHERE COALESCE(s.complete, 0) = 0
      AND EXISTS (SELECT 1 FROM documents d WHERE d.sha256 = b.sha256)
    ORDER BY b.stored_at, b.sha256
"""


def pending_blobs(conn: apsw.Connection, limit: int = 100) -> list[PendingBlob]:
    rows = conn.execute(f"{_PENDING_BLOBS} LIMIT ?", (limit,))
    return [PendingBlob(str(sha), int(size), int(offset)) for sha, size, offset in rows]


def pending_blob_stats(conn: apsw.Connection) -> tuple[int, int, str | None]:
    """(count, bytes still to send, stored_at of the oldest) of files not yet held."""
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(b.size - COALESCE(s.acked_offset, 0)), 0), "
        "MIN(b.stored_at) FROM blobs b LEFT JOIN sync_blobs s ON s.sha256 = b.sha256 "
        "WHERE COALESCE(s.complete, 0) = 0 "
        "AND EXISTS (SELECT 1 FROM documents d WHERE d.sha256 = b.sha256)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), None if row[2] is None else str(row[2])


def record_blob_progress(conn: apsw.Connection, sha256: str, offset: int, complete: bool) -> None:
    conn.execute(
        "INSERT INTO sync_blobs (sha256, acked_offset, complete, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO UPDATE SET acked_offset = excluded.acked_offset, "
        "complete = excluded.complete, updated_at = excluded.updated_at",
        (sha256, offset, int(complete), to_utc_iso(utc_now())),
    )
