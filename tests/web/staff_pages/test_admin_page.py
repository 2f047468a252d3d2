"""The administration page: administrators only; catalog and calendar import previewed, then
applied exactly as previewed; bad files refused with nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node import reference_data
from node.reference_import import MAX_IMPORT_BYTES, STAGED
from node.runtime import NodeRuntime
from rules.actor import Role
from tests.scanner_ingest.ingest_support import count
from tests.support.staff_client import StaffClientFactory, form_token

SAMPLE = (Path(reference_data.__file__).parent / "data" / "sample_catalog.toml").read_text()
NEW_PROCEDURE = """
[[procedure]]
code = "9.999999"
version = "1"
name = "Thủ tục thử <nghiệm>"
field = "Thử"
time_limit = 3
time_unit = "working_days"
online_level = "none"
components = ["Đơn"]
"""
HOLIDAY = '[[day]]\ndate = 2027-12-30\nkind = "holiday"\nname = "Ngày nghỉ thử"\n'


def _events(rt: NodeRuntime) -> int:
    return count(rt, "SELECT count(*) FROM events")


def _upload(client: TestClient[Litestar], kind: str, content: bytes, name: str = "f.toml") -> Any:
    token = form_token(client.get("/admin").text)
    return client.post(
        f"/admin/import/{kind}",
        files={"file": (name, content, "application/toml")},
        data={"_csrf_token": token},
    )


def _confirm(client: TestClient[Litestar], kind: str, preview_html: str) -> Any:
    def hidden(name: str) -> str:
        return preview_html.split(f'name="{name}" value="')[1].split('"')[0]

    return client.post(
        f"/admin/import/{kind}/confirm",
        data={
            "sha256": hidden("sha256"),
            "digest": hidden("digest"),
            "_csrf_token": form_token(preview_html),
        },
        follow_redirects=False,
    )


@pytest.fixture
def reception_only(staff_client: StaffClientFactory) -> TestClient[Litestar]:
    """A client logged in as an account holding the reception role only."""
    return staff_client(Role.RECEPTION, user="le-tan")


def test_only_an_administrator_sees_the_page_or_imports(
    reception_only: TestClient[Litestar], runtime: NodeRuntime
) -> None:
    before = _events(runtime)
    assert reception_only.get("/admin").status_code == 403
    refused = reception_only.post(
        "/admin/import/catalog", files={"file": ("c.toml", NEW_PROCEDURE.encode(), "text/plain")}
    )
    assert refused.status_code == 403
    assert reception_only.post("/admin/import/catalog/confirm", data={}).status_code == 403
    assert _events(runtime) == before


def test_the_page_links_to_accounts_and_offers_both_imports(
    staff_client: StaffClientFactory,
) -> None:
    page = staff_client(Role.ADMIN).get("/admin")
    assert page.status_code == 200 and 'href="/admin/accounts"' in page.text
    assert (
        'action="/admin/import/catalog"' in page.text
        and 'action="/admin/import/calendar"' in page.text
    )


def test_a_catalog_is_previewed_then_applied_as_previewed(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.ADMIN)
    changed = SAMPLE.replace('name = "Đăng ký kết hôn"', 'name = "Đăng ký kết hôn (mới)"', 1)
    assert changed != SAMPLE
    before = _events(runtime)
    preview = _upload(client, "catalog", (changed + NEW_PROCEDURE).encode())
    assert preview.status_code == 200, preview.text
    assert "9.999999" in preview.text and "Thủ tục thử &lt;nghiệm&gt;" in preview.text
    assert "Đăng ký kết hôn (mới)" in preview.text
    # The time unit in words, not the file's machine value.
    assert "3 ngày làm việc · v1" in preview.text and "working_days" not in preview.text
    assert _events(runtime) == before  # a preview writes nothing

    done = _confirm(client, "catalog", preview.text)
    assert done.status_code == 303 and done.headers["location"] == "/admin?done=catalog&changed=2"
    assert _events(runtime) == before + 2
    assert reference_data.get_procedure(runtime.db.read(), "9.999999") is not None
    assert "2 mục được thêm hoặc cập nhật" in client.get(done.headers["location"]).text
    assert _confirm(client, "catalog", preview.text).status_code == 409  # applied once only
    assert _events(runtime) == before + 2


def test_a_preview_made_stale_by_another_import_applies_nothing(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.ADMIN)
    first = _upload(client, "catalog", NEW_PROCEDURE.encode())
    other = _upload(
        client, "catalog", NEW_PROCEDURE.replace("time_limit = 3", "time_limit = 4").encode()
    )
    assert _confirm(client, "catalog", other.text).status_code == 303
    before = _events(runtime)
    stale = _confirm(client, "catalog", first.text)
    assert stale.status_code == 409 and "Dữ liệu đã thay đổi từ lúc xem trước" in stale.text
    assert _events(runtime) == before
    procedure = reference_data.get_procedure(runtime.db.read(), "9.999999")
    assert procedure is not None and procedure.time_limit == 4


def test_a_calendar_is_previewed_and_applied(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.ADMIN)
    preview = _upload(client, "calendar", HOLIDAY.encode())
    assert preview.status_code == 200 and "2027-12-30" in preview.text
    # The day's kind in words, not the file's machine value ("holiday").
    assert "<td>Ngày nghỉ lễ: Ngày nghỉ thử</td>" in preview.text
    assert "holiday" not in preview.text
    assert _confirm(client, "calendar", preview.text).status_code == 303
    assert count(runtime, "SELECT count(*) FROM calendar_days WHERE date = '2027-12-30'") == 1


def test_a_changed_day_is_worded_in_the_readers_language(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    """A holiday made a make-up working day (2028-01-01 is a Saturday): before and after
    are worded in English for an English reader; the file's words never show."""
    client = staff_client(Role.ADMIN)
    day = '[[day]]\ndate = 2028-01-01\nkind = "{kind}"\nname = "Tết Dương lịch"\n'
    holiday = _upload(client, "calendar", day.format(kind="holiday").encode())
    assert _confirm(client, "calendar", holiday.text).status_code == 303
    assert client.post("/account/language", data={"lang": "en"}).status_code == 200
    preview = _upload(client, "calendar", day.format(kind="workday").encode())
    assert preview.status_code == 200, preview.text
    assert (
        "<td>Public holiday: Tết Dương lịch</td><td>Make-up working day: Tết Dương lịch</td>"
        in preview.text
    )
    assert ">holiday:" not in preview.text and "workday" not in preview.text


