"""The receiver through a real Mosquitto, with a fake node publishing real wire messages.

Batches, a gap, repeats, out-of-order batches, a payload naming another node, a file in
chunks with the link cut in the middle, a bad hash, a broker restart, two receivers on a
shared subscription, the generated TLS config and ACL, and city events going down.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from central.blob_receiver import BlobReceiver
from central.message_handler import MessageHandler
from central.receiver import Receiver
from central.store import CENTRAL_ORIGIN, CentralStore
from rules.event_kinds import CalendarDaySet
from settings.city import BrokerAddress
from sync import topics, wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient, TlsFiles
from tests.support.pki_bundle import NODE_A, PkiBundle
from tests.support.wait import wait_until

M = TypeVar("M", bound=wire.Message)
NODE = NODE_A


class NodeLink:
    """A fake node on the broker: publishes up, collects what comes down (decoded)."""

    def __init__(self, made: list[MqttTestClient], host: str, port: int, node: FakeNode,
                 tls: TlsFiles | None = None) -> None:  # fmt: skip
        self.node = node
        self.client = MqttTestClient(f"{node.node_id}-{os.urandom(3).hex()}", tls=tls)
        made.append(self.client)
        self.client.connect(host, port)
        assert not self.client.subscribe(topics.node_down_filter(node.node_id))[0].is_failure

    def send(self, topic_payload: tuple[str, bytes]) -> None:
        rc = self.client.publish(*topic_payload)
        assert rc is not None and not rc.is_failure

    def received(self, kind: type[M]) -> list[M]:
        found = [wire.decode(m.payload) for m in self.client.messages]
        return [m for m in found if isinstance(m, kind)]

    def wait(self, kind: type[M], ok: Callable[[M], bool], timeout: float = 10) -> M:
        def match() -> M | None:
            return next((m for m in self.received(kind) if ok(m)), None)

        what = f"a {kind.__name__} at {self.node.node_id}"
        found = wait_until(match, timeout=timeout, what=what)
        assert found is not None
        return found

    def sync_events(self, batch_size: int = 1, timeout: float = 30) -> None:
        """Send every event until the city acks them all, resending as a sender would."""
        total = len(self.node.log)

        def acked() -> int:
            return max((a.upto_seq for a in self.received(wire.EventAck)), default=0)

        def progress() -> bool:
            start = acked() + 1
            for first in range(start, total + 1, batch_size):
                self.send(self.node.batch(first, min(first + batch_size - 1, total)))
            try:
                wait_until(lambda: acked() >= total, timeout=1.0, what="acks")
            except AssertionError:
                return False
            return True

        wait_until(progress, timeout=timeout, interval=0, what="every event acknowledged")


def start_receiver(
    handler: MessageHandler, host: str, port: int, *, group: str = "motcua-central",
    tls: TlsFiles | None = None,
) -> Receiver:  # fmt: skip
    address = BrokerAddress(
        host,
        port,
        tls is not None,
        None if tls is None else tls.ca,
        None if tls is None else tls.cert,
        None if tls is None else tls.key,
    )
    receiver = Receiver(handler, address, name="main", shared_group=group, tick_seconds=0.2)
    receiver.start()
    wait_until(lambda: receiver.subscribed, timeout=10, what="the receiver to subscribe")
    return receiver


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for r in made:
        r.stop()


def test_batches_gaps_repeats_and_a_wrong_node_through_the_broker(
    mosquitto: Mosquitto,
    sqlite_handler: MessageHandler,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
) -> None:
    receivers.append(start_receiver(sqlite_handler, mosquitto.host, mosquitto.port))
    node = FakeNode(NODE)
    for _ in range(6):
        node.receive()
    link = NodeLink(clients, mosquitto.host, mosquitto.port, node)
    link.send(node.birth())
    link.wait(wire.EventAck, lambda a: a.upto_seq == 0)
    link.send(node.batch(4, 6))  # out of order: a gap
    link.wait(wire.ResendRequest, lambda r: r.from_seq == 1 and r.origin == NODE)
    link.send(node.batch(1, 3))
    link.wait(wire.EventAck, lambda a: a.upto_seq == 3)
    link.send(node.batch(1, 3))  # a repeat after a lost ack
    wait_until(
        lambda: len([a for a in link.received(wire.EventAck) if a.upto_seq == 3]) == 2,
        what="the repeat to be acked again",
    )
    other = FakeNode("phuong-hai-chau")
    other.receive()
    forged = wire.EventBatch(other.node_id, 1, other.log)  # on NODE's topic
    link.send((topics.up(NODE, Lane.EVENTS), wire.encode(forged)))
    link.send(node.batch(4, 6))
    link.wait(wire.EventAck, lambda a: a.upto_seq == 6)
    counters = sqlite_handler.counters()
    assert counters["rejected.wrong_node"] == 1 and counters["rejected.gap"] == 1
    assert sqlite_handler.store.node_log(NODE) == node.log
    assert sqlite_handler.store.node_log(other.node_id) == []


def _send_file(
    link: NodeLink, sha: str, data: bytes, chunk: int, stop_after: int | None = None
) -> wire.ChunkAck:
    """Offer, then chunk after chunk following the city's acks (stop early if asked)."""
    link.client._messages.clear()
    link.send(link.node.up(Lane.BLOBS, wire.ChunkOffer(NODE, sha, len(data))))
    ack = link.wait(wire.ChunkAck, lambda a: a.sha256 == sha)
    sent = 0
    while not ack.complete and (stop_after is None or sent < stop_after):
        offset = ack.next_offset
        link.client._messages.clear()
        message = wire.BlobChunk(NODE, sha, len(data), offset, data[offset : offset + chunk])
        link.send(link.node.up(Lane.BLOBS, message))
        ack = link.wait(wire.ChunkAck, lambda a: a.sha256 == sha)
        sent += 1
        if ack.next_offset == 0 and not ack.complete:
            return ack  # the city discarded the file (bad hash)
    return ack


