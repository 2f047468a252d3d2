"""The simulated communes of ``province_load``: real node data directories, real senders.

Each simulated node is a node as ``motcua init`` makes it (its own SQLite log, its own
blob store, its own identity) and its backlog is written by the node's own service
functions (``receive``, ``transition``, ``attach_document``), so every event and file
the city gets is byte for byte what a commune sends. Its sender is the node's own
``NodeLink`` over the node's own MQTT transport (``uplink.connect``): one paho client per
node, with its Birth, will, windowed batches, acks and file chunks. Only the process is
shared: many links run as threads of one Python process, since 150 ``motcua sync``
processes (about 60 MB each, mostly imports) would not fit beside the city on this VM.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import traceback
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from node import event_log
from node.dossier_service import attach_document, receive, transition
from node.runtime import NodeRuntime, open_node
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.transitions import TransitionRequest
from settings.node import CONFIG_NAME
from storage.blob_store import BlobInfo
from tests.support.replication import REQUEST, add_dossiers, make_node
from uplink import node_link
from uplink.connect import start_link
from uplink.node_link import NodeLink

SEED_THREADS = 4  # nodes seeded at once (each commit waits for its own fsync)
DAY_STEPS = (Action.START, Action.RESOLVE)  # what a working day does to a received dossier


@dataclass(frozen=True)
class Backlog:
    """What one simulated node holds when its link starts."""

    node_id: str
    node_dir: Path
    events: int  # head seq of its own log (reference data included)
    files: tuple[str, ...]  # SHA-256 of every scan its events name


def node_ids(count: int, prefix: str = "xa") -> list[str]:
    return [f"{prefix}-{i:03d}" for i in range(1, count + 1)]


def _random_scan(rt: NodeRuntime, size: int) -> BlobInfo:
    """``size`` random bytes into the node's content store (durable, as ingest stores)."""
    blob = rt.blobs.incoming()
    try:
        left = size
        while left:
            piece = os.urandom(min(left, 1 << 20))
            blob.write(piece)
            left -= len(piece)
        return blob.commit()
    except BaseException:
        blob.abort()
        raise


def _working_day(rt: NodeRuntime, dossiers: int, scan_bytes: int) -> list[str]:
    """A commune's day: each dossier received, its scan attached, started and resolved."""
    actor = seeding_machine("bench")
    files: list[str] = []
    for _ in range(dossiers):
        state = receive(rt, REQUEST, actor)
        if scan_bytes:
            blob = _random_scan(rt, scan_bytes)
            attach_document(
                rt,
                state.id,
                blob,
                mime="application/pdf",
                role="component",
                copy_kind="electronic",
                filename="ho-so.pdf",
                actor=actor,
            )
            files.append(blob.sha256)
        for step in DAY_STEPS:
            transition(rt, state.id, TransitionRequest(step, note="bench"), actor)
    return files


