"""Wire format: round trips, invariants checked on decode, typed errors, evolution, docs."""

from __future__ import annotations

import inspect
import typing

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.event_record import EVENT_FORMAT, EventRecord
from sync import wire
from sync.topics import Direction, Lane
from sync.wire import (
    Birth,
    BlobChunk,
    ChunkAck,
    ChunkOffer,
    DownAck,
    DownBatch,
    EventAck,
    EventBatch,
    Offline,
    ResendRequest,
    WireError,
)

NODE = "xa-an-binh"
SHA = "ab" * 32
NOW = "2027-02-05T03:04:05.123Z"


def event(seq: int, origin: str = NODE, body: bytes = b'{"k":1}') -> EventRecord:
    return EventRecord(
        origin=origin,
        seq=seq,
        id=f"0190a5d2-0000-7000-8000-{seq:012d}",
        stream="0190a5d2-1111-7000-8000-000000000001",
        kind="dossier_received",
        recorded_at=NOW,
        actor="staff:lan",
        format=EVENT_FORMAT,
        body=body,
    )


ONE_OF_EACH: list[wire.Message] = [
    EventBatch(NODE, 7, [event(7), event(8)]),
    EventAck(NODE, NODE, 8),
    ResendRequest(NODE, NODE, 9),
    ResendRequest(NODE, NODE, 9, refused_seq=13),
    ChunkOffer(NODE, SHA, 1_000_000),
    BlobChunk(NODE, SHA, 1_000_000, 262_144, b"\x00\xff" * 10),
    ChunkAck(NODE, SHA, 524_288, False),
    Birth(NODE, NOW, 8, "0.1.0"),
    Offline(NODE, NOW),
    DownBatch(NODE, "central", 1, [event(1, "central")]),
    DownAck(NODE, "central", 1),
    wire.LogRequest(NODE, 5, 8, "0190a5d2-0000-7000-8000-000000000008"),
    wire.LogReply(NODE, 5, [event(5), event(6)], 8, "0190a5d2-0000-7000-8000-000000000008", True),
]


def union_members() -> set[type[msgspec.Struct]]:
    return set(typing.get_args(wire.Message))


def test_examples_cover_every_message_type() -> None:
    assert {type(m) for m in ONE_OF_EACH} == union_members()


@pytest.mark.parametrize("msg", ONE_OF_EACH, ids=lambda m: type(m).__name__)
def test_round_trip(msg: wire.Message) -> None:
    payload = wire.encode(msg)
    assert isinstance(payload, bytes)
    assert wire.decode(payload) == msg


def test_tag_is_first_and_fields_are_positional() -> None:
    # array_like: field names are not on the wire, so field order is the contract.
    at = "2027-02-01T02:00:00.000000Z"
    raw = msgspec.msgpack.decode(wire.encode(EventAck(NODE, NODE, 42, "e-42", at)))
    assert raw == ["ack", NODE, NODE, 42, "e-42", at, 0]


def test_an_ack_from_an_older_city_has_no_time_and_a_bad_time_is_refused() -> None:
    older = wire.decode(msgspec.msgpack.encode(["ack", NODE, NODE, 42, "e-42"]))
    assert isinstance(older, EventAck) and older.city_time == ""
    with pytest.raises(wire.WireError, match="city_time"):
        wire.decode(msgspec.msgpack.encode(["ack", NODE, NODE, 42, "e-42", "2027-13-45T99:99:99Z"]))


def test_tags_are_unique() -> None:
    tags = [t.__struct_config__.tag for t in union_members()]
    assert len(tags) == len(set(tags))


@settings(deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.integers(min_value=1, max_value=2**53),
    bodies=st.lists(st.binary(max_size=200), min_size=1, max_size=20),
)
def test_event_batch_round_trips_any_run(first: int, bodies: list[bytes]) -> None:
    batch = EventBatch(NODE, first, [event(first + i, body=b) for i, b in enumerate(bodies)])
    assert wire.decode(wire.encode(batch)) == batch


