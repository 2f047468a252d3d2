"""The city's answer to ``motcua reconcile`` (a LogRequest): its copy of the node's own
events from a seq, a run that fits one message, and the node's claim to agree again."""

from __future__ import annotations

from typing import Final

from central.store import CentralStore
from rules.event_record import EventRecord
from sync import wire

#: A LogReply carries at most this many events, and fits half of wire.MAX_PAYLOAD
#: counting each event's body and this much for its other fields.
LOG_REPLY_EVENTS: Final = 500
EVENT_OVERHEAD: Final = 256


def log_reply(store: CentralStore, request: wire.LogRequest, at: str) -> tuple[wire.LogReply, bool]:
    """The city's copy of the node's own events from ``from_seq``, after taking the node's
    claim to agree again if it makes one; True when that claim lifted the divergence."""
    node_id = request.node_id
    reconciled = bool(request.confirm_seq) and store.confirm_reconciled(
        node_id, request.confirm_seq, request.confirm_id, at
    )
    row = store.get_node(node_id)
    head = row.acked_upto if row is not None else 0
    events: list[EventRecord] = []
    room = wire.MAX_PAYLOAD // 2
    for event in store.own_events(node_id, request.from_seq, LOG_REPLY_EVENTS):
        room -= len(event.body) + EVENT_OVERHEAD
        if room < 0 and events:
            break
        events.append(event)
    head_id = (store.own_event_id(node_id, head) or "") if head else ""
    diverged = row is not None and row.diverged_at is not None
    reply = wire.LogReply(node_id, request.from_seq, events, head, head_id, diverged)
    return reply, reconciled
