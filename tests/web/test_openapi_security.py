"""The published OpenAPI documents say how to authenticate and who must, as the servers'
log-in door (web.auth.middleware) really does, at the node and at the city. Operations are
read from each app's own route table, so one added later is checked too; the scheme names
are used as a client would use them (the header, the cookie), so the document cannot drift
from the door."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from accounts.tokens import PREFIX
from central.runtime import CentralRuntime
from node.runtime import NodeRuntime
from rules.actor import Role
from tests.support.accounts import PASSWORD, make_token
from tests.support.city_client import city_token
from tests.support.city_fixtures import sqlite_runtime, sqlite_store  # noqa: F401 - fixtures
from tests.support.staff_client import form_token
from web.city_api.app import create_central_app
from web.node_api.app import create_app

UNSAFE = {"post", "put", "patch", "delete"}
ERROR_BODY = {"$ref": "#/components/schemas/ErrorOut"}


@dataclass(frozen=True)
class Door:
    app: Litestar
    user: str  # an account of the side, password PASSWORD, with the API token ``token``
    token: str
    token_command: str  # what the document must name to make a token here
    page: str  # a staff page carrying the session's CSRF token
    read: str  # an authenticated GET every account may make
    write: str  # a POST that passes the door and is refused by the service: 404
    write_body: dict[str, str]
    min_private: int  # operations behind the door, at least


@pytest.fixture(params=["node", "city"])
def door(request: pytest.FixtureRequest) -> Door:
    if request.param == "node":
        rt: NodeRuntime = request.getfixturevalue("runtime")
        return Door(
            create_app(rt),
            "can-bo",
            make_token(rt.db, "can-bo"),  # every staff role
            "motcua token create USER",
            "/dossiers",
            "/api/v1/sync/status",
            "/api/v1/ingest/unfiled/nope/reject",
            {"note": "không phải hồ sơ"},
            min_private=19,
        )
    city: CentralRuntime = request.getfixturevalue("sqlite_runtime")
    return Door(
        create_central_app(city),
        "so-tu-phap",
        city_token(city, "so-tu-phap", Role.ADMIN),
        "motcua central token create USER",
        "/board",
        "/api/v1/nodes",
        "/api/v1/dossiers/nope/transitions",
        {"action": "start"},
        min_private=9,
    )


def document(client: TestClient[Litestar], token: str) -> dict[str, Any]:
    """``/schema/openapi.json`` as a client fetches it (it needs a log-in too)."""
    response = client.get("/schema/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def handlers(app: Litestar) -> dict[tuple[str, str], bool]:
    """(method, path as the document writes it) -> declared public, of every operation the
    app's route table puts in the document."""
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)
            for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                found[(method.lower(), path)] = bool(handler.opt.get("public"))
    return found


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in UNSAFE | {"get"}
    }


