"""Every page and API operation refuses an anonymous request. The routes are enumerated from
the app itself, so a route added later cannot be forgotten: only the declared public ones
(health, log-in, static assets) answer."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from storage.db import scalar
from tests.support.accounts import PASSWORD, make_user
from web.node_api.app import create_app

# The citizen's pages are public by design (tests/web/public_pages: no personal data, a
# wrong PIN tells nothing, rate-limited, a rating only from the node's own pages).
PUBLIC = {"/healthz", "/login", "/static/{file_path:path}", "/lookup", "/rating"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Answered like the API (401, not a redirect to the log-in page): read by scrapers, not people.
MACHINE_READ = {"/metrics"}


def _routes(app: Litestar) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            found.append((method, route.path))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_the_enumeration_finds_the_api_and_the_pages(runtime: NodeRuntime) -> None:
    paths = {path for _, path in _routes(create_app(runtime))}
    for expected in (
        "/api/v1/dossiers",
        "/dossiers",
        "/logout",
        "/admin/accounts",
        "/admin/settings",
        "/schema",
    ):
        assert any(p == expected or p.startswith(expected + "/") for p in paths), expected


def test_every_route_but_the_public_ones_refuses_an_anonymous_request(
    runtime: NodeRuntime,
) -> None:
    app = create_app(runtime)
    events_before = scalar(runtime.db.read(), "SELECT COUNT(*) FROM events")
    checked = 0
    with TestClient(app=app) as anonymous:
        for method, path in _routes(app):
            if path in PUBLIC:
                continue
            url = _concrete(path)
            response = anonymous.request(method, url, follow_redirects=False, json={})
            checked += 1
            if path.startswith("/api/") or path in MACHINE_READ:
                assert response.status_code == 401, (method, path, response.text)
                assert response.json()["status_code"] == 401
                assert response.headers["www-authenticate"].startswith("Bearer")
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/login?next=%2F"), path
    assert checked > 20
    assert scalar(runtime.db.read(), "SELECT COUNT(*) FROM events") == events_before


@pytest.mark.parametrize("path", ["/healthz", "/login", "/static/app.css", "/lookup", "/rating"])
def test_the_public_routes_answer_without_log_in(runtime: NodeRuntime, path: str) -> None:
    with TestClient(app=create_app(runtime)) as anonymous:
        assert anonymous.get(path).status_code == 200


def test_a_wrong_token_or_scheme_is_401_even_on_a_public_route(runtime: NodeRuntime) -> None:
    with TestClient(app=create_app(runtime)) as anonymous:
        for value in ("Bearer mcu_not-a-token", "Basic YWRtaW46YWRtaW4=", "Bearer "):
            response = anonymous.get("/api/v1/dossiers", headers={"Authorization": value})
            assert response.status_code == 401, value


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/dossiers?q=a", "/dossiers?q=a"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_log_in_goes_back_only_to_a_local_path(runtime: NodeRuntime, given: str, kept: str) -> None:
    make_user(runtime.db, "an")
    with TestClient(app=create_app(runtime)) as browser:
        response = browser.post(
            "/login",
            data={"username": "an", "password": PASSWORD, "next": given},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == kept
