"""End-to-end replication rig: a node, a city data centre and a broker as real processes.

Everything talks through a real Mosquitto (optionally through the fault proxy); the node's
sender runs as ``motcua sync`` and the city as ``motcua central serve``, so SIGKILL hits
them exactly as a power cut would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import httpx
import psycopg

from accounts import tokens, users
from accounts.sites import CITY_SITE
from central.accounts_db import open_accounts
from cli.common import operator
from cli.init_cmd import initialise
from node.dossier_service import PersonIn, ReceiveRequest, receive, transition
from node.runtime import NodeRuntime, open_node
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.transitions import TransitionRequest
from tests.support.accounts import password_hash
from tests.support.live_node import free_port
from tests.support.wait import wait_until

AGENCY = "000.00.15.H42"


def motcua(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=timeout
    )


@dataclass
class Proc:
    """A ``motcua`` subprocess whose output goes to a log file."""

    args: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def pause(self) -> None:
        """SIGSTOP: the process holds its sockets but does nothing (a stalled receiver)."""
        assert self.process is not None and self.running
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGCONT)  # a paused process cannot see SIGTERM
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@dataclass
class Central:
    data_dir: Path
    port: int
    proc: Proc
    store_url: str = ""
    token: str = ""  # an API token of the province administrator (CITY_ADMIN)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        """What a script sends to the city's API: the administrator's token."""
        return {"Authorization": f"Bearer {self.token}"}

    def another(self) -> Central:
        """A receiver process for this data centre (several can share the load)."""
        port = free_port()
        log = self.data_dir.parent / f"central-{port}.log"
        args = ["central", "serve", "--data-dir", str(self.data_dir), "--port", str(port)]
        return Central(self.data_dir, port, Proc(args, log), self.store_url, self.token)

    def start(self, timeout: float = 120) -> Central:
        self.proc.start()

        def ready() -> bool:
            if not self.proc.running:
                raise AssertionError(f"central exited:\n{self.proc.log()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=timeout, interval=0.05, what="the central API")
        return self


def wait_subscribed(central: Central, timeout: float = 30) -> Central:
    """Wait until the city's receiver holds its MQTT subscription (its ``/healthz``): only
    then does what reaches the broker reach the city."""

    def subscribed() -> bool:
        try:
            mqtt_state = httpx.get(f"{central.url}/healthz", timeout=1).json().get("mqtt")
        except (httpx.HTTPError, ValueError):
            return False
        return bool(mqtt_state and mqtt_state.get("subscribed"))

    wait_until(subscribed, timeout=timeout, interval=0.05, what="the city's subscription")
    return central


def make_central(root: Path, broker_url: str, store_url: str = "") -> Central:
    data_dir = root / "central"
    args = ["central", "init", "--data-dir", str(data_dir), "--broker", broker_url]
    if store_url:
        args += ["--store-url", store_url]
    result = motcua(*args)
    assert result.returncode == 0, result.stderr
    token = city_admin_token(data_dir)
    return Central(data_dir, 0, Proc([], root / "central.log"), store_url, token).another()


CITY_ADMIN = "so-tu-phap"


def city_admin_token(data_dir: Path) -> str:
    """The city's administrator account CITY_ADMIN and an API token of it (in process: the
    same accounts code ``motcua central user add`` and ``token create`` run)."""
    db = open_accounts(data_dir)
    try:
        users.add_hashed(
            db, operator("test"), CITY_ADMIN, ["admin"], password_hash(), site=CITY_SITE
        )
        return tokens.create(db, operator("test"), CITY_ADMIN, "tests")[1]
    finally:
        db.close()


def make_node(
    root: Path,
    node_id: str,
    broker_url: str,
    tls: tuple[str, str, str] = ("", "", ""),
    sync: Mapping[str, str] | None = None,
) -> Path:
    """An initialised node replicating to ``broker_url``; ``sync`` overrides [sync] keys."""
    node_dir = root / node_id
    initialise(node_dir, AGENCY, node_id, sample_catalog=True, broker=broker_url, tls_files=tls)
    config = node_dir / "motcua.toml"
    text = config.read_text()
    for key, value in (sync or {}).items():
        lines = [ln for ln in text.splitlines() if ln.startswith(f"{key} = ")]
        assert lines, key
        text = text.replace(lines[0], f"{key} = {value}")
    config.write_text(text)
    return node_dir


def sync_proc(node_dir: Path) -> Proc:
    return Proc(
        ["sync", "--data-dir", str(node_dir)], node_dir.parent / f"{node_dir.name}-sync.log"
    )


def digest(data_dir: Path, node: str | None = None) -> str:
    args = ["digest", "--data-dir", str(data_dir)] + (["--node", node] if node else [])
    result = motcua(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split()[-1]


REQUEST = ReceiveRequest(
    procedure_code="1.000894",
    applicant=PersonIn(full_name="Nguyễn Văn Đức", id_number="001099012345"),
    channel="in_person",
    components=["Tờ khai"],
)


def add_dossiers(rt: NodeRuntime, n: int, threads: int = 8, steps: tuple[str, ...] = ()) -> None:
    """``n`` dossiers (each followed by ``steps``), from several threads so commits group."""

    def work(count: int) -> None:
        for _ in range(count):
            state = receive(rt, REQUEST, seeding_machine("test"))
            for step in steps:
                transition(
                    rt,
                    state.id,
                    TransitionRequest(Action(step), note="test"),
                    seeding_machine("test"),
                )

    share = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    pool = [threading.Thread(target=work, args=(k,)) for k in share if k]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


@dataclass
class Report:
    """What reached the city compared with the node's log, per (origin, seq)."""

    node_events: int
    central_events: int
    lost: int  # in the node's log, not at the city
    duplicated: int  # the same event id stored twice at the city
    reordered: int  # a seq whose event differs between the two sites
    node_digest: str = ""
    central_digest: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return (self.lost, self.duplicated, self.reordered) == (0, 0, 0) and (
            self.node_digest == self.central_digest != ""
        )


