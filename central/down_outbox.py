"""The city's events for one node, cut into DownBatches that fit on the wire.

The events table is the outbox here too: what a node still needs is every city event for
it above ``down_acked_upto``; nothing is queued anywhere else, so a restart of the city,
of the broker or of the node loses nothing and the next send picks up from the marks.
"""

from __future__ import annotations

from typing import Final

import msgspec

from central.store import CENTRAL_ORIGIN, CentralStore
from rules.event_record import EventRecord
from sync import wire

#: Room left for the batch's own fields and MessagePack framing.
_BUDGET: Final = wire.MAX_PAYLOAD - 64 * 1024
_encoder: Final = msgspec.msgpack.Encoder()


def cut(node_id: str, events: list[EventRecord], max_events: int) -> list[wire.DownBatch]:
    """Consecutive events into batches of at most ``max_events`` and the payload budget."""
    batches: list[wire.DownBatch] = []
    run: list[EventRecord] = []
    size = 0
    for event in events:
        encoded = len(_encoder.encode(event))
        if run and (len(run) >= max_events or size + encoded > _BUDGET):
            batches.append(wire.DownBatch(node_id, CENTRAL_ORIGIN, run[0].seq, run))
            run, size = [], 0
        run.append(event)
        size += encoded
    if run:
        batches.append(wire.DownBatch(node_id, CENTRAL_ORIGIN, run[0].seq, run))
    return batches


def window(
    store: CentralStore, node_id: str, after_seq: int, max_events: int, max_batches: int
) -> list[wire.DownBatch]:
    """Up to ``max_batches`` batches of the node's city events with seq > ``after_seq``."""
    events = store.down_events(node_id, after_seq, max_events * max_batches)
    return cut(node_id, events, max_events)[:max_batches]
