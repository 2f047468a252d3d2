"""The broker stopped and started again (same port) while a backlog and files replicate.

Mosquitto is stopped cleanly (an upgrade, a reboot of the city's broker host) in the
middle of the drain and started again on the same port: the node reconnects and finishes,
the city holds every event once and every file, shows the node online with its session,
its retained state is there again, and city events still reach the node.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.dossier_service import attach_document
from node.runtime import open_node
from rules.actor import machine
from rules.permissions import Operation
from storage.db import scalar
from sync import topics, wire
from tests.e2e.test_presence import push_holiday, wait_city_events, wait_presence
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    node_log,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until

NODE = "xa-presence"  # the presence helpers' node
FAST = {"ack_timeout_seconds": "2.0", "chunk_size": "65536", "batch_events": "50"}


def _acked(node_dir: Path) -> int:
    rt = open_node(node_dir)
    try:
        return int(scalar(rt.db.read(), "SELECT COALESCE(MAX(upto_seq), 0) FROM sync_acked"))
    finally:
        rt.close()


@pytest.mark.slow
def test_a_broker_restart_mid_drain_loses_nothing_and_presence_is_right(
    tmp_path: Path, broker: Mosquitto, clients: list[MqttTestClient]
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 500, steps=("start",))
        dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
        for n in range(3):
            scan = tmp_path / f"scan-{n}.pdf"
            scan.write_bytes(os.urandom(400_000))
            attach_document(
                rt, dossier_id, rt.blobs.put_file(scan), mime="application/pdf",
                role="component", copy_kind="original", filename=scan.name,
                actor=machine("scanner:test", Operation.ATTACH_DOCUMENT),
            )  # fmt: skip
    finally:
        rt.close()
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    try:
        wait_until(lambda: _acked(node_dir) > 0, timeout=30, what="replication under way")
        port = broker.port
        broker.stop()  # clean: the broker saves its persistence (retained state) and exits
        broker.start()
        assert broker.port == port  # the same address the node and the city know
        report = wait_converged(node_dir, central, NODE, timeout=90)
        assert report.clean, report  # every event once, every file, same digests
        wait_presence(central, True, "the node online after the restart")
        state = MqttTestClient("state-reader")
        clients.append(state)
        state.connect(broker.host, broker.port)
        state.subscribe(topics.CITY_STATE)
        retained = state.wait_for_message(lambda r: r.topic == topics.CITY_STATE)
        assert wire.decode_city_state(retained.payload).online
        held = sum(1 for origin, _ in node_log(node_dir) if origin == "central")
        push_holiday(central, tmp_path, "2031-09-02")  # city events flow after it
        wait_city_events(node_dir, held + 1, "the holiday pushed after the restart")
    finally:
        sender.stop()
        central.proc.stop()
    assert "event=disconnected" in sender.log_path.read_text()  # the restart was felt
