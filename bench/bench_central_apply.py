"""How fast the city applies nodes' backlogs: batches through ``MessageHandler.handle``.

Each simulated node has a backlog like a commune that was offline for a while (received
dossiers, transitions, document events); every batch goes through the whole path a real
message takes (wire decode, checks, one durable transaction with the refold, the ack
encoded), without a broker, so the figure is the store's. SQLite always; PostgreSQL too
when ``--pg-url`` names a server database the bench may create databases next to.

Run: ``uv run python -m bench.bench_central_apply [--nodes 20] [--events 1000]
[--batch 100] [--pg-url postgresql://postgres@127.0.0.1:5432/test]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from central.blob_receiver import BlobReceiver
from central.message_handler import MessageHandler
from central.postgres_store import PostgresCentralStore
from central.sqlite_store import SqliteCentralStore
from central.store import CentralStore
from sync import topics, wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode


def backlog(node_id: str, events: int) -> FakeNode:
    """About ``events`` events: a third dossiers received, the rest moving them along."""
    node = FakeNode(node_id)
    open_ids: list[str] = []
    while len(node.log) < events:
        open_ids.append(node.receive())
        if len(open_ids) > 3:
            dossier = open_ids.pop(0)
            node.transition(dossier, "start", 2, 4)
            node.transition(dossier, "resolve", 4, 9)
    return node


def run(store: CentralStore, root: Path, nodes: list[FakeNode], batch: int) -> dict[str, float]:
    handler = MessageHandler(store, BlobReceiver(root / "blobs", store, 1 << 30))
    latencies: list[float] = []
    started = time.perf_counter()
    total = 0
    for first in range(1, max(len(n.log) for n in nodes) + 1, batch):
        for node in nodes:  # interleaved, as many communes reconnecting at once
            last = min(first + batch - 1, len(node.log))
            if first > last:
                continue
            events = node.log[first - 1 : last]
            payload = wire.encode(wire.EventBatch(node.node_id, first, events))
            t = time.perf_counter()
            (reply,) = handler.handle(topics.up(node.node_id, Lane.EVENTS), payload)
            latencies.append(time.perf_counter() - t)
            assert isinstance(reply.message, wire.EventAck), reply
            total += len(events)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "events": total,
        "seconds": elapsed,
        "events_per_s": total / elapsed,
        "batch_p50_ms": statistics.median(latencies) * 1000,
        "batch_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


@contextmanager
def sqlite_store(root: Path) -> Iterator[CentralStore]:
    store = SqliteCentralStore(root / "central.sqlite3")
    store.migrate()
    try:
        yield store
    finally:
        store.close()


@contextmanager
def postgres_store(admin_url: str) -> Iterator[CentralStore]:
    name = f"motcua_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    store = PostgresCentralStore(admin_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        store.migrate()
        yield store
    finally:
        store.close()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--events", type=int, default=1000, help="backlog per node")
    parser.add_argument("--batch", type=int, default=100, help="events per EventBatch")
    parser.add_argument("--pg-url", default="", help="admin URL of a PostgreSQL server")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    nodes = [backlog(f"xa-{i:03}", args.events) for i in range(args.nodes)]
    stores: list[tuple[str, Callable[[Path], object]]] = [("sqlite", sqlite_store)]
    if args.pg_url:
        stores.append(("postgresql", lambda _root: postgres_store(args.pg_url)))
    print(f"{args.nodes} nodes x {args.events} events, batches of {args.batch}")
    print(f"{'store':<12}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'seconds':>9}")
    for label, make in stores:
        with (
            tempfile.TemporaryDirectory(dir=args.workdir) as tmp,
            make(Path(tmp)) as store,  # type: ignore[attr-defined]
        ):
            figures = run(store, Path(tmp), nodes, args.batch)
        print(
            f"{label:<12}{figures['events_per_s']:>10.0f}{figures['batch_p50_ms']:>9.1f}"
            f"{figures['batch_p99_ms']:>9.1f}{figures['seconds']:>9.1f}"
        )


if __name__ == "__main__":
    main()
