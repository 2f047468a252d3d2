"""What a run of the node's events costs on the link: the bytes a slow uplink must carry.

A yardstick for "the bytes ahead of a new dossier", shared by ``tests/e2e`` and ``bench``:
the events are cut into batches as the node cuts them (``batch_events`` at most, and the
bytes the transport may hold at the link's rate, ``uplink/flow.py``), each batch encoded
as the node encodes it (``sync/wire.py``), and each counted with its MQTT v5 PUBLISH
framing: what the fault proxy and a shaper see, not the events' bodies alone (their ids,
actors and the framing add about 40 %).
"""

from __future__ import annotations

import apsw

from node import event_log
from sync import topics, wire
from sync.topics import Lane
from uplink import batch_size
from uplink.flow import FLIGHT_SECONDS, MIN_FLIGHT_BYTES

_QOS1_PACKET_ID = 2
_NO_PROPERTIES = 1  # MQTT v5: a property length of 0


def _varint_bytes(n: int) -> int:
    """Bytes of MQTT's variable-length integer for ``n``."""
    size = 1
    while n >= 128:
        n //= 128
        size += 1
    return size


def publish_bytes(topic: str, payload: int) -> int:
    """A QoS 1 PUBLISH of ``payload`` bytes to ``topic`` on the wire (MQTT v5, no properties)."""
    rest = 2 + len(topic.encode()) + _QOS1_PACKET_ID + _NO_PROPERTIES + payload
    return 1 + _varint_bytes(rest) + rest


def batch_limit(rate: float) -> int:
    """The most bytes of events one batch carries on a link of ``rate`` bytes/s."""
    return min(batch_size.BATCH_BYTES, max(MIN_FLIGHT_BYTES, int(rate * FLIGHT_SECONDS)))


def events_wire_bytes(
    conn: apsw.Connection, node_id: str, after: int, upto: int, batch_events: int, rate: float
) -> int:
    """Wire bytes of the node's events ``after < seq <= upto``, batched as the node does."""
    topic = topics.up(node_id, Lane.EVENTS)
    total, seq = 0, after
    while seq < upto:
        run = event_log.after(conn, node_id, seq, min(batch_events, upto - seq))
        if not run:
            raise ValueError(f"{node_id} has no event after seq {seq} (asked up to {upto})")
        batch = batch_size.fit(run, batch_limit(rate))
        payload = wire.encode(wire.EventBatch(node_id, batch[0].seq, batch))
        total += publish_bytes(topic, len(payload))
        seq = batch[-1].seq
    return total
