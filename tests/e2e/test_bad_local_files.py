"""A stored file deleted or cut short on the node's disk before it went up: it steps aside
with an alarm and a log line, ``motcua check`` names it, and the files behind it go up."""

from __future__ import annotations

import os
from pathlib import Path

from node.dossier_service import attach_document
from node.runtime import open_node
from rules.permissions import seeding_machine
from settings.city import BLOBS_DIR
from storage.db import scalar
from tests.support.mosquitto import Mosquitto
from tests.support.replication import add_dossiers, make_central, make_node, motcua, sync_proc
from tests.support.wait import wait_until

NODE = "xa-bad-files"


def test_deleted_and_truncated_files_step_aside(tmp_path: Path, broker: Mosquitto) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync={"ack_timeout_seconds": "2.0"})
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 3, threads=1)
        dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
        shas = []
        for name in ("deleted", "truncated", "whole"):  # stored in this order: oldest first
            source = tmp_path / f"{name}.pdf"
            source.write_bytes(os.urandom(200_000))
            blob = rt.blobs.put_file(source)
            attach_document(
                rt,
                dossier_id,
                blob,
                mime="application/pdf",
                role="component",
                copy_kind="original",
                filename=source.name,
                actor=seeding_machine("t"),
            )
            shas.append(blob.sha256)
        deleted, truncated, whole = shas
        rt.blobs.path_for(deleted).unlink()
        with rt.blobs.path_for(truncated).open("r+b") as f:
            f.truncate(70_000)
        head = int(scalar(rt.db.read(), "SELECT MAX(seq) FROM events WHERE origin = ?", (NODE,)))
    finally:
        rt.close()

    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    city_blobs = central.data_dir / BLOBS_DIR
    try:
        wait_until(
            lambda: (city_blobs / whole[:2] / whole[2:]).exists(),
            timeout=40,
            what=f"the whole file behind the bad ones at the city\n{sender.log()}",
        )

        def alarmed() -> bool:
            result = motcua("sync", "status", "--data-dir", str(node_dir))
            return "ALARM: local_file_damaged" in result.stderr

        wait_until(alarmed, timeout=20, what="the local_file_damaged alarm")
        status = motcua("sync", "status", "--data-dir", str(node_dir))
        assert "set aside" in status.stdout, status.stdout
        log = sender.log_path.read_text(errors="replace")
        assert f"event=blob_set_aside sha256={deleted}" in log
        assert f"event=blob_set_aside sha256={truncated}" in log
        assert "event=sync_turn_failed" not in log
        for bad in (deleted, truncated):
            assert not (city_blobs / bad[:2] / bad[2:]).exists()
        # Every event still went up: the bad files held back nothing.
        wait_until(
            lambda: (
                f"events: {head} of {head} acknowledged"
                in motcua("sync", "status", "--data-dir", str(node_dir)).stdout
            ),
            timeout=20,
            what="every event acknowledged",
        )
        check = motcua("check", "--data-dir", str(node_dir))
        assert check.returncode != 0
        assert f"document file {deleted} is missing" in check.stderr
        assert f"document file {truncated} has 70000 bytes" in check.stderr
    finally:
        sender.stop()
        central.proc.stop()
