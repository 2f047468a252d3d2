"""A node that was offline for a long time catches up with the city, exactly once."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from node.dossier_service import attach_document
from node.runtime import open_node
from rules.permissions import seeding_machine
from storage.blob_store import BlobInfo
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
)

NODE = "xa-backlog"


def test_long_offline_backlog_converges(tmp_path: Path, broker: Mosquitto) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url)
    rt = open_node(node_dir)
    try:
        # Offline: 2,500 dossiers x 4 events, and 60 files, before any link exists.
        add_dossiers(rt, 2500, steps=("start", "request_supplement", "complete_supplement"))
        with rt.db.read() as conn:
            dossier_ids = [str(r[0]) for r in conn.execute("SELECT id FROM dossiers LIMIT 60")]
        for i, dossier_id in enumerate(dossier_ids):
            data = os.urandom(20_000 + i * 3_000)
            blob: BlobInfo = rt.blobs.put_file(_tmp_file(tmp_path, data))
            attach_document(
                rt,
                dossier_id,
                blob,
                mime="application/pdf",
                role="component",
                copy_kind="original",
                filename=f"scan-{i}.pdf",
                actor=seeding_machine("test"),
            )
    finally:
        rt.close()
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    try:
        report = wait_converged(node_dir, central, NODE, timeout=240)
        assert report.node_events >= 10_000
        assert report.central_events == report.node_events
        nodes = httpx.get(f"{central.url}/api/v1/nodes", headers=central.headers).json()
        mine = next(n for n in nodes if n["node_id"] == NODE)
        assert mine["online"] is True
        stats = httpx.get(
            f"{central.url}/api/v1/stats", params={"node": NODE}, headers=central.headers
        ).json()
        assert stats["received"] == 2500
    finally:
        sender.stop()
        central.proc.stop()


def _tmp_file(root: Path, data: bytes) -> Path:
    path = root / "upload.tmp"
    path.write_bytes(data)
    return path
