"""The city's protocol without a broker: ``MessageHandler.handle(topic, payload)``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from central.blob_receiver import BlobReceiver
from central.message_handler import REJECTION_REASONS, MessageHandler, Outgoing
from central.store import CENTRAL_ORIGIN, CentralStore
from rules.clock import parse_utc_text
from rules.event_kinds import CalendarDaySet
from rules.event_record import EventRecord
from sync import topics, wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode

NODE = "xa-an-binh"
CONTROL = topics.down(NODE, Lane.CONTROL)
DOWN_EVENTS = topics.down(NODE, Lane.EVENTS)


def messages(out: list[Outgoing]) -> list[tuple[str, wire.Message]]:
    # Every reply must also survive the wire. An ack's city_time is the city's clock
    # (checked in test_every_ack_carries_the_citys_time); the rest is compared exactly.
    decoded = [(o.topic, wire.decode(o.payload)) for o in out]
    return [(t, _untimed(m)) for t, m in decoded]


def _untimed(message: wire.Message) -> wire.Message:
    if isinstance(message, wire.EventAck) and message.city_time:
        parse_utc_text(message.city_time)
        return msgspec.structs.replace(message, city_time="")
    return message


def ack(node: FakeNode, upto: int) -> wire.EventAck:
    """The ack for the node's events up to ``upto``, naming the event held there."""
    return wire.EventAck(NODE, NODE, upto, node.log[upto - 1].id)


def node_with(n: int) -> FakeNode:
    node = FakeNode(NODE)
    for _ in range(n):
        node.receive()
    return node


def test_a_birth_is_answered_with_the_held_head(handler: MessageHandler) -> None:
    node = node_with(2)
    handler.handle(*node.birth())
    handler.handle(*node.batch(1, 2))
    assert messages(handler.handle(*node.birth())) == [(CONTROL, ack(node, 2))]


def test_a_birth_above_the_held_head_asks_for_the_rest_at_once(handler: MessageHandler) -> None:
    # A city restored from an old copy holds less than the node was told: the node holds
    # 3..5 as acknowledged and would send them only once it writes a new event.
    node = node_with(5)
    handler.handle(*node.batch(1, 2))
    assert messages(handler.handle(*node.birth(acked=5))) == [
        (CONTROL, ack(node, 2)),
        (CONTROL, wire.ResendRequest(NODE, NODE, 3, rewind=True)),
    ]


def test_a_birth_above_the_head_but_not_above_the_acked_mark_does_not_rewind(
    handler: MessageHandler,
) -> None:
    # A backlog the city never acknowledged: a plain request, which never moves the
    # node's mark back (it may be overtaken by another receiver's higher ack).
    node = node_with(5)
    handler.handle(*node.batch(1, 2))
    assert messages(handler.handle(*node.birth(acked=2))) == [
        (CONTROL, ack(node, 2)),
        (CONTROL, wire.ResendRequest(NODE, NODE, 3, rewind=False)),
    ]


def test_batches_are_acked_after_commit_and_repeats_acked_again(
    handler: MessageHandler, store: CentralStore
) -> None:
    node = node_with(4)
    assert messages(handler.handle(*node.batch(1, 2))) == [(CONTROL, ack(node, 2))]
    assert store.node_log(NODE) == node.log[:2]
    assert messages(handler.handle(*node.batch(1, 2))) == [(CONTROL, ack(node, 2))]
    assert messages(handler.handle(*node.batch(2, 4))) == [(CONTROL, ack(node, 4))]
    counters = handler.counters()
    assert counters["events_applied"] == 4 and counters["events_duplicate"] == 3


def test_a_gap_asks_for_a_resend_and_applies_nothing(
    handler: MessageHandler, store: CentralStore
) -> None:
    node = node_with(6)
    handler.handle(*node.batch(1, 2))
    out = messages(handler.handle(*node.batch(4, 6)))
    # It names the batch it refused: with several receivers the one before may be on
    # its way, and only the refused one need go again (uplink/gap_replies.py).
    assert out == [(CONTROL, wire.ResendRequest(NODE, NODE, 3, refused_seq=4))]
    assert store.node_log(NODE) == node.log[:2]
    assert handler.counters()["rejected.gap"] == 1
    assert {(r.node_id, r.reason) for r in store.rejection_counts()} == {(NODE, "gap")}