def test_a_refusal_from_an_older_city_names_no_batch() -> None:
    # A city before refused_seq: the node keeps the old rule for it (uplink/node_link.py).
    older = wire.decode(msgspec.msgpack.encode(["resend", NODE, NODE, 9, False]))
    assert older == ResendRequest(NODE, NODE, 9) and older.refused_seq == 0


def test_older_decoder_ignores_a_newer_trailing_field() -> None:
    # A newer peer appended a field (with a default, last): today's decoder still reads it.
    newer = ["ack", NODE, NODE, 42, "e-42", "", 0, "some-new-field"]
    assert wire.decode(msgspec.msgpack.encode(newer)) == EventAck(NODE, NODE, 42, "e-42")
    # And an older peer's message, without the field, gets its default.
    older = ["ack", NODE, NODE, 42]
    assert wire.decode(msgspec.msgpack.encode(older)) == EventAck(NODE, NODE, 42, "")


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (b"\xc1", "not MessagePack"),
        (b"", "not MessagePack"),
        (msgspec.msgpack.encode(["nope", NODE]), "not a valid message"),
        (msgspec.msgpack.encode({"node_id": NODE}), "not a valid message"),
        (msgspec.msgpack.encode(["ack", NODE, NODE, "42"]), r"Expected `int`"),
        (msgspec.msgpack.encode(["ack", NODE, NODE, -1]), r">= 0"),
        (msgspec.msgpack.encode(["ack", NODE, NODE]), "not a valid message"),
        (msgspec.msgpack.encode(["ack", "Bad/Node", NODE, 1]), "not a valid message"),
        (msgspec.msgpack.encode(["ack", "abc\n", NODE, 1]), "not a valid message"),
        (msgspec.msgpack.encode(["birth", "central", NOW, 0, "v"]), "not a valid message"),
        (msgspec.msgpack.encode(["birth", NODE, "yesterday", 0, "v"]), "not a valid message"),
        (msgspec.msgpack.encode(["offer", NODE, "AB" * 32, 1]), "not a valid message"),
    ],
)
def test_bad_payloads_raise_wire_error(payload: bytes, complaint: str) -> None:
    with pytest.raises(WireError, match=complaint):
        wire.decode(payload)


def encode_raw(msg_tag: str, *fields: object) -> bytes:
    return msgspec.msgpack.encode([msg_tag, *fields])


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (encode_raw("batch", NODE, 1, []), "at least one event"),
        (encode_raw("batch", NODE, 1, [event(1), event(3)]), "event 1 has seq 3, expected 2"),
        (encode_raw("batch", NODE, 2, [event(1)]), "event 0 has seq 1, expected 2"),
        (encode_raw("batch", NODE, 1, [event(1, "other-node")]), "origin 'other-node'"),
        (encode_raw("down_batch", NODE, "central", 1, [event(1)]), "origin 'xa-an-binh'"),
        (encode_raw("chunk", NODE, SHA, 10, 8, b"abc"), "runs past the file size 10"),
    ],
)
def test_decode_enforces_message_invariants(payload: bytes, complaint: str) -> None:
    with pytest.raises(WireError, match=complaint):
        wire.decode(payload)


def test_constructing_an_inconsistent_batch_fails_too() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        EventBatch(NODE, 1, [event(1), event(1)])


def test_oversize_payload_is_refused_before_decoding() -> None:
    payload = b"\x00" * (wire.MAX_PAYLOAD + 1)
    with pytest.raises(WireError, match="over the 4194304-byte limit"):
        wire.decode(payload)


def test_encode_refuses_to_produce_an_oversize_payload() -> None:
    big = BlobChunk(NODE, SHA, wire.MAX_PAYLOAD + 10, 0, b"x" * wire.MAX_PAYLOAD)
    with pytest.raises(WireError, match="send it in smaller pieces"):
        wire.encode(big)


def test_default_chunk_fits_with_room() -> None:
    chunk = BlobChunk(NODE, SHA, 10**9, 10**9 - 256 * 1024, b"x" * 256 * 1024)
    assert len(wire.encode(chunk)) < wire.MAX_PAYLOAD // 8