@pytest.mark.parametrize(
    ("kind", "content", "status", "message"),
    [
        ("catalog", b"", 422, "Tệp rỗng"),
        ("catalog", b"x" * (MAX_IMPORT_BYTES + 1), 413, "Tệp lớn quá 1 MB"),
        ("catalog", b"[[procedure]\nname=", 422, "Tệp không hợp lệ"),
        ("catalog", b"\xff\xfe not utf-8", 422, "Tệp không hợp lệ"),
        ("calendar", NEW_PROCEDURE.encode(), 422, "Tệp không hợp lệ"),  # the wrong kind of file
        ("calendar", b'[[day]]\ndate = 2027-12-29\nkind = "workday"\nname = "x"\n', 422, "weekday"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_changes_nothing(
    staff_client: StaffClientFactory,
    runtime: NodeRuntime,
    kind: str,
    content: bytes,
    status: int,
    message: str,
) -> None:
    client = staff_client(Role.ADMIN)
    before = _events(runtime)
    refused = _upload(client, kind, content, name="<b>x</b>.toml")
    assert refused.status_code == status and message in refused.text
    assert "<b>x</b>" not in refused.text
    assert _events(runtime) == before
    staged = runtime.data_dir / STAGED
    assert not staged.exists() or not [p for p in staged.iterdir() if p.suffix == ".toml"]


def test_no_file_and_an_unknown_kind_are_refused(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.ADMIN)
    token = form_token(client.get("/admin").text)
    missing = client.post(
        "/admin/import/catalog", data={"_csrf_token": token}, files={"x": ("", b"")}
    )
    assert missing.status_code == 422 and "Chọn một tệp" in missing.text
    assert _upload(client, "passwd", b"x").status_code == 404
    assert _upload(client, "..%2F..%2Fetc%2Fpasswd", b"x").status_code in (400, 404)
    forged = client.post(
        "/admin/import/catalog/confirm",
        data={"sha256": "../../etc/passwd", "digest": "x", "_csrf_token": token},
    )
    assert forged.status_code == 409 and "Không còn tệp đã xem trước" in forged.text
