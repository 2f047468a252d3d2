"""A slow uplink (20 kB/s, 64 kB/s through the proxy's rate cap) drains a backlog without
queueing copies of what is still queued, and a dossier created during the drain goes up
ahead of the file being sent, behind no more than about a second of the link's bytes.

What went ahead of the dossier is read from the bytes the proxy let up before the event's
id passed it, not counted until the city stored it: a city slow to apply (a loaded machine)
lets more of the file through meanwhile, which says nothing about the node's order."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from node.dossier_service import attach_document
from node.runtime import open_node
from rules.permissions import seeding_machine
from settings.city import BLOBS_DIR
from storage.db import scalar
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    central_log,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until
from uplink.flow import FLIGHT_SECONDS, MIN_FLIGHT_BYTES

BATCH_EVENTS, WINDOW = 100, 4
SYNC = {
    "ack_timeout_seconds": "2.0",  # shorter than one window takes on these links
    "batch_events": str(BATCH_EVENTS),
    "window_batches": str(WINDOW),
}


LINKS = [(20_000, 120, 300_000), (64_000, 300, 900_000)]  # bytes/s, backlog, file size


@pytest.mark.parametrize(("rate", "dossiers", "file_bytes"), LINKS)
def test_a_slow_uplink_drains_once_and_a_new_dossier_is_not_held_back(
    tmp_path: Path, broker: Mosquitto, rate: int, dossiers: int, file_bytes: int
) -> None:
    proxy = FaultProxy(broker.host, broker.port)
    proxy.limit_rate(rate, "up")
    node_id = f"xa-slow-{rate // 1000}k"
    node_dir = make_node(tmp_path, node_id, f"mqtt://{proxy.host}:{proxy.port}", sync=SYNC)
    central = make_central(tmp_path, f"mqtt://{broker.host}:{broker.port}").start()
    sender = sync_proc(node_dir)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, dossiers, steps=("start",))  # the backlog: two events a dossier
        scan = tmp_path / "scan.pdf"
        scan.write_bytes(os.urandom(file_bytes))
        blob = rt.blobs.put_file(scan)
        first = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
        attach_document(
            rt, first, blob, mime="application/pdf", role="component",
            copy_kind="original", filename=scan.name, actor=seeding_machine("t"),
        )  # fmt: skip
        backlog = len(central_log_ids(node_dir, node_id))
        sender.start()
        wait_until(
            lambda: len(central_log(central, node_id)) >= backlog,
            timeout=40,
            what="the event backlog at the city",
        )
        # The file is going up now; a dossier is received meanwhile.
        city_file = central.data_dir / BLOBS_DIR / blob.sha256[:2] / blob.sha256[2:]
        assert not city_file.exists(), "the file went up before the test could race it"
        proxy.record("up")
        add_dossiers(rt, 1, threads=1)
        newest = "SELECT id FROM events WHERE origin = ? ORDER BY seq DESC"
        new_id = str(scalar(rt.db.read(), newest, (node_id,)))
        wait_until(
            lambda: new_id in {i for _, _, i in central_log(central, node_id)},
            timeout=30,
            interval=0.05,
            what="the new dossier at the city",
        )
        ahead = proxy.recorded("up").find(new_id.encode())
        assert ahead >= 0, "the new event's id never went through the proxy"
        file_done_first = city_file.exists()
        report = wait_converged(node_dir, central, node_id, timeout=60)
        assert report.clean, report
        # The dossier overtook the file: only what was already queued went before it.
        assert not file_done_first
        queued = max(MIN_FLIGHT_BYTES, rate * FLIGHT_SECONDS)
        assert ahead <= 3 * queued + 16 * 1024, (ahead, queued)
        counters = httpx.get(
            f"{central.url}/api/v1/receiver", headers=central.headers, timeout=10
        ).json()["process"]
        # No real loss on this link: fewer duplicates than one window of events.
        assert counters.get("events_duplicate", 0) < BATCH_EVENTS * WINDOW, counters
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()
        proxy.close()


def central_log_ids(node_dir: Path, node_id: str) -> list[str]:
    rt = open_node(node_dir)
    try:
        return [str(r[0]) for r in rt.db.read().execute("SELECT id FROM events")]
    finally:
        rt.close()
