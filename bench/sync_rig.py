"""What ``bench.bench_sync`` runs and watches: processes, the node's ack mark, a tap.

Everything here is real: ``motcua sync`` and ``motcua central serve`` as processes
(through ``tests.support.replication``), a Mosquitto broker, paho clients, /proc. The
bench module decides what to measure; this one only knows how to run and observe.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import apsw
import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from node.dossier_service import attach_document
from node.runtime import NodeRuntime
from rules.permissions import seeding_machine
from storage.db import scalar
from sync import wire
from tests.support.mosquitto import plain_config
from tests.support.replication import Central, add_dossiers, make_central, wait_subscribed

ROOT = Path(__file__).resolve().parent.parent
M = TypeVar("M", bound=msgspec.Struct)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------------------


@dataclass
class SyncProcess:
    """``motcua sync`` for one node, optionally inside a network namespace."""

    node_dir: Path
    prefix: list[str] = field(default_factory=list)  # e.g. ["ip", "netns", "exec", ns]
    process: subprocess.Popen[bytes] | None = None
    spawned_at: float = 0.0  # time.monotonic() just before the fork

    @property
    def log_path(self) -> Path:
        return self.node_dir.parent / f"{self.node_dir.name}-sync.log"

    def start(self) -> SyncProcess:
        argv = [*self.prefix, sys.executable, "-m", "cli", "sync"]
        argv += ["--data-dir", str(self.node_dir)]
        with open(self.log_path, "ab") as log:
            self.spawned_at = time.monotonic()
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid  # `ip netns exec` execs the command: same pid

    def stop(self) -> None:
        """SIGTERM (the link stops cleanly), SIGKILL if it hangs; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def start_central(root: Path, broker_url: str) -> Central:
    """A fresh city data centre (SQLite store), returned once its MQTT subscription is up.

    Waiting for the subscription matters: a Birth sent before it is lost (clean sessions)
    and the node would wait a whole ack timeout, which is not what is being measured.
    """
    return wait_subscribed(make_central(root, broker_url).start())


def central_event_count(central: Central, node_id: str) -> int:
    conn = apsw.Connection(
        str(central.data_dir / "central.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY
    )
    try:
        return int(scalar(conn, "SELECT COUNT(*) FROM events WHERE node_id = ?", (node_id,)))
    finally:
        conn.close()


def central_holds_file(central: Central, sha256: str, size: int) -> bool:
    """The city's copy is in place, of the right size and the right SHA-256."""
    path = central.data_dir / "blobs" / sha256[:2] / sha256[2:]
    if not path.exists() or path.stat().st_size != size:
        return False
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() == sha256


# --- the node's own view ---------------------------------------------------------------------


class AckWatch:
    """Reads the node's ``sync_acked`` mark from another process, read-only."""

    def __init__(self, node_dir: Path, node_id: str) -> None:
        self.node_id = node_id
        self._conn = apsw.Connection(
            str(node_dir / "motcua.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY
        )

    def acked(self) -> int:
        row = self._conn.execute(
            "SELECT upto_seq FROM sync_acked WHERE origin = ?", (self.node_id,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def wait_for(self, seq: int, *, timeout: float, interval: float = 0.002) -> float:
        """Poll until the mark reaches ``seq``; the monotonic time it was first seen there."""
        deadline = time.monotonic() + timeout
        while self.acked() < seq:
            if time.monotonic() > deadline:
                raise TimeoutError(f"node acked {self.acked()} of {seq} after {timeout} s")
            time.sleep(interval)
        return time.monotonic()

    def close(self) -> None:
        self._conn.close()


def attach_random_file(rt: NodeRuntime, tmp: Path, size: int) -> tuple[str, int]:
    """A dossier with one document of ``size`` random bytes; returns (sha256, size)."""
    add_dossiers(rt, 1, threads=1)
    source = tmp / f"scan-{size}.bin"
    with open(source, "wb") as out:
        left = size
        while left:
            piece = os.urandom(min(left, 1 << 20))
            out.write(piece)
            left -= len(piece)
    blob = rt.blobs.put_file(source)
    source.unlink()
    conn = rt.db.read()
    dossier_id = scalar(conn, "SELECT id FROM dossiers LIMIT 1")
    attach_document(
        rt,
        str(dossier_id),
        blob,
        mime="application/pdf",
        role="result",
        copy_kind="electronic",
        filename=source.name,
        actor=seeding_machine("bench"),
    )
    return blob.sha256, blob.size


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Samples VmRSS of a process every ``interval`` s; VmHWM (the kernel's peak) on demand."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (monotonic, VmRSS kB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def status_kb(self, key: str) -> int | None:
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
        return None

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.status_kb("VmRSS")
            if rss is not None:
                self.samples.append((time.monotonic(), rss))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- a tap on the broker -------------------------------------------------------------------


@dataclass
class Seen:
    """One message as the broker passed it on: when, where, the bytes.

    Decoded only when asked (after the measurement), so the tap costs little CPU while
    the processes it watches share the machine with it.
    """

    t: float  # time.monotonic() on arrival at the tap
    topic: str
    payload: bytes
    _message: wire.Message | None = None

    @property
    def message(self) -> wire.Message:
        if self._message is None:
            self._message = wire.decode(self.payload)
        return self._message

    @property
    def chunk_bytes(self) -> int:
        """len(BlobChunk.data), 0 for any other message."""
        message = self.message
        return len(message.data) if isinstance(message, wire.BlobChunk) else 0


class Tap:
    """A QoS 1 subscriber beside the city: timestamps the node's and the city's messages.

    ``on_seen`` runs on paho's network thread for every message, so the bench can act at
    a precise protocol moment (the fault proxy is armed from there).
    """

    def __init__(
        self,
        host: str,
        port: int,
        filters: list[str],
        on_seen: Callable[[Seen], None] | None = None,
    ) -> None:
        self.filters = filters
        self.on_seen = on_seen
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-tap-{os.getpid()}-{id(self):x}",
            protocol=mqtt.MQTTv5,
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self._client = client
        self._address = (host, port)

    def start(self) -> Tap:
        self._client.connect(*self._address)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError(f"the tap could not subscribe to {self.filters}")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def messages(self, kind: type[M]) -> list[tuple[Seen, M]]:
        """Every message of one type so far, in arrival order, with its ``Seen``."""
        with self._lock:
            return [(s, s.message) for s in self.seen if isinstance(s.message, kind)]

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        client.subscribe([(f, 1) for f in self.filters])

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, _rcs: Any, _p: Any) -> None:
        self._subscribed.set()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        seen = Seen(time.monotonic(), msg.topic, bytes(msg.payload))
        with self._lock:
            self.seen.append(seen)
        if self.on_seen is not None:
            self.on_seen(seen)


def publish_packet_bytes(topic: str, payload_bytes: int) -> int:
    """Bytes of an MQTT v5 QoS 1 PUBLISH without properties, as it crosses the wire."""
    remaining = 2 + len(topic.encode()) + 2 + 1 + payload_bytes
    length_bytes = 1
    while remaining >= 128**length_bytes:
        length_bytes += 1
    return 1 + length_bytes + remaining


# Mosquitto drops QoS 1 messages for a subscriber more than 1,000 behind (the default);
# on two cores the naive loop's counting subscriber can fall that far behind for a moment.
QUEUE = "max_queued_messages 1000000"


def broker_config(workdir: Path) -> Callable[[int], str]:
    """The tests' plain loopback broker, with room to queue for a subscriber running late."""
    plain = plain_config(workdir)
    return lambda port: f"{plain(port)}\n{QUEUE}"
