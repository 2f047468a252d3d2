"""Power loss of a whole node, 200 times: every process of the node is SIGKILLed at a random
moment while staff create dossiers through the API, scans arrive in the drop folder and the
link replicates to a real city through a real Mosquitto; then the node starts again.

``motcua serve`` runs all three (the API, ingest for the configured drop folder, and the
link when ``[sync] broker`` is set), and ingest starts its PDF workers as children: the
node runs in a session of its own and the whole process group gets SIGKILL, as a power cut
would take it. The city and the broker stay up (a power cut at the commune does not reach
them), so each cycle costs one node start.

After each kill, on the file exactly as the kill left it (read-only, so no checkpoint tidies
it first): ``PRAGMA quick_check`` is ok, the log is dense, every create that got a 2xx is
there and received once, every scan whose receipt ingest committed is still recorded and its
bytes hash to the recorded SHA-256, every dropped file is either still in the drop folder or
has its receipt. Then the node starts again and the city converges with it (equal digests,
``cli/digest_cmd.py``), holding every event once. At the end every drop has its receipt, for
the bytes dropped.

The random moments come from one seed per chunk, printed (and named in every failure):
``MOTCUA_POWERLOSS_SEED=<seed> pytest tests/e2e/test_power_loss.py -k 'chunk-3'`` replays
a chunk's choices (the timing of the machine still varies: the assertions hold for every
moment, so a failure is a finding whatever the replay does).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import httpx
import pytest

from cli.digest_cmd import central_digest, node_digest
from node import event_log
from node.runtime import BLOBS_DIR
from settings.node import DATABASE_NAME
from storage import db as db_mod
from storage.blob_store import BlobStore
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import configure, folder
from tests.support.live_node import api_token, free_port
from tests.support.mosquitto import Mosquitto
from tests.support.node_zygote import Zygote, alive, kill_group
from tests.support.replication import Central, central_log, make_central, make_node, node_log
from tests.support.wait import wait_until

SEED_ENV = "MOTCUA_POWERLOSS_SEED"
CHUNKS = 8
CYCLES_PER_CHUNK = 25  # 8 x 25 = 200 power cuts, spread by xdist
PHASES = ("writes", "ingest", "sync")  # what the node is mostly doing when the cut lands
FAST_SYNC = {"ack_timeout_seconds": "2.0", "chunk_size": "65536"}
START_TIMEOUT_S = 90.0  # process-level waits: generous, a loaded machine is slow
CONVERGE_TIMEOUT_S = 120.0

CREATE = {
    "procedure_code": "1.000894",
    "applicant": {"full_name": "Trần Thị Bình", "phone": "0912345678"},
    "channel": "in_person",
    "components": ["Tờ khai"],
}


@dataclass
class Office:
    """What the node acknowledged and what was dropped, across every cycle of a chunk."""

    share: Path
    staging: Path
    acked: dict[str, str] = field(default_factory=dict)  # dossier id -> code (2xx answered)
    dropped: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    reported: dict[str, str] = field(default_factory=dict)  # receipts ingest committed
    unknown: int = 0  # requests the kill left without an answer
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def drop(self, rng: random.Random, tag: str) -> None:
        """A scan arrives whole (written aside, renamed in): named with an acknowledged
        dossier's code, or without one (it goes to the unfiled inbox)."""
        with self.lock:
            codes = sorted(self.acked.values())
        page = gen.blank_page(dpi=30, text=tag)
        if codes and rng.random() < 0.7:
            name = f"{rng.choice(codes)} {tag}.png"
        else:
            name = f"anh {tag}.png"
        staged = gen.write_png(self.staging / name, page)
        sha = hashlib.sha256(staged.read_bytes()).hexdigest()
        os.rename(staged, self.share / name)
        self.dropped[name] = sha


