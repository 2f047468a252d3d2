"""Every city page and API operation refuses an anonymous request. The routes come from the
app's own route table, so a route added later (the board, the dossier pages) cannot be
forgotten: only the declared public ones answer without a session or token."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from rules.actor import Role
from tests.support.city_client import city_token
from web.city_api.app import create_central_app

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app: Litestar) -> list[tuple[str, str, bool]]:
    """(method, path, declared public) of every route handler of the app."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            public = bool(handler.opt.get("public")) or route.path.startswith("/static")
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path, public))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_the_enumeration_finds_the_api_and_the_pages(sqlite_runtime: CentralRuntime) -> None:
    routes = _routes(create_central_app(sqlite_runtime))
    paths = {path for _, path, _ in routes}
    for expected in ("/api/v1/dossiers", "/api/v1/nodes", "/board", "/", "/logout"):
        assert expected in paths, expected
    assert "/admin/accounts" in paths and "/schema" in paths
    public = {path for _, path, is_public in routes if is_public}
    assert {"/healthz", "/login"} <= public


def test_every_route_but_the_public_ones_refuses_an_anonymous_request(
    sqlite_runtime: CentralRuntime,
) -> None:
    app = create_central_app(sqlite_runtime)
    checked = 0
    with TestClient(app=app) as anonymous:
        for method, path, public in _routes(app):
            if public:
                continue
            response = anonymous.request(method, _concrete(path), follow_redirects=False, json={})
            checked += 1
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path, response.text)
                assert response.json()["status_code"] == 401
                assert response.headers["www-authenticate"].startswith("Bearer")
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/login?next=%2F"), path
    assert checked >= 15
    assert sqlite_runtime.store.list_nodes() == []  # nothing was written


def test_the_public_routes_answer_without_log_in(sqlite_runtime: CentralRuntime) -> None:
    with TestClient(app=create_central_app(sqlite_runtime)) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/login").status_code == 200
        assert anonymous.get("/static/app.css").status_code == 200
        assert anonymous.get("/static/no-such-file.css").status_code == 404


@pytest.mark.parametrize(
    "value", ["Bearer mcu_not-a-token", "Basic YWRtaW46YWRtaW4=", "Bearer ", "X-Actor admin"]
)
def test_a_wrong_token_or_scheme_is_401(sqlite_runtime: CentralRuntime, value: str) -> None:
    with TestClient(app=create_central_app(sqlite_runtime)) as anonymous:
        response = anonymous.get("/api/v1/nodes", headers={"Authorization": value})
        assert response.status_code == 401, value


def test_x_actor_names_nobody(sqlite_runtime: CentralRuntime) -> None:
    """The old declared identity is gone: the header alone gets 401, and beside a token it
    changes nothing (the author is the token's account)."""
    with TestClient(app=create_central_app(sqlite_runtime)) as client:
        assert client.get("/api/v1/nodes", headers={"X-Actor": "admin"}).status_code == 401
        token = city_token(sqlite_runtime, "xem", Role.CITY_VIEWER)
        both = {"Authorization": f"Bearer {token}", "X-Actor": "so-tu-phap"}
        refused = client.post(
            "/api/v1/dossiers/d1/transitions", json={"action": "start"}, headers=both
        )
        assert refused.status_code == 403 and "'xem' may not city transition" in refused.text


def test_an_account_without_a_city_role_reaches_nothing(
    sqlite_runtime: CentralRuntime,
) -> None:
    """A commune's counter role written into the city's accounts by hand (the commands and
    the accounts page refuse it) reaches no route: VIEW_CITY is checked on every one."""
    token = city_token(sqlite_runtime, "thu-ky", Role.ADMIN)
    with sqlite_runtime.accounts_db.write() as conn:
        conn.execute("UPDATE users SET roles = 'reception' WHERE id = 'thu-ky'")
    app = create_central_app(sqlite_runtime)
    with TestClient(app=app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        for method, path, public in _routes(app):
            if public or not path.startswith("/api/"):
                continue
            response = client.request(method, _concrete(path), json={})
            assert response.status_code == 403, (method, path, response.text)
            assert "view city" in response.json()["detail"]
        page = client.get("/board", follow_redirects=False)
        assert page.status_code == 403
