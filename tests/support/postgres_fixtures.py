"""PostgreSQL for the tests: a running server (started here if it is down) and a fresh,
empty database per test. PostgreSQL is never skipped: the fixture starts the local cluster
if it is down and fails with a clear message if it cannot.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import psycopg
import pytest

from tests.support.wait import WaitTimeout, wait_until

PG_ADMIN: Final = "postgresql://postgres@127.0.0.1:5432/test"


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


@contextmanager
def fresh_database(admin_url: str, prefix: str = "motcua") -> Iterator[str]:
    """The URL of a new, empty database on ``admin_url``'s server (dropped afterwards)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for this test only (dropped afterwards)."""
    with fresh_database(pg_server) as url:
        yield url