def test_out_of_order_batches_converge_once_the_node_resends(
    handler: MessageHandler, store: CentralStore
) -> None:
    node = node_with(6)
    gap = messages(handler.handle(*node.batch(4, 6)))[0][1]
    assert gap == wire.ResendRequest(NODE, NODE, 1, refused_seq=4)
    assert messages(handler.handle(*node.batch(1, 3)))[0][1] == ack(node, 3)
    assert messages(handler.handle(*node.batch(4, 6)))[0][1] == ack(node, 6)
    assert store.node_log(NODE) == node.log


def _garbage_body_batch(node: FakeNode) -> bytes:
    bad = msgspec.structs.replace(node.log[0], body=b'{"type": "dossier_received"}')
    return wire.encode(wire.EventBatch(NODE, 1, [bad]))


def _bad_kind_batch(node: FakeNode) -> bytes:
    bad = msgspec.structs.replace(node.log[0], kind="document_attached")
    return wire.encode(wire.EventBatch(NODE, 1, [bad]))


def _not_utf8_body_batch(node: FakeNode) -> bytes:
    body = b'{"type":"calendar_day_set","date":"\x80","kind":"holiday","name":"x"}'
    bad = msgspec.structs.replace(node.log[0], body=body)
    return wire.encode(wire.EventBatch(NODE, 1, [bad]))


def _future_format_batch(node: FakeNode) -> bytes:
    bad = msgspec.structs.replace(node.log[0], format=99)
    return wire.encode(wire.EventBatch(NODE, 1, [bad]))


def _impossible_time_batch(node: FakeNode) -> bytes:
    # The right shape, but no such day: a city action on the dossier would fail later.
    bad = msgspec.structs.replace(node.log[0], recorded_at="2027-02-30T00:00:00Z")
    return wire.encode(wire.EventBatch(NODE, 1, [bad]))


UP_E, UP_C, UP_B = (topics.up(NODE, lane) for lane in (Lane.EVENTS, Lane.CONTROL, Lane.BLOBS))
SESSION = "2027-02-01T00:00:00Z"
W = wire.encode
REJECTIONS: list[tuple[str, str, bytes | None]] = [
    ("bad_topic", "motcua/v1/xa-an-binh/up", None),
    ("bad_topic", "motcua/v1/Central/up/events", None),
    ("bad_topic", "motcua/v2/xa-an-binh/up/events", None),
    ("wrong_direction", topics.down(NODE, Lane.EVENTS), None),
    ("oversize", UP_E, b"\x00" * (wire.MAX_PAYLOAD + 1)),
    ("bad_payload", UP_E, b"\xc1not msgpack"),
    ("bad_payload", UP_E, msgspec.msgpack.encode(["batch", 1, 2, 3])),
    ("bad_payload", UP_C, msgspec.msgpack.encode(["nope", NODE])),
    ("bad_payload", UP_C, b"\x92\xa5birth\xa1\x80"),  # a string that is not UTF-8
    # The wire types bound seqs (2**62), so a huge one is refused before any handler runs.
    ("bad_payload", UP_C, W(wire.Birth(NODE, SESSION, 2**63, "x"))),
    ("wrong_lane", UP_E, W(wire.Birth(NODE, SESSION, 0, "x"))),
    ("wrong_lane", UP_C, W(wire.EventAck(NODE, NODE, 3))),
    ("wrong_node", UP_C, W(wire.Birth("xa-b", SESSION, 0, "x"))),
    ("wrong_origin", UP_C, W(wire.DownAck(NODE, NODE, 1))),
    ("wrong_origin", UP_C, W(wire.ResendRequest(NODE, "xa-b", 1))),
    ("unknown_node", UP_C, W(wire.DownAck(NODE, CENTRAL_ORIGIN, 0))),
    ("file_too_large", UP_B, W(wire.ChunkOffer(NODE, "ab" * 32, 2**62))),
    # The right shape but no real instant: would break every later presence comparison.
    ("bad_payload", UP_C, msgspec.msgpack.encode(["birth", NODE, "2027-13-45T99:99:99Z", 0, ""])),
    ("bad_payload", UP_C, msgspec.msgpack.encode(["offline", NODE, "2027-02-30T00:00:00Z"])),
]