@dataclass
class NodeProcesses:
    """``motcua serve`` (API, ingest, link) in a session of its own, with its children,
    forked warm (imports done) by the zygote, cold in everything else."""

    data_dir: Path
    log_path: Path
    zygote: Zygote
    pid: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        self.pid = self.zygote.spawn(
            ["serve", "--data-dir", str(self.data_dir), "--port", str(self.port)], self.log_path
        )

        def answers() -> bool:
            if not alive(self.pid):
                raise AssertionError(f"serve exited:\n{self.log()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout=START_TIMEOUT_S, interval=0.05, what="motcua serve")

    def power_cut(self) -> None:
        """SIGKILL to every process of the node at once."""
        if self.pid:
            kill_group(self.pid)
            self.pid = 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def _create(client: httpx.Client, office: Office, cut: threading.Event) -> bool:
    """One create; False once the node no longer answers (or refused)."""
    try:
        response = client.post("/api/v1/dossiers", json=CREATE)
    except httpx.HTTPError as exc:
        with office.lock:
            office.unknown += 1
            if not cut.is_set():
                office.unexpected.append(f"create: {exc!r} before the power cut")
        return False
    if not response.is_success:
        with office.lock:
            office.unexpected.append(f"create: {response.status_code} {response.text[:300]}")
        return False
    body = response.json()
    with office.lock:
        office.acked[str(body["id"])] = str(body["code"])
    return True


def _writer(
    node: NodeProcesses,
    headers: dict[str, str],
    office: Office,
    budget: int,
    cut: threading.Event,
    first: threading.Event,
) -> None:
    with httpx.Client(base_url=node.url, headers=headers, timeout=30.0) as client:
        for _ in range(budget):
            if cut.is_set() or not _create(client, office, cut):
                return
            first.set()


def _office_cycle(
    node: NodeProcesses, headers: dict[str, str], office: Office, rng: random.Random, tag: str
) -> str:
    """Staff and scanners work; the power goes at a random moment. Returns the phase."""
    phase = rng.choice(PHASES)
    cut, first = threading.Event(), threading.Event()
    budget = {"writes": 10_000, "ingest": 1, "sync": rng.randint(15, 60)}[phase]
    writer = threading.Thread(
        target=_writer, args=(node, headers, office, budget, cut, first), daemon=True
    )
    writer.start()
    try:
        if not first.wait(START_TIMEOUT_S):
            raise AssertionError(f"no create succeeded: {office.unexpected[:3]}\n{node.log()}")
        if phase == "sync":
            writer.join(timeout=120)  # the burst is acknowledged: the link is shipping it
            delay = rng.uniform(0.0, 0.4)
        elif phase == "ingest":
            for n in range(rng.randint(1, 3)):
                office.drop(rng, f"{tag}-{n}")
            delay = rng.uniform(0.0, 1.2)  # stability (0.2 s), pipeline, commit, move, upload
        else:
            if rng.random() < 0.5:
                office.drop(rng, f"{tag}-0")
            delay = rng.uniform(0.0, 0.6)
        # Not a wait for an outcome: this is the random moment of the power cut.
        cut.wait(delay)
    finally:
        cut.set()  # before the signal: the errors it causes are expected
        node.power_cut()
        writer.join(timeout=60)
    assert not writer.is_alive(), "a writer did not notice the dead node"
    return phase


def _check_as_left(data_dir: Path, office: Office, context: str) -> None:
    """The invariants on the files exactly as the cut left them (read-only)."""
    conn = db_mod.connect(data_dir / DATABASE_NAME, readonly=True)
    try:
        integrity = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
        assert integrity == ["ok"], f"{context}: quick_check says {integrity[:5]}"
        assert event_log.gaps(conn) == [], f"{context}: an origin's seq has a gap"
        received = Counter(
            str(r[0])
            for r in conn.execute("SELECT stream FROM events WHERE kind = 'dossier_received'")
        )
        assert max(received.values(), default=1) == 1, f"{context}: a dossier received twice"
        dossiers = {str(r[0]) for r in conn.execute("SELECT id FROM dossiers")}
        lost = set(office.acked) - dossiers
        assert not lost, f"{context}: acknowledged creates lost: {sorted(lost)[:5]}"
        receipts = {
            str(n): str(s)
            for n, s in conn.execute(
                "SELECT name, sha256 FROM scan_receipts WHERE outcome != 'quarantined'"
            )
        }
        gone = {n: s for n, s in office.reported.items() if receipts.get(n) != s}
        assert not gone, f"{context}: scans ingest had reported are gone: {sorted(gone)[:3]}"
        office.reported.update(receipts)
        vanished = [
            n for n in office.dropped if n not in receipts and not (office.share / n).exists()
        ]
        assert not vanished, (
            f"{context}: dropped scans neither received nor waiting: {vanished[:3]}"
        )
        _check_files(conn, data_dir, context)
    finally:
        conn.close()


def _check_files(conn: apsw.Connection, data_dir: Path, context: str) -> None:
    """Every stored file a row names is there, whole: its bytes hash to the recorded sha."""
    store = BlobStore(data_dir / BLOBS_DIR)
    for sha, size in conn.execute("SELECT sha256, size FROM blobs"):
        path = store.path_for(str(sha))
        assert path.exists(), f"{context}: recorded file {sha} is missing"
        data = path.read_bytes()
        assert len(data) == int(size) and hashlib.sha256(data).hexdigest() == sha, (
            f"{context}: file {sha} is not the bytes recorded"
        )


def _converge(node_dir: Path, central: Central, node_id: str, context: str) -> None:
    """The city holds the node's log, files and dossiers (equal digests), each event once.

    The restarted node goes on working meanwhile (ingest files a scan that was waiting when
    the power went), so the logs compared are the ones read with the equal digests: the
    node's log read before and after them, unchanged, else the city is waited for again."""
    digests: list[str] = []
    logs: list[tuple[dict[tuple[str, int], str], list[tuple[str, int, str]]]] = []

    def equal() -> bool:
        mine = node_log(node_dir)
        digests[:] = [node_digest(node_dir), central_digest(central.data_dir, node_id)]
        if digests[0] != digests[1]:
            return False
        logs[:] = [(mine, central_log(central, node_id))]
        return node_log(node_dir) == mine  # the node wrote nothing while they were read

    try:
        wait_until(equal, timeout=CONVERGE_TIMEOUT_S, interval=0.1, what="equal digests")
    except AssertionError as exc:
        raise AssertionError(f"{context}: {exc} {digests}\n{central.proc.log()}") from None
    mine, theirs = logs[0]
    keys = Counter((o, s) for o, s, _ in theirs)
    ids = Counter(i for _, _, i in theirs)
    assert max(keys.values(), default=1) == 1, f"{context}: a seq twice at the city"
    assert max(ids.values(), default=1) == 1, f"{context}: an event twice at the city"
    at_city = {(o, s): i for o, s, i in theirs}
    assert {k: at_city.get(k) for k in mine} == mine, f"{context}: the city's log differs"


def _seed() -> int:
    """The replayed seed when one is given, else a fresh one (printed) on every run."""
    given = os.environ.get(SEED_ENV)
    return int(given) if given else random.SystemRandom().randrange(1, 2**31)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS), ids=lambda c: f"chunk-{c}")
