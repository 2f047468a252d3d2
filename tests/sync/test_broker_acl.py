"""The generated broker config against a real Mosquitto: certificates and per-node ACL.

Negative checks ("X never arrives") use a marker: the forbidden message is sent first and
a permitted one after it on the same path. Mosquitto keeps per-client order, so once the
marker arrives the forbidden message would already have arrived; no timing window needed.
"""

from __future__ import annotations

from pathlib import Path

from sync import pki, topics
from sync.topics import Lane
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient, TlsFiles
from tests.support.pki_bundle import NODE_A, NODE_B, PkiBundle
from tests.support.wait import wait_until

NOT_AUTHORIZED = 135  # MQTT v5 reason code


def connect(
    made: list[MqttTestClient],
    broker: Mosquitto,
    name: str,
    tls: TlsFiles,
    *,
    username: str | None = None,
) -> MqttTestClient:
    client = MqttTestClient(name, tls=tls, username=username)
    made.append(client)
    client.connect(broker.host, broker.port)
    return client


def central_listening(
    made: list[MqttTestClient], broker: Mosquitto, test_pki: PkiBundle
) -> MqttTestClient:
    central = connect(made, broker, "central", test_pki.central())
    assert [rc.value for rc in central.subscribe(topics.ALL_UP)] == [1]
    return central


def test_node_publishes_into_its_own_subtree_and_the_central_receives(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, clients: list[MqttTestClient]
) -> None:
    central = central_listening(clients, mosquitto_tls, test_pki)
    node_a = connect(clients, mosquitto_tls, NODE_A, test_pki.node(NODE_A))
    topic = topics.up(NODE_A, Lane.EVENTS)
    rc = node_a.publish(topic, b"batch 1")
    assert rc is not None and not rc.is_failure
    assert central.wait_for_message(lambda m: m.topic == topic).payload == b"batch 1"


def test_node_cannot_publish_into_another_nodes_subtree(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, clients: list[MqttTestClient]
) -> None:
    central = central_listening(clients, mosquitto_tls, test_pki)
    node_a = connect(clients, mosquitto_tls, NODE_A, test_pki.node(NODE_A))
    forged = topics.up(NODE_B, Lane.EVENTS)
    rc = node_a.publish(forged, b"forged batch")
    assert rc is not None and rc.value == NOT_AUTHORIZED
    marker = topics.up(NODE_A, Lane.CONTROL)
    node_a.publish(marker, b"marker")
    central.wait_for_message(lambda m: m.topic == marker)
    assert [m.topic for m in central.messages] == [marker]


def test_username_in_connect_cannot_override_the_certificate(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, clients: list[MqttTestClient]
) -> None:
    # use_identity_as_username: the CN wins over whatever the client claims.
    node_a = connect(clients, mosquitto_tls, "impostor", test_pki.node(NODE_A), username=NODE_B)
    rc = node_a.publish(topics.up(NODE_B, Lane.EVENTS), b"forged")
    assert rc is not None and rc.value == NOT_AUTHORIZED


def test_node_cannot_read_another_nodes_downstream(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, clients: list[MqttTestClient]
) -> None:
    central = connect(clients, mosquitto_tls, "central", test_pki.central())
    node_a = connect(clients, mosquitto_tls, NODE_A, test_pki.node(NODE_A))
    # Mosquitto 2.0 grants the SUBACK and filters at delivery instead.
    node_a.subscribe(f"{topics.PREFIX}/{NODE_B}/down/#")
    node_a.subscribe(topics.node_down_filter(NODE_A))
    central.publish(topics.down(NODE_B, Lane.CONTROL), b"for b only")
    marker = topics.down(NODE_A, Lane.CONTROL)
    central.publish(marker, b"for a")
    node_a.wait_for_message(lambda m: m.topic == marker)
    assert [m.topic for m in node_a.messages] == [marker]


def test_every_node_reads_the_citys_state_and_only_the_city_writes_it(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, clients: list[MqttTestClient]
) -> None:
    central = connect(clients, mosquitto_tls, "central", test_pki.central())
    node_a = connect(clients, mosquitto_tls, NODE_A, test_pki.node(NODE_A))
    node_b = connect(clients, mosquitto_tls, NODE_B, test_pki.node(NODE_B))
    node_a.subscribe(topics.CITY_STATE)
    rc = node_b.publish(topics.CITY_STATE, b"forged")  # refused: the city never went away
    assert rc is not None and rc.value == NOT_AUTHORIZED
    central.publish(topics.CITY_STATE, b"up")
    node_a.wait_for_message(lambda m: m.topic == topics.CITY_STATE)
    assert [m.payload for m in node_a.messages] == [b"up"]


def test_will_is_delivered_only_on_the_nodes_own_topic(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, clients: list[MqttTestClient]
) -> None:
    # The Offline will is published by the broker on the node's behalf, so it must not
    # be a way around the ACL. Mosquitto 2.0.11 accepts the CONNECT with a forbidden
    # will topic and drops the will when it would publish it.
    central = central_listening(clients, mosquitto_tls, test_pki)
    own_will = topics.up(NODE_A, Lane.CONTROL)
    with FaultProxy(mosquitto_tls.host, mosquitto_tls.port) as proxy:
        honest = MqttTestClient("honest", tls=test_pki.node(NODE_A), will=(own_will, b"bye"))
        forger = MqttTestClient(
            "forger", tls=test_pki.node(NODE_A), will=(topics.up(NODE_B, Lane.CONTROL), b"x")
        )
        clients += [honest, forger]
        honest.connect(proxy.host, proxy.port)
        forger.connect(proxy.host, proxy.port)
        proxy.cut()  # an abrupt loss: the broker publishes both wills (or refuses to)
        central.wait_for_message(lambda m: m.topic == own_will)
        wait_until(
            lambda: "Client forger disconnected" in mosquitto_tls.log_text(),
            what="the broker to notice the forger is gone",
        )
    # Published after the broker handled the forger's disconnect, so queued behind its will.
    marker = topics.up(NODE_B, Lane.EVENTS)
    node_b = connect(clients, mosquitto_tls, NODE_B, test_pki.node(NODE_B))
    node_b.publish(marker, b"marker")
    central.wait_for_message(lambda m: m.topic == marker)
    assert sorted(m.topic for m in central.messages) == sorted([own_will, marker])


def test_client_without_certificate_cannot_connect(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle
) -> None:
    client = MqttTestClient("anonymous", tls=test_pki.anonymous())
    try:
        failure = client.try_connect(mosquitto_tls.host, mosquitto_tls.port)
    finally:
        client.close()
    assert failure is not None
    assert "peer did not return a certificate" in mosquitto_tls.log_text()


def test_certificate_from_another_ca_cannot_connect(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle, tmp_path: Path
) -> None:
    rogue_dir = tmp_path / "rogue-pki"
    pki.init(rogue_dir)
    rogue = pki.issue_node(rogue_dir, NODE_A)
    # Trusts the real CA for the server, but presents a rogue-signed client certificate.
    client = MqttTestClient("rogue", tls=TlsFiles(test_pki.dir.ca_cert, rogue.cert, rogue.key))
    try:
        failure = client.try_connect(mosquitto_tls.host, mosquitto_tls.port)
    finally:
        client.close()
    assert failure is not None
