"""The ingest API and CLI: status, the unfiled inbox (list, assign, reject)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from cli import cli
from node.runtime import NodeRuntime
from scanner_ingest.pdf_worker import PdfWorker
from tests.conftest import API_USER
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import (
    count,
    new_dossier,
    running,
    wait_disposed,
    wait_receipts,
)
from tests.support.accounts import api_client
from tests.support.wait import wait_until

Client = TestClient[Litestar]


@pytest.fixture
def rt(make_node: MakeNode) -> NodeRuntime:
    return make_node()


@pytest.fixture
def client(rt: NodeRuntime) -> Iterator[Client]:
    with api_client(rt) as test_client:
        yield test_client


def unfiled_scans(rt: NodeRuntime, share: Path, pdf: PdfWorker, n: int) -> None:
    with running(rt, pdf):
        for i in range(n):
            gen.write_png(share / f"scan{i}.png", gen.blank_page(dpi=50, text=str(i)))
        wait_disposed(rt, n)


def test_status_while_running_and_after(
    rt: NodeRuntime, client: Client, share: Path, pdf_worker: PdfWorker
) -> None:
    body = client.get("/api/v1/ingest/status").json()
    assert body["running"] is False and body["pid"] is None
    assert [f["name"] for f in body["folders"]] == ["may-1"]
    with running(rt, pdf_worker):
        (share / "bad.txt").write_text("x")
        wait_receipts(rt, 1)

        def live() -> dict[str, Any] | None:
            now: dict[str, Any] = client.get("/api/v1/ingest/status").json()
            return now if now["running"] and now["last_scan_at"] else None

        status = wait_until(live, what="status of the running service")
        assert status is not None
        assert status["quarantined"] == 1 and status["unfiled"] == 0
        [f] = status["folders"]
        assert f["path"] == str(share) and f["poll"] is False
    assert client.get("/api/v1/ingest/status").json()["running"] is False


def test_list_assign_and_reject(
    rt: NodeRuntime, client: Client, share: Path, pdf_worker: PdfWorker
) -> None:
    dossier_id, code = new_dossier(rt)
    unfiled_scans(rt, share, pdf_worker, 3)
    page = client.get("/api/v1/ingest/unfiled").json()
    assert page["total"] == 3
    first, second, third = page["items"]
    assert first["source_name"] == "scan0.png" and first["reason"] == "no_code"
    assert client.get(first["url"]).content.startswith(b"\x89PNG")  # preview

    by_code = client.post(
        f"/api/v1/ingest/unfiled/{first['id']}/assign",
        json={"dossier_code": code},
    )
    assert by_code.status_code == 200, by_code.text
    assert by_code.json()["state"] == "assigned" and by_code.json()["dossier_id"] == dossier_id
    by_id = client.post(
        f"/api/v1/ingest/unfiled/{second['id']}/assign", json={"dossier_id": dossier_id}
    )
    assert by_id.status_code == 200, by_id.text
    again = client.post(f"/api/v1/ingest/unfiled/{first['id']}/assign", json={"dossier_code": code})
    assert again.status_code == 409

    rejected = client.post(
        f"/api/v1/ingest/unfiled/{third['id']}/reject", json={"note": "giấy nháp"}
    )
    assert rejected.status_code == 200 and rejected.json()["note"] == "giấy nháp"
    assert client.get("/api/v1/ingest/unfiled").json()["total"] == 0

    docs = client.get(f"/api/v1/dossiers/{dossier_id}").json()
    attached = [e for e in docs["events"] if e["kind"] == "document_attached"]
    assert [e["actor"] for e in attached] == [API_USER, API_USER]
    assert count(rt, "SELECT COUNT(*) FROM scan_parts WHERE state = 'rejected'") == 1
    assert rt.blobs.has(third["sha256"])  # rejected, never deleted


def test_assign_errors(rt: NodeRuntime, client: Client, share: Path, pdf_worker: PdfWorker) -> None:
    unfiled_scans(rt, share, pdf_worker, 1)
    [item] = client.get("/api/v1/ingest/unfiled").json()["items"]
    url = f"/api/v1/ingest/unfiled/{item['id']}"
    assert client.post(f"{url}/assign", json={}).status_code == 400
    assert client.post(f"{url}/assign", json={"dossier_code": "nope"}).status_code == 404
    assert client.post(f"{url}/assign", json={"dossier_id": "nope"}).status_code == 404
    assert client.post(f"{url}/reject", json={"note": " "}).status_code == 400
    assert client.post("/api/v1/ingest/unfiled/nope/reject", json={"note": "x"}).status_code == 404
    assert client.get("/api/v1/ingest/unfiled").json()["total"] == 1  # nothing written


def test_cli_inbox_and_quarantine(
    rt: NodeRuntime, share: Path, node_dir: Path, pdf_worker: PdfWorker
) -> None:
    _, code = new_dossier(rt)
    with running(rt, pdf_worker):
        gen.write_png(share / "a.png", gen.blank_page(dpi=50, text="a"))
        gen.write_png(share / "b.png", gen.blank_page(dpi=50, text="b"))
        (share / "c.txt").write_text("c")
        wait_disposed(rt, 3)
    runner = CliRunner()
    d = ["--data-dir", str(node_dir)]
    listed = runner.invoke(cli, ["ingest", "unfiled", *d])
    assert listed.exit_code == 0 and "2 waiting" in listed.output, listed.output
    ids = [line.split()[0] for line in listed.output.splitlines()[:2]]
    assert runner.invoke(cli, ["ingest", "assign", *d, ids[0], code]).exit_code == 0
    rejected = runner.invoke(cli, ["ingest", "reject", *d, ids[1], "--note", "trùng"])
    assert rejected.exit_code == 0, rejected.output
    twice = runner.invoke(cli, ["ingest", "reject", *d, ids[1], "--note", "x"])
    assert twice.exit_code == 2 and "already rejected" in twice.output
    quarantined = runner.invoke(cli, ["ingest", "quarantine", *d])
    assert "c.txt  unknown_type" in quarantined.output
    qid = quarantined.output.split()[0]
    retried = runner.invoke(cli, ["ingest", "retry", *d, qid])
    assert retried.exit_code == 0 and (share / "c.txt").exists(), retried.output
    status = runner.invoke(cli, ["ingest", "status", *d])
    assert "running: no" in status.output and "unfiled: 0" in status.output
