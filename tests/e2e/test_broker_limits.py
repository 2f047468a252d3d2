"""A broker that announces a small maximum packet size (MQTT v5 CONNACK).

Mosquitto drops the connection of a client that publishes a larger packet; paho does not
hold a publish to the announced size. So the node sizes its batches and file chunks to it:
replication converges, events and files, and nothing is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.dossier_service import attach_document
from node.runtime import open_node
from rules.actor import machine
from rules.permissions import Operation
from storage.db import scalar
from tests.support.mosquitto import Mosquitto, plain_config
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
)

NODE = "xa-small-packets"
MAX_PACKET = 64 * 1024


@pytest.fixture
def small_packet_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    workdir = tmp_path / "mosquitto-small"
    workdir.mkdir()
    plain = plain_config(workdir)
    broker = Mosquitto(workdir, lambda port: f"{plain(port)}\nmax_packet_size {MAX_PACKET}")
    try:
        yield broker.start()
    finally:
        broker.close()


@pytest.mark.slow
def test_batches_and_chunks_stay_under_the_brokers_packet_size(
    tmp_path: Path, small_packet_broker: Mosquitto
) -> None:
    url = f"mqtt://{small_packet_broker.host}:{small_packet_broker.port}"
    # Defaults: 500 events a batch (about 150 KiB), 256 KiB chunks; both over 64 KiB.
    node_dir = make_node(tmp_path, NODE, url)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 400, steps=("start",))
        dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
        scan = tmp_path / "scan.pdf"
        scan.write_bytes(os.urandom(600_000))
        attach_document(
            rt,
            dossier_id,
            rt.blobs.put_file(scan),
            mime="application/pdf",
            role="component",
            copy_kind="original",
            filename=scan.name,
            actor=machine("scanner:test", Operation.ATTACH_DOCUMENT),
        )
    finally:
        rt.close()
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    try:
        report = wait_converged(node_dir, central, NODE, timeout=90)  # the file is included
        assert report.clean, report
    finally:
        sender.stop()
        central.proc.stop()
    # Not one connection was dropped for an oversize packet.
    assert "event=disconnected" not in sender.log_path.read_text()
    assert "oversize" not in small_packet_broker.log_text().lower()
