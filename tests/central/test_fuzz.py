"""Hostile and broken payloads: the handler never raises, never applies, always counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.event_checks import EventCheckError, check_events
from central.message_handler import MessageHandler
from central.sql_store import SqlCentralStore
from central.sqlite_store import SqliteCentralStore
from sync import topics, wire
from sync.topics import Direction, Lane
from tests.central.fake_node import FakeNode
from tests.support.city_fixtures import make_handler

NODE = "xa-an-binh"
OTHER = "phuong-hai-chau"
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def city(tmp_path: Path) -> Iterator[tuple[MessageHandler, SqlCentralStore]]:
    store = SqliteCentralStore(tmp_path / "central.sqlite3")
    store.migrate()
    yield make_handler(store, tmp_path / "blobs"), store
    store.close()


def _applied(store: SqlCentralStore) -> tuple[int, int, int]:
    with store._read() as tx:
        return (
            int(tx.rows("SELECT COUNT(*) FROM events")[0][0]),
            int(tx.rows("SELECT COUNT(*) FROM dossiers")[0][0]),
            int(tx.rows("SELECT COUNT(*) FROM blobs")[0][0]),
        )


def _rejected(handler: MessageHandler) -> int:
    return sum(v for k, v in handler.counters().items() if k.startswith("rejected."))


def _valid_for(topic: str, payload: bytes) -> wire.Message | None:
    """An independent verdict: would a correct receiver accept this message's shape?"""
    try:
        parsed = topics.parse(topic)
        message = wire.decode(payload)
    except (topics.TopicError, wire.WireError, UnicodeDecodeError):
        return None
    if parsed.direction is not Direction.UP or message.node_id != parsed.node_id:
        return None
    return message if wire.route_allowed(message, parsed.direction, parsed.lane) else None


UP_TOPICS = [topics.up(n, lane) for n in (NODE, OTHER) for lane in Lane]
ANY_TOPIC = st.one_of(
    st.sampled_from([*UP_TOPICS, topics.down(NODE, Lane.CONTROL)]),
    st.text(max_size=80),
    st.builds(lambda s: f"motcua/v1/{s}/up/events", st.text(max_size=70)),
)

SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from([NODE, OTHER, "central", "", "2027-02-01T00:00:00Z", "ab" * 32]),
)
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


def _templates() -> list[list[Any]]:
    """Valid messages of every upstream type, as MessagePack arrays (tag first)."""
    node = FakeNode(NODE)
    dossier = node.receive()
    node.transition(dossier, "start", 2, 4)
    node.attach(dossier, b"scan")
    sha = "ab" * 32
    messages: list[wire.Message] = [
        wire.EventBatch(NODE, 1, node.log),
        wire.Birth(NODE, "2027-02-01T00:00:00Z", 3, "0.1.0"),
        wire.Offline(NODE, "2027-02-01T00:00:00Z"),
        wire.ChunkOffer(NODE, sha, 10),
        wire.BlobChunk(NODE, sha, 10, 0, b"0123456789"),
        wire.DownAck(NODE, "central", 0),
        wire.ResendRequest(NODE, "central", 1),
    ]
    return [msgspec.msgpack.decode(wire.encode(m)) for m in messages]


TEMPLATES = _templates()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid-looking message with one field (or one event's field) replaced."""
    template = [list(x) if isinstance(x, list) else x for x in draw(st.sampled_from(TEMPLATES))]
    if template[0] == "batch" and draw(st.booleans()):
        events = [list(e) for e in template[3]]
        event = draw(st.sampled_from(events))
        event[draw(st.integers(0, len(event) - 1))] = draw(VALUES)
        template[3] = events
    else:
        template[draw(st.integers(1, len(template) - 1))] = draw(VALUES)
    lane = {"batch": Lane.EVENTS, "offer": Lane.BLOBS, "chunk": Lane.BLOBS}.get(
        str(template[0]), Lane.CONTROL
    )
    node = draw(st.sampled_from([NODE, NODE, OTHER]))
    return topics.up(node, lane), msgspec.msgpack.encode(template)


@st.composite
def huge(draw: st.DrawFn) -> tuple[str, bytes]:
    """Shape-valid messages with extreme numbers: sizes, offsets, seqs."""
    big = draw(st.integers(min_value=2**31, max_value=2**64 - 1))
    sha = "cd" * 32
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return topics.up(NODE, Lane.BLOBS), msgspec.msgpack.encode(["offer", NODE, sha, big])
    if choice == 1:
        chunk = ["chunk", NODE, sha, big, big - 1, b"x"]
        return topics.up(NODE, Lane.BLOBS), msgspec.msgpack.encode(chunk)
    if choice == 2:
        ack = ["down_ack", NODE, "central", big]
        return topics.up(NODE, Lane.CONTROL), msgspec.msgpack.encode(ack)
    node = FakeNode(NODE)
    node.receive()
    event = msgspec.structs.replace(node.log[0], seq=big)
    batch = msgspec.msgpack.decode(msgspec.msgpack.encode(["batch", NODE, big, [event]]))
    return topics.up(NODE, Lane.EVENTS), msgspec.msgpack.encode(batch)


@SETTINGS
@given(topic=ANY_TOPIC, payload=st.binary(max_size=2048))
def test_random_bytes_on_any_topic(
    city: tuple[MessageHandler, SqlCentralStore], topic: str, payload: bytes
) -> None:
    handler, store = city
    before = _rejected(handler)
    out = handler.handle(topic, payload)
    if _valid_for(topic, payload) is None:
        assert out == [] and _rejected(handler) == before + 1
    assert _applied(store)[:2] == (0, 0)  # random bytes never make a valid event batch


@SETTINGS
@given(message=mutated())
def test_valid_looking_messages_with_wrong_types_or_nodes(
    city: tuple[MessageHandler, SqlCentralStore], message: tuple[str, bytes]
) -> None:
    handler, store = city
    topic, payload = message
    before, applied = _rejected(handler), _applied(store)
    handler.handle(topic, payload)
    valid = _valid_for(topic, payload)
    if isinstance(valid, wire.EventBatch):
        try:
            check_events(valid.events)
        except EventCheckError:
            valid = None
    if valid is None:
        assert _rejected(handler) == before + 1
    if valid is None or isinstance(valid, wire.DownAck | wire.ResendRequest | wire.Offline):
        assert _applied(store) == applied
    # Otherwise the mutation happened to keep the message valid (e.g. another valid
    # timestamp): accepting it is right.


@SETTINGS
@given(message=huge())
def test_huge_sizes_offsets_and_seqs(
    city: tuple[MessageHandler, SqlCentralStore], message: tuple[str, bytes]
) -> None:
    handler, store = city
    before = _rejected(handler)
    out = handler.handle(*message)
    assert _rejected(handler) == before + 1
    for o in out:  # a far-future batch is a gap: the only reply is a resend request
        assert isinstance(o.message, wire.ResendRequest) and o.message.from_seq == 1
    assert _applied(store) == (0, 0, 0)
    partial = handler.blobs.partial_dir.glob("*.part")
    assert all(p.stat().st_size == 0 for p in partial)  # no byte of a refused file is kept
