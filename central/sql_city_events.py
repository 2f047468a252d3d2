"""The city's own events: actions on a dossier and catalog/calendar data for a node.

Each is appended to the owning node's log under origin ``central`` with the node's next
``central_seq``, in a write transaction holding that node's lock, so it never races one
of the node's batches.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import uuid6

from central import timestamps
from central.sql_tables import (
    Tx,
    ensure_node,
    insert_events,
    save_dossiers,
    select_events,
    set_node,
    stream_events,
)
from central.store import CENTRAL_ORIGIN, AppendResult, Decide, DossierContext, NodeRow
from rules.errors import NotFound  # the API maps it to 404
from rules.event_kinds import EventBody, FollowingEvent, encode_body, kind_of
from rules.event_record import EVENT_FORMAT, EventRecord, check_body_size
from rules.reference_streams import reference_stream
from rules.replay import canonical_order, last_event_id, refold

REFERENCE_KINDS = ("procedure_upserted", "calendar_day_set")


def dossier_owner(tx: Tx, dossier_id: str) -> str:
    """The node that owns the dossier; NotFound when the city holds no such dossier."""
    owner = tx.rows("SELECT node_id FROM dossiers WHERE id = ?", (dossier_id,))
    if not owner:
        raise NotFound(f"no dossier with id {dossier_id!r}")
    return str(owner[0][0])


def append_central(
    tx: Tx, node_id: str, dossier_id: str, decide: Decide, actor: str, at: str
) -> AppendResult:
    """Append the event ``decide`` builds to the dossier; the caller holds the node's lock."""
    row = ensure_node(tx, node_id, at)
    events = stream_events(tx, node_id, dossier_id)
    state = refold(events)
    if state is None:
        raise NotFound(f"no dossier with id {dossier_id!r}")
    ctx = DossierContext(
        node_id,
        state,
        events,
        _calendar(tx, node_id),
        timestamps.after([e.recorded_at for e in events], timestamps.instant(at)),
    )
    body = decide(ctx)
    if isinstance(body, FollowingEvent):  # the version decided on: see rules/replay.py
        body = msgspec.structs.replace(body, after=last_event_id(events))
    record = _append(tx, row, dossier_id, body, actor, ctx.recorded_at)
    new_state = refold([*events, record])
    assert new_state is not None
    save_dossiers(tx, node_id, [new_state])
    return AppendResult(node_id, new_state, record)


def append_reference(
    tx: Tx, node_id: str, bodies: Iterable[EventBody], actor: str, at: str
) -> list[EventRecord]:
    records: list[EventRecord] = []
    row = ensure_node(tx, node_id, at)
    for body in bodies:
        record = _append(tx, row, reference_stream(body), body, actor, at)
        row = msgspec.structs.replace(row, central_seq=record.seq)
        records.append(record)
    return records


def reference_events(tx: Tx, node_id: str) -> list[EventRecord]:
    """The node's catalog and calendar events (its own and the city's), canonical order."""
    return canonical_order(
        select_events(tx, "node_id = ? AND kind IN (?, ?)", (node_id, *REFERENCE_KINDS))
    )


def _calendar(tx: Tx, node_id: str) -> list[EventRecord]:
    return canonical_order(
        select_events(tx, "node_id = ? AND kind = ?", (node_id, "calendar_day_set"))
    )


def _append(
    tx: Tx, row: NodeRow, stream: str, body: EventBody, actor: str, recorded_at: str
) -> EventRecord:
    encoded = encode_body(body)
    check_body_size(kind_of(body), encoded)  # a pushed event must fit the wire as well
    record = EventRecord(
        origin=CENTRAL_ORIGIN,
        seq=row.central_seq + 1,
        id=str(uuid6.uuid7()),
        stream=stream,
        kind=kind_of(body),
        recorded_at=recorded_at,
        actor=actor,
        format=EVENT_FORMAT,
        body=encoded,
    )
    insert_events(tx, row.node_id, [record])
    set_node(tx, row.node_id, central_seq=record.seq)
    return record
