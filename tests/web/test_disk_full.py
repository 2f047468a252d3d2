"""A full disk at the node, on a real size-limited file system (a 24 MB tmpfs holding the
node's data folder): writes answer 507 saying the disk is full (JSON under /api/, a
Vietnamese page elsewhere), reads still answer, /healthz and /metrics report it, the log
has one line when it begins and one when it ends, ingest leaves the scans where they are,
nothing acknowledged is lost, and everything resumes by itself once space is freed."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from cli.init_cmd import initialise
from node.runtime import NodeRuntime
from rules.actor import Role
from rules.clock import to_utc_iso, utc_now
from scanner_ingest.service import IngestService
from storage.blob_store import TMP_DIR
from storage.db import scalar
from tests.conftest import AGENCY, NODE_ID
from tests.node.helpers import create_body
from tests.scanner_ingest import filegen
from tests.scanner_ingest.ingest_support import configure, folder
from tests.support.accounts import api_client
from tests.support.small_disk import fill
from tests.support.staff_client import StaffClientFactory
from tests.support.wait import wait_until
from web.node_api.app import create_app
from web.staff_pages.error_pages import TITLES

FAULTS_LOG = "motcua.storage.faults"


@pytest.fixture
def share(tmp_path: Path) -> Path:
    """The scanner's drop folder: on the big disk, as a network share would be."""
    path = tmp_path / "share"
    path.mkdir()
    return path


@pytest.fixture
def node_dir(small_disk: Path, share: Path) -> Path:
    """The node's data folder on the small disk, with ingest watching ``share``."""
    data_dir = small_disk / "node"
    initialise(data_dir, AGENCY, NODE_ID, calendars=True, sample_catalog=True)
    configure(data_dir, [folder(share, name="may-1")], retry_seconds=0.2)
    return data_dir


def lines(caplog: pytest.LogCaptureFixture, event: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == FAULTS_LOG and r.getMessage().split(" ", 1)[0] == event
    ]


def metric(client: TestClient[Litestar], name: str) -> float:
    text = client.get("/metrics").text
    [value] = [ln.split()[-1] for ln in text.splitlines() if ln.split(" ")[0] == name]
    return float(value)


def test_a_full_disk_refuses_writes_with_507_reports_it_once_and_recovers_by_itself(
    runtime: NodeRuntime,
    small_disk: Path,
    share: Path,
    staff_client: StaffClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    page = staff_client(Role.RECEPTION)
    staff_client(Role.LEADER)  # a session that will have expired at the next start
    with api_client(runtime) as api:
        first = api.post("/api/v1/dossiers", json=create_body())
        assert first.status_code == 201, first.text
        acknowledged = [first.json()["id"]]
        doc = api.post(
            f"/api/v1/dossiers/{acknowledged[0]}/documents",
            files={"file": ("don.pdf", b"%PDF-1.4 acknowledged bytes", "application/pdf")},
        )
        assert doc.status_code == 201, doc.text
        # Every "last used" mark due now: on a full disk it is skipped, reads still answer.
        a_while_ago = to_utc_iso(utc_now() - timedelta(minutes=5))
        with runtime.db.write() as conn:
            conn.execute("UPDATE api_tokens SET last_used_at = ?", (a_while_ago,))
            conn.execute("UPDATE sessions SET last_seen_at = ?", (a_while_ago,))
            conn.execute(
                "UPDATE sessions SET created_at = '2000-01-01T00:00:00Z' WHERE user_id = 'leader'"
            )
        # An empty WAL: the next commit must grow a file, so it meets the full disk.
        [(busy, wal_pages, _)] = runtime.db.read().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert (busy, wal_pages) == (0, 0), "the WAL could not be emptied"
        filler = fill(small_disk)

        # Ingest tries the scan, meets the full disk, and leaves it where it is.
        scan = filegen.write_png(share / "SCN_0001.png", filegen.blank_page(text="trang 1"))
        service = IngestService(runtime)
        service.start()
        try:
            wait_until(lambda: runtime.faults.state().refused_writes >= 1, timeout=120)
            assert scan.exists() and service.taken == 0 and service.quarantined == 0
            assert scalar(runtime.db.read(), "SELECT COUNT(*) FROM scan_receipts") == 0

            # Reads answer; every write answers 507 and says the disk is full.
            assert api.get(f"/api/v1/dossiers/{acknowledged[0]}").status_code == 200
            assert page.get(f"/dossiers/{acknowledged[0]}").status_code == 200
            refused = api.post("/api/v1/dossiers", json=create_body())
            assert refused.status_code == 507, refused.text
            assert "disk is full" in refused.json()["detail"]
            upload = api.post(
                f"/api/v1/dossiers/{acknowledged[0]}/documents",
                files={"file": ("lon.pdf", b"%PDF-1.4 " + os.urandom(200_000), "application/pdf")},
            )
            assert upload.status_code == 507 and "disk is full" in upload.json()["detail"]
            on_page = page.post(
                f"/dossiers/{acknowledged[0]}/documents",
                files={"file": ("lon.pdf", b"%PDF-1.4 " + os.urandom(200_000), "application/pdf")},
            )
            assert on_page.status_code == 507, (on_page.status_code, on_page.text[-3000:])
            assert TITLES[507] in on_page.text
            assert on_page.headers["content-type"].startswith("text/html")
            assert not list((runtime.blobs.root / TMP_DIR).iterdir())  # no half-written file

            # A server (re)started now comes up: the expired session waits for a later start.
            with TestClient(app=create_app(runtime)) as restarted:
                assert restarted.get("/healthz").status_code == 503
            health = api.get("/healthz")
            assert health.status_code == 503
            body = health.json()
            assert body["status"] == "error" and "disk_full" in body["reasons"]
            assert body["disk"]["full"] is True and body["node_id"] == NODE_ID
            assert metric(api, "motcua_disk_full") == 1.0
            assert metric(api, "motcua_disk_refused_writes_total") >= 4
            sync_page = page.get("/sync/panel").text
            assert 'data-alarm="disk_full"' in sync_page and "Ổ đĩa của máy đã đầy" in sync_page
            assert len(lines(caplog, "disk_full")) == 1  # one line for the whole episode
            assert not [r for r in caplog.records if "unexpected_error" in r.getMessage()]

            # Space freed: ingest takes the scan, writes succeed, the status is ok again.
            filler.unlink()
            wait_until(lambda: service.taken == 1, timeout=120, what="the scan taken")
        finally:
            service.stop()
        assert not scan.exists()
        assert scalar(runtime.db.read(), "SELECT COUNT(*) FROM scan_receipts") == 1
        again = api.post("/api/v1/dossiers", json=create_body())
        assert again.status_code == 201, again.text
        acknowledged.append(again.json()["id"])
        health = api.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert metric(api, "motcua_disk_full") == 0.0
        assert len(lines(caplog, "disk_full")) == 1
        assert len(lines(caplog, "disk_full_cleared")) == 1
        for dossier_id in acknowledged:
            assert api.get(f"/api/v1/dossiers/{dossier_id}").status_code == 200
        [kept] = api.get(f"/api/v1/dossiers/{acknowledged[0]}").json()["documents"]
        assert api.get(f"/api/v1/documents/{kept['sha256']}").content == (
            b"%PDF-1.4 acknowledged bytes"
        )
    assert [r[0] for r in runtime.db.read().execute("PRAGMA quick_check")] == ["ok"]