def test_a_file_in_chunks_survives_a_cut_link_and_a_bad_hash_is_refused(
    mosquitto: Mosquitto,
    fault_proxy: FaultProxy,
    sqlite_handler: MessageHandler,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
    tmp_path: Path,
) -> None:
    receivers.append(start_receiver(sqlite_handler, mosquitto.host, mosquitto.port))
    node = FakeNode(NODE)
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    link = NodeLink(clients, fault_proxy.host, fault_proxy.port, node)
    ack = _send_file(link, sha, data, 65_536, stop_after=2)
    assert ack.next_offset == 2 * 65_536 and not ack.complete
    fault_proxy.cut()  # the 4G link drops mid-transfer
    link.client.wait_for_disconnect()
    again = NodeLink(clients, fault_proxy.host, fault_proxy.port, node)
    ack = _send_file(again, sha, data, 65_536)
    assert ack.complete and ack.next_offset == len(data)
    assert (tmp_path / "blobs" / sha[:2] / sha[2:]).read_bytes() == data
    # Bytes that do not hash to the announced SHA-256: discarded, counted, restart at 0.
    wrong = hashlib.sha256(b"something else").hexdigest()
    refused = _send_file(again, wrong, data[:100_000], 65_536)
    assert (refused.next_offset, refused.complete) == (0, False)
    assert sqlite_handler.counters()["rejected.bad_hash"] == 1
    assert sqlite_handler.store.blob_size(wrong) is None


def test_the_receiver_comes_back_after_a_broker_restart(
    mosquitto: Mosquitto,
    sqlite_handler: MessageHandler,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
) -> None:
    receiver = start_receiver(sqlite_handler, mosquitto.host, mosquitto.port)
    receivers.append(receiver)
    node = FakeNode(NODE)
    node.receive()
    NodeLink(clients, mosquitto.host, mosquitto.port, node).sync_events()
    mosquitto.kill()  # a crash: no session, no queued message survives
    wait_until(lambda: not receiver.subscribed, what="the receiver to notice")
    mosquitto.start()
    wait_until(lambda: receiver.subscribed and receiver.connects >= 2, timeout=20, what="reconnect")
    node.receive()
    NodeLink(clients, mosquitto.host, mosquitto.port, node).sync_events()
    assert sqlite_handler.store.node_log(NODE) == node.log
    assert receiver.status()["last_error"] is not None


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_receivers_sharing_a_subscription_store_every_event_once(
    kind: str,
    mosquitto: Mosquitto,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    from tests.support.city_fixtures import make_store

    stores: list[CentralStore] = [make_store(kind, tmp_path, request) for _ in range(2)]
    handlers = [MessageHandler(s, BlobReceiver(tmp_path / "blobs", s, 1 << 20)) for s in stores]
    try:
        for h in handlers:
            receivers.append(start_receiver(h, mosquitto.host, mosquitto.port))
        nodes = [FakeNode(NODE), FakeNode("phuong-hai-chau")]
        links = []
        for n in nodes:
            for _ in range(20):
                n.receive()
            links.append(NodeLink(clients, mosquitto.host, mosquitto.port, n))
        for link in links:
            link.sync_events(batch_size=2)
        for n in nodes:
            assert stores[0].node_log(n.node_id) == n.log
        applied = [h.counters().get("events_applied", 0) for h in handlers]
        assert sum(applied) == 40 and all(a > 0 for a in applied), applied
    finally:
        for r in receivers:
            r.stop()
        for s in stores:
            s.close()


def test_tls_broker_with_the_generated_acl_and_a_shared_subscription(
    mosquitto_tls: Mosquitto,
    test_pki: PkiBundle,
    sqlite_handler: MessageHandler,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
) -> None:
    tls = test_pki.central()
    receiver = start_receiver(sqlite_handler, mosquitto_tls.host, mosquitto_tls.port, tls=tls)
    receivers.append(receiver)
    assert receiver.status()["subscription"] == f"$share/motcua-central/{topics.ALL_UP}"
    node = FakeNode(NODE)
    node.receive()
    link = NodeLink(clients, mosquitto_tls.host, mosquitto_tls.port, node, test_pki.node(NODE))
    link.sync_events()
    assert sqlite_handler.store.node_log(NODE) == node.log


def test_city_events_go_down_and_the_node_acks_them(
    mosquitto: Mosquitto,
    sqlite_handler: MessageHandler,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
) -> None:
    receiver = start_receiver(sqlite_handler, mosquitto.host, mosquitto.port)
    receivers.append(receiver)
    store = sqlite_handler.store
    day = CalendarDaySet("2027-09-03", "holiday", "Quốc khánh")
    store.append_reference(NODE, [day, day], "central:t", "2027-01-01T00:00:00Z")
    node = FakeNode(NODE)
    link = NodeLink(clients, mosquitto.host, mosquitto.port, node)
    link.send(node.birth())  # pending city events go down on Birth
    batch = link.wait(wire.DownBatch, lambda b: b.first_seq == 1)
    assert [e.seq for e in batch.events] == [1, 2] and batch.origin == CENTRAL_ORIGIN
    link.send(node.up(Lane.CONTROL, wire.DownAck(NODE, CENTRAL_ORIGIN, 2)))
    wait_until(lambda: (r := store.get_node(NODE)) is not None and r.down_acked_upto == 2)
    # A new city event is sent at once through the receiver's queue.
    store.append_reference(NODE, [day], "central:t", "2027-01-01T00:00:00Z")
    receiver.pending_down.put(NODE)
    link.wait(wire.DownBatch, lambda b: b.first_seq == 3)
