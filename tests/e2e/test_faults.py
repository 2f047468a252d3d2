"""Faults while replicating: SIGKILL of the sender, the receiver and the broker at random
moments, and link cuts and stalls mid-batch and mid-chunk. Each run ends with equal
digests and nothing lost, duplicated or reordered."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from node.dossier_service import attach_document
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from storage.db import scalar
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    Central,
    Proc,
    add_dossiers,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until

KILLS_PER_TEST = 10  # two seeds per component: at least 20 kills of each
FAST: dict[str, str] = {"ack_timeout_seconds": "2.0", "chunk_size": "65536"}


@contextmanager
def busy_office(rt: NodeRuntime, tmp: Path, seed: int) -> Iterator[threading.Event]:
    """Staff keep receiving dossiers and scanning files while the faults happen."""
    stop = threading.Event()
    rng = random.Random(seed)

    def work() -> None:
        n = 0
        while not stop.is_set():
            add_dossiers(rt, 5, threads=1, steps=("start",))
            n += 1
            if n % 4 == 0:
                dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
                path = tmp / f"scan-{seed}-{n}.bin"
                path.write_bytes(os.urandom(rng.randint(50_000, 400_000)))
                blob = rt.blobs.put_file(path)
                attach_document(
                    rt,
                    dossier_id,
                    blob,
                    mime="application/pdf",
                    role="component",
                    copy_kind="original",
                    filename=path.name,
                    actor=seeding_machine("scanner:test"),
                )
            stop.wait(0.05)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)


def _setup(tmp_path: Path, broker_url: str, node_id: str) -> tuple[Path, Central, Proc]:
    node_dir = make_node(tmp_path, node_id, broker_url, sync=FAST)
    return node_dir, make_central(tmp_path, broker_url), sync_proc(node_dir)


def _acked(node_dir: Path) -> int:
    rt = open_node(node_dir)
    try:
        with rt.db.read() as conn:
            row = conn.execute("SELECT upto_seq FROM sync_acked").fetchone()
        return 0 if row is None else int(row[0])
    finally:
        rt.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_sender_killed_at_random_moments(tmp_path: Path, broker: Mosquitto, seed: int) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_id = f"xa-sender-{seed}"
    node_dir, central, sender = _setup(tmp_path, url, node_id)
    central.start()
    rng = random.Random(seed)
    rt = open_node(node_dir)
    try:
        with busy_office(rt, tmp_path, seed):
            for _ in range(KILLS_PER_TEST):
                sender.start()
                wait_until(lambda: sender.running, what="sender up")
                threading.Event().wait(rng.uniform(0.8, 2.0))
                sender.kill()
        sender.start()
        report = wait_converged(node_dir, central, node_id, timeout=180)
        assert report.clean, report
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 4])
def test_receiver_killed_at_random_moments(tmp_path: Path, broker: Mosquitto, seed: int) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_id = f"xa-receiver-{seed}"
    node_dir, central, sender = _setup(tmp_path, url, node_id)
    sender.start()
    rng = random.Random(seed)
    rt = open_node(node_dir)
    try:
        with busy_office(rt, tmp_path, seed):
            for _ in range(KILLS_PER_TEST):
                central.start()
                threading.Event().wait(rng.uniform(0.2, 1.5))
                central.proc.kill()
        central.start()
        report = wait_converged(node_dir, central, node_id, timeout=180)
        assert report.clean, report
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 6])
def test_broker_killed_at_random_moments(tmp_path: Path, broker: Mosquitto, seed: int) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_id = f"xa-broker-{seed}"
    node_dir, central, sender = _setup(tmp_path, url, node_id)
    central.start()
    sender.start()
    rng = random.Random(seed)
    rt = open_node(node_dir)
    try:
        with busy_office(rt, tmp_path, seed):
            for _ in range(KILLS_PER_TEST):
                threading.Event().wait(rng.uniform(0.3, 1.5))
                broker.kill()
                broker.start()
        report = wait_converged(node_dir, central, node_id, timeout=180)
        assert report.clean, report
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()


@pytest.mark.slow
def test_link_cuts_and_stalls_mid_batch_and_mid_chunk(tmp_path: Path, broker: Mosquitto) -> None:
    proxy = FaultProxy(broker.host, broker.port)
    node_id = "xa-flaky-link"
    node_dir = make_node(tmp_path, node_id, f"mqtt://{proxy.host}:{proxy.port}", sync=FAST)
    central = make_central(tmp_path, f"mqtt://{broker.host}:{broker.port}").start()
    sender = sync_proc(node_dir)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 600, steps=("start",))  # a backlog of many batches
        big = tmp_path / "big.pdf"
        big.write_bytes(os.urandom(3 * 1024 * 1024))  # 48 chunks of 64 KiB
        dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
        attach_document(
            rt,
            dossier_id,
            rt.blobs.put_file(big),
            mime="application/pdf",
            role="result",
            copy_kind="electronic",
            filename="big.pdf",
            actor=seeding_machine("t"),
        )
        sender.start()
        # Cut mid-batch: a few KiB into the upstream bytes of the first connection.
        proxy.cut_after_bytes(5_000, "up")
        wait_until(lambda: proxy.cuts >= 1, timeout=30, what="the first cut")
        # Stall with sockets open, then resume.
        wait_until(lambda: proxy.accepted >= 2, timeout=30, what="a reconnect")
        proxy.stall()
        threading.Event().wait(3.0)
        proxy.resume()
        # Cut again in the middle of the file: partway through a 64 KiB chunk.
        start = proxy.bytes_forwarded("up")
        proxy.cut_after_bytes(1_000_000 + 12_345, "up")
        wait_until(
            lambda: proxy.bytes_forwarded("up") > start + 1_000_000 or proxy.cuts >= 2,
            timeout=60,
            what="the mid-file cut",
        )
        report = wait_converged(node_dir, central, node_id, timeout=180)
        assert report.clean, report
        assert proxy.cuts >= 2
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()
        proxy.close()
