"""One event as a row of an ``events`` table: the node's, and the city's (which puts the
owning ``node_id`` in front of the same columns).

The one mapping between :class:`EventRecord` and its columns; the node's log
(``node/event_log.py``) and the city's stores (``central/sql_tables.py``) both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rules.event_record import EventRecord

#: The columns of one event, in ``EventRecord`` field order (the order of the tuples below).
EVENT_COLUMNS = "origin, seq, id, stream, kind, recorded_at, actor, format, body"


def event_values(record: EventRecord) -> tuple[object, ...]:
    """The values to bind for ``EVENT_COLUMNS``: the record as it is."""
    return (
        record.origin,
        record.seq,
        record.id,
        record.stream,
        record.kind,
        record.recorded_at,
        record.actor,
        record.format,
        record.body,
    )


def event_from_row(row: Sequence[Any]) -> EventRecord:
    """The record a row selected as ``EVENT_COLUMNS`` holds (any driver's value types)."""
    origin, seq, id_, stream, kind, recorded_at, actor, fmt, body = row
    return EventRecord(
        str(origin),
        int(seq),
        str(id_),
        str(stream),
        str(kind),
        str(recorded_at),
        str(actor),
        int(fmt),
        bytes(body),
    )
