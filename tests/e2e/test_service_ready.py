"""systemd readiness of the two services with replication on: the city's ``central serve``
says READY once its receiver loop turns, and a node's ``serve`` once its link loop turns
(both name the loops they watch), over real unix datagram sockets as ``$NOTIFY_SOCKET``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.live_node import start_node
from tests.support.mosquitto import Mosquitto
from tests.support.notify_socket import NotifyListener
from tests.support.replication import make_central, make_node


def test_city_and_node_are_ready_once_their_loops_turn(
    tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"mqtt://{mosquitto.host}:{mosquitto.port}"
    city_socket = NotifyListener(tmp_path / "city.sock")
    node_socket = NotifyListener(tmp_path / "node.sock")
    central = make_central(tmp_path, url)
    node_dir = make_node(tmp_path, "xa-san-sang", url)
    node = None
    try:
        monkeypatch.setenv("WATCHDOG_USEC", "4000000")
        monkeypatch.setenv("NOTIFY_SOCKET", str(city_socket.path))
        central.start(timeout=120)
        ready = city_socket.wait_for("READY=1", timeout=120)[-1]
        assert "loops: receiver" in ready
        city_socket.wait_for("WATCHDOG=1", timeout=60)

        monkeypatch.setenv("NOTIFY_SOCKET", str(node_socket.path))
        node = start_node(node_dir, timeout=120)
        ready = node_socket.wait_for("READY=1", timeout=120)[-1]
        assert "loops: sync-link" in ready
        node_socket.wait_for("WATCHDOG=1", timeout=60)
    finally:
        if node is not None:
            node.stop()
        central.proc.stop()
        city_socket.close()
        node_socket.close()
