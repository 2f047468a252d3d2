"""Applying what the city appends for this node: dossier events, catalog and calendar.

City events arrive with origin "central" and a seq dense per node; they go into the same
event log (the gap trigger guards their order) and are applied idempotently: a repeat is
skipped, a gap is refused and asked for again.
"""

from __future__ import annotations

import logging

import apsw

from node import dossier_store, event_log, reference_data
from rules.event_kinds import (
    DOSSIER_EVENT_TYPES,
    CalendarDaySet,
    ProcedureUpserted,
    decode_body,
)
from rules.event_record import EventRecord
from rules.projection import ProjectionError
from rules.replay import refold

log = logging.getLogger("motcua.sync.downstream")


class DownstreamGap(Exception):
    def __init__(self, origin: str, expected: int, got: int) -> None:
        super().__init__(f"events of {origin}: expected seq {expected}, got {got}")
        self.origin = origin
        self.expected = expected


class DownstreamConflict(Exception):
    """The city sent, at a seq this log holds, another event than the one held there."""

    def __init__(self, origin: str, seq: int, held_id: str, sent_id: str) -> None:
        super().__init__(
            f"the city sends {origin} seq {seq} as event {sent_id}, this log holds {held_id} "
            "there: was the city restored from an old copy?"
        )
        self.origin = origin
        self.seq = seq


def apply_records(conn: apsw.Connection, records: list[EventRecord]) -> int:
    """Store and project records of one origin inside the caller's transaction.

    Returns how many were new. Raises DownstreamGap (nothing of this call applied once the
    caller rolls back) when the first new record does not follow the stored head, and
    DownstreamConflict when a seq already held holds another event.
    """
    applied = 0
    for record in records:
        head = event_log.head_seq(conn, record.origin)
        if record.seq <= head:
            held = event_log.id_at(conn, record.origin, record.seq)
            if held is not None and held != record.id:
                raise DownstreamConflict(record.origin, record.seq, held, record.id)
            continue  # already applied: the city sent it again
        if record.seq != head + 1:
            raise DownstreamGap(record.origin, head + 1, record.seq)
        event_log.insert(conn, record)
        project(conn, record)
        applied += 1
    return applied


def project(conn: apsw.Connection, record: EventRecord) -> None:
    body = decode_body(record.body)
    if isinstance(body, ProcedureUpserted):
        reference_data.apply_procedure(conn, body, record.recorded_at)
    elif isinstance(body, CalendarDaySet):
        reference_data.apply_calendar_day(conn, body)
    elif isinstance(body, DOSSIER_EVENT_TYPES):
        # Fold the dossier in canonical order, the same at the centre, whatever the arrival.
        try:
            state = refold(event_log.for_stream(conn, record.stream))
        except ProjectionError as exc:
            log.error("event=projection_failed event_id=%s error=%s", record.id, exc)
            return
        if state is not None:
            dossier_store.save(conn, state)
