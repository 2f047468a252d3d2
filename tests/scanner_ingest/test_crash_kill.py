"""SIGKILL ``motcua ingest`` at each step of the crash-safe order, and at random moments:
nothing dropped is lost, nothing is stored or attached twice.

One data directory and one drop folder per seed, reused across its kills so state
accumulates. Before each round new scans are dropped (slips, codes in names, no code, the
same bytes under a new name, the reused name SCN_0001.pdf, write-then-rename); then a real
``motcua ingest`` process starts and is killed:

- by itself, with ``MOTCUA_INGEST_FAULT`` set to ``after_blob`` (bytes durable, nothing
  committed), ``after_commit`` (committed, source not moved) or ``after_move`` (moved,
  receipt not marked): the log line it writes before killing itself proves the step was
  hit, and each seed hits each step at least twice;
- or by the test with SIGKILL at a random moment (0 to 1.5 s after start-up).

At the end a clean run takes what is left and the data is checked: every drop has exactly
one receipt, each distinct content one non-duplicate receipt and at most one document, every
source sits in processed/ exactly once, blobs match their hashes, and the event log has no
gap. Six seeds of 10 kills (60 kills), one test per seed so xdist spreads them.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from node import event_log
from node.runtime import open_node
from scanner_ingest.pipeline import FAULT_ENV, FAULT_STEPS
from storage.db import scalar
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import (
    configure,
    count,
    files,
    folder,
    new_dossier,
    start_ingest,
    start_ingest_ready,
    stop,
)
from tests.support.wait import wait_until

SEEDS = (11, 22, 33, 44, 55, 66)
ROUNDS = [*FAULT_STEPS, *FAULT_STEPS, None, None, None, None]  # 10 kills per seed
RANDOM_KILL_S = (0.0, 1.5)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Dropper:
    """Writes scans into the share the way scanners do; remembers what it dropped."""

    def __init__(self, share: Path, codes: list[str], rng: random.Random, seed: int) -> None:
        self.share, self.codes, self.rng, self.seed = share, codes, rng, seed
        self.dropped: list[tuple[str, str]] = []  # (name, sha256), one per drop
        self.contents: dict[str, bytes] = {}
        self.n = 0

    def _write(self, name: str, data: bytes) -> None:
        if self.rng.random() < 0.3:
            part = self.share / f"{name}.part"
            part.write_bytes(data)
            part.rename(self.share / name)
        else:
            (self.share / name).write_bytes(data)
        self.dropped.append((name, digest(data)))
        self.contents[digest(data)] = data

    def drop(self) -> None:
        self.n += 1
        tag = f"{self.seed}-{self.n}"
        kind = self.rng.choice(["slip", "named", "unfiled", "again", "reused"])
        code = self.rng.choice(self.codes)
        if kind == "again" and self.contents:
            data = self.rng.choice(sorted(self.contents.values(), key=digest))
            self._write(f"copy {tag}.{'pdf' if data.startswith(b'%PDF') else 'png'}", data)
        elif kind == "reused" and not (self.share / "SCN_0001.pdf").exists():
            path = gen.write_pdf(
                self.share.parent / "tmp.pdf",
                [gen.slip_page(code), gen.blank_page(dpi=50, text=tag)],
            )
            self._write("SCN_0001.pdf", path.read_bytes())
        elif kind == "named":
            path = gen.write_png(self.share.parent / "tmp.png", gen.blank_page(dpi=40, text=tag))
            self._write(f"{code} {tag}.png", path.read_bytes())
        elif kind == "unfiled":
            path = gen.write_jpeg(self.share.parent / "tmp.jpg", gen.blank_page(dpi=40, text=tag))
            self._write(f"anh {tag}.jpg", path.read_bytes())
        else:
            path = gen.write_pdf(
                self.share.parent / "tmp.pdf",
                [gen.slip_page(code), gen.blank_page(dpi=50, text=tag)],
            )
            self._write(f"scan {tag}.pdf", path.read_bytes())


def fault_hits(log: Path) -> Counter[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return Counter(
        line.split("step=")[1].split()[0]
        for line in text.splitlines()
        if "ingest_fault_injected" in line
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_sigkill_at_every_step_loses_and_duplicates_nothing(
    seed: int, node_dir: Path, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    share = tmp_path / "share"
    share.mkdir()
    configure(node_dir, [folder(share, name="may-1")], retry_seconds=0.2)
    rt = open_node(node_dir)
    codes = [new_dossier(rt)[1] for _ in range(3)]
    rt.close()
    dropper = Dropper(share, codes, rng, seed)
    log = tmp_path / "ingest.log"
    rounds = list(ROUNDS)
    rng.shuffle(rounds)
    kills = 0
    for fault in rounds:
        for _ in range(rng.randint(1, 3)):
            dropper.drop()
        before = fault_hits(log)
        process = start_ingest(node_dir, log, {FAULT_ENV: fault} if fault else {})
        if fault is not None:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"fault {fault} was never reached:\n{log.read_text()[-3000:]}")
            assert fault_hits(log) - before == Counter({fault: 1}), log.read_text()[-3000:]
        else:
            wait_until(
                lambda: "watching" in log.read_text(errors="replace"), timeout=30, what="start-up"
            )
            time.sleep(rng.uniform(*RANDOM_KILL_S))  # a random moment, not a wait for an outcome
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL, log.read_text()[-3000:]
        kills += 1

    # A clean run finishes whatever the kills left, then stops on SIGTERM.
    process = start_ingest_ready(node_dir, log)
    rt = open_node(node_dir)
    try:

        def finished() -> bool:
            left = [p for p in share.iterdir() if p.is_file()]
            done = count(rt, "SELECT COUNT(*) FROM scan_receipts WHERE disposed_at IS NOT NULL")
            return not left and done == len(dropper.dropped)

        wait_until(finished, timeout=60, what="every drop taken")
    finally:
        rt.close()
        assert stop(process) == 0, log.read_text()[-3000:]

    hits = fault_hits(log)
    assert all(hits[step] >= 2 for step in FAULT_STEPS), hits
    check_nothing_lost_or_doubled(node_dir, share, dropper)
    print(f"seed {seed}: {kills} kills, faults hit {dict(hits)}, {len(dropper.dropped)} drops")


def check_nothing_lost_or_doubled(node_dir: Path, share: Path, dropper: Dropper) -> None:
    rt = open_node(node_dir)
    try:
        conn = rt.db.read()
        receipts = list(conn.execute("SELECT name, sha256, outcome FROM scan_receipts"))
        # Every drop exactly one receipt (none lost, none recorded twice).
        assert Counter((str(n), str(s)) for n, s, _ in receipts) == Counter(dropper.dropped)
        assert all(o != "quarantined" for _, _, o in receipts)
        # Each content received once; later drops of the same bytes are duplicates.
        firsts = Counter(str(s) for _, s, o in receipts if o != "duplicate")
        assert set(firsts) == {s for _, s in dropper.dropped} and set(firsts.values()) == {1}
        # At most one document per content, and one event per document.
        docs = Counter(str(r[0]) for r in conn.execute("SELECT sha256 FROM documents"))
        assert set(docs.values()) <= {1}
        attached = scalar(conn, "SELECT COUNT(*) FROM events WHERE kind = 'document_attached'")
        assert attached == sum(docs.values())
        parts = Counter(str(r[0]) for r in conn.execute("SELECT state FROM scan_parts"))
        assert parts["attached"] == sum(docs.values())
        # Every source in processed/ exactly once; nothing left in the share.
        processed = Counter(digest(p.read_bytes()) for p in files(share / "processed"))
        assert processed == Counter(s for _, s in dropper.dropped)
        assert [p for p in files(share) if "processed" not in p.parts] == []
        # Stored bytes are whole and all recorded; the log is dense.
        stored = {str(r[0]) for r in conn.execute("SELECT sha256 FROM blobs")}
        assert stored == set(firsts)
        for sha in stored:
            assert digest(rt.blobs.path_for(sha).read_bytes()) == sha
        on_disk = {p.parent.name + p.name for p in files(rt.blobs.root) if p.parent.name != "tmp"}
        assert on_disk == stored
        assert event_log.gaps(conn) == []
    finally:
        rt.close()
    shutil.rmtree(share / "processed")  # keep tmp_path small