def test_every_message_has_a_route() -> None:
    assert set(wire.ROUTES) == union_members()
    assert wire.route_allowed(EventAck(NODE, NODE, 1), Direction.DOWN, Lane.CONTROL)
    assert not wire.route_allowed(EventAck(NODE, NODE, 1), Direction.UP, Lane.CONTROL)
    assert not wire.route_allowed(ONE_OF_EACH[0], Direction.UP, Lane.BLOBS)


MESSAGE_TYPES = sorted(union_members(), key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", MESSAGE_TYPES, ids=[c.__name__ for c in MESSAGE_TYPES])
def test_every_message_and_field_is_documented(cls: type[msgspec.Struct]) -> None:
    assert cls.__doc__ and cls.__doc__.strip()
    source = inspect.getsource(cls)
    for field in cls.__struct_fields__:
        lines = [ln for ln in source.splitlines() if ln.strip().startswith(f"{field}:")]
        assert len(lines) == 1 and "  # " in lines[0], f"{cls.__name__}.{field} has no comment"


def test_a_birth_and_its_death_name_the_same_connection_and_older_peers_still_read() -> None:
    birth = wire.Birth(NODE, NOW, 7, "0.1.0", 3)
    assert wire.decode(wire.encode(birth)) == birth
    # An older node's Birth and will (no bd_seq) read as connection 0.
    assert wire.decode(msgspec.msgpack.encode(["offline", NODE, NOW])) == wire.Offline(NODE, NOW)
    assert wire.decode(msgspec.msgpack.encode(["offline", NODE, NOW, 3])).bd_seq == 3  # type: ignore[union-attr]


def test_city_state_round_trips_and_bad_states_say_what_is_wrong() -> None:
    state = wire.CityState(True, "central-a-1234-1")
    assert wire.decode_city_state(wire.encode_city_state(state)) == state
    for payload, complaint in [
        (b"\xc1", "not MessagePack"),
        (msgspec.msgpack.encode(["city_state", True, ""]), "not a valid city state"),
        (msgspec.msgpack.encode(["birth", NODE, NOW, 0, "v"]), "not a valid city state"),
        (b"\x90" * 5000, "over the 4096-byte limit"),
    ]:
        with pytest.raises(wire.WireError, match=complaint):
            wire.decode_city_state(payload)


class _BirthBeforeDiskFree(msgspec.Struct, frozen=True, array_like=True, tag="birth"):
    """A Birth as nodes sent it before the board's fields: what an older city decodes."""

    node_id: str
    started_at: str
    last_seq: int
    software_version: str
    bd_seq: int = 0
    acked_seq: int = 0


def test_a_birth_carries_disk_free_and_backlog_and_older_peers_still_read() -> None:
    birth = wire.Birth(NODE, NOW, 7, "0.2.0", 3, 5, 12_345_678_901, 4, NOW)
    assert wire.decode(wire.encode(birth)) == birth
    # An older city reads the new Birth: the trailing fields are ignored, the rest intact.
    seen_by_older = msgspec.msgpack.decode(wire.encode(birth), type=_BirthBeforeDiskFree)
    assert seen_by_older == _BirthBeforeDiskFree(NODE, NOW, 7, "0.2.0", 3, 5)
    # An older node's Birth reads with "unknown" disk free and no backlog reported.
    older = wire.decode(msgspec.msgpack.encode(["birth", NODE, NOW, 7, "0.1.0", 3, 5]))
    assert isinstance(older, Birth)
    assert (older.disk_free, older.pending_files, older.oldest_pending_at) == (None, 0, None)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        # Positional fields are named by their place: disk_free is $[7], then $[8], $[9].
        ([-1, 0, None], r"\$\[7\]"),
        (["much", 0, None], r"\$\[7\]"),
        ([10, -2, None], r"\$\[8\]"),
        ([10, 0, "yesterday"], r"\$\[9\]"),
        ([10, 0, "2027-13-45T99:99:99Z"], "oldest_pending_at"),
    ],
)
def test_a_birth_with_bad_board_fields_is_refused(fields: list[object], complaint: str) -> None:
    payload = msgspec.msgpack.encode(["birth", NODE, NOW, 7, "0.1.0", 3, 5, *fields])
    with pytest.raises(WireError, match=complaint):
        wire.decode(payload)
