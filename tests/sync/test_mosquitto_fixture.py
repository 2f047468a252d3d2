"""The Mosquitto fixture itself: a private broker that can be stopped, killed and restarted."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto, MosquittoError, plain_config
from tests.support.mqtt_client import MqttTestClient
from tests.support.pki_bundle import PkiBundle

TOPIC = "motcua/v1/xa-an-binh/up/events"


def test_broker_runs_on_its_own_port_and_routes_messages(mosquitto: Mosquitto) -> None:
    assert mosquitto.port != 1883  # never the system broker
    sub, pub = MqttTestClient("sub"), MqttTestClient("pub")
    try:
        sub.connect(mosquitto.host, mosquitto.port)
        pub.connect(mosquitto.host, mosquitto.port)
        sub.subscribe(TOPIC)
        assert pub.publish(TOPIC, b"hello") is not None
        assert sub.wait_for_message(lambda m: m.topic == TOPIC).payload == b"hello"
    finally:
        sub.close()
        pub.close()


def test_queued_message_survives_a_clean_restart_on_the_same_port(mosquitto: Mosquitto) -> None:
    port = mosquitto.port
    # A persistent session (clean start off, session kept an hour) with a QoS 1 subscription.
    sub = MqttTestClient("durable-sub", clean_start=False, session_expiry=3600)
    sub.connect(mosquitto.host, port)
    sub.subscribe(TOPIC)
    sub.close()
    pub = MqttTestClient("pub")
    pub.connect(mosquitto.host, port)
    pub.publish(TOPIC, b"queued while offline")
    pub.close()

    mosquitto.stop()  # SIGTERM writes the persistence database
    assert not mosquitto.running
    mosquitto.start()
    assert mosquitto.port == port

    again = MqttTestClient("durable-sub", clean_start=False, session_expiry=3600)
    try:
        again.connect(mosquitto.host, port)
        received = again.wait_for_message(lambda m: m.topic == TOPIC)
        assert received.payload == b"queued while offline"
    finally:
        again.close()


def test_kill_drops_clients_and_the_broker_can_start_again(mosquitto: Mosquitto) -> None:
    client = MqttTestClient("victim")
    client.connect(mosquitto.host, mosquitto.port)
    pid = mosquitto.pid
    assert pid is not None
    try:
        mosquitto.kill()
        client.wait_for_disconnect()
        assert not mosquitto.running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        client.close()
    mosquitto.start()
    fresh = MqttTestClient("after-restart")
    try:
        fresh.connect(mosquitto.host, mosquitto.port)
    finally:
        fresh.close()


def test_start_failure_is_a_clear_error_quoting_the_log(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        port = squatter.getsockname()[1]
        broker = Mosquitto(tmp_path, plain_config(tmp_path), port=port)
        with pytest.raises(MosquittoError, match="Address already in use"):
            broker.start(timeout=5.0)
        assert not broker.running
        broker.close()  # idempotent after a failed start


def test_close_is_idempotent_and_stops_the_process(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path, plain_config(tmp_path)).start()
    pid = broker.pid
    assert pid is not None
    broker.close()
    broker.close()
    assert not broker.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_tls_broker_restarts_on_the_same_port(
    mosquitto_tls: Mosquitto, test_pki: PkiBundle
) -> None:
    port = mosquitto_tls.port
    mosquitto_tls.kill()
    mosquitto_tls.start()  # readiness probed over TLS with a client certificate
    assert mosquitto_tls.port == port
    central = MqttTestClient("central", tls=test_pki.central())
    try:
        central.connect(mosquitto_tls.host, port)
    finally:
        central.close()
