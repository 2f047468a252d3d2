"""Every state-changing route of the node, enumerated from the app itself, refuses a cookie
session's request that carries no CSRF token, a forged one, or another session's: 403 and
nothing written (uploads, htmx posts, the language switch, log-out, accounts, imports, scan
assign/reject, quarantine retry, the dossier page's transitions)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Role
from storage.db import scalar
from tests.node.helpers import create
from tests.support.accounts import api_client
from tests.support.staff_client import StaffClientFactory, csrf_headers
from web.node_api.app import create_app

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# No session yet (log-in), or none used (the citizen's rating: code and PIN, not a cookie,
# and a POST from another site is refused by Origin: tests/web/public_pages).
PUBLIC_POSTS = {"/login", "/rating"}
TABLES = ("events", "dossiers", "documents", "blobs", "users", "sessions", "api_tokens")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def unsafe_routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", set()) & UNSAFE
        if route.path not in PUBLIC_POSTS
    )


def _fill(path: str, dossier_id: str) -> str:
    values = {"dossier_id": dossier_id, "user_id": "nan-nhan", "kind": "catalog"}
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "p1"), path)


def _snapshot(rt: NodeRuntime) -> dict[str, object]:
    conn = rt.db.read()
    found: dict[str, object] = {t: scalar(conn, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    found["users"] = conn.execute(
        "SELECT id, language, disabled, password_hash, failed_count FROM users ORDER BY id"
    ).fetchall()
    return found


def _attempts(token: str) -> list[dict[str, object]]:
    """The same request without a token, and with ``token`` (forged or another session's)
    in each place a token may travel."""
    form = {"lang": "en", "action": "start", "note": "x", "username": "moi",
            "roles": "admin", "password": "mot-mat-khau-dai", "dossier_id": "x"}  # fmt: skip
    upload = {"file": ("a.pdf", PDF, "application/pdf")}
    return [
        {"data": form},
        {"json": {"action": "start", "lang": "en"}},
        {"files": upload},
        {"data": {**form, "_csrf_token": token}},
        {"json": {"action": "start"}, "headers": {"X-CSRF-Token": token}},
        {"data": {"_csrf_token": token}, "files": upload},
    ]


def test_every_change_by_cookie_needs_this_sessions_csrf_token(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    with api_client(runtime, "script", Role.RECEPTION) as script:
        dossier_id = create(script)["id"]
    staff_client(Role.RECEPTION, user="nan-nhan")
    other = csrf_headers(staff_client(*STAFF_ROLES, user="ke-khac"))["X-CSRF-Token"]
    browser = staff_client(*STAFF_ROLES, user="quantri", csrf_header=False)
    own = csrf_headers(browser)["X-CSRF-Token"]
    assert own != other  # one token per session
    app = create_app(runtime)
    routes = unsafe_routes(app)
    for expected in ("/logout", "/account/language", "/admin/accounts", "/scans/{part_id:str}"):
        assert any(path.startswith(expected) for _, path in routes), expected
    before = _snapshot(runtime)
    tried = 0
    for method, path in routes:
        url = _fill(path, dossier_id)
        for token in ("forged-token", other):
            for attempt in _attempts(token):
                response = browser.request(method, url, follow_redirects=False, **attempt)  # type: ignore[arg-type]
                tried += 1
                assert response.status_code == 403, (method, path, attempt, response.text)
    assert tried > 200
    assert _snapshot(runtime) == before
    # The session lived through it all: the refused log-out did not end it.
    assert browser.get("/dossiers", follow_redirects=False).status_code == 200


def test_a_post_with_a_token_but_no_cookie_is_not_a_session(runtime: NodeRuntime) -> None:
    """A page's token alone (say, leaked in a printout) is worth nothing without its cookie."""
    with TestClient(app=create_app(runtime)) as stranger:
        response = stranger.post(
            "/account/language",
            data={"lang": "en", "_csrf_token": "anything"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
