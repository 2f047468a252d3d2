"""The citizen's lookup at the city: lookups per second and latency, by answer.

    uv run python -m bench.bench_lookup                      # SQLite, 20 nodes x 2,000 dossiers
    uv run python -m bench.bench_lookup --store-url postgresql://postgres@127.0.0.1:5432/x

A city data directory is made (``motcua central init``; no broker is needed for the pages),
its store seeded through the city's own receive path (``MessageHandler.handle``: checks,
fold, the ratings rows) with nodes whose dossiers each carry a PIN and are part returned,
then ``motcua central serve`` runs in its own process with the rate limit raised out of the
way (the bench measures the page, not the limiter's refusals). Closed loop: ``--concurrency``
clients (threads with keep-alive httpx clients) each send the next request when the last is
answered, for ``--duration`` seconds per kind of answer:

- **found**: a code with its PIN (the page with the dated steps, 200);
- **wrong PIN**: a code that exists with another PIN (404);
- **unknown code**: a code no node issued (404, after the same work as a wrong PIN).

httpx spends about a millisecond of CPU per request in the same machine's cores, so the
figures are a floor for the server; compare kinds within one run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uuid6

from central.blob_receiver import BlobReceiver
from central.message_handler import MessageHandler
from central.runtime import open_store
from rules.clock import to_utc_iso
from rules.event_kinds import DossierReceived, LookupPinIssued, Person
from settings import city as city_config
from sync import topics, wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode
from tests.support.live_node import free_port
from tests.support.wait import wait_until

BATCH = 200


def seeded_node(
    index: int, dossiers: int, rng: random.Random
) -> tuple[FakeNode, list[tuple[str, str]]]:
    """A node's log of ``dossiers`` received dossiers (a third returned), codes unique to it;
    returns the node and its (code, PIN) pairs."""
    node = FakeNode(f"xa-{index:03d}")
    pairs: list[tuple[str, str]] = []
    for serial in range(1, dossiers + 1):
        dossier_id = str(uuid6.uuid7())
        code = f"000.00.{index:02d}.H42-270201-{serial:04d}"
        pin = f"{rng.randrange(10**6):06d}"
        at = to_utc_iso(node.clock)
        node._append(
            dossier_id,
            DossierReceived(
                dossier_id=dossier_id,
                code=code,
                procedure_code="1.000894",
                procedure_version="2025.1",
                procedure_name="Đăng ký kết hôn",
                time_limit=5,
                time_unit="working_days",
                applicant=Person("Nguyễn Văn An", "001099012345", "0912345678", "Thôn 1"),
                proxy=None,
                channel="in_person",
                components=["Tờ khai"],
                status=2,
                submitted_at=at,
                received_at=at,
                due_at=at,
                lookup_pin=pin,
            ),
        )
        if serial % 3 == 0:
            for action, src, dst in (("start", 2, 4), ("resolve", 4, 9), ("return_result", 9, 10)):
                node.transition(dossier_id, action, src, dst)
        pairs.append((code, pin))
    # One PIN issued late, as for dossiers received before PINs existed.
    node._append(node.log[0].stream, LookupPinIssued(node.log[0].stream, "000000"))
    return node, pairs


def seed(data_dir: Path, nodes: int, dossiers: int) -> list[tuple[str, str]]:
    config = city_config.load(data_dir)
    store = open_store(config, data_dir)
    store.migrate()
    handler = MessageHandler(store, BlobReceiver(data_dir / "bench-blobs", store, 1 << 20))
    rng = random.Random(12)
    pairs: list[tuple[str, str]] = []
    try:
        for index in range(1, nodes + 1):
            node, found = seeded_node(index, dossiers, rng)
            pairs += found
            for first in range(1, len(node.log) + 1, BATCH):
                events = node.log[first - 1 : first - 1 + BATCH]
                payload = wire.encode(wire.EventBatch(node.node_id, first, events))
                (reply,) = handler.handle(topics.up(node.node_id, Lane.EVENTS), payload)
                assert isinstance(reply.message, wire.EventAck), reply
    finally:
        store.close()
    return pairs


def make_city(root: Path, store_url: str) -> Path:
    data_dir = root / "central"
    args = ["central", "init", "--data-dir", str(data_dir), "--broker", "mqtt://127.0.0.1:1"]
    if store_url:
        args += ["--store-url", store_url]
    done = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    config = data_dir / "central.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("max_requests = 60", "max_requests = 1000000000")
    text = text.replace("max_failures = 10", "max_failures = 1000000000")
    config.write_text(text, encoding="utf-8")
    return data_dir


def load(
    url: str, params: list[dict[str, str]], expect: int, seconds: float, clients: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=url, timeout=30) as http:
            i = offset
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = http.get("/lookup", params=params[i % len(params)])
                mine.append(time.perf_counter() - started)
                bad += response.status_code != expect
                i += clients
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--dossiers", type=int, default=2000, help="per node")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per kind")
    parser.add_argument("--store-url", default="", help="postgresql://... (default: SQLite)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lookup-") as tmp:
        data_dir = make_city(Path(tmp), args.store_url)
        started = time.perf_counter()
        pairs = seed(data_dir, args.nodes, args.dossiers)
        print(f"seeded {len(pairs)} dossiers in {time.perf_counter() - started:.1f} s")
        port = free_port()
        log = open(Path(tmp) / "serve.log", "ab")  # noqa: SIM115 - the child owns it
        serve = subprocess.Popen(
            [sys.executable, "-m", "cli", "central", "serve", "--data-dir", str(data_dir),
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: _answers(url), timeout=120, interval=0.2, what="motcua central serve"
            )
            rng = random.Random(7)
            sample = rng.sample(pairs, min(2000, len(pairs)))
            found = [{"code": c, "pin": p} for c, p in sample]
            wrong = [{"code": c, "pin": f"{(int(p) + 1) % 10**6:06d}"} for c, p in sample]
            unknown = [
                {"code": f"000.00.99.H42-270201-{i:04d}", "pin": p}
                for i, (_, p) in enumerate(sample)
            ]
            figures = {
                "found": load(url, found, 200, args.duration, args.concurrency),
                "wrong PIN": load(url, wrong, 404, args.duration, args.concurrency),
                "unknown code": load(url, unknown, 404, args.duration, args.concurrency),
            }
        finally:
            serve.terminate()
            serve.wait(timeout=30)
            log.close()
    store = "PostgreSQL" if args.store_url else "SQLite"
    print(
        f"city lookup, {store}, {len(pairs)} dossiers, {args.concurrency} clients, "
        f"{args.duration:.0f} s per kind"
    )
    print(f"{'answer':<14}{'requests':>10}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, f in figures.items():
        print(
            f"{kind:<14}{f['requests']:>10.0f}{f['per_s']:>9.1f}{f['p50_ms']:>9.1f}"
            f"{f['p99_ms']:>9.1f}{f['errors']:>8.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
