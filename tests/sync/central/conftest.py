"""City fixtures: a real PostgreSQL database per test, stores of both kinds, a handler.

PostgreSQL is never skipped: the fixture starts the local cluster if it is down and fails
with a clear message if it cannot.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sync.central import config as config_mod
from sync.central.api import create_central_app
from sync.central.blob_receiver import BlobReceiver
from sync.central.message_handler import MessageHandler
from sync.central.postgres_store import PostgresCentralStore
from sync.central.runtime import CentralRuntime
from sync.central.sqlite_store import SqliteCentralStore
from sync.central.store import CentralStore
from tests.support.wait import WaitTimeout, wait_until

PG_ADMIN: Final = "postgresql://postgres@127.0.0.1:5432/test"
STORE_KINDS: Final = ("sqlite", "postgresql")


def _pg_up() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a running PostgreSQL (started here if it was down)."""
    if _pg_up():
        return PG_ADMIN
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) or ["?"]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    started = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        wait_until(_pg_up, timeout=30, interval=0.2, what="PostgreSQL to accept connections")
    except WaitTimeout:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN} and '{' '.join(command)}' did not "
            f"start it (exit {started.returncode}): {started.stderr.strip()}"
        )
    return PG_ADMIN


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for this test only (dropped afterwards)."""
    name = f"motcua_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


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


@pytest.fixture
def runtime(store: CentralStore, tmp_path: Path) -> CentralRuntime:
    """A city runtime over both store kinds, without a config file or a broker."""
    cfg = config_mod.CentralConfig(broker=config_mod.BrokerSettings(url="mqtt://127.0.0.1:1"))
    handler = make_handler(store, tmp_path / "blobs")
    return CentralRuntime(tmp_path, cfg, store, handler.blobs, handler)


@pytest.fixture
def api(runtime: CentralRuntime) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_central_app(runtime)) as client:
        yield client
