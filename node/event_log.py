"""Appending to and reading the event log, the node's source of truth and outbox.

Appends happen inside the caller's write transaction, together with the projection
update, so an event and its effect are committed (and fsync'd) as one. The row mapping
is shared with the city's store (``storage/event_rows.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import apsw
import uuid6

from rules.clock import to_utc_iso, utc_now
from rules.event_kinds import EventBody, encode_body, kind_of
from rules.event_record import EVENT_FORMAT, EventRecord, check_body_size
from storage.event_rows import EVENT_COLUMNS, event_from_row, event_values


def head_seq(conn: apsw.Connection, origin: str) -> int:
    row = conn.execute("SELECT MAX(seq) FROM events WHERE origin = ?", (origin,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def append(
    conn: apsw.Connection, origin: str, stream: str, body: EventBody, actor: str
) -> EventRecord:
    """Append one event with the next seq of ``origin``; the caller holds the transaction.

    Raises ``EventTooLarge`` (nothing written) for a body over ``MAX_EVENT_BODY_BYTES``.
    """
    encoded = encode_body(body)
    check_body_size(kind_of(body), encoded)
    record = EventRecord(
        origin=origin,
        seq=head_seq(conn, origin) + 1,
        id=str(uuid6.uuid7()),
        stream=stream,
        kind=kind_of(body),
        recorded_at=to_utc_iso(utc_now()),
        actor=actor,
        format=EVENT_FORMAT,
        body=encoded,
    )
    insert(conn, record)
    return record


def insert(conn: apsw.Connection, record: EventRecord) -> None:
    """Store a record as it is (also for records replicated from another origin)."""
    conn.execute(
        f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        event_values(record),
    )


def id_at(conn: apsw.Connection, origin: str, seq: int) -> str | None:
    """The id of ``origin``'s event at ``seq``, or None if the log has none there."""
    row = conn.execute(
        "SELECT id FROM events WHERE origin = ? AND seq = ?", (origin, seq)
    ).fetchone()
    return None if row is None else str(row[0])


def for_stream(conn: apsw.Connection, stream: str) -> list[EventRecord]:
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE stream = ? ORDER BY recorded_at, origin, seq",
        (stream,),
    )
    return [event_from_row(r) for r in rows]


def after(conn: apsw.Connection, origin: str, seq: int, limit: int) -> list[EventRecord]:
    """Events of ``origin`` with seq > ``seq``, in order: what the sender ships next."""
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
        (origin, seq, limit),
    )
    return [event_from_row(r) for r in rows]


def iter_all(conn: apsw.Connection) -> Iterator[EventRecord]:
    for row in conn.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY origin, seq"):
        yield event_from_row(row)


def gaps(conn: apsw.Connection) -> list[str]:
    """Origins whose seq is not exactly 1..N (empty when the log is dense)."""
    rows = conn.execute("SELECT origin, COUNT(*), MIN(seq), MAX(seq) FROM events GROUP BY origin")
    return [str(o) for o, n, lo, hi in rows if not (lo == 1 and hi == n)]
