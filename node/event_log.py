"""Appending to and reading the event log, the node's source of truth and outbox.

Appends happen inside the caller's write transaction, together with the projection
update, so an event and its effect are committed (and fsync'd) as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apsw
import uuid6

from rules.clock import to_utc_iso, utc_now
from rules.event_kinds import EventBody, encode_body, kind_of
from rules.event_record import EVENT_FORMAT, EventRecord

_COLUMNS = "origin, seq, id, stream, kind, recorded_at, actor, format, body"


def head_seq(conn: apsw.Connection, origin: str) -> int:
    row = conn.execute("SELECT MAX(seq) FROM events WHERE origin = ?", (origin,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def append(
    conn: apsw.Connection, origin: str, stream: str, body: EventBody, actor: str
) -> EventRecord:
    """Append one event with the next seq of ``origin``; the caller holds the transaction."""
    record = EventRecord(
        origin=origin,
        seq=head_seq(conn, origin) + 1,
        id=str(uuid6.uuid7()),
        stream=stream,
        kind=kind_of(body),
        recorded_at=to_utc_iso(utc_now()),
        actor=actor,
        format=EVENT_FORMAT,
        body=encode_body(body),
    )
    insert(conn, record)
    return record


def insert(conn: apsw.Connection, record: EventRecord) -> None:
    """Store a record as it is (also for records replicated from another origin)."""
    conn.execute(
        f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.origin,
            record.seq,
            record.id,
            record.stream,
            record.kind,
            record.recorded_at,
            record.actor,
            record.format,
            record.body,
        ),
    )


def id_at(conn: apsw.Connection, origin: str, seq: int) -> str | None:
    """The id of ``origin``'s event at ``seq``, or None if the log has none there."""
    row = conn.execute(
        "SELECT id FROM events WHERE origin = ? AND seq = ?", (origin, seq)
    ).fetchone()
    return None if row is None else str(row[0])


def _record(row: tuple[Any, ...]) -> EventRecord:
    origin, seq, id_, stream, kind, recorded_at, actor, fmt, body = row
    return EventRecord(
        str(origin),
        int(seq),
        str(id_),
        str(stream),
        str(kind),  # type: ignore[call-overload]
        str(recorded_at),
        str(actor),
        int(fmt),
        bytes(body),
    )  # type: ignore[call-overload,arg-type]


def for_stream(conn: apsw.Connection, stream: str) -> list[EventRecord]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE stream = ? ORDER BY recorded_at, origin, seq",
        (stream,),
    )
    return [_record(r) for r in rows]


def after(conn: apsw.Connection, origin: str, seq: int, limit: int) -> list[EventRecord]:
    """Events of ``origin`` with seq > ``seq``, in order: what the sender ships next."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
        (origin, seq, limit),
    )
    return [_record(r) for r in rows]


def iter_all(conn: apsw.Connection) -> Iterator[EventRecord]:
    for row in conn.execute(f"SELECT {_COLUMNS} FROM events ORDER BY origin, seq"):
        yield _record(row)


def gaps(conn: apsw.Connection) -> list[str]:
    """Origins whose seq is not exactly 1..N (empty when the log is dense)."""
    rows = conn.execute("SELECT origin, COUNT(*), MIN(seq), MAX(seq) FROM events GROUP BY origin")
    return [str(o) for o, n, lo, hi in rows if not (lo == 1 and hi == n)]
