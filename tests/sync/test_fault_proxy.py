"""The fault-injecting proxy, exercised with a real broker and real MQTT clients.

Clients marked "via proxy" connect through it; the others connect to the broker
directly and act as the observer on the far side of the broken link.
"""

from __future__ import annotations

import time

from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient, Received
from tests.support.wait import wait_until

TOPIC = "motcua/v1/xa-an-binh/up/blobs"
MARKER = "motcua/v1/xa-an-binh/up/control"


def client(made: list[MqttTestClient], name: str, host: str, port: int) -> MqttTestClient:
    c = MqttTestClient(name)
    made.append(c)
    c.connect(host, port)
    return c


def test_forwards_both_ways_and_counts_bytes(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    c = client(clients, "via-proxy", fault_proxy.host, fault_proxy.port)
    c.subscribe(TOPIC)
    c.publish(TOPIC, b"x" * 1000)
    c.wait_for_message(lambda m: m.topic == TOPIC)
    assert fault_proxy.accepted == 1 and fault_proxy.active == 1
    # Our 1000-byte payload went up once (PUBLISH) and came down once (delivery).
    assert fault_proxy.bytes_forwarded("up") > 1000
    assert fault_proxy.bytes_forwarded("down") > 1000


def test_cut_resets_current_connections_but_accepts_new_ones(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    victims = [client(clients, f"v{i}", fault_proxy.host, fault_proxy.port) for i in range(2)]
    assert fault_proxy.cut() == 2
    for v in victims:
        v.wait_for_disconnect()
    assert fault_proxy.active == 0 and fault_proxy.cuts == 1
    client(clients, "after-cut", fault_proxy.host, fault_proxy.port)
    assert fault_proxy.active == 1


def test_stall_holds_bytes_until_resume(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    observer = client(clients, "observer", mosquitto.host, mosquitto.port)
    observer.subscribe(TOPIC)
    sender = client(clients, "via-proxy", fault_proxy.host, fault_proxy.port)
    up_before = fault_proxy.bytes_forwarded("up")

    fault_proxy.stall()
    sender.publish_nowait(TOPIC, b"held")
    # A negative check needs some window; the proxy's tick is 50 ms, give it 6 ticks.
    time.sleep(0.3)
    assert observer.messages == []
    assert fault_proxy.bytes_forwarded("up") == up_before
    assert sender.connected and fault_proxy.active == 1  # the socket stayed open

    fault_proxy.resume()
    assert observer.wait_for_message(lambda m: m.topic == TOPIC).payload == b"held"


def test_refuse_rejects_new_connections_and_spares_current_ones(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    existing = client(clients, "existing", fault_proxy.host, fault_proxy.port)
    existing.subscribe(TOPIC)
    fault_proxy.refuse(True)
    rejected = MqttTestClient("rejected")
    clients.append(rejected)
    assert rejected.try_connect(fault_proxy.host, fault_proxy.port) is not None
    assert fault_proxy.refused == 1

    existing.publish(TOPIC, b"still here")
    existing.wait_for_message(lambda m: m.topic == TOPIC)

    fault_proxy.refuse(False)
    client(clients, "welcome-back", fault_proxy.host, fault_proxy.port)


def test_cut_after_bytes_up_cuts_mid_publish(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    observer = client(clients, "observer", mosquitto.host, mosquitto.port)
    observer.subscribe("motcua/v1/#")
    sender = client(clients, "via-proxy", fault_proxy.host, fault_proxy.port)
    up_before = fault_proxy.bytes_forwarded("up")

    fault_proxy.cut_after_bytes(10_000, "up")
    sender.publish_nowait(TOPIC, b"c" * 100_000)  # one PUBLISH, cut a tenth of the way
    sender.wait_for_disconnect()
    assert fault_proxy.bytes_forwarded("up") == up_before + 10_000
    assert fault_proxy.cuts == 1

    # The broker discarded the partial PUBLISH: a later message arrives, the big one never.
    marker_sender = client(clients, "marker", mosquitto.host, mosquitto.port)
    wait_until(lambda: "Client via-proxy" in mosquitto.log_text(), what="broker saw the drop")
    marker_sender.publish(MARKER, b"m")
    observer.wait_for_message(lambda m: m.topic == MARKER)
    assert [m.topic for m in observer.messages] == [MARKER]

    # One-shot: the next connection is not cut.
    again = client(clients, "via-proxy-2", fault_proxy.host, fault_proxy.port)
    again.publish(TOPIC, b"c" * 100_000)
    observer.wait_for_message(lambda m: m.topic == TOPIC)


def test_cut_after_bytes_down_cuts_mid_delivery(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    receiver = client(clients, "via-proxy", fault_proxy.host, fault_proxy.port)
    receiver.subscribe(TOPIC)
    down_before = fault_proxy.bytes_forwarded("down")
    fault_proxy.cut_after_bytes(5_000, "down")

    sender = client(clients, "direct", mosquitto.host, mosquitto.port)
    sender.publish(TOPIC, b"d" * 50_000)
    receiver.wait_for_disconnect()
    assert fault_proxy.bytes_forwarded("down") == down_before + 5_000
    assert receiver.messages == []


def test_rate_limit_slows_transfer(
    mosquitto: Mosquitto, fault_proxy: FaultProxy, clients: list[MqttTestClient]
) -> None:
    observer = client(clients, "observer", mosquitto.host, mosquitto.port)
    observer.subscribe(TOPIC)
    sender = client(clients, "via-proxy", fault_proxy.host, fault_proxy.port)
    fault_proxy.limit_rate(200_000, "up")  # 200 kB/s, 16 KiB burst

    started = time.monotonic()
    sender.publish_nowait(TOPIC, b"r" * 100_000)
    got: Received = observer.wait_for_message(lambda m: m.topic == TOPIC)
    limited = time.monotonic() - started
    assert len(got.payload) == 100_000
    # (100 kB - 16 KiB burst) / 200 kB/s ~= 0.42 s at the very least.
    assert limited >= 0.4

    fault_proxy.limit_rate(0)  # lifted
    started = time.monotonic()
    sender.publish(TOPIC, b"r" * 100_000)
    assert time.monotonic() - started < limited
