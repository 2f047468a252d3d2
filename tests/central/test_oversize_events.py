"""Events larger than the wire carries: refused where the city makes them, and one that is
already stored (written before the limit) never takes the receiver off the broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from central import sql_city_events
from central.message_handler import MessageHandler
from central.receiver import Receiver
from rules.event_kinds import CalendarDaySet, ProcedureUpserted
from rules.event_record import MAX_EVENT_BODY_BYTES, EventTooLarge
from sync import wire
from tests.central.fake_node import FakeNode
from tests.central.test_receiver_mqtt import NodeLink, start_receiver
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient
from tests.support.pki_bundle import NODE_A, NODE_B
from tests.support.wait import wait_until

AT = "2027-01-01T00:00:00Z"


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for r in made:
        r.stop()


def _huge_procedure(size: int) -> ProcedureUpserted:
    return ProcedureUpserted(
        "1.000894", "2", "Đăng ký khai sinh", "Hộ tịch", 1, "working_days", "full", ["x" * size]
    )


def test_the_city_refuses_an_oversize_event_and_writes_nothing(
    sqlite_handler: MessageHandler,
) -> None:
    store = sqlite_handler.store
    store.append_reference(NODE_A, [CalendarDaySet("2027-09-03", "holiday", "Quốc khánh")], "c", AT)
    before = store.get_node(NODE_A)
    with pytest.raises(EventTooLarge, match=f"over the {MAX_EVENT_BODY_BYTES}-byte limit"):
        store.append_reference(NODE_A, [_huge_procedure(5 * 1024 * 1024)], "central:t", AT)
    assert store.get_node(NODE_A) == before


def test_an_oversize_stored_event_does_not_drop_the_receiver_for_every_node(
    mosquitto: Mosquitto,
    sqlite_handler: MessageHandler,
    clients: list[MqttTestClient],
    receivers: list[Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = sqlite_handler.store
    sqlite_handler.resend_seconds = 0.3
    # A store written before the limit existed: a 5 MiB catalog event for node A.
    with monkeypatch.context() as patch:
        patch.setattr(sql_city_events, "check_body_size", lambda _k, _b: None)
        store.append_reference(NODE_A, [_huge_procedure(5 * 1024 * 1024)], "central:t", AT)
    receiver = start_receiver(sqlite_handler, mosquitto.host, mosquitto.port)
    receivers.append(receiver)
    node_a = FakeNode(NODE_A)
    link_a = NodeLink(clients, mosquitto.host, mosquitto.port, node_a)
    link_a.send(node_a.birth())  # its oversize city event is due to go down now
    link_a.wait(wire.EventAck, lambda a: a.upto_seq == 0)
    # Node B replicates through the same receiver while A's event is retried every tick.
    node_b = FakeNode(NODE_B)
    for _ in range(30):
        node_b.receive()
    link_b = NodeLink(clients, mosquitto.host, mosquitto.port, node_b)
    link_b.sync_events(batch_size=5)
    # The oversize batch went down at Birth and at every resend tick since: each time it
    # is logged and skipped, and the receiver's one connection stays up for all nodes.
    wait_until(
        lambda: sqlite_handler.counters().get("down_batches_sent", 0) >= 3,
        timeout=20,
        what="resends of the oversize batch",
    )
    assert receiver.connects == 1, receiver.status()
    assert receiver.subscribed
