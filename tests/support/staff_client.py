"""A logged-in browser-like client for page and API tests, per role.

``staff_client(Role.RECEPTION)`` gives a TestClient that acts as a staff member holding the
given roles (all staff roles when none is given): a real account is created and the client
logs in through ``POST /login``, so it holds a real session cookie. Like the pages' htmx
(``hx-headers`` on the body), the client sends the session's CSRF token as ``X-CSRF-Token``
on every request; ``csrf_header=False`` leaves it out, for tests of plain forms, which post
the token the page itself carries (``form_token``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from rules.actor import Role
from tests.support.accounts import PASSWORD, make_user
from web.node_api.app import create_app

StaffClientFactory = Callable[..., TestClient[Litestar]]

_TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]*)"')


def form_token(html: str) -> str:
    """The CSRF token a page's form carries ("" where the page has none)."""
    found = _TOKEN_FIELD.search(html)
    return found.group(1) if found else ""


def log_in(client: TestClient[Litestar], user: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login", data={"username": user, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert "motcua_session" in client.cookies


def csrf_headers(client: TestClient[Litestar]) -> dict[str, str]:
    """The header an htmx request of this client's session carries."""
    token = form_token(client.get("/dossiers").text)
    assert token, "a logged-in page carries the session's CSRF token"
    return {"X-CSRF-Token": token}


@pytest.fixture
def staff_client(runtime: NodeRuntime) -> Iterator[StaffClientFactory]:
    opened: list[TestClient[Litestar]] = []

    def make(*roles: Role, user: str = "", csrf_header: bool = True) -> TestClient[Litestar]:
        name = user or "-".join(sorted(str(r) for r in roles)) or "can-bo"
        make_user(runtime.db, name, *roles)
        client = TestClient(app=create_app(runtime))
        client.__enter__()
        opened.append(client)
        log_in(client, name)
        if csrf_header:
            client.headers.update(csrf_headers(client))
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