def node_log(node_dir: Path) -> dict[tuple[str, int], str]:
    conn = apsw.Connection(str(node_dir / "motcua.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return {
            (str(o), int(s)): str(i)
            for o, s, i in conn.execute("SELECT origin, seq, id FROM events")
        }
    finally:
        conn.close()


def central_log(central: Central, node_id: str) -> list[tuple[str, int, str]]:
    sql = "SELECT origin, seq, id FROM events WHERE node_id = "
    if central.store_url:
        with psycopg.connect(central.store_url) as pg:
            rows = pg.execute((sql + "%s").encode(), (node_id,)).fetchall()
        return [(str(o), int(s), str(i)) for o, s, i in rows]
    conn = apsw.Connection(
        str(central.data_dir / "central.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY
    )
    try:
        return [
            (str(o), int(s), str(i))
            for o, s, i in conn.execute(
                "SELECT origin, seq, id FROM events WHERE node_id = ?", (node_id,)
            )
        ]
    finally:
        conn.close()


def report(node_dir: Path, central: Central, node_id: str) -> Report:
    mine = node_log(node_dir)
    theirs = central_log(central, node_id)
    ids = [i for _, _, i in theirs]
    at_city = {(o, s): i for o, s, i in theirs}
    lost = sum(1 for key in mine if key not in at_city)
    reordered = sum(1 for key, i in at_city.items() if key in mine and mine[key] != i)
    return Report(
        len(mine),
        len(theirs),
        lost,
        len(ids) - len(set(ids)),
        reordered,
        digest(node_dir),
        digest(central.data_dir, node_id),
    )


def wait_converged(node_dir: Path, central: Central, node_id: str, timeout: float = 120) -> Report:
    """Poll until the city holds every event and file of the node (digests equal)."""
    last: list[Report] = []

    def converged() -> bool:
        last[:] = [report(node_dir, central, node_id)]
        return last[0].clean

    try:
        wait_until(converged, timeout=timeout, interval=0.5, what="convergence")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}: {last[0] if last else 'no report'}\ncentral log:\n{central.proc.log()}"
        ) from None
    return last[0]


@contextmanager
def open_rt(node_dir: Path) -> Iterator[NodeRuntime]:
    rt = open_node(node_dir)
    try:
        yield rt
    finally:
        rt.close()


def monotonic_deadline(seconds: float) -> float:
    return time.monotonic() + seconds
