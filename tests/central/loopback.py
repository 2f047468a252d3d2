"""A node's link wired to a real city handler in-process, through the ``Transport`` seam.

Real node data directory, real SQLite city store and message handler; only the broker is
left out (the e2e tests cover MQTT itself).
"""

from __future__ import annotations

import queue
import shutil
from collections.abc import Callable
from pathlib import Path

from central.message_handler import MessageHandler
from central.sqlite_store import SqliteCentralStore
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from settings.sync import SyncSettings
from sync.transport import Delivered, Inbound
from tests.support.city_fixtures import make_handler
from tests.support.connected_transport import ConnectedTransport
from uplink.node_link import NodeLink

NODE = "xa-test"  # the id tests/conftest.py gives its node


class Loopback(ConnectedTransport):
    """A connected ``Transport`` whose publishes go straight to the city's handler."""

    def __init__(self, city: Callable[[], MessageHandler]) -> None:
        super().__init__()
        self._city = city

    def publish(self, topic: str, payload: bytes) -> Delivered:
        for out in self._city().handle(topic, payload):
            self.inbox.put(Inbound(out.topic, out.payload))
        return Delivered()

    def receive(self, timeout: float) -> Inbound | None:
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None


class City:
    """The city's store and handler, which a test can stop and restore from a copy."""

    def __init__(self, root: Path, max_file_bytes: int = 1 << 20) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / "central.sqlite3"
        self.max_file_bytes = max_file_bytes
        self.store = SqliteCentralStore(self.path)
        self.store.migrate()
        self.handler = make_handler(self.store, root / "blobs", max_file_bytes)

    def link(self, rt: NodeRuntime, settings: SyncSettings | None = None) -> NodeLink:
        """A link from ``rt`` to this city (whichever store it has by then)."""
        transport = Loopback(lambda: self.handler)
        return NodeLink(rt, transport, settings or rt.config.sync, to_utc_iso(utc_now()))

    def restore(self, copy: Path) -> None:
        self.store.close()
        for f in self.root.glob("central.sqlite3*"):
            f.unlink()
        shutil.copy(copy, self.path)
        self.store = SqliteCentralStore(self.path)
        self.handler = make_handler(self.store, self.root / "blobs", self.max_file_bytes)

    def copy(self, to: Path) -> Path:
        self.store.close()  # a consistent file: no WAL left beside it
        shutil.copy(self.path, to)
        self.store = SqliteCentralStore(self.path)
        self.handler = make_handler(self.store, self.root / "blobs", self.max_file_bytes)
        return to

    def own_ids(self) -> dict[int, str]:
        return {e.seq: e.id for e in self.store.node_log(NODE) if e.origin == NODE}
