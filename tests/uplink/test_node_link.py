"""The node's side of replication against a real broker and a scripted city.

The test plays the city with a plain MQTT client speaking the wire format, so every
acknowledgement, resend, chunk and down batch is under the test's control.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from node import event_log
from node.reference_data import get_procedure
from node.runtime import NodeRuntime, open_node
from rules.clock import to_utc_iso, utc_now
from rules.event_kinds import ProcedureUpserted, encode_body, kind_of
from rules.event_record import EVENT_FORMAT, EventRecord
from sync import topics, wire
from sync.topics import Lane
from tests.node.helpers import create_body
from tests.support.accounts import api_client
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient, Received
from tests.support.wait import wait_until
from uplink import outbox
from uplink.connect import mqtt_transport_for
from uplink.node_link import NodeLink
from uplink.status import status

NODE = "xa-test"


@pytest.fixture
def synced_runtime(node_dir: Path, mosquitto: Mosquitto) -> Iterator[NodeRuntime]:
    config = node_dir / "motcua.toml"
    text = config.read_text()
    text = text.replace('broker = ""', f'broker = "mqtt://{mosquitto.host}:{mosquitto.port}"')
    text = text.replace("ack_timeout_seconds = 15.0", "ack_timeout_seconds = 1.0")
    text = text.replace("chunk_size = 262144", "chunk_size = 4096")
    config.write_text(text)
    rt = open_node(node_dir)
    yield rt
    rt.close()


@pytest.fixture
def city(mosquitto: Mosquitto, clients: list[MqttTestClient]) -> MqttTestClient:
    client = MqttTestClient("scripted-city")
    clients.append(client)
    client.connect(mosquitto.host, mosquitto.port)
    client.subscribe("motcua/v1/+/up/#")
    return client


@pytest.fixture
def link(synced_runtime: NodeRuntime) -> Iterator[NodeLink]:
    started = to_utc_iso(utc_now())
    node_link = NodeLink(
        synced_runtime,
        mqtt_transport_for(synced_runtime, started),
        synced_runtime.config.sync,
        started,
    )
    node_link.start()
    yield node_link
    node_link.stop()


M = TypeVar("M", bound=wire.Message)


def decoded(city: MqttTestClient, kind: type[M]) -> list[M]:
    return [m for r in city.messages if isinstance(m := wire.decode(r.payload), kind)]


def is_kind(kind: type[wire.Message]) -> Callable[[Received], bool]:
    return lambda r: isinstance(wire.decode(r.payload), kind)


def create_dossiers(rt: NodeRuntime, n: int) -> None:
    with api_client(rt) as client:
        for _ in range(n):
            assert client.post("/api/v1/dossiers", json=create_body()).status_code == 201


def test_birth_then_batches_and_ack_moves_the_mark(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    rt = synced_runtime
    create_dossiers(rt, 3)
    head = event_log.head_seq(rt.db.read(), NODE)
    birth = wire.decode(city.wait_for_message(is_kind(wire.Birth)).payload)
    assert isinstance(birth, wire.Birth) and birth.node_id == NODE
    wait_until(
        lambda: any(b.events[-1].seq == head for b in decoded(city, wire.EventBatch)),
        what="a batch up to the head",
    )
    batches = decoded(city, wire.EventBatch)
    seqs = sorted({e.seq for b in batches for e in b.events})
    assert seqs == list(range(1, head + 1))
    assert outbox.acked_upto(rt.db.read(), NODE) == 0  # nothing counts as delivered yet
    city.publish(topics.down(NODE, Lane.CONTROL), wire.encode(wire.EventAck(NODE, NODE, head)))
    wait_until(lambda: outbox.acked_upto(rt.db.read(), NODE) == head, what="the ack recorded")
    assert status(rt).lanes["events"].pending == 0


def test_unacknowledged_batch_is_sent_again(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    create_dossiers(synced_runtime, 1)
    head = event_log.head_seq(synced_runtime.db.read(), NODE)
    # No ack: after ack_timeout (1 s) the same run goes again.
    wait_until(
        lambda: sum(1 for b in decoded(city, wire.EventBatch) if b.events[-1].seq == head) >= 2,
        timeout=10,
        what="a retransmission",
    )


def test_resend_request_goes_back(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    create_dossiers(synced_runtime, 2)
    head = event_log.head_seq(synced_runtime.db.read(), NODE)
    wait_until(lambda: decoded(city, wire.EventBatch), what="a first batch")
    city.publish(topics.down(NODE, Lane.CONTROL), wire.encode(wire.EventAck(NODE, NODE, 10)))
    before = len(decoded(city, wire.EventBatch))
    city.publish(topics.down(NODE, Lane.CONTROL), wire.encode(wire.ResendRequest(NODE, NODE, 11)))
    wait_until(
        lambda: any(b.first_seq == 11 for b in decoded(city, wire.EventBatch)[before:]),
        what="a batch from seq 11",
    )
    assert head > 11


def test_down_batch_is_applied_once_and_acknowledged(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    rt = synced_runtime
    body = ProcedureUpserted(
        "9.000009", "1", "Thủ tục của tỉnh", "Khác", 3, "working_days", "none", ["Tờ khai"]
    )
    records = [
        EventRecord(
            "central",
            1,
            "01900000-0000-7000-8000-0000000000c1",
            "catalog",
            kind_of(body),
            to_utc_iso(utc_now()),
            "central:so-tu-phap",
            EVENT_FORMAT,
            encode_body(body),
        )
    ]
    down = wire.encode(wire.DownBatch(NODE, "central", 1, records))
    city.wait_for_message(is_kind(wire.Birth))
    for _ in range(2):  # the same batch twice: applied once, acknowledged twice
        city.publish(topics.down(NODE, Lane.EVENTS), down)
    wait_until(lambda: len(decoded(city, wire.DownAck)) >= 2, what="two down acks")
    assert all(a.upto_seq == 1 for a in decoded(city, wire.DownAck))
    assert get_procedure(rt.db.read(), "9.000009") is not None
    assert event_log.head_seq(rt.db.read(), "central") == 1
    # A gap (seq 3 after 1) is refused and asked for again from 2.
    gap = wire.DownBatch(
        NODE,
        "central",
        3,
        [
            EventRecord(
                "central",
                3,
                "01900000-0000-7000-8000-0000000000c3",
                "catalog",
                kind_of(body),
                to_utc_iso(utc_now()),
                "central",
                EVENT_FORMAT,
                encode_body(body),
            )
        ],
    )
    city.publish(topics.down(NODE, Lane.EVENTS), wire.encode(gap))
    resend = wire.decode(city.wait_for_message(is_kind(wire.ResendRequest)).payload)
    assert resend == wire.ResendRequest(NODE, "central", 2)
    assert event_log.head_seq(rt.db.read(), "central") == 1


def central_record(seq: int, event_id: str) -> EventRecord:
    body = ProcedureUpserted(
        "9.000009", "1", "Thủ tục của tỉnh", "Khác", 3, "working_days", "none", ["Tờ khai"]
    )
    return EventRecord(
        "central",
        seq,
        event_id,
        "catalog",
        kind_of(body),
        to_utc_iso(utc_now()),
        "central:so-tu-phap",
        EVENT_FORMAT,
        encode_body(body),
    )


def test_a_city_event_at_a_held_seq_with_another_id_is_refused(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    rt = synced_runtime
    first = central_record(1, "01900000-0000-7000-8000-0000000000c1")
    city.wait_for_message(is_kind(wire.Birth))
    down = topics.down(NODE, Lane.EVENTS)
    city.publish(down, wire.encode(wire.DownBatch(NODE, "central", 1, [first])))
    wait_until(lambda: decoded(city, wire.DownAck), what="the first down ack")
    # A city restored from an old copy appends another event at seq 1, then seq 2.
    other = [central_record(1, "01900000-0000-7000-8000-0000000000d1")]
    other.append(central_record(2, "01900000-0000-7000-8000-0000000000d2"))
    city.publish(down, wire.encode(wire.DownBatch(NODE, "central", 1, other)))
    wait_until(lambda: status(rt).alarm == "log_diverged", what="the alarm")
    assert "restored from an old copy" in status(rt).last_error
    assert event_log.id_at(rt.db.read(), "central", 1) == first.id
    assert event_log.head_seq(rt.db.read(), "central") == 1  # seq 2 not joined on
    # Nothing acknowledged: the marker (the first batch again) gets the only other ack.
    city.publish(down, wire.encode(wire.DownBatch(NODE, "central", 1, [first])))
    wait_until(lambda: len(decoded(city, wire.DownAck)) >= 2, what="the marker's ack")
    assert [a.upto_seq for a in decoded(city, wire.DownAck)] == [1, 1]
    assert status(rt).alarm is None  # the city sends this log's events again


def test_a_city_receiver_coming_up_gets_the_birth_again(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    city.wait_for_message(is_kind(wire.Birth))
    state = topics.CITY_STATE
    city.publish(state, wire.encode_city_state(wire.CityState(True, "receiver-a-1")))
    wait_until(lambda: len(decoded(city, wire.Birth)) >= 2, what="a second Birth")
    births = decoded(city, wire.Birth)
    assert births[1].bd_seq == births[0].bd_seq == 1  # the same connection, announced again
    # Bad or repeated states change nothing; the marker (a new token) shows they were read.
    rejected = link.rejected
    city.publish(state, b"\xc1 not msgpack")
    city.publish(state, wire.encode_city_state(wire.CityState(True, "receiver-a-1")))
    city.publish(state, wire.encode_city_state(wire.CityState(False, "receiver-gone")))
    city.publish(state, wire.encode_city_state(wire.CityState(True, "receiver-a-2")))
    wait_until(lambda: len(decoded(city, wire.Birth)) >= 3, what="the marker's Birth")
    assert len(decoded(city, wire.Birth)) == 3
    assert link.rejected == rejected + 1


def test_file_goes_up_in_acknowledged_chunks_and_resumes(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    rt = synced_runtime
    data = bytes(range(256)) * 64  # 16 KiB = 4 chunks of 4 KiB
    sha = hashlib.sha256(data).hexdigest()
    with api_client(rt) as client:
        d = client.post("/api/v1/dossiers", json=create_body()).json()
        client.post(f"/api/v1/dossiers/{d['id']}/documents", files={"file": ("a.pdf", data)})
    offer = wire.decode(city.wait_for_message(is_kind(wire.ChunkOffer), timeout=10).payload)
    assert offer == wire.ChunkOffer(NODE, sha, len(data))
    control = topics.down(NODE, Lane.CONTROL)
    # The city says it already holds 8 KiB (a transfer interrupted earlier).
    city.publish(control, wire.encode(wire.ChunkAck(NODE, sha, 8192, False)))
    first = wire.decode(city.wait_for_message(is_kind(wire.BlobChunk)).payload)
    assert isinstance(first, wire.BlobChunk) and first.offset == 8192
    city.publish(control, wire.encode(wire.ChunkAck(NODE, sha, 12288, False)))
    wait_until(
        lambda: any(c.offset == 12288 for c in decoded(city, wire.BlobChunk)),
        what="the last chunk",
    )
    chunks = {c.offset: c.data for c in decoded(city, wire.BlobChunk)}
    assert chunks[8192] + chunks[12288] == data[8192:]
    city.publish(control, wire.encode(wire.ChunkAck(NODE, sha, len(data), True)))
    wait_until(lambda: status(rt).lanes["blobs"].pending == 0, what="the file acknowledged")


def test_messages_for_another_node_or_malformed_are_rejected(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    city.wait_for_message(is_kind(wire.Birth))
    control = topics.down(NODE, Lane.CONTROL)
    city.publish(control, b"\xc1 not msgpack")
    city.publish(control, wire.encode(wire.EventAck("xa-other", NODE, 5)))
    city.publish(topics.down(NODE, Lane.EVENTS), wire.encode(wire.EventAck(NODE, NODE, 5)))
    wait_until(lambda: link.rejected >= 3, what="three rejections")
    assert outbox.acked_upto(synced_runtime.db.read(), NODE) == 0


def test_status_reports_link_and_backlog(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    create_dossiers(synced_runtime, 2)
    wait_until(lambda: status(synced_runtime).link == "connected", timeout=10, what="connected")
    s = status(synced_runtime)
    assert s.lanes["events"].pending == s.head_seq > 0
    assert s.alarm is None
    with api_client(synced_runtime) as client:
        body = client.get("/api/v1/sync/status").json()
    assert body["link"] == "connected" and body["lanes"]["events"]["pending"] == s.head_seq


def test_a_birth_reports_disk_free_and_the_backlog_it_starts_with(
    synced_runtime: NodeRuntime, city: MqttTestClient, link: NodeLink
) -> None:
    rt = synced_runtime
    create_dossiers(rt, 2)  # not acknowledged: the scripted city never answers
    birth = link._birth()
    oldest = (
        rt.db.read()
        .execute(
            "SELECT MIN(recorded_at) FROM events WHERE origin = ? AND seq > ?",
            (NODE, outbox.acked_upto(rt.db.read(), NODE)),
        )
        .fetchone()
    )
    assert oldest is not None and birth.oldest_pending_at == oldest[0] is not None
    free = shutil.disk_usage(rt.data_dir).free
    assert birth.disk_free is not None and abs(birth.disk_free - free) < 256 * 1024 * 1024
    assert birth.pending_files == outbox.pending_blob_stats(rt.db.read())[0]
    # What goes on the wire carries them too.
    sent = wire.decode(city.wait_for_message(is_kind(wire.Birth)).payload)
    assert isinstance(sent, wire.Birth) and sent.disk_free is not None and sent.disk_free > 0
