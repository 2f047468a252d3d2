"""A city data centre restored from an old copy while the node stays connected.

The node holds as delivered events and files the restored city lost, and the city's
new events reuse seqs the node holds: nothing may be lost, and nothing may be shown
delivered that was not applied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from node.dossier_service import attach_document
from node.runtime import open_node
from rules.permissions import seeding_machine
from storage.db import scalar
from tests.e2e.test_presence import city_row, link_value, push_holiday, wait_city_events
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    Central,
    add_dossiers,
    make_central,
    make_node,
    node_log,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until

NODE = "xa-presence"
FAST = {"ack_timeout_seconds": "2.0", "chunk_size": "65536"}


def restore(central: Central, backup: Path) -> Central:
    """Stop the city, put the old copy back in place, start it again."""
    central.proc.stop()
    shutil.rmtree(central.data_dir)
    shutil.copytree(backup, central.data_dir)
    return central.another().start()


def copy_of(central: Central, backup: Path) -> Central:
    """Stop the city, copy its data directory (the backup), start it again."""
    central.proc.stop()
    shutil.copytree(central.data_dir, backup)
    return central.another().start()


def test_a_city_restored_from_an_old_copy_gets_back_what_it_lost(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 3, threads=1)
        wait_converged(node_dir, central, NODE, timeout=60)
        central = copy_of(central, tmp_path / "city-backup")
        # Events and a file the city acknowledges, then loses.
        add_dossiers(rt, 4, threads=1, steps=("start",))
        scan = tmp_path / "scan.pdf"
        scan.write_bytes(bytes(range(256)) * 800)  # 200 KiB: several chunks
        dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
        attach_document(
            rt,
            dossier_id,
            rt.blobs.put_file(scan),
            mime="application/pdf",
            role="component",
            copy_kind="original",
            filename=scan.name,
            actor=seeding_machine("scanner:test"),
        )
        wait_converged(node_dir, central, NODE, timeout=60)
        central = restore(central, tmp_path / "city-backup")
        # The node writes nothing: the city must ask for what it lacks by itself.
        report = wait_converged(node_dir, central, NODE, timeout=60)
        assert report.clean and report.central_events == report.node_events
        assert sender.running
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()


def test_city_events_reusing_a_seq_the_node_holds_are_refused_not_shown_delivered(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    try:
        wait_until(lambda: city_row(central).get("online"), timeout=30, what="the node online")
        central = copy_of(central, tmp_path / "city-backup")
        push_holiday(central, tmp_path, "2027-09-02")
        wait_city_events(node_dir, 1, "the first holiday at the node")
        held = node_log(node_dir)[("central", 1)]
        central = restore(central, tmp_path / "city-backup")
        push_holiday(central, tmp_path, "2027-09-03")  # the restored city's seq 1 again
        wait_until(
            lambda: "restored from an old copy" in link_value(node_dir, "city_diverged"),
            timeout=40,
            interval=0.2,
            what="the node refusing the city's other event at seq 1",
        )
        assert node_log(node_dir)[("central", 1)] == held
        row = city_row(central)
        assert row["central_seq"] == 1 and row["down_pending"] == 1, row
    finally:
        sender.stop()
        central.proc.stop()