def test_power_cuts_lose_and_duplicate_nothing(
    tmp_path: Path, broker: Mosquitto, chunk: int, record_property: Callable[[str, object], None]
) -> None:
    seed = _seed()
    print(f"power-loss chunk {chunk}: seed {seed} (replay: {SEED_ENV}={seed})")
    rng = random.Random(seed)
    node_id = f"xa-power-{chunk}"
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, node_id, url, sync=FAST_SYNC)
    share, staging = tmp_path / "share", tmp_path / "staging"
    share.mkdir()
    staging.mkdir()
    configure(node_dir, [folder(share, name="may-1", stable_seconds=0.2)], retry_seconds=0.5)
    headers = {"Authorization": f"Bearer {api_token(node_dir)}"}
    office = Office(share, staging)
    central = make_central(tmp_path, url).start(timeout=START_TIMEOUT_S)
    zygote = Zygote()
    node = NodeProcesses(node_dir, tmp_path / "serve.log", zygote)
    phases: Counter[str] = Counter()
    spent = {"start": 0.0, "converge": 0.0}  # seconds: node starts, convergence after them
    began = time.monotonic()
    try:
        node.start()
        for cycle in range(1, CYCLES_PER_CHUNK + 1):
            context = f"seed {seed}, cycle {cycle}"
            phases[_office_cycle(node, headers, office, rng, f"{seed}-{cycle}")] += 1
            assert not office.unexpected, f"{context}: {office.unexpected[:3]}\n{node.log()}"
            _check_as_left(node_dir, office, f"{context}, as the cut left it")
            t0 = time.monotonic()
            node.start()
            t1 = time.monotonic()
            _converge(node_dir, central, node_id, f"{context}, after the restart")
            spent["start"] += t1 - t0
            spent["converge"] += time.monotonic() - t1

        # The last start takes every scan still waiting; then everything is checked once more.
        def all_taken() -> bool:
            return not [p for p in share.iterdir() if p.is_file()]

        wait_until(all_taken, timeout=CONVERGE_TIMEOUT_S, what="every scan taken")
        _converge(node_dir, central, node_id, f"seed {seed}, at the end")
        node.power_cut()
        _check_as_left(node_dir, office, f"seed {seed}, at the end")
        assert set(office.reported) == set(office.dropped), (
            f"seed {seed}: drops without a receipt: "
            f"{sorted(set(office.dropped) - set(office.reported))[:3]}"
        )
        assert all(office.reported[n] == s for n, s in office.dropped.items())
    finally:
        node.power_cut()
        zygote.close()
        central.proc.stop()
    summary = (
        f"seed {seed}: {CYCLES_PER_CHUNK} power cuts ({dict(phases)}), "
        f"{len(office.acked)} acknowledged creates, {len(office.dropped)} scans, "
        f"{office.unknown} unknown outcomes, {time.monotonic() - began:.1f} s "
        f"(starts {spent['start']:.1f} s, convergence {spent['converge']:.1f} s)"
    )
    record_property("power_loss", summary)
    print(summary)
