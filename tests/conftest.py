"""Shared fixtures: real node data directories, an in-process API, a live server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from cli.init_cmd import initialise
from node.runtime import NodeRuntime, open_node
from tests.support.accounts import api_client
from tests.support.live_node import LiveNode, start_node

AGENCY = "000.00.15.H42"
NODE_ID = "xa-test"
API_USER = "can-bo"

# Real brokers, a PKI, a fault proxy, PostgreSQL and a small disk, for every folder of tests.
pytest_plugins = [
    "tests.support.broker_fixtures",
    "tests.support.postgres_fixtures",
    "tests.support.staff_client",
    "tests.support.browser",
    "tests.support.small_disk",
]


@pytest.fixture
def node_dir(tmp_path: Path) -> Path:
    """A freshly initialised node: shipped calendars and the sample catalog."""
    data_dir = tmp_path / "node"
    initialise(data_dir, AGENCY, NODE_ID, calendars=True, sample_catalog=True)
    return data_dir


@pytest.fixture
def runtime(node_dir: Path) -> Iterator[NodeRuntime]:
    rt = open_node(node_dir)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: NodeRuntime) -> Iterator[TestClient[Litestar]]:
    """The node's API as a script sees it: an account holding every staff role (``can-bo``),
    authenticated by its API token (no CSRF token needed)."""
    with api_client(runtime, API_USER) as test_client:
        yield test_client


@pytest.fixture
def live_node(node_dir: Path) -> Iterator[LiveNode]:
    """``motcua serve`` in its own process on a free port."""
    node = start_node(node_dir)
    yield node
    node.stop()
