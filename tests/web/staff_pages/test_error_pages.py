"""A page that fails answers a small page in the staff frame (Vietnamese, or the user's
language) with the same status code and a way back; under ``/api/`` the answer stays JSON."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node import dossier_store
from node.runtime import NodeRuntime
from rules.actor import Role
from tests.node.helpers import create
from tests.support.accounts import api_client
from tests.support.staff_client import StaffClientFactory
from web.node_api.app import create_app

Client = TestClient[Litestar]
UNKNOWN = "0190aaaa-0000-7000-8000-000000000000"
BIG = b"x" * (11 * 1024 * 1024)  # over Litestar's 10 MiB default for a request body


def assert_page(response: httpx.Response, status: int, *texts: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.startswith("<!doctype html>") and 'class="card error-page"' in html
    assert f"({status})" in html and 'href="/dossiers"' in html  # the way back
    for text in texts:
        assert text in html, text
    return html


def assert_json(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, object] = response.json()
    assert body["status_code"] == status
    return body


def test_404_unknown_dossier_and_unknown_path(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    html = assert_page(client.get(f"/dossiers/{UNKNOWN}/forms/01"), 404, "Không tìm thấy trang")
    assert 'aria-current="page"' in html or "<nav" in html  # the frame, with its menu
    assert_page(client.post(f"/dossiers/{UNKNOWN}/actions", data={"action": "start"}), 404)
    assert_page(client.get("/khong-co-trang-nay"), 404)
    assert_json(client.get(f"/api/v1/dossiers/{UNKNOWN}"), 404)
    assert_json(client.get("/api/v1/khong-co"), 404)


def test_403_forbidden_page_and_api(staff_client: StaffClientFactory, runtime: NodeRuntime) -> None:
    client = staff_client(Role.RECEPTION)
    assert_page(client.get("/admin"), 403, "Không có quyền", "Vai trò của bạn không được xem")
    with api_client(runtime, "tn-api", Role.RECEPTION) as script:
        assert_json(script.get("/api/v1/users"), 403)


def test_400_bad_query_names_the_field(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    html = assert_page(client.get("/dossiers?status=99"), 400, "Yêu cầu không hợp lệ")
    assert "Mục không hợp lệ: <code>status</code>" in html
    assert "Validation failed" not in html  # the programs' wording stays in the API
    assert assert_json(client.get("/api/v1/dossiers?status=99"), 400)["field"] == "status"


def test_413_body_too_large(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert_page(client.post("/dossiers/new", content=BIG, headers=form), 413, "quá lớn")
    json_type = {"content-type": "application/json"}
    assert_json(client.post("/api/v1/dossiers", content=BIG, headers=json_type), 413)


def test_500_shows_the_logged_error_id(
    staff_client: StaffClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = staff_client(Role.RECEPTION)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a defect")

    monkeypatch.setattr(dossier_store, "query", broken)
    page = client.get("/dossiers")
    html = assert_page(page, 500, "Đã xảy ra lỗi", "báo quản trị viên")
    assert f"<code>{page.headers['x-request-id']}</code>" in html
    assert "a defect" not in html and "Traceback" not in html
    api = client.get("/api/v1/dossiers")
    assert assert_json(api, 500)["request_id"] == api.headers["x-request-id"]


def test_the_error_page_speaks_the_users_language(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    assert client.post("/account/language", data={"lang": "en"}).status_code == 200
    html = assert_page(client.get(f"/dossiers/{UNKNOWN}/forms/01"), 404, "Page not found")
    assert '<html lang="en">' in html and "Back to the dossier list" in html


def test_an_anonymous_visitor_gets_the_page_without_the_menu(runtime: NodeRuntime) -> None:
    with TestClient(app=create_app(runtime)) as client:
        html = assert_page(client.get("/khong-co-trang-nay"), 404, 'href="/login"')
        assert "<nav" not in html and "Đăng xuất" not in html


def test_a_form_that_does_not_apply_is_a_404_page(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION)
    d = create(client)
    assert_page(client.get(f"/dossiers/{d['id']}/forms/03"), 404)
