"""Fixtures for replication tests: real Mosquitto brokers (plain and TLS), a PKI, a proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto, plain_config
from tests.support.mqtt_client import MqttTestClient
from tests.support.pki_bundle import PkiBundle


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> PkiBundle:
    """One PKI per test session (per xdist worker): CA, two nodes, one central."""
    return PkiBundle.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A plain-TCP, anonymous broker with persistence, on a free port."""
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    broker = Mosquitto(workdir, plain_config(workdir))
    try:
        yield broker.start()
    finally:
        broker.close()


@pytest.fixture
def mosquitto_tls(tmp_path: Path, test_pki: PkiBundle) -> Iterator[Mosquitto]:
    """A TLS broker requiring client certificates, with the per-node ACL from the PKI."""
    broker = test_pki.broker(tmp_path / "mosquitto-tls")
    try:
        yield broker.start()
    finally:
        broker.close()


@pytest.fixture
def fault_proxy(mosquitto: Mosquitto) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the plain broker."""
    proxy = FaultProxy(mosquitto.host, mosquitto.port)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def clients() -> Iterator[list[MqttTestClient]]:
    """Collects the MQTT clients a test makes and closes them all afterwards."""
    made: list[MqttTestClient] = []
    yield made
    for c in made:
        c.close()
