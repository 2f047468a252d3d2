"""A logged-in browser-like client for page and API tests, per role.

``staff_client(Role.RECEPTION)`` gives a TestClient that acts as a staff member holding the
given roles (all staff roles when none is given). Page tests post forms with the CSRF token the
page itself carries (``form_token``), so they hold once CSRF is enforced.

Until accounts exist the client declares its actor in ``X-Actor``; the access-control work
replaces this body with a real account and a real log-in, keeping the signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from rules.actor import Role
from web.node_api.app import create_app

StaffClientFactory = Callable[..., TestClient[Litestar]]

_TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]*)"')


def form_token(html: str) -> str:
    """The CSRF token a page's form carries ("" where the page has none)."""
    found = _TOKEN_FIELD.search(html)
    return found.group(1) if found else ""


@pytest.fixture
def staff_client(runtime: NodeRuntime) -> Iterator[StaffClientFactory]:
    opened: list[TestClient[Litestar]] = []

    def make(*roles: Role, user: str = "") -> TestClient[Litestar]:
        name = user or "-".join(sorted(str(r) for r in roles)) or "can-bo"
        client = TestClient(app=create_app(runtime))
        client.__enter__()
        client.headers["X-Actor"] = name
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
