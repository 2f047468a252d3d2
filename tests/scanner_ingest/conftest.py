from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from node.runtime import NodeRuntime, open_node
from scanner_ingest.pdf_worker import PdfWorker
from tests.scanner_ingest.ingest_support import configure, folder


@pytest.fixture(scope="session")
def pdf_worker() -> Iterator[PdfWorker]:
    """One PDF worker process per test session (per xdist worker): spawning one costs ~1 s."""
    with PdfWorker(timeout=60) as worker:
        yield worker


@pytest.fixture
def share(tmp_path: Path) -> Path:
    """A scanner drop folder (the share the office's scanner writes into)."""
    path = tmp_path / "share"
    path.mkdir()
    return path


MakeNode = Callable[..., NodeRuntime]


@pytest.fixture
def make_node(node_dir: Path, share: Path) -> Iterator[MakeNode]:
    """Configure ingest on the test node, then open it: ``make_node(folders=[...], **ingest)``
    (default: ``share`` as folder "may-1", retries after 0.2 s)."""
    opened: list[NodeRuntime] = []

    def make(folders: list[dict[str, Any]] | None = None, **ingest: Any) -> NodeRuntime:
        ingest.setdefault("retry_seconds", 0.2)
        configure(node_dir, folders or [folder(share, name="may-1")], **ingest)
        rt = open_node(node_dir)
        opened.append(rt)
        return rt

    yield make
    for rt in opened:
        rt.close()
