"""Replies from several city receivers arrive out of order: the mark never goes back on one.

Deterministic: the link runs turn by turn over a scripted in-process transport, and the
test plays the city's receivers, delivering their replies in the order a shared
subscription can (``tests/e2e/test_shared_receivers.py`` shows the same with real
processes).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator

import msgspec
import pytest

from node import event_log
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from sync import topics, wire
from sync.topics import Lane
from sync.transport import Delivered, Inbound
from tests.support.replication import add_dossiers
from uplink import outbox
from uplink.node_link import NodeLink

NODE = "xa-test"


class ScriptedTransport:
    """Connected at once; keeps what the link publishes, hands it what the test queues."""

    def __init__(self) -> None:
        self.sent: list[wire.Message] = []
        self.inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def is_connected(self) -> bool:
        return True

    def connection_epoch(self) -> int:
        return 1

    def last_error(self) -> str:
        return ""

    def max_payload(self) -> int:
        return wire.MAX_PAYLOAD

    def publish(self, topic: str, payload: bytes) -> Delivered:
        self.sent.append(wire.decode(payload))
        return Delivered()

    def receive(self, timeout: float) -> Inbound | None:
        try:
            return self.inbox.get_nowait()
        except queue.Empty:
            return None

    def reply(self, message: wire.Message) -> None:
        self.inbox.put(Inbound(topics.down(NODE, Lane.CONTROL), wire.encode(message)))

    def batches_from(self, start: int) -> list[int]:
        """The first seq of every batch sent since ``sent[start]``."""
        return [m.first_seq for m in self.sent[start:] if isinstance(m, wire.EventBatch)]


@pytest.fixture
def scripted(runtime: NodeRuntime) -> Iterator[tuple[NodeLink, ScriptedTransport]]:
    add_dossiers(runtime, 10, threads=1)  # at least 10 events
    settings = msgspec.structs.replace(
        runtime.config.sync, batch_events=2, window_batches=4, ack_timeout_seconds=60.0
    )
    transport = ScriptedTransport()
    yield NodeLink(runtime, transport, settings, to_utc_iso(utc_now())), transport


def _ack(rt: NodeRuntime, upto: int) -> wire.EventAck:
    return wire.EventAck(NODE, NODE, upto, event_log.id_at(rt.db.read(), NODE, upto) or "")


def test_a_gap_reply_overtaken_by_a_higher_ack_is_ignored(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    assert transport.batches_from(0) == [1, 3, 5, 7]  # the window: four batches of two
    # Receiver A stored 1..6 and acks; receiver B had seen batch 5 before A's commit and
    # asked from 3, but its reply comes second.
    transport.reply(_ack(runtime, 6))
    transport.reply(wire.ResendRequest(NODE, NODE, 3))
    before = len(transport.sent)
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 6  # not 2
    assert 3 not in transport.batches_from(before) and 5 not in transport.batches_from(before)
    assert transport.batches_from(before)[0] == 9  # the window moves on


def test_a_real_gap_at_or_above_the_mark_is_sent_again(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    transport.reply(_ack(runtime, 2))
    transport.reply(wire.ResendRequest(NODE, NODE, 5))  # the city lost batch 5..6
    before = len(transport.sent)
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 2
    assert transport.batches_from(before)[0] == 5


def test_a_city_that_went_back_rewinds_the_mark_and_gets_everything_again(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    transport.reply(_ack(runtime, 8))
    link.turn()
    birth = next(m for m in transport.sent if isinstance(m, wire.Birth))
    assert birth.acked_seq == 0  # sent before any ack
    # The city restored from an old copy answers a later Birth: it holds 4, was told 8.
    transport.reply(wire.ResendRequest(NODE, NODE, 5, rewind=True))
    before = len(transport.sent)
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 4
    assert transport.batches_from(before)[:2] == [5, 7]
