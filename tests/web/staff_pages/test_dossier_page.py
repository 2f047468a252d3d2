"""The dossier page: state, timeline, documents, actions and forms; every refusal shown."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from PIL import Image

from node.runtime import NodeRuntime, open_node
from rules.actor import Actor, Role
from rules.lifecycle import Action
from rules.permissions import allowed_actions
from rules.projection import DossierState
from tests.node.helpers import act, applicant, counts, create
from tests.support.accounts import make_user
from tests.support.staff_client import StaffClientFactory, csrf_headers, form_token, log_in
from web.node_api.app import create_app

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _act(client: Any, dossier_id: str, **fields: str) -> Any:
    token = form_token(client.get(f"/dossiers/{dossier_id}").text)
    return client.post(
        f"/dossiers/{dossier_id}/actions",
        data={"_csrf_token": token, **fields},
        follow_redirects=False,
    )


def _upload(client: Any, dossier_id: str, name: str, content: bytes, **fields: str) -> Any:
    token = form_token(client.get(f"/dossiers/{dossier_id}").text)
    return client.post(
        f"/dossiers/{dossier_id}/documents",
        data={"_csrf_token": token, **fields},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def _doc_url(html: str) -> str:
    found = re.search(r'/dossiers/[^"/]+/documents/[0-9a-f]{64}', html)
    assert found, "no document link on the page"
    return found.group(0)


def test_the_page_shows_the_state_the_timeline_and_the_receipt_link(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    page = client.get(f"/dossiers/{d['id']}")
    assert page.status_code == 200
    for shown in (d["code"], "Nguyễn Văn Đức", "Đăng ký kết hôn", "Được tiếp nhận", "Thôn 1"):
        assert shown in page.text
    assert "Hạn theo luật" in page.text and "Quá trình xử lý" in page.text
    assert "Tiếp nhận hồ sơ</strong>" in page.text  # the first timeline line
    assert f'href="/dossiers/{d["id"]}/forms/01"' in page.text
    assert "/forms/02" not in page.text and "/forms/03" not in page.text


def test_a_paper_dossier_entered_late_shows_its_reception_day_in_the_timeline(
    staff_client: StaffClientFactory,
) -> None:
    """Received on 20/04 at the counter, entered later: the timeline's first line says
    20/04 09:00, as the receipt and the state do, not the day it was typed in."""
    client = staff_client(Role.RECEPTION)
    d = create(client, received_at="2026-04-20T09:00:00+07:00")
    page = client.get(f"/dossiers/{d['id']}").text
    first = page.split('<ol class="timeline">')[1].split("</li>")[0]
    assert "Tiếp nhận hồ sơ</strong>" in first and "20/04/2026 09:00 ·" in first


def test_actions_move_the_dossier_and_confirm(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    d = create(client)
    started = _act(client, d["id"], action="start")
    assert started.status_code == 303
    assert started.headers["location"] == f"/dossiers/{d['id']}?done=start"
    page = client.get(started.headers["location"])
    assert "Đã thực hiện: Bắt đầu xử lý." in page.text and "Đang xử lý" in page.text
    asked = _act(client, d["id"], action="request_supplement", note="Thiếu giấy xác nhận")
    assert asked.status_code == 303
    page = client.get(f"/dossiers/{d['id']}")
    assert "Thiếu giấy xác nhận" in page.text  # the note, in the timeline
    assert "/forms/02" in page.text and "Tạm dừng tính thời hạn từ" in page.text
    assert "can-bo" in page.text or "admin-leader-processing-reception" in page.text


@pytest.mark.parametrize("action", ["request_supplement", "refuse", "reschedule"])
def test_an_action_that_needs_a_reason_without_one_is_refused(
    staff_client: StaffClientFactory, runtime: NodeRuntime, action: str
) -> None:
    client = staff_client()
    d = create(client)
    before = counts(runtime)
    page = _act(client, d["id"], action=action, note="   ", due_at="2099-01-01T10:00")
    assert page.status_code == 400
    assert "Nhập lý do: lý do được in trên phiếu gửi công dân." in page.text
    assert counts(runtime) == before


def test_a_bad_new_appointment_is_refused(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client()
    d = create(client)
    before = counts(runtime)
    for due in ("2001-01-01T10:00", "not-a-date", ""):
        page = _act(client, d["id"], action="reschedule", note="Xin lỗi", due_at=due)
        assert page.status_code == 400, due
        assert "Nhập ngày hẹn mới, sau thời điểm hiện tại" in page.text
        assert "Xin lỗi</textarea>" in page.text  # the note typed is kept
    assert counts(runtime) == before
    moved = _act(client, d["id"], action="reschedule", note="Xin lỗi", due_at="2099-01-05T10:00")
    assert moved.status_code == 303
    page = client.get(f"/dossiers/{d['id']}")
    assert "05/01/2099 10:00" in page.text and "/forms/04" in page.text


def test_an_action_illegal_in_this_status_shows_why(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client()
    d = create(client)
    before = counts(runtime)
    page = _act(client, d["id"], action="resolve")  # from 2: it must be started first
    assert page.status_code == 409
    assert "Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ." in page.text
    unknown = _act(client, d["id"], action="delete_everything")
    assert unknown.status_code == 403
    assert counts(runtime) == before


def test_a_refused_dossier_offers_form_03_and_no_more_actions(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client()
    d = create(client)
    assert act(client, d["id"], "refuse", note="Không đủ điều kiện").status_code == 201
    page = client.get(f"/dossiers/{d['id']}")
    assert "/forms/03" in page.text
    assert "Không có thao tác nào bạn được thực hiện ở trạng thái này." in page.text


def test_a_stopped_dossier_offers_form_05_and_no_more_actions(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client()
    d = create(client)
    assert act(client, d["id"], "withdraw").status_code == 201
    assert "/forms/05" not in client.get(f"/dossiers/{d['id']}").text  # 7: not stopped yet
    stopped = _act(client, d["id"], action="stop", note="Công dân rút hồ sơ")
    assert stopped.status_code == 303
    page = client.get(stopped.headers["location"])
    assert f'href="/dossiers/{d["id"]}/forms/05"' in page.text
    assert "Mẫu 05: Thông báo về việc dừng giải quyết hồ sơ" in page.text
    assert "/forms/03" not in page.text
    assert "Không có thao tác nào bạn được thực hiện ở trạng thái này." in page.text


def test_a_pdf_upload_is_shown_inline_with_strict_headers(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client()
    d = create(client)
    uploaded = _upload(client, d["id"], "giay-to.pdf", PDF)
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["location"])
    assert "Đã tải lên tài liệu." in page.text
    url = _doc_url(page.text)
    assert f'<iframe class="viewer" src="{url}"' in page.text
    shown = client.get(url)
    assert shown.status_code == 200 and shown.content == PDF
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith("inline")
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    download = client.get(url, params={"download": "1"})
    assert download.headers["content-disposition"].startswith("attachment")


def _image(kind: str) -> bytes:
    """A real 3x2 picture of ``kind`` (PNG, JPEG), as a phone or scanner writes one."""
    out = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize(("kind", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_an_image_upload_is_shown_inline_with_strict_headers(
    staff_client: StaffClientFactory, kind: str, mime: str
) -> None:
    client = staff_client()
    d = create(client)
    content = _image(kind)
    # A name that is markup: the page shows it as text, in the alt text too.
    uploaded = _upload(client, d["id"], "<img src=x onerror=alert(1)>.bin", content)
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["location"]).text
    url = _doc_url(page)
    assert f'<img class="viewer" src="{url}" alt="&lt;img src=x onerror=alert(1)&gt;.bin"' in page
    assert f'<iframe class="viewer" src="{url}"' not in page
    assert "<img src=x" not in page
    assert "Không xem trực tiếp được loại tệp này" not in page
    shown = client.get(url)
    assert shown.status_code == 200 and shown.content == content
    assert shown.headers["content-type"] == mime  # sniffed, whatever the name and the part said
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith("inline")
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    assert "script-src" not in shown.headers["content-security-policy"]
    assert shown.headers["cache-control"] == "private, no-store"
    download = client.get(url, params={"download": "1"})
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.content == content


def test_a_file_of_another_type_is_only_downloaded(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    d = create(client)
    assert _upload(client, d["id"], "x.html", b"<html><script>alert(1)</script>").status_code == 303
    page = client.get(f"/dossiers/{d['id']}")
    assert "Không xem trực tiếp được loại tệp này" in page.text
    served = client.get(_doc_url(page.text))
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("content", "fields", "status", "message"),
    [
        (b"", {}, 400, "Chọn một tệp không rỗng"),
        (PDF, {"role": "secret"}, 400, "Chọn loại tài liệu"),
        (PDF, {"copy_kind": "forged"}, 400, "Chọn loại bản"),
    ],
)
def test_a_bad_upload_is_refused_on_the_page(
    staff_client: StaffClientFactory,
    runtime: NodeRuntime,
    content: bytes,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    client = staff_client()
    d = create(client)
    before = counts(runtime)
    page = _upload(client, d["id"], "a.pdf", content, **fields)
    assert page.status_code == status and message in page.text
    assert counts(runtime) == before


def test_an_upload_over_the_limit_is_413_with_the_reason(node_dir: Path) -> None:
    config = node_dir / "motcua.toml"
    config.write_text(
        config.read_text().replace("max_upload_bytes = 1073741824", "max_upload_bytes = 1000")
    )
    rt = open_node(node_dir)
    try:
        make_user(rt.db, "can-bo")
        with TestClient(app=create_app(rt)) as client:
            log_in(client, "can-bo")
            client.headers.update(csrf_headers(client))
            d = create(client)
            before = counts(rt)
            page = _upload(client, d["id"], "big.pdf", b"%PDF-" + b"x" * 2000)
            assert page.status_code == 413
            assert "Tệp vượt quá dung lượng cho phép." in page.text
            assert counts(rt) == before
    finally:
        rt.close()


@pytest.mark.parametrize(
    "path",
    [
        "/dossiers/0190aaaa-0000-7000-8000-000000000000",
        "/dossiers/..%2F..%2Fetc%2Fpasswd",
        "/dossiers/../../etc/passwd",
        "/dossiers/%2e%2e%2f%2e%2e%2fetc%2fpasswd/documents/" + "0" * 64,
    ],
)
def test_an_unknown_or_hostile_dossier_id_is_refused(
    staff_client: StaffClientFactory, path: str
) -> None:
    page = staff_client().get(path)
    assert page.status_code in (400, 404)
    assert "root:" not in page.text


def test_a_document_of_another_dossier_is_not_served(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    mine, other = create(client), create(client)
    _upload(client, mine["id"], "a.pdf", PDF)
    url = _doc_url(client.get(f"/dossiers/{mine['id']}").text)
    assert client.get(url.replace(mine["id"], other["id"])).status_code == 404
    assert client.get(f"/dossiers/{mine['id']}/documents/not-a-digest").status_code == 400


def test_hostile_text_renders_as_text(staff_client: StaffClientFactory) -> None:
    client = staff_client()
    d = create(client, applicant=applicant(HOSTILE), components=[HOSTILE])
    _act(client, d["id"], action="request_supplement", note=HOSTILE)
    _upload(client, d["id"], f"{HOSTILE}.pdf", PDF)
    page = client.get(f"/dossiers/{d['id']}")
    assert HOSTILE not in page.text
    assert page.text.count(ESCAPED) >= 4  # name, component, note, file name


def test_the_buttons_are_the_roles_lifecycle_legal_actions() -> None:
    state = msgspec.convert(
        {
            "id": "x",
            "code": "c",
            "origin": "o",
            "procedure_code": "p",
            "procedure_version": "1",
            "procedure_name": "n",
            "time_limit": 5,
            "time_unit": "working_days",
            "applicant": {"full_name": "A"},
            "proxy": None,
            "channel": "in_person",
            "components": [],
            "status": 2,
            "submitted_at": "",
            "received_at": "",
            "due_at": None,
            "statutory_due_at": None,
        },
        DossierState,
    )

    def names(*roles: Role) -> set[str]:
        return {str(a) for a in allowed_actions(Actor("u", roles=frozenset(roles)), state)}

    assert names(Role.RECEPTION) == {"request_supplement", "withdraw"}
    assert names(Role.PROCESSING) == {"start", "request_supplement", "request_fee"}
    assert names(Role.LEADER) == {"refuse", "reschedule"}
    assert names(Role.ADMIN) == set()
    state.status = 4
    assert str(Action.RESOLVE) in names(Role.LEADER) and not names(Role.RECEPTION) & {"resolve"}
