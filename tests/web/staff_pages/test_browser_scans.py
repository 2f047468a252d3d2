"""The scans page in real Chromium against a live node: assign an unfiled scan."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from node.runtime import open_node
from rules.actor import Role
from scanner_ingest.pdf_worker import PdfWorker
from tests.node.helpers import create_body
from tests.scanner_ingest.ingest_support import configure, folder
from tests.support.browser import StaffBrowserFactory, unlabelled_controls
from tests.support.live_node import LiveNode
from tests.web.staff_pages.scan_seed import seed_scans


@pytest.fixture
def node_dir(node_dir: Path, share: Path, pdf_worker: PdfWorker) -> Path:
    """The browser's node, with a drop folder holding an unfiled scan (made by the real
    ingest before the node serves)."""
    configure(node_dir, [folder(share, name="may-1")])
    rt = open_node(node_dir)
    try:
        seed_scans(rt, share, pdf_worker, images=1)
    finally:
        rt.close()
    return node_dir


def test_assign_an_unfiled_scan_to_a_dossier(
    staff_browser: StaffBrowserFactory, page_node: LiveNode
) -> None:
    created = httpx.post(
        f"{page_node.url}/api/v1/dossiers",
        json=create_body(applicant={"full_name": "Lê Thị Hương"}),
        headers=page_node.headers,
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    page = staff_browser(Role.RECEPTION)
    page.goto("/scans")
    page.get_by_role("link", name="Xem và gán").click()
    expect(page.get_by_role("img", name="Ảnh xem trước: scan0.png")).to_be_visible()
    assert page.evaluate("document.querySelector('.preview img').naturalWidth") > 0
    assert unlabelled_controls(page) == []
    page.get_by_role("searchbox").fill("le thi huong")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("button", name=f"Gán vào hồ sơ {code}").click()
    page.wait_for_url("**/scans?done=assigned*")
    expect(page.get_by_role("status")).to_contain_text(code)
    documents = httpx.get(
        f"{page_node.url}/api/v1/dossiers/{created.json()['id']}", headers=page_node.headers
    ).json()
    assert len(documents["documents"]) == 1
