"""SIGKILL the serving process at random moments: what it acknowledged must survive.

One data directory per seed is reused across all its kills, so state accumulates and
every check covers everything acknowledged in earlier rounds too. Each round starts
``motcua serve``, lets a few clients write, kills the process with SIGKILL (no shutdown
code runs, as in a power cut of the process) and then opens the file directly.

A request that got no response is "unknown": it may or may not have committed, and
either is correct. A request that got a 2xx must be there afterwards.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import apsw
import httpx
import pytest

from node import event_log
from node.runtime import BLOBS_DIR
from rules.lifecycle import Status
from settings.node import DATABASE_NAME
from storage import db as db_mod
from storage.blob_store import BlobStore
from tests.support.live_node import LiveNode, start_node

SEEDS = (101, 202, 303, 404)
KILLS_PER_SEED = 25  # 4 x 25 = 100 kills; one test per seed so xdist can spread them
CLIENTS = 4  # concurrent writers; client 0 also starts dossiers and uploads files
KILL_AFTER_S = (0.02, 0.4)  # the kill lands this long after the round's first success
FIRST_SUCCESS_TIMEOUT_S = 30.0

CREATE = {
    "procedure_code": "1.000894",
    "applicant": {
        "full_name": "Nguyễn Văn A",
        "id_number": "001099012345",
        "phone": "0912345678",
        "address": "Thôn 3, xã Hòa Phú",
    },
    "channel": "in_person",
    "components": ["Tờ khai"],
}


@dataclass
class Acked:
    """What the server acknowledged (2xx) across all rounds of one seed."""

    dossiers: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)  # "start" transition acknowledged
    documents: list[tuple[str, str, int]] = field(default_factory=list)  # dossier, sha, size
    unknown: int = 0  # requests that got no response because of the kill
    unexpected: list[str] = field(default_factory=list)  # non-2xx, or errors before the kill
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self, seed: int, kills: int) -> str:
        return (
            f"seed {seed}: {kills} kills, {len(self.dossiers)} acknowledged creates, "
            f"{len(self.started)} transitions, {len(self.documents)} documents, "
            f"{self.unknown} unknown outcomes"
        )


@dataclass
class Round:
    url: str
    headers: dict[str, str]
    tag: str  # makes every uploaded file's bytes (hence its sha256) unique
    acked: Acked
    first_ok: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)


def _post(rnd: Round, what: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
    """Send; None when the outcome is unknown (no response). Non-2xx is recorded as wrong."""
    try:
        response = send()
    except httpx.HTTPError as exc:
        with rnd.acked.lock:
            rnd.acked.unknown += 1
            if not rnd.killed.is_set():
                rnd.acked.unexpected.append(f"{what}: {exc!r} before the kill")
        return None
    if not response.is_success:
        with rnd.acked.lock:
            rnd.acked.unexpected.append(f"{what}: {response.status_code} {response.text}")
        return None
    rnd.first_ok.set()
    return response


def _writer(rnd: Round, worker: int) -> None:
    """Write until a request goes unanswered (the server is dead) or is refused."""
    mixed = worker == 0
    n = 0
    with httpx.Client(base_url=rnd.url, headers=rnd.headers, timeout=10.0) as client:
        while True:
            created = _post(rnd, "create", partial(client.post, "/api/v1/dossiers", json=CREATE))
            if created is None:
                return
            dossier_id = str(created.json()["id"])
            with rnd.acked.lock:
                rnd.acked.dossiers.add(dossier_id)
            if not mixed:
                continue
            url = f"/api/v1/dossiers/{dossier_id}"
            start = partial(client.post, f"{url}/transitions", json={"action": "start"})
            started = _post(rnd, "start", start)
            if started is None:
                return
            with rnd.acked.lock:
                rnd.acked.started.add(dossier_id)
            n += 1
            content = b"%PDF-1.4\n" + f"{rnd.tag}-{n}\n".encode() + bytes(2048)
            attach = partial(
                client.post,
                f"{url}/documents",
                files={"file": ("to-khai.pdf", content, "application/pdf")},
                data={"role": "component"},
            )
            attached = _post(rnd, "attach", attach)
            if attached is None:
                return
            with rnd.acked.lock:
                rnd.acked.documents.append(
                    (dossier_id, hashlib.sha256(content).hexdigest(), len(content))
                )


def _run_round(node: LiveNode, rnd: Round, delay: float) -> None:
    threads = [
        threading.Thread(target=_writer, args=(rnd, i), name=f"writer-{i}", daemon=True)
        for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    try:
        if not rnd.first_ok.wait(FIRST_SUCCESS_TIMEOUT_S):
            raise AssertionError(f"no write succeeded; unexpected: {rnd.acked.unexpected[:3]}")
        # Not a readiness wait: this is the random moment of the crash.
        rnd.killed.wait(delay)
    finally:
        rnd.killed.set()  # before the signal, so errors it causes are not "unexpected"
        node.kill()
        for t in threads:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a writer did not notice the dead server"


def _check(data_dir: Path, acked: Acked, context: str) -> None:
    """Check the invariants on the file as the kill left it.

    Read-only on purpose: the last read-write connection to close checkpoints and deletes
    the WAL, so the next server would never meet the state a crash leaves behind.
    """
    conn: apsw.Connection = db_mod.connect(data_dir / DATABASE_NAME, readonly=True)
    try:
        integrity = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
        assert integrity == ["ok"], f"{context}: quick_check says {integrity[:5]}"

        origin = str(db_mod.scalar(conn, "SELECT value FROM node_identity WHERE key = 'node_id'"))
        seqs = [
            int(r[0])
            for r in conn.execute("SELECT seq FROM events WHERE origin = ? ORDER BY seq", (origin,))
        ]
        assert seqs == list(range(1, len(seqs) + 1)), f"{context}: seq of {origin} not 1..N"
        assert event_log.gaps(conn) == [], f"{context}: an origin's seq has a gap"

        dossiers = {str(r[0]) for r in conn.execute("SELECT id FROM dossiers")}
        received = [
            str(r[0])
            for r in conn.execute("SELECT stream FROM events WHERE kind = 'dossier_received'")
        ]
        assert len(received) == len(set(received)), f"{context}: a dossier received twice"
        # The projection and the log agree: same dossiers, not merely the same count.
        assert set(received) == dossiers, (
            f"{context}: {len(dossiers)} dossiers but {len(received)} dossier_received events; "
            f"only in projection {sorted(dossiers - set(received))[:3]}, "
            f"only in log {sorted(set(received) - dossiers)[:3]}"
        )
        missing = acked.dossiers - dossiers
        assert not missing, f"{context}: acknowledged creates lost: {sorted(missing)[:5]}"

        status = dict(conn.execute("SELECT id, status FROM dossiers WHERE status != ?", (2,)))
        not_started = [d for d in acked.started if status.get(d) != Status.PROCESSING]
        assert not not_started, f"{context}: acknowledged 'start' lost: {not_started[:5]}"

        _check_documents(conn, data_dir, acked, context)
    finally:
        conn.close()


def _check_documents(conn: apsw.Connection, data_dir: Path, acked: Acked, context: str) -> None:
    rows = {
        (str(d), str(s)): int(size)
        for d, s, size in conn.execute(
            "SELECT d.dossier_id, d.sha256, b.size FROM documents d JOIN blobs b USING (sha256)"
        )
    }
    lost = [(d, s) for d, s, _ in acked.documents if (d, s) not in rows]
    assert not lost, f"{context}: acknowledged documents lost: {lost[:3]}"
    # Every row names bytes that are there, whole: the blob is durable before its row.
    store = BlobStore(data_dir / BLOBS_DIR)
    for (_, sha), size in rows.items():
        path = store.path_for(sha)
        assert path.exists(), f"{context}: document row names missing file {sha}"
        data = path.read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha, (
            f"{context}: file {sha} is not the bytes its row describes"
        )


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_acknowledged_writes_survive_sigkill(
    node_dir: Path, seed: int, record_property: Callable[[str, object], None]
) -> None:
    rng = random.Random(seed)
    acked = Acked()
    began, starting = time.monotonic(), 0.0
    for kill in range(1, KILLS_PER_SEED + 1):
        t0 = time.monotonic()
        node = start_node(node_dir)
        starting += time.monotonic() - t0
        rnd = Round(node.url, node.headers, f"{seed}-{kill}", acked)
        _run_round(node, rnd, rng.uniform(*KILL_AFTER_S))
        summary = acked.summary(seed, kill)
        assert not acked.unexpected, f"{summary}: unexpected answers: {acked.unexpected[:3]}"
        _check(node_dir, acked, f"after kill {kill} ({summary})")
    summary = acked.summary(seed, KILLS_PER_SEED)
    timing = f"{time.monotonic() - began:.1f} s, of which server start-up {starting:.1f} s"
    record_property("crash_summary", f"{summary}; {timing}")
    print(f"{summary}; {timing}")
