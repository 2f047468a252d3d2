"""Attacks on the session and the log-in: fixation, cookie flags over TLS, the idle and
absolute limits (stored times moved back), revoked tokens, a password reset ending the
sessions, open redirects through ``next``, and the log-in's timing (argon2 on both paths)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from accounts import passwords, tokens, users
from cli.common import operator
from node.runtime import NodeRuntime
from rules.actor import Role
from rules.clock import to_utc_iso, utc_now
from tests.support.accounts import PASSWORD, make_token, make_user
from tests.support.staff_client import StaffClientFactory, form_token, log_in
from web.node_api.app import create_app

Client = TestClient[Litestar]
COOKIE = "motcua_session"


def _is_in(client: Client) -> bool:
    response = client.get("/dossiers", follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def test_a_session_id_planted_before_log_in_is_never_kept(runtime: NodeRuntime) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    make_user(runtime.db, "ke-xau", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as attacker:
        log_in(attacker, "ke-xau")
        planted_real = str(attacker.cookies.get(COOKIE))
    for planted in ("chosen-by-the-attacker", planted_real):
        with TestClient(app=create_app(runtime)) as victim:
            victim.cookies.set(COOKIE, planted, domain="testserver.local")
            log_in(victim, "an")
            assert victim.cookies.get(COOKIE) != planted
            assert _is_in(victim)
        with TestClient(app=create_app(runtime)) as attacker:
            attacker.cookies.set(COOKIE, planted, domain="testserver.local")
            assert not _is_in(attacker)  # the planted id opens nothing, not even its own


def test_the_cookie_is_secure_over_tls(runtime: NodeRuntime) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    with TestClient(app=create_app(runtime), base_url="https://node.example") as browser:
        response = browser.post(
            "/login", data={"username": "an", "password": PASSWORD}, follow_redirects=False
        )
        header = response.headers["set-cookie"]
        for flag in ("Secure", "HttpOnly", "Path=/"):
            assert flag in header, header
        assert "samesite=strict" in header.lower()
        out = browser.post(
            "/logout",
            data={"_csrf_token": form_token(browser.get("/dossiers").text)},
            follow_redirects=False,
        )
        assert "Secure" in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", "idle"), ("created_at", "absolute")],
)
def test_the_idle_and_absolute_limits_end_a_session(
    staff_client: StaffClientFactory, runtime: NodeRuntime, column: str, age: str
) -> None:
    browser = staff_client(Role.RECEPTION, user="an")
    auth = runtime.config.auth
    limit = (
        timedelta(minutes=auth.session_idle_minutes)
        if age == "idle"
        else timedelta(hours=auth.session_max_hours)
    )
    just_inside = to_utc_iso(utc_now() - limit + timedelta(minutes=1))
    with runtime.db.write() as conn:
        conn.execute(f"UPDATE sessions SET {column} = ? WHERE user_id = 'an'", (just_inside,))
    assert _is_in(browser)
    gone = to_utc_iso(utc_now() - limit - timedelta(seconds=1))
    with runtime.db.write() as conn:
        conn.execute(f"UPDATE sessions SET {column} = ? WHERE user_id = 'an'", (gone,))
    assert not _is_in(browser)
    assert browser.get("/api/v1/dossiers").status_code == 401


def test_a_revoked_token_stops_at_once(runtime: NodeRuntime) -> None:
    token = make_token(runtime.db, "script", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as script:
        script.headers["Authorization"] = f"Bearer {token}"
        assert script.get("/api/v1/dossiers").status_code == 200
        [info] = tokens.list_tokens(runtime.db, operator("test"))
        tokens.revoke(runtime.db, operator("test"), info.id)
        assert script.get("/api/v1/dossiers").status_code == 401


def test_a_password_reset_ends_the_accounts_other_sessions(
    staff_client: StaffClientFactory,
) -> None:
    first = staff_client(Role.RECEPTION, user="an")
    second = staff_client(Role.RECEPTION, user="an")
    admin = staff_client(Role.ADMIN, user="quantri", csrf_header=False)
    done = admin.post(
        "/admin/accounts/an/password",
        data={
            "_csrf_token": form_token(admin.get("/admin/accounts").text),
            "password": "mat-khau-moi-dai",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert not _is_in(first) and not _is_in(second)
    assert _is_in(admin)
    log_in(first, "an", "mat-khau-moi-dai")
    assert _is_in(first)


@pytest.mark.parametrize(
    "given",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "/\t/evil.example",
        "/\r\nSet-Cookie: x=1",
        " //evil.example",
        "///evil.example",
    ],
)
def test_next_never_leads_off_the_node(runtime: NodeRuntime, given: str) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as browser:
        response = browser.post(
            "/login",
            data={"username": "an", "password": PASSWORD, "next": given},
            follow_redirects=False,
        )
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "\r" not in location and "\n" not in location and "\t" not in location
        assert "x=1" not in response.headers.get("set-cookie", "")
        shown = browser.get("/login", params={"next": given}, follow_redirects=False)
        assert shown.status_code == 303 and shown.headers["location"] == location
        token = form_token(browser.get("/dossiers").text)
        switched = browser.post(
            "/account/language",
            data={"lang": "vi", "next": given, "_csrf_token": token},
            follow_redirects=False,
        )
        assert switched.headers["location"] == location


def test_log_in_runs_argon2_whether_or_not_the_user_exists(
    runtime: NodeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(runtime.db, "an", Role.RECEPTION)
    users.set_disabled(runtime.db, operator("test"), "an", False)
    real = passwords.verify
    calls: list[str] = []

    def counting(stored: str, password: str) -> bool:
        calls.append(stored[:9])
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify", counting)
    with TestClient(app=create_app(runtime)) as browser:
        for name in ("an", "khong-co-ai", ""):
            calls.clear()
            response = browser.post("/login", data={"username": name, "password": "sai-sai-sai"})
            assert response.status_code == 200 and COOKIE not in browser.cookies
            assert calls == ["$argon2id"], (name, calls)


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://evil.example", 403),
        ("null", 403),
        ("http://testserver.local.evil.example", 403),
        ("http://testserver.local", 303),
        (None, 303),  # a script, not a browser's cross-site form
    ],
)
def test_another_site_cannot_log_a_browser_in(
    runtime: NodeRuntime, origin: str | None, status: int
) -> None:
    """Log-in CSRF: a page elsewhere posting the attacker's name and password to /login."""
    make_user(runtime.db, "ke-xau", Role.RECEPTION)
    with TestClient(app=create_app(runtime)) as victim:
        headers = {"Origin": origin} if origin else {}
        response = victim.post(
            "/login",
            data={"username": "ke-xau", "password": PASSWORD},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == status, response.text
        assert (COOKIE in victim.cookies) is (status == 303)
