"""Many nodes reconnect at once with a backlog (a broker restart, the morning start).

Every node's Birth and batches go to the city receiver through one client queue at the
broker. Mosquitto's default ``max_queued_messages`` (1000 per client) drops what goes
past it: a lost Birth leaves a connected node offline at the city, its city events held.
The broker config the project ships (``sync/broker_config.py``) sizes that queue for the
window every node may have outstanding. Cheap simulated nodes: one MQTT client each,
publishing a Birth and a backlog at once, as a real node's window does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync import broker_config
from tests.central.fake_node import FakeNode
from tests.support.mosquitto import Mosquitto, plain_config
from tests.support.mqtt_client import MqttTestClient
from tests.support.replication import make_central
from tests.support.wait import wait_until

NODES = 50
BATCHES = 40  # per node, 5 events each: 2,050 messages towards the receiver at once
EVENTS_PER_BATCH = 5


@pytest.fixture
def shipped_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A plain broker with the queue settings the project ships for the city's broker."""
    workdir = tmp_path / "mosquitto-shipped"
    workdir.mkdir()
    plain = plain_config(workdir)
    extra = "\n".join(broker_config.queue_settings())
    broker = Mosquitto(workdir, lambda port: f"{plain(port)}\n{extra}")
    try:
        yield broker.start()
    finally:
        broker.close()


@pytest.mark.slow
def test_every_birth_and_batch_of_a_mass_reconnect_reaches_the_city(
    tmp_path: Path, shipped_broker: Mosquitto, clients: list[MqttTestClient]
) -> None:
    broker = shipped_broker
    central = make_central(tmp_path, f"mqtt://{broker.host}:{broker.port}").start()
    nodes = [FakeNode(f"xa-mass-{n:03d}") for n in range(NODES)]
    for node in nodes:
        for _ in range(BATCHES * EVENTS_PER_BATCH // 2):
            node.receive()  # two events each (received, fee), or as many as receive makes
    try:
        for node in nodes:  # all connected first, then all publishing at once
            client = MqttTestClient(f"motcua-node-{node.node_id}")
            clients.append(client)
            client.connect(broker.host, broker.port)
        for node, client in zip(nodes, clients, strict=True):
            client.publish_nowait(*node.birth())
            for first in range(1, len(node.log) + 1, EVENTS_PER_BATCH):
                last = min(first + EVENTS_PER_BATCH - 1, len(node.log))
                client.publish_nowait(*node.batch(first, last))

        def city_nodes() -> dict[str, dict[str, object]]:
            rows = httpx.get(
                f"{central.url}/api/v1/nodes", headers=central.headers, timeout=10
            ).json()
            return {str(r["node_id"]): r for r in rows}

        def all_held() -> bool:
            rows = city_nodes()
            return all(
                rows.get(n.node_id, {}).get("acked_seq") == len(n.log)
                and rows[n.node_id]["online"] is True
                for n in nodes
            )

        wait_until(all_held, timeout=90, interval=0.5, what="every Birth and every event")
        rows = city_nodes()
        assert sum(1 for n in nodes if rows[n.node_id]["online"]) == NODES
        assert all(rows[n.node_id]["gaps"] == 0 for n in nodes)  # nothing dropped mid-way
    finally:
        central.proc.stop()
