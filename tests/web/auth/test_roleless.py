"""An account that holds no staff role (a hand-edited or damaged accounts table: the commands
and pages never make one) reads nothing of the node: every GET route but the public ones and
the account's own (log-in page, log-out, language) answers 403, enumerated from the app so a
route added later cannot be forgotten."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from rules.actor import Role
from tests.support.staff_client import StaffClientFactory
from web.node_api.app import create_app

PUBLIC = {"/healthz", "/login", "/static/{file_path:path}", "/lookup", "/rating"}
# What any signed-in person may open whatever their roles: the API's own description (it
# holds no data), and leaving.
OWN = {"/schema", "/schema/{path:path}", "/schema-assets/{file_path:path}", "/logout"}


def _get_routes(app: Litestar) -> list[str]:
    return sorted(
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", set()) and route.path not in PUBLIC | OWN
    )


def signed_in_as(
    staff_client: StaffClientFactory, runtime: NodeRuntime, user: str, roles: str
) -> TestClient[Litestar]:
    """A browser signed in as ``user``, whose roles column is then set by hand to ``roles``."""
    client = staff_client(Role.RECEPTION, user=user)
    with runtime.db.write() as conn:
        conn.execute("UPDATE users SET roles = ? WHERE id = ?", (roles, user))
    return client


def test_an_account_without_a_staff_role_reads_nothing(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = signed_in_as(staff_client, runtime, "khong-vai-tro", "viewer")
    answered = {}
    for path in _get_routes(create_app(runtime)):
        url = re.sub(r"\{[^}]+\}", "x1", path)
        answered[path] = client.get(url, follow_redirects=False).status_code
    assert len(answered) > 20, answered
    allowed = {path: code for path, code in answered.items() if code != 403}
    assert allowed == {}, allowed


def test_an_account_without_a_staff_role_may_still_log_out(
    staff_client: StaffClientFactory, runtime: NodeRuntime
) -> None:
    client = signed_in_as(staff_client, runtime, "khong-vai-tro", "viewer")
    assert client.get("/dossiers", follow_redirects=False).status_code == 403
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert client.get("/dossiers", follow_redirects=False).status_code == 303  # to /login


def test_a_role_this_version_does_not_know_grants_nothing_and_breaks_nothing(
    staff_client: StaffClientFactory, runtime: NodeRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    """A hand-edited roles column: the unknown name is ignored (logged), the known ones work;
    before, every request of that account was a 500."""
    client = signed_in_as(staff_client, runtime, "vai-la", "reception superuser")
    assert client.get("/dossiers", follow_redirects=False).status_code == 200
    assert client.get("/admin/accounts", follow_redirects=False).status_code == 403
    assert "account_unknown_role" in caplog.text and "superuser" in caplog.text
    with runtime.db.write() as conn:
        conn.execute("UPDATE users SET roles = 'superuser' WHERE id = 'vai-la'")
    assert client.get("/dossiers", follow_redirects=False).status_code == 403
