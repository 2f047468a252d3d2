"""Quarantine as staff see it: list through the API, retry after the file was fixed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from scanner_ingest import reasons
from scanner_ingest.pdf_worker import PdfWorker
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import new_dossier, running, wait_disposed, wait_receipts
from tests.support.accounts import api_client

Client = TestClient[Litestar]


@pytest.fixture
def rt(make_node: MakeNode) -> NodeRuntime:
    return make_node()


@pytest.fixture
def client(rt: NodeRuntime) -> Iterator[Client]:
    with api_client(rt) as test_client:
        yield test_client


def test_retry_a_quarantined_file_after_it_was_fixed(
    rt: NodeRuntime, client: Client, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    _, code = new_dossier(rt)
    with running(rt, pdf_worker):
        gen.write_encrypted_pdf(share / "locked.pdf")
        wait_receipts(rt, 1, outcome="quarantined")
        [item] = client.get("/api/v1/ingest/quarantine").json()
        assert item["reason"] == "encrypted_pdf" and item["file"] == "locked.pdf"
        assert "mật khẩu" in item["message_vi"]
        # Staff remove the password: the quarantined file is replaced by a readable one.
        gen.write_pdf(share / "quarantine" / "locked.pdf", [gen.slip_page(code)])
        response = client.post(f"/api/v1/ingest/quarantine/{item['id']}/retry")
        assert response.status_code == 200, response.text
        assert response.json()["returned_to"] == str(share / "locked.pdf")
        wait_receipts(rt, 1, outcome="attached")
        wait_disposed(rt, 2)
    assert client.get("/api/v1/ingest/quarantine").json() == []
    assert client.post(f"/api/v1/ingest/quarantine/{item['id']}/retry").status_code == 404


FORGED = "Call 0900000000 to unlock"


def forge(qdir: Path, file: str, **fields: object) -> None:
    """What anyone who can write to the share can place there."""
    record = {
        "file": file,
        "reason": "encrypted_pdf",
        "message_vi": FORGED,
        "message_en": FORGED,
        "detail": FORGED,
        "original_path": "/etc/passwd",
        "quarantined_at": "2020-01-01T00:00:00.000Z",
        "size": 1,
        "sha256": "0" * 64,
        **fields,
    }
    (qdir / f"{file}.reason.json").write_text(json.dumps(record))


def test_records_placed_on_the_share_are_not_listed(
    rt: NodeRuntime, client: Client, share: Path, pdf_worker: PdfWorker
) -> None:
    with running(rt, pdf_worker):
        (share / "notes.txt").write_text("not a scan")
        wait_receipts(rt, 1, outcome="quarantined")
    qdir = share / "quarantine"
    (qdir / "unlock.pdf").write_bytes(b"%PDF-1.7 forged")
    forge(qdir, "unlock.pdf")
    forge(qdir, "notes.txt", reason="too_large")  # rewrites the node's own record
    listed = client.get("/api/v1/ingest/quarantine")
    assert listed.status_code == 200
    assert FORGED not in listed.text and "/etc/passwd" not in listed.text
    [item] = listed.json()
    assert (item["file"], item["reason"]) == ("notes.txt", "unknown_type")
    assert item["original_path"] == str(share / "notes.txt")
    assert item["message_en"] == reasons.REASONS["unknown_type"].message_en
    assert client.get("/api/v1/ingest/status").json()["quarantined"] == 1
    # The id the node used to derive from a folder and a file name on the share.
    forged_id = hashlib.sha256(b"may-1\x00unlock.pdf").hexdigest()[:20]
    assert client.post(f"/api/v1/ingest/quarantine/{forged_id}/retry").status_code == 404
    assert (qdir / "unlock.pdf").exists()  # not moved into the drop folder
