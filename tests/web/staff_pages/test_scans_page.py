"""The scans page: the unfiled inbox, preview, assign, reject, quarantine and retry."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.runtime import NodeRuntime
from rules.actor import Role
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.unfiled import find
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import count, new_dossier
from tests.support.staff_client import StaffClientFactory, form_token
from tests.web.staff_pages.scan_seed import seed_scans


@pytest.fixture
def runtime(make_node: MakeNode) -> NodeRuntime:  # the staff client's node, with a drop folder
    return make_node()


@pytest.fixture
def parts(runtime: NodeRuntime, share: Path, pdf_worker: PdfWorker) -> list[str]:
    return seed_scans(runtime, share, pdf_worker, images=1, junk=1)


def test_the_inbox_lists_the_scan_and_the_quarantine(
    staff_client: StaffClientFactory, parts: list[str]
) -> None:
    page = staff_client(Role.RECEPTION).get("/scans")
    assert page.status_code == 200
    assert "scan0.png" in page.text and f'href="/scans/{parts[0]}"' in page.text
    assert "junk0.txt" in page.text and "/retry" in page.text  # quarantined, with its reason


def test_the_preview_is_served_with_its_type_and_a_strict_policy(
    staff_client: StaffClientFactory, parts: list[str]
) -> None:
    client = staff_client(Role.RECEPTION)
    shown = client.get(f"/scans/{parts[0]}")
    assert shown.status_code == 200 and f'src="/scans/{parts[0]}/file"' in shown.text
    image = client.get(f"/scans/{parts[0]}/file")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in image.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    ["/scans/..%2F..%2Fetc%2Fpasswd", "/scans/..%2F..%2Fetc%2Fpasswd/file", "/scans/nope/file"],
)
def test_a_hostile_or_unknown_id_is_refused(
    staff_client: StaffClientFactory, parts: list[str], path: str
) -> None:
    response = staff_client(Role.RECEPTION).get(path)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text


def test_search_then_assign_attaches_the_scan_and_says_so(
    staff_client: StaffClientFactory, runtime: NodeRuntime, parts: list[str]
) -> None:
    dossier_id, code = new_dossier(runtime, "Nguyễn Thị Hoà")
    client = staff_client(Role.RECEPTION)
    found = client.get(f"/scans/{parts[0]}", params={"q": "nguyen thi hoa"})
    assert code in found.text and 'name="dossier_id"' in found.text
    done = client.post(
        f"/scans/{parts[0]}/assign",
        data={"dossier_id": dossier_id, "_csrf_token": form_token(found.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/scans?done=assigned")
    assert find(runtime, parts[0]).dossier_id == dossier_id
    assert count(runtime, "SELECT count(*) FROM documents WHERE dossier_id = ?", (dossier_id,)) == 1
    shown = client.get(done.headers["location"])
    assert "Đã gán bản quét vào hồ sơ" in shown.text and code in shown.text
    assert "scan0.png" not in shown.text  # left the inbox

    again = client.post(
        f"/scans/{parts[0]}/assign",
        data={"dossier_code": code, "_csrf_token": form_token(found.text)},
    )
    assert again.status_code == 409 and "đã được người khác gán hoặc từ chối" in again.text


def test_an_unknown_code_is_a_message_on_the_form_and_changes_nothing(
    staff_client: StaffClientFactory, runtime: NodeRuntime, parts: list[str]
) -> None:
    client = staff_client(Role.RECEPTION)
    token = form_token(client.get(f"/scans/{parts[0]}").text)
    typed = "H42.99-250101-9999"
    refused = client.post(
        f"/scans/{parts[0]}/assign", data={"dossier_code": typed, "_csrf_token": token}
    )
    assert refused.status_code == 404
    assert "Không tìm thấy hồ sơ có mã này" in refused.text and f'value="{typed}"' in refused.text
    blank = client.post(f"/scans/{parts[0]}/assign", data={"_csrf_token": token})
    assert blank.status_code == 422 and "Chọn một hồ sơ" in blank.text
    assert find(runtime, parts[0]).state == "unfiled"
    assert count(runtime, "SELECT count(*) FROM documents") == 0


def test_reject_needs_a_note_and_keeps_what_was_typed(
    staff_client: StaffClientFactory, runtime: NodeRuntime, parts: list[str]
) -> None:
    client = staff_client(Role.PROCESSING)
    token = form_token(client.get(f"/scans/{parts[0]}").text)
    blank = client.post(f"/scans/{parts[0]}/reject", data={"note": "   ", "_csrf_token": token})
    assert blank.status_code == 422 and "Nhập lý do từ chối" in blank.text
    long = client.post(f"/scans/{parts[0]}/reject", data={"note": "x" * 2001, "_csrf_token": token})
    assert long.status_code == 422 and "2000" in long.text and "x" * 2001 in long.text
    assert find(runtime, parts[0]).state == "unfiled"

    note = "<b>trang trắng</b>"
    done = client.post(
        f"/scans/{parts[0]}/reject",
        data={"note": note, "_csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert find(runtime, parts[0]).state == "rejected" and find(runtime, parts[0]).note == note
    decided = client.get(f"/scans/{parts[0]}")
    assert "đã từ chối" in decided.text and "<b>trang" not in decided.text


def test_retry_puts_the_quarantined_file_back(
    staff_client: StaffClientFactory, share: Path, parts: list[str]
) -> None:
    client = staff_client(Role.RECEPTION)
    page = client.get("/scans")
    item = page.text.split('action="/scans/quarantine/')[1].split("/retry")[0]
    done = client.post(
        f"/scans/quarantine/{item}/retry",
        data={"_csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and (share / "junk0.txt").exists()
    assert "junk0.txt" not in client.get("/scans").text
    token = {"_csrf_token": form_token(page.text)}
    gone = client.post(f"/scans/quarantine/{item}/retry", data=token)
    assert gone.status_code == 404
