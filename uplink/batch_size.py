"""How many events go in one batch: by their real encoded size, within what the link carries."""

from __future__ import annotations

from typing import Final

import msgspec

from rules.event_record import EventRecord
from sync import wire

#: Room left in a payload for the batch's own framing.
BATCH_BYTES: Final = wire.MAX_PAYLOAD - 64 * 1024
#: The same when the broker's maximum packet size is the limit: tag, node id, first seq.
BATCH_FRAMING: Final = 512
_record_encoder: Final = msgspec.msgpack.Encoder()


def fit(records: list[EventRecord], limit: int = BATCH_BYTES) -> list[EventRecord]:
    """The longest prefix whose encoded size fits one payload (never split mid-event).

    Sized by each event's real MessagePack encoding: a fixed guess per event (256 B were
    assumed, 301-401 B measured with long ids and Vietnamese actors) lets a batch of
    large events run past ``MAX_PAYLOAD`` and be refused at every turn.
    """
    total = 0
    for i, record in enumerate(records):
        total += len(_record_encoder.encode(record))
        if total > limit and i > 0:
            return records[:i]
    return records


def too_large(record: EventRecord, room: int) -> str:
    """Why ``record`` cannot go through a broker carrying ``room`` bytes, or "".

    Such an event would be dropped with the connection at every try (the broker's
    max_packet_size), and nothing behind it would go: the link stops and says so.
    """
    size = len(_record_encoder.encode(record))
    if size <= room:
        return ""
    return (
        f"event seq {record.seq} encodes to {size} bytes, over the {room} bytes a message "
        "may carry through this broker (its max_packet_size): raise the broker's limit"
    )
