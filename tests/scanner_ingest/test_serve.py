"""``motcua serve`` runs ingest in the background when folders are configured; one ingest
per node: a second ``motcua ingest`` refuses to start while it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from node.runtime import open_node
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import configure, count, folder, new_dossier
from tests.support.live_node import start_node
from tests.support.wait import wait_until


def test_serve_takes_scans_and_ingest_is_exclusive(node_dir: Path, tmp_path: Path) -> None:
    share = tmp_path / "share"
    configure(node_dir, [folder(share, name="may-1")])
    rt = open_node(node_dir)
    dossier_id, code = new_dossier(rt)
    node = start_node(node_dir)
    try:
        wait_until(share.is_dir, what="the drop folder created at start-up")
        gen.write_png(share / f"{code}.png", gen.blank_page(dpi=50))
        wait_until(
            lambda: count(rt, "SELECT COUNT(*) FROM documents WHERE dossier_id = ?", (dossier_id,)),
            timeout=30,
            what="the scan attached",
        )
        status = httpx.get(f"{node.url}/api/v1/ingest/status", headers=node.headers).json()
        assert status["running"] is True and status["pid"] == node.process.pid
        second = subprocess.run(
            [sys.executable, "-m", "cli", "ingest", "--data-dir", str(node_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 3 and "already runs" in second.stderr, second.stderr
    finally:
        node.stop()
    # A clean stop: uvicorn re-raises the SIGTERM it handled once shutdown is complete.
    assert node.process.returncode in (0, -15), node.log()
    assert "Application shutdown complete" in node.log()
    assert "scan_taken" in node.log()
    rt.close()
