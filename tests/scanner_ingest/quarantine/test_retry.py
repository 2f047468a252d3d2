"""Quarantine as staff see it: list through the API, retry after the file was fixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from scanner_ingest.pdf_worker import PdfWorker
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import new_dossier, running, wait_disposed, wait_receipts
from web.node_api.app import create_app

Client = TestClient[Litestar]


@pytest.fixture
def rt(make_node: MakeNode) -> NodeRuntime:
    return make_node()


@pytest.fixture
def client(rt: NodeRuntime) -> Iterator[Client]:
    with TestClient(app=create_app(rt)) as test_client:
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
