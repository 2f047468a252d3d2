"""The city on PostgreSQL, with two receiver processes sharing the load (MQTT v5 shared
subscription), one of them killed mid-way: the same exactly-once result."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from node.runtime import open_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
)

NODES = ("xa-pg-1", "xa-pg-2")


@pytest.mark.slow
def test_two_receivers_on_postgres_converge(tmp_path: Path, broker: Mosquitto, pg_url: str) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    first = make_central(tmp_path, url, store_url=pg_url).start()
    second = first.another().start()
    senders = []
    for node_id in NODES:
        node_dir = make_node(tmp_path, node_id, url, sync={"ack_timeout_seconds": "2.0"})
        rt = open_node(node_dir)
        try:
            add_dossiers(rt, 400, steps=("start", "resolve"))
        finally:
            rt.close()
        senders.append((node_id, node_dir, sync_proc(node_dir).start()))
    try:
        threading.Event().wait(1.5)
        second.proc.kill()  # one receiver dies mid-stream; the other carries on
        for node_id, node_dir, _ in senders:
            report = wait_converged(node_dir, first, node_id, timeout=180)
            assert report.clean, report
            assert report.central_events >= 1200
    finally:
        for _, _, sender in senders:
            sender.stop()
        first.proc.stop()
        second.proc.stop()