def _seed_one(
    root: Path,
    node_id: str,
    broker_url: str,
    sync: dict[str, str],
    day: tuple[int, int, int],
) -> Backlog:
    dossiers, scan_bytes, events = day
    node_dir = make_node(root, node_id, broker_url, sync=sync)
    rt = open_node(node_dir)
    try:
        if events:  # an events-only backlog: received, started, resolved
            add_dossiers(rt, events // (1 + len(DAY_STEPS)), threads=4, steps=DAY_STEPS)
        files = _working_day(rt, dossiers, scan_bytes)
        head = event_log.head_seq(rt.db.read(), node_id)
    finally:
        rt.close()
    return Backlog(node_id, node_dir, head, tuple(files))


def seed(
    root: Path,
    ids: Iterable[str],
    broker_url: str,
    *,
    dossiers: int = 0,
    scan_bytes: int = 0,
    events: int = 0,
    sync: dict[str, str] | None = None,
) -> list[Backlog]:
    """One node per id under ``root``, each with ``events`` events of dossiers moving
    along and/or a working day of ``dossiers`` dossiers with a scan of ``scan_bytes``;
    ``sync`` overrides keys of the nodes' ``[sync]``."""
    root.mkdir(parents=True, exist_ok=True)
    day = (dossiers, scan_bytes, events)
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        jobs = [pool.submit(_seed_one, root, i, broker_url, sync or {}, day) for i in ids]
        return [job.result() for job in jobs]


def copy_backlogs(backlogs: list[Backlog], root: Path, broker_url: str) -> list[Backlog]:
    """Fresh copies (nothing acknowledged yet) of seeded nodes, replicating to
    ``broker_url``, for another run."""
    root.mkdir(parents=True, exist_ok=True)
    copies = []
    for b in backlogs:
        target = root / b.node_dir.name
        shutil.copytree(b.node_dir, target)
        config = target / CONFIG_NAME
        lines = config.read_text().splitlines()
        at = [i for i, line in enumerate(lines) if line.startswith("broker = ")]
        if len(at) != 1:
            raise RuntimeError(f"{config}: expected one 'broker = ' line, found {len(at)}")
        lines[at[0]] = f'broker = "{broker_url}"'
        config.write_text("\n".join(lines) + "\n")
        copies.append(Backlog(b.node_id, target, b.events, b.files))
    return copies


class RunningNodes:
    """The simulated nodes' runtimes and links, all in this process."""

    def __init__(self, backlogs: list[Backlog], idle_wait: float) -> None:
        self.backlogs = backlogs
        # A link idle for this long looks at its log head again (10 ms at a real node, for
        # the latency of a new dossier). A backlog drain never idles on it (an ack wakes
        # the link at once), but 150 links polling every 10 ms would spend this VM's
        # cores on 15,000 head reads a second that the city then cannot use.
        self.idle_wait = idle_wait
        self._idle_wait_before = node_link.IDLE_WAIT_SECONDS
        self.runtimes: list[NodeRuntime] = []
        self.links: list[NodeLink] = []

    def open(self) -> RunningNodes:
        """Every database opened (quick_check and all) before any link starts, so that all
        nodes begin sending together, as after a city-wide outage."""
        self.runtimes = [open_node(b.node_dir) for b in self.backlogs]
        return self

    def start(self) -> RunningNodes:
        node_link.IDLE_WAIT_SECONDS = self.idle_wait  # put back by stop()
        for b, rt in zip(self.backlogs, self.runtimes, strict=True):
            link = start_link(rt)
            if link is None:
                raise RuntimeError(f"{b.node_dir}: [sync] broker is not set")
            self.links.append(link)
        return self

    def stop(self) -> None:
        """Stop every link and close every database; safe to call twice."""
        with ThreadPoolExecutor(16) as pool:  # each stop joins a thread: in parallel
            list(pool.map(NodeLink.stop, self.links))
        for rt in self.runtimes:
            rt.close()
        self.links.clear()
        self.runtimes.clear()
        node_link.IDLE_WAIT_SECONDS = self._idle_wait_before

    def rejected(self) -> int:
        """Messages the nodes refused (malformed, wrong topic): 0 in a sound run."""
        return sum(link.rejected for link in self.links)


def _serve_share(backlogs: list[Backlog], idle_wait: float, conn: Connection) -> None:
    """A generator process: open its nodes, start their links on "go", stop them on "stop"."""
    nodes = RunningNodes(backlogs, idle_wait)
    try:
        nodes.open()
        conn.send("ready")
        if conn.recv() == "go":
            nodes.start()
            conn.send("started")
            conn.recv()
        rejected = nodes.rejected()
        nodes.stop()
        conn.send(rejected)
    except BaseException:
        conn.send(f"failed: {traceback.format_exc()}")
        nodes.stop()
        raise


class NodeProcesses:
    """The simulated nodes, ``per_process`` to a process.

    Each link has its own paho client, whose loop uses ``select()``: a socket numbered
    1024 or above fails there, and a node holds about eight descriptors (its database,
    WAL and shared memory per connection, its socket and paho's wake-up pair), so one
    process can carry about a hundred nodes, not 150. Real nodes have a process each.
    """

    def __init__(self, backlogs: list[Backlog], idle_wait: float, per_process: int = 50) -> None:
        self.shares = [backlogs[i : i + per_process] for i in range(0, len(backlogs), per_process)]
        self.idle_wait = idle_wait
        self.processes: list[BaseProcess] = []
        self.conns: list[Connection] = []
        self.rejected = 0

    def _expect(self, conn: Connection, what: str, timeout: float = 600) -> object:
        if not conn.poll(timeout):
            raise RuntimeError(f"a generator process did not answer ({what}) in {timeout} s")
        answer: object = conn.recv()
        if isinstance(answer, str) and answer.startswith("failed: "):
            raise RuntimeError(f"a generator process failed ({what}):\n{answer}")
        return answer

    def open(self) -> NodeProcesses:
        """Spawn the processes; return once every node's database is open."""
        context = multiprocessing.get_context("spawn")  # no thread of this one copied
        for share in self.shares:
            parent, child = context.Pipe()
            process = context.Process(
                target=_serve_share, args=(share, self.idle_wait, child), daemon=True
            )
            process.start()
            self.processes.append(process)
            self.conns.append(parent)
        for conn in self.conns:
            self._expect(conn, "opening its nodes")
        return self

    def start(self) -> NodeProcesses:
        """Every link starts at once (after ``open``)."""
        for conn in self.conns:
            conn.send("go")
        for conn in self.conns:
            self._expect(conn, "starting its links")
        return self

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def stop(self) -> None:
        """Stop every link and process; safe to call twice."""
        for conn, process in zip(self.conns, self.processes, strict=True):
            if process.is_alive():
                with contextlib.suppress(OSError):
                    conn.send("stop")
        for conn, process in zip(self.conns, self.processes, strict=True):
            with contextlib.suppress(OSError, EOFError, RuntimeError, ValueError):
                if process.is_alive():
                    self.rejected += int(str(self._expect(conn, "stopping", timeout=120)))
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
        self.processes.clear()
        self.conns.clear()
