"""Logged-in clients of the city's app, per role, for page and API tests.

``city_client(Role.CITY_VIEWER)`` gives a TestClient on the city runtime that logged in
through ``POST /login`` as a real account of that role (a commune-viewer with
``node="xa-an-binh"``), holding a real session cookie; like the pages' htmx it sends the
session's CSRF token as ``X-CSRF-Token`` unless ``csrf_header=False``. ``city_token`` makes
an account and an API token for JSON API tests (``Authorization: Bearer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from accounts import tokens, users
from accounts.sites import CITY_SITE
from central.runtime import CentralRuntime
from cli.common import operator
from rules.actor import Role
from tests.support.accounts import password_hash
from tests.support.staff_client import form_token, log_in
from web.city_api.app import create_central_app

CityClientFactory = Callable[..., TestClient[Litestar]]


def make_city_user(
    rt: CentralRuntime, name: str, role: Role, node: str | None = None
) -> users.User:
    """A city account holding ``role`` (a commune-viewer's ``node``), password PASSWORD."""
    found = users.find(rt.accounts_db.read(), name)
    if found is not None:
        return found
    return users.add_hashed(
        rt.accounts_db,
        operator("test"),
        name,
        [role.value],
        password_hash(),
        name,
        site=CITY_SITE,
        node_id=node,
    )


def city_token(rt: CentralRuntime, name: str, role: Role, node: str | None = None) -> str:
    """An API token of the city account ``name`` (created with ``role`` if missing)."""
    make_city_user(rt, name, role, node)
    return tokens.create(rt.accounts_db, operator("test"), name, "tests")[1]


def token_client(
    rt: CentralRuntime, name: str, role: Role, node: str | None = None
) -> TestClient[Litestar]:
    """A client (not yet entered) of the city's app authenticated by a token of ``name``."""
    client = TestClient(app=create_central_app(rt))
    client.headers["Authorization"] = f"Bearer {city_token(rt, name, role, node)}"
    return client


@pytest.fixture
def city_client(runtime: CentralRuntime) -> Iterator[CityClientFactory]:
    opened: list[TestClient[Litestar]] = []

    def make(
        role: Role, *, node: str | None = None, user: str = "", csrf_header: bool = True
    ) -> TestClient[Litestar]:
        name = user or f"{role.value}-{node or 'city'}"
        make_city_user(runtime, name, role, node)
        client = TestClient(app=create_central_app(runtime))
        client.__enter__()
        opened.append(client)
        log_in(client, name)
        if csrf_header:
            token = form_token(client.get("/board").text)
            assert token, "a logged-in city page carries the session's CSRF token"
            client.headers["X-CSRF-Token"] = token
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
