"""City fixtures: stores of both kinds (SQLite and a real PostgreSQL), a handler, a runtime
(with its accounts database) and the city API, for the city's tests and its web front door's.

``api`` is the city's app as a script sees it: authenticated by an API token of the
province administrator ``so-tu-phap`` (tests/support/city_client.py for other roles).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.accounts_db import open_accounts
from central.blob_receiver import BlobReceiver
from central.message_handler import MessageHandler
from central.postgres_store import PostgresCentralStore
from central.runtime import CentralRuntime
from central.sqlite_store import SqliteCentralStore
from central.store import CentralStore
from rules.actor import Role
from settings import city as config_mod
from web.city_api.app import create_central_app

STORE_KINDS = ("sqlite", "postgresql")


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> CentralStore:
    if kind == "postgresql":
        store: CentralStore = PostgresCentralStore(request.getfixturevalue("pg_url"))
    else:
        store = SqliteCentralStore(tmp_path / "central.sqlite3")
    store.migrate()
    return store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CentralStore]:
    """A migrated, empty store: every test using it runs on SQLite and on PostgreSQL."""
    s = make_store(str(request.param), tmp_path, request)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[CentralStore]:
    s = SqliteCentralStore(tmp_path / "central.sqlite3")
    s.migrate()
    yield s
    s.close()


def make_handler(store: CentralStore, root: Path, max_file_bytes: int = 1 << 20) -> MessageHandler:
    return MessageHandler(store, BlobReceiver(root, store, max_file_bytes), down_batch_events=3)


@pytest.fixture
def handler(store: CentralStore, tmp_path: Path) -> MessageHandler:
    """The city's message handler over both store kinds (small limits to test them)."""
    return make_handler(store, tmp_path / "blobs")


@pytest.fixture
def sqlite_handler(sqlite_store: CentralStore, tmp_path: Path) -> MessageHandler:
    return make_handler(sqlite_store, tmp_path / "blobs")


def make_runtime(store: CentralStore, tmp_path: Path) -> Iterator[CentralRuntime]:
    cfg = config_mod.CentralConfig(broker=config_mod.BrokerSettings(url="mqtt://127.0.0.1:1"))
    handler = make_handler(store, tmp_path / "blobs")
    accounts_db = open_accounts(tmp_path)
    try:
        yield CentralRuntime(tmp_path, cfg, store, handler.blobs, handler, accounts_db)
    finally:
        accounts_db.close()


@pytest.fixture
def runtime(store: CentralStore, tmp_path: Path) -> Iterator[CentralRuntime]:
    """A city runtime over both store kinds, without a config file or a broker."""
    yield from make_runtime(store, tmp_path)


@pytest.fixture
def sqlite_runtime(sqlite_store: CentralStore, tmp_path: Path) -> Iterator[CentralRuntime]:
    """A city runtime over SQLite only (access tests that do not depend on the store)."""
    yield from make_runtime(sqlite_store, tmp_path)


@pytest.fixture
def api(runtime: CentralRuntime) -> Iterator[TestClient[Litestar]]:
    from tests.support.city_client import city_token

    token = city_token(runtime, "so-tu-phap", Role.ADMIN)
    with TestClient(app=create_central_app(runtime)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