def concrete(path: str) -> str:
    path = path.replace("{sha256}", "0" * 64)  # a well-formed hash, so the roles are checked
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_the_document_names_both_ways_in_as_the_door_reads_them(door: Door) -> None:
    with TestClient(app=door.app) as client:
        doc = document(client, door.token)
    schemes = doc["components"]["securitySchemes"]
    assert set(schemes) == {"bearerToken", "sessionCookie"}
    bearer = schemes["bearerToken"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert bearer["bearerFormat"].startswith(PREFIX) and door.token.startswith(PREFIX)
    assert f"`{door.token_command}`" in bearer["description"]
    cookie = schemes["sessionCookie"]
    assert (cookie["type"], cookie["in"], cookie["name"]) == ("apiKey", "cookie", "motcua_session")
    assert "CSRF" in cookie["description"] and "`_csrf_token`" in cookie["description"]
    assert doc["security"] == [{"bearerToken": []}, {"sessionCookie": []}]  # either one


def test_every_operation_says_whether_it_needs_a_log_in(door: Door) -> None:
    with TestClient(app=door.app) as client:
        doc = document(client, door.token)
    declared = handlers(door.app)
    ops = operations(doc)
    assert set(ops) == set(declared)  # the enumeration misses nothing
    private = [key for key, public in declared.items() if not public]
    assert len(private) >= door.min_private and ("get", "/healthz") in declared
    for (method, path), op in ops.items():
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        if declared[(method, path)]:
            assert op["security"] == [], where
            assert "401" not in responses, where
            continue
        assert op.get("security", doc["security"]) == doc["security"], where
        # The door refuses an account holding no role of the site on every route: 403.
        statuses = {"401", "403"} | ({"507"} if method in UNSAFE else set())
        for status in statuses:
            assert status in responses, (where, status)
            assert responses[status]["content"]["application/json"]["schema"] == ERROR_BODY
        if "507" in responses:
            assert "`Retry-After`" in responses["507"]["description"], where


def test_what_the_document_requires_the_door_enforces(door: Door) -> None:
    """Anonymous, every operation with a security requirement answers 401 (listed), and the
    public ones answer without one."""
    with TestClient(app=door.app) as client:
        doc = document(client, door.token)
    with TestClient(app=door.app) as anonymous:
        for (method, path), op in operations(doc).items():
            response = anonymous.request(method, concrete(path), json={})
            if op.get("security", doc["security"]):
                assert response.status_code == 401, (method, path, response.text)
                assert response.headers["www-authenticate"].startswith("Bearer")
            else:
                assert response.status_code in (200, 503), (method, path)


def test_a_token_sent_as_the_document_says_is_accepted_without_csrf(door: Door) -> None:
    with TestClient(app=door.app) as client:
        bearer = document(client, door.token)["components"]["securitySchemes"]["bearerToken"]
    authorization = {"Authorization": f"{bearer['scheme'].capitalize()} {door.token}"}
    with TestClient(app=door.app) as script:
        assert script.get(door.read).status_code == 401
        assert script.get(door.read, headers=authorization).status_code == 200
        written = script.post(door.write, json=door.write_body, headers=authorization)
        assert written.status_code == 404, written.text  # past the door: the service's answer


def test_the_cookie_the_document_names_is_the_one_the_log_in_sets(door: Door) -> None:
    with TestClient(app=door.app) as client:
        cookie = document(client, door.token)["components"]["securitySchemes"]["sessionCookie"]
    [csrf_header] = re.findall(r"in the `([^`]+)` header", cookie["description"])
    with TestClient(app=door.app) as browser:
        logged_in = browser.post(
            "/login", data={"username": door.user, "password": PASSWORD}, follow_redirects=False
        )
        assert logged_in.status_code == 303, logged_in.text
        assert logged_in.headers["set-cookie"].startswith(f"{cookie['name']}=")
        session = browser.cookies[cookie["name"]]
        token = form_token(browser.get(door.page).text)
        assert token
    # A client that knows only the document: the cookie by its name, the CSRF header by its.
    sent = {"Cookie": f"{cookie['name']}={session}"}
    with TestClient(app=door.app) as script:
        assert script.get(door.read, headers=sent).status_code == 200
        refused = script.post(door.write, json=door.write_body, headers=sent)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        passed = script.post(door.write, json=door.write_body, headers={**sent, csrf_header: token})
        assert passed.status_code == 404, passed.text


def test_every_node_read_lists_403_and_answers_it_to_an_account_of_no_staff_role(
    runtime: NodeRuntime,
) -> None:
    """An account holding no staff role (a city role written into the node's accounts by
    hand: the commands refuse it) is refused by every read, as every read lists."""
    staff = make_token(runtime.db, "can-bo")
    token = make_token(runtime.db, "thanh-tra", Role.ADMIN)
    with runtime.db.write() as conn:
        conn.execute("UPDATE users SET roles = ? WHERE id = 'thanh-tra'", (Role.CITY_VIEWER.value,))
    with TestClient(app=create_app(runtime)) as client:
        doc = document(client, staff)
        client.headers["Authorization"] = f"Bearer {token}"
        checked = 0
        for (method, path), op in operations(doc).items():
            if method != "get" or not op.get("security", doc["security"]):
                continue
            assert "403" in op["responses"], path
            answered = client.get(concrete(path))
            assert answered.status_code == 403, (path, answered.status_code)
            assert "may not read dossiers" in answered.json()["detail"], path
            checked += 1
    assert checked >= 10, checked
