"""The scans pages refuse the roles without the permission, like the service: an
administrator cannot file or reject a scan, a leader cannot retry a quarantined file; 403
and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.runtime import NodeRuntime
from rules.actor import Role
from scanner_ingest.pdf_worker import PdfWorker
from tests.node.helpers import create
from tests.scanner_ingest.conftest import MakeNode
from tests.support.accounts import api_client
from tests.support.staff_client import StaffClientFactory, form_token
from tests.web.security.test_page_roles import snapshot
from tests.web.staff_pages.scan_seed import seed_scans


@pytest.fixture
def runtime(make_node: MakeNode) -> NodeRuntime:  # the staff client's node, with a drop folder
    return make_node()


def test_the_scans_pages_refuse_the_roles_without_the_permission(
    runtime: NodeRuntime, share: Path, pdf_worker: PdfWorker, staff_client: StaffClientFactory
) -> None:
    [part] = seed_scans(runtime, share, pdf_worker, images=1, junk=1)
    with api_client(runtime, "tatca") as script:
        dossier_id = create(script)["id"]
    admin = staff_client(Role.ADMIN, user="quantri")
    leader = staff_client(Role.LEADER, user="lanhdao")
    item = leader.get("/scans").text.split('action="/scans/quarantine/')[1].split("/retry")[0]
    before = snapshot(runtime)
    assigned = admin.post(f"/scans/{part}/assign", data={"dossier_id": dossier_id})
    rejected = admin.post(f"/scans/{part}/reject", data={"note": "mờ"})
    retried = leader.post(f"/scans/quarantine/{item}/retry")
    for response in (assigned, rejected, retried):
        assert response.status_code == 403, response.text
    assert snapshot(runtime) == before
    assert form_token(leader.get(f"/scans/{part}").text)  # the page itself is readable
