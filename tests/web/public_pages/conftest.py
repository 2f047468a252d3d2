"""The public pages on an in-process node: ``staff`` makes dossiers through the API (a
token), ``public`` is an anonymous browser of the same node (no cookie, no token)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime, open_node
from tests.support.accounts import api_client
from web.node_api.app import create_app

Client = TestClient[Litestar]
ORIGIN = {"Origin": "http://testserver.local"}  # a form posted from the node's own page


def set_limits(node_dir: Path, **limits: int) -> None:
    """Rewrite the ``[lookup]`` keys of the node's config (before it is opened)."""
    config = node_dir / "motcua.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in limits.items():
        lines = [
            f"{key} = {value}" if line.startswith(f"{key} = ") else line
            for line in text.splitlines()
        ]
        text = "\n".join(lines) + "\n"
    config.write_text(text, encoding="utf-8")


@pytest.fixture
def staff(runtime: NodeRuntime) -> Iterator[Client]:
    with api_client(runtime, "tiepnhan") as client:
        yield client


@pytest.fixture
def public(runtime: NodeRuntime) -> Iterator[Client]:
    with TestClient(app=create_app(runtime)) as client:
        yield client


@pytest.fixture
def strict_node(node_dir: Path) -> Iterator[NodeRuntime]:
    """A node allowing 3 failures and 8 requests per client in its window."""
    set_limits(node_dir, max_failures=3, max_requests=8)
    rt = open_node(node_dir)
    yield rt
    rt.close()
