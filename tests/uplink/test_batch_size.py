"""Event batches are cut by their real encoded size, so one always fits ``MAX_PAYLOAD``."""

from __future__ import annotations

import msgspec

from rules.event_record import EVENT_FORMAT, EventRecord
from sync import wire
from uplink.batch_size import BATCH_FRAMING, too_large
from uplink.batch_size import fit as _fit

NODE = "xa-batch-size"


def _event(seq: int, body_bytes: int) -> EventRecord:
    return EventRecord(
        origin=NODE,
        seq=seq,
        id=f"0190f0a8-{seq:04d}-7000-8000-000000000000",
        stream="0190f0a8-0000-7000-8000-000000000000",
        kind="dossier_transitioned",
        recorded_at="2027-01-01T00:00:00Z",
        # Long Vietnamese actors: about 3 bytes a character once encoded.
        actor="cán bộ tiếp nhận Nguyễn Thị Hồng Nhung " * 50,
        format=EVENT_FORMAT,
        body=b"x" * body_bytes,
    )


def test_a_batch_of_events_with_long_actors_fits_one_payload() -> None:
    records = [_event(seq, 40_000) for seq in range(1, 121)]
    batch = _fit(records)
    assert 1 <= len(batch) < len(records)
    payload = wire.encode(wire.EventBatch(NODE, 1, batch))  # raised WireError before
    assert len(payload) <= wire.MAX_PAYLOAD
    # And it is not cut needlessly short: one more event would not have fitted.
    more = wire.EventBatch(NODE, 1, records[: len(batch) + 1])
    assert len(msgspec.msgpack.encode(more)) > wire.MAX_PAYLOAD - 64 * 1024


def test_small_events_go_in_one_batch() -> None:
    records = [_event(seq, 300) for seq in range(1, 501)]
    assert _fit(records) == records


def test_a_batch_under_a_small_broker_limit_fits_it_with_its_framing() -> None:
    room = 64 * 1024 - 1024 - BATCH_FRAMING  # a broker's max_packet_size of 64 KiB
    batch = _fit([_event(seq, 5_000) for seq in range(1, 100)], room)
    assert len(wire.encode(wire.EventBatch(NODE, 1, batch))) <= 64 * 1024 - 1024


def test_an_event_over_the_brokers_limit_is_named_not_sent() -> None:
    assert too_large(_event(7, 5_000), 64 * 1024) == ""
    why = too_large(_event(7, 100_000), 64 * 1024)
    assert "event seq 7" in why and "max_packet_size" in why
