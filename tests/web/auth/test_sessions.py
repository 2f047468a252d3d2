"""Sessions, CSRF and lock-out, through the real log-in page."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from accounts import login, users
from cli.common import operator
from node.runtime import NodeRuntime
from rules.actor import Role
from storage.db import scalar
from tests.node.helpers import counts, create_body
from tests.support.accounts import PASSWORD, make_token, make_user
from tests.support.staff_client import StaffClientFactory, csrf_headers, form_token, log_in
from web.node_api.app import create_app

Client = TestClient[Litestar]


def _cookie(client: Client) -> str:
    return str(client.cookies.get("motcua_session"))


def test_the_cookie_is_httponly_strict_and_the_session_stored_hashed(
    runtime: NodeRuntime,
) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as browser:
        response = browser.post(
            "/login", data={"username": "an", "password": PASSWORD}, follow_redirects=False
        )
        header = response.headers["set-cookie"]
        assert "HttpOnly" in header and "samesite=strict" in header.lower() and "Path=/" in header
        assert "Secure" not in header  # plain HTTP on 127.0.0.1; set when served over TLS
        stored = [str(r[0]) for r in runtime.db.read().execute("SELECT id_hash FROM sessions")]
        assert stored and _cookie(browser) not in stored


def test_a_new_session_id_at_log_in_and_the_old_one_ends(
    staff_client: StaffClientFactory,
) -> None:
    client = staff_client(Role.RECEPTION, user="an")
    first = _cookie(client)
    log_in(client, "an")
    second = _cookie(client)
    assert second != first
    client.cookies.clear()
    client.cookies.set("motcua_session", first)
    assert client.get("/dossiers", follow_redirects=False).status_code == 303


def test_a_session_cookie_is_refused_after_log_out(staff_client: StaffClientFactory) -> None:
    client = staff_client(Role.RECEPTION, user="an")
    cookie = _cookie(client)
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set("motcua_session", cookie)  # replayed by someone who kept it
    assert client.get("/api/v1/dossiers").status_code == 401
    assert client.get("/dossiers", follow_redirects=False).status_code == 303


def test_a_change_without_the_csrf_token_is_403_and_writes_nothing(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = staff_client(Role.RECEPTION, user="an", csrf_header=False)
    before = counts(runtime)
    missing = client.post("/api/v1/dossiers", json=create_body())
    wrong = client.post("/api/v1/dossiers", json=create_body(), headers={"X-CSRF-Token": "forged"})
    form = client.post("/account/language", data={"lang": "en"}, follow_redirects=False)
    bad_field = client.post(
        "/account/language", data={"lang": "en", "_csrf_token": "forged"}, follow_redirects=False
    )
    upload = client.post(
        "/api/v1/dossiers/x1/documents", files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}
    )
    for response in (missing, wrong, form, bad_field, upload):
        assert response.status_code == 403, response.text
    assert "CSRF" in missing.json()["detail"]
    assert counts(runtime) == before
    assert users.find(runtime.db.read(), "an").language == "vi"  # type: ignore[union-attr]
    # With the token: the header (htmx), the form field (plain forms), first in a multipart.
    token = csrf_headers(client)["X-CSRF-Token"]
    made = client.post("/api/v1/dossiers", json=create_body(), headers={"X-CSRF-Token": token})
    assert made.status_code == 201
    switched = client.post(
        "/account/language", data={"lang": "en", "_csrf_token": token}, follow_redirects=False
    )
    assert switched.status_code == 303
    assert 'lang="en"' in client.get("/dossiers").text
    attached = client.post(
        f"/api/v1/dossiers/{made.json()['id']}/documents",
        data={"_csrf_token": token},
        files={"file": ("a.pdf", b"%PDF-1.4 x", "application/pdf")},
    )
    assert attached.status_code == 201, attached.text


def test_a_token_needs_no_csrf_token(runtime: NodeRuntime) -> None:
    token = make_token(runtime.db, "script", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as script:
        response = script.post(
            "/api/v1/dossiers", json=create_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201


def test_a_disabled_account_stops_at_once_sessions_and_tokens(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    browser = staff_client(Role.RECEPTION, user="an")
    token = make_token(runtime.db, "an")
    admin = staff_client(Role.ADMIN, user="quantri", csrf_header=False)
    page = admin.get("/admin/accounts")
    done = admin.post(
        "/admin/accounts/an/disable",
        data={"_csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert browser.get("/api/v1/dossiers").status_code == 401
    assert browser.get("/dossiers", follow_redirects=False).status_code == 303
    with TestClient(app=create_app(runtime)) as script:
        by_token = script.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"})
        assert by_token.status_code == 401
        refused = script.post(
            "/login", data={"username": "an", "password": PASSWORD}, follow_redirects=False
        )
        assert refused.status_code == 200 and "motcua_session" not in script.cookies


def test_repeated_failures_lock_the_account_and_unlock_lifts_it(
    runtime: NodeRuntime,
) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as browser:
        answers = []
        for _ in range(login.MAX_FAILURES):
            wrong = browser.post("/login", data={"username": "an", "password": "sai-mat-khau-1"})
            answers.append(wrong.text)
        unknown = browser.post("/login", data={"username": "ai-do", "password": "x" * 12})
        locked = browser.post(
            "/login", data={"username": "an", "password": PASSWORD}, follow_redirects=False
        )
        assert locked.status_code == 200 and "motcua_session" not in browser.cookies
        # One message for every failure: nobody learns which names exist.
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in locked.text
        assert _message(locked.text) == _message(unknown.text) == _message(answers[0])
        assert 'value="an"' in locked.text  # the name typed is kept
        assert scalar(runtime.db.read(), "SELECT locked_until FROM users WHERE id = 'an'")
        users.unlock(runtime.db, operator("test"), "an")
        log_in(browser, "an")


def _message(html: str) -> str:
    start = html.index('class="errors"')
    return html[start : html.index("</div>", start)]
