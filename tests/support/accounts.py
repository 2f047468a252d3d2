"""Accounts for tests: real users and tokens, with the argon2 hash of the one test password
computed once per process (hashing is deliberately slow)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from litestar import Litestar
from litestar.testing import TestClient

from accounts import passwords, tokens, users
from cli.common import operator
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Role
from storage.db import Database
from web.node_api.app import create_app

Client = TestClient[Litestar]

PASSWORD = "mat-khau-thu-nghiem"


@functools.cache
def password_hash() -> str:
    return passwords.hash_password(PASSWORD)


def make_user(db: Database, name: str, *roles: Role, display_name: str = "") -> users.User:
    """A user with ``roles`` (every staff role when none) and the password ``PASSWORD``."""
    chosen = [r.value for r in roles] or [r.value for r in Role if r in STAFF_ROLES]
    found = users.find(db.read(), name)
    if found is not None:
        return found
    return users.add_hashed(
        db, operator("test"), name, chosen, password_hash(), display_name or name
    )


def make_token(db: Database, name: str, *roles: Role) -> str:
    """An API token of the user ``name`` (created with ``roles`` if missing)."""
    make_user(db, name, *roles)
    return tokens.create(db, operator("test"), name, "tests")[1]


@contextmanager
def api_client(rt: NodeRuntime, user: str = "can-bo", *roles: Role) -> Iterator[Client]:
    """The node's app in process, as a script sees it: ``user`` (every staff role unless
    ``roles``) authenticated by an API token, so no CSRF token is needed."""
    token = make_token(rt.db, user, *roles)
    with TestClient(app=create_app(rt)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