@pytest.mark.parametrize(("reason", "topic", "payload"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_a_bad_message_is_rejected_logged_and_counted(
    handler: MessageHandler,
    store: CentralStore,
    caplog: pytest.LogCaptureFixture,
    reason: str,
    topic: str,
    payload: bytes | None,
) -> None:
    assert reason in REJECTION_REASONS
    node = node_with(1)
    if payload is None:
        payload = node.batch(1, 1)[1]
    assert handler.handle(topic, payload) == []
    assert handler.counters()[f"rejected.{reason}"] == 1
    assert [r.reason for r in store.rejection_counts()] == [reason]
    assert store.node_log(NODE) == [] and store.dossier_states(None) == []
    line = next(r.getMessage() for r in caplog.records if "event=rejected" in r.getMessage())
    assert f"reason={reason}" in line and "topic=" in line and "node=" in line


@pytest.mark.parametrize(
    "build",
    [
        _garbage_body_batch,
        _bad_kind_batch,
        _not_utf8_body_batch,
        _future_format_batch,
        _impossible_time_batch,
    ],
)
def test_a_batch_with_a_bad_event_is_rejected_whole(
    handler: MessageHandler, store: CentralStore, build: object
) -> None:
    node = node_with(2)
    assert callable(build)
    assert handler.handle(topics.up(NODE, Lane.EVENTS), build(node)) == []
    assert handler.counters()["rejected.bad_event"] == 1
    assert store.node_log(NODE) == []


def test_acks_and_resends_from_the_node_are_checked_against_the_citys_head(
    handler: MessageHandler, store: CentralStore
) -> None:
    store.append_reference(
        NODE, [CalendarDaySet("2027-09-03", "holiday", "x")], "central:t", "2027-01-01T00:00:00Z"
    )
    up = topics.up(NODE, Lane.CONTROL)
    assert handler.handle(up, wire.encode(wire.DownAck(NODE, CENTRAL_ORIGIN, 2))) == []
    assert handler.handle(up, wire.encode(wire.ResendRequest(NODE, CENTRAL_ORIGIN, 3))) == []
    assert handler.counters()["rejected.bad_ack"] == 1
    assert handler.counters()["rejected.bad_resend"] == 1


def _city_events(store: CentralStore, n: int) -> list[EventRecord]:
    days = [CalendarDaySet(f"2027-09-{d:02}", "holiday", "x") for d in range(1, n + 1)]
    return store.append_reference(NODE, days, "central:t", "2027-01-01T00:00:00Z")


def _down(out: list[Outgoing]) -> list[tuple[int, int]]:
    found = []
    for topic, message in messages(out):
        if isinstance(message, wire.DownBatch):
            assert topic == DOWN_EVENTS and message.origin == CENTRAL_ORIGIN
            found.append((message.first_seq, len(message.events)))
    return found


def test_city_events_go_down_on_birth_in_a_window_and_continue_after_acks(
    handler: MessageHandler, store: CentralStore
) -> None:
    events = _city_events(store, 14)
    node = FakeNode(NODE)
    out = handler.handle(*node.birth())
    assert messages(out)[0] == (CONTROL, wire.EventAck(NODE, NODE, 0))
    assert _down(out) == [(1, 3), (4, 3), (7, 3), (10, 3)]  # 4 batches of 3 in flight
    sent = [e for o in out if isinstance(o.message, wire.DownBatch) for e in o.message.events]
    assert sent == events[:12]
    up = topics.up(NODE, Lane.CONTROL)
    assert handler.handle(up, wire.encode(wire.DownAck(NODE, CENTRAL_ORIGIN, 6))) == []
    assert _down(handler.handle(up, wire.encode(wire.DownAck(NODE, CENTRAL_ORIGIN, 12)))) == [
        (13, 2)
    ]
    assert handler.handle(up, wire.encode(wire.DownAck(NODE, CENTRAL_ORIGIN, 14))) == []
    # The node lost the tail (restored from a backup): it asks, the city resends.
    assert _down(handler.handle(up, wire.encode(wire.ResendRequest(NODE, CENTRAL_ORIGIN, 11)))) == [
        (11, 3),
        (14, 1),
    ]
    row = store.get_node(NODE)
    assert row is not None and row.down_acked_upto == 10 and row.down_pending == 4


def test_a_new_city_event_goes_down_at_once_only_to_an_online_idle_node(
    handler: MessageHandler, store: CentralStore
) -> None:
    node = FakeNode(NODE)
    _city_events(store, 1)
    assert handler.push_down(NODE) == []  # never connected: it gets it on its Birth
    handler.handle(*node.birth())
    assert handler.push_down(NODE) == []  # seq 1 is in flight
    handler.handle(*node.up(Lane.CONTROL, wire.DownAck(NODE, CENTRAL_ORIGIN, 1)))
    _city_events(store, 1)
    assert _down(handler.push_down(NODE)) == [(2, 1)]


def test_unacknowledged_city_events_are_resent_periodically_while_online(
    store: CentralStore, tmp_path: Path
) -> None:
    now = [datetime(2027, 2, 1, 3, 0, tzinfo=UTC)]
    handler = MessageHandler(
        store,
        BlobReceiver(tmp_path / "blobs", store, 1 << 20),
        resend_seconds=10,
        clock=lambda: now[0],
    )
    _city_events(store, 2)
    node = FakeNode(NODE)
    assert _down(handler.handle(*node.birth())) == [(1, 2)]
    now[0] += timedelta(seconds=5)
    assert handler.tick() == []  # sent 5 s ago
    now[0] += timedelta(seconds=6)
    assert _down(handler.tick()) == [(1, 2)]
    assert handler.tick() == []
    handler.handle(*node.up(Lane.CONTROL, wire.DownAck(NODE, CENTRAL_ORIGIN, 2)))
    now[0] += timedelta(seconds=60)
    assert handler.tick() == []  # all acknowledged
    _city_events(store, 1)
    handler.handle(*node.up(Lane.CONTROL, wire.Offline(NODE, node.session)))
    now[0] += timedelta(seconds=60)
    assert handler.tick() == []  # offline: it will get it on its next Birth


def test_a_file_arrives_in_chunks_and_is_stored_by_its_hash(
    handler: MessageHandler, store: CentralStore, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 40
    node = FakeNode(NODE)
    sha = node.attach(node.receive(), data)
    offer = wire.ChunkOffer(NODE, sha, len(data))
    assert messages(handler.handle(*node.up(Lane.BLOBS, offer))) == [
        (CONTROL, wire.ChunkAck(NODE, sha, 0, False))
    ]
    for offset in range(0, len(data), 4096):
        chunk = wire.BlobChunk(NODE, sha, len(data), offset, data[offset : offset + 4096])
        reply = messages(handler.handle(*node.up(Lane.BLOBS, chunk)))
    assert reply == [(CONTROL, wire.ChunkAck(NODE, sha, len(data), True))]
    assert (tmp_path / "blobs" / sha[:2] / sha[2:]).read_bytes() == data
    assert store.blob_size(sha) == len(data)
    assert messages(handler.handle(*node.up(Lane.BLOBS, offer))) == [
        (CONTROL, wire.ChunkAck(NODE, sha, len(data), True))
    ]


def test_a_handler_failure_is_rejected_and_counted_not_raised(
    handler: MessageHandler,
    store: CentralStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # paho re-raises from its loop, which would drop the receiver's connection (and every
    # node's messages in flight) on each such message.
    def broken(*args: object) -> object:
        raise RuntimeError("a defect")

    monkeypatch.setattr(store, "record_birth", broken)
    assert handler.handle(UP_C, W(wire.Birth(NODE, SESSION, 0, "x"))) == []
    assert handler.counters()["rejected.internal_error"] == 1
    assert handler.counters()["handler_failed"] == 1
    assert [r.reason for r in store.rejection_counts()] == ["internal_error"]
    assert any("event=handler_failed" in r.getMessage() for r in caplog.records)


def test_files_the_city_lacks_are_asked_for_after_a_batch_and_on_a_first_birth(
    handler: MessageHandler,
) -> None:
    node = FakeNode(NODE)
    dossier = node.receive()
    sha = node.attach(dossier, b"a scan the city will lose")
    asked = (CONTROL, wire.ChunkAck(NODE, sha, 0, False))
    # The batch naming it: the ack, then "send it from the start".
    assert messages(handler.handle(*node.batch(1, 2))) == [(CONTROL, ack(node, 2)), asked]
    # The first Birth to this process looks over every file of the node; later ones don't.
    assert asked in messages(handler.handle(*node.birth()))
    assert asked not in messages(handler.handle(*node.birth()))
    # A file on its way (a partial here) is not asked for again.
    handler.handle(*node.up(Lane.BLOBS, wire.ChunkOffer(NODE, sha, 25)))
    assert messages(handler.handle(*node.batch(1, 2))) == [(CONTROL, ack(node, 2))]


def test_a_file_over_the_limit_is_never_asked_for(store: CentralStore, tmp_path: Path) -> None:
    small = MessageHandler(store, BlobReceiver(tmp_path / "blobs", store, max_file_bytes=10))
    node = FakeNode(NODE)
    node.attach(node.receive(), b"more than ten bytes")
    assert messages(small.handle(*node.batch(1, 2))) == [(CONTROL, ack(node, 2))]
    assert not any(isinstance(m, wire.ChunkAck) for _, m in messages(small.handle(*node.birth())))


def test_every_ack_carries_the_citys_time(store: CentralStore, tmp_path: Path) -> None:
    # The node measures its clock against it (rules/clock_offset.py): the Birth's answer
    # and each batch's ack both carry the city's clock when it handled the message.
    now = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)
    handler = MessageHandler(store, BlobReceiver(tmp_path / "b", store, 1 << 20), clock=lambda: now)
    node = node_with(2)
    replies = [wire.decode(o.payload) for o in handler.handle(*node.birth())]
    replies += [wire.decode(o.payload) for o in handler.handle(*node.batch(1, 2))]
    acks = [m for m in replies if isinstance(m, wire.EventAck)]
    assert len(acks) == 2 and {a.city_time for a in acks} == {"2027-02-01T03:00:00.000000Z"}


def _restored(node: FakeNode, keep: int, new: int) -> FakeNode:
    """The node restored from a backup holding its first ``keep`` events, then used."""
    restored = FakeNode(NODE, node.clock)
    restored.log = list(node.log[:keep])
    restored.serial = 100  # new dossiers, new codes
    for _ in range(new):
        restored.receive()
    return restored


def test_a_log_request_gets_the_citys_copy_and_a_true_claim_lifts_diverged_at(
    handler: MessageHandler, store: CentralStore
) -> None:
    node = node_with(5)
    handler.handle(*node.batch(1, 5))
    restored = _restored(node, 2, 2)
    handler.handle(*restored.batch(3, 4))  # its new events at held seqs: refused
    row = store.get_node(NODE)
    assert row is not None and row.diverged_at is not None

    ask = restored.up(Lane.CONTROL, wire.LogRequest(NODE, 3))
    assert messages(handler.handle(*ask)) == [
        (CONTROL, wire.LogReply(NODE, 3, node.log[2:5], 5, node.log[4].id, True))
    ]
    # A claim naming another event at the head, or another seq, lifts nothing.
    for seq, event_id in ((5, restored.log[3].id), (4, node.log[3].id)):
        claim = restored.up(Lane.CONTROL, wire.LogRequest(NODE, 6, seq, event_id))
        (reply,) = messages(handler.handle(*claim))
        assert isinstance(reply[1], wire.LogReply) and reply[1].diverged
    # The node now holds the city's head event: the city takes its batches again.
    claim = restored.up(Lane.CONTROL, wire.LogRequest(NODE, 6, 5, node.log[4].id))
    assert messages(handler.handle(*claim)) == [
        (CONTROL, wire.LogReply(NODE, 6, [], 5, node.log[4].id, False))
    ]
    node.receive()
    assert messages(handler.handle(*node.batch(6, 6))) == [(CONTROL, ack(node, 6))]


def test_a_log_reply_fits_the_wire(handler: MessageHandler) -> None:
    node = node_with(600)
    for first in range(1, 601, 200):
        handler.handle(*node.batch(first, first + 199))
    out = handler.handle(*node.up(Lane.CONTROL, wire.LogRequest(NODE, 1)))
    (reply,) = [wire.decode(o.payload) for o in out]
    assert isinstance(reply, wire.LogReply)
    assert 0 < len(reply.events) < 600 and reply.events == node.log[: len(reply.events)]
    assert reply.head == 600 and all(len(o.payload) <= wire.MAX_PAYLOAD for o in out)
