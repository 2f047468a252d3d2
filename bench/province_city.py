"""The city of ``province_load``: a real broker, ``motcua central serve`` on PostgreSQL.

The broker is a Mosquitto with the queue limits the project ships for the city's broker
(``sync.broker_config.queue_settings``), on a port fixed before the nodes are made (their
``[sync] broker`` names it), so it can be started late: a city-wide outage. Receivers are
``motcua central serve`` processes sharing the ``$share`` subscription of the default
``[receiver] shared_group``; the store is a fresh database on a PostgreSQL server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from sync import broker_config
from tests.support.mosquitto import Mosquitto, plain_config
from tests.support.replication import Central, make_central
from tests.support.wait import wait_until

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def broker(workdir: Path, port: int) -> Mosquitto:
    """A plain broker on ``port`` with the shipped queue limits (not started)."""
    workdir.mkdir(parents=True, exist_ok=True)
    plain = plain_config(workdir)
    extra = "\n".join(broker_config.queue_settings())
    return Mosquitto(workdir, lambda p: f"{plain(p)}\n{extra}", port=port)


def status_kb(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` figure in kB (VmRSS, VmHWM), 0 once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def load_average() -> float:
    """The one-minute load average (2 cores here: above 2 means work was waiting)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def _serving(central: Central) -> bool:
    """The receiver's API answers and its MQTT subscription is up (it exited: an error)."""
    if not central.proc.running:
        raise RuntimeError(f"a city receiver exited:\n{central.proc.log()}")
    try:
        state = httpx.get(f"{central.url}/healthz", timeout=2).json().get("mqtt")
    except (httpx.HTTPError, ValueError):
        return False
    return bool(state and state.get("subscribed"))


@dataclass
class City:
    """One data centre: its directory, its store and its receiver processes."""

    root: Path
    broker_url: str
    store_url: str
    receivers: list[Central] = field(default_factory=list)
    first: Central | None = None  # set by init()

    def init(self) -> City:
        """``motcua central init`` on the store (done before an outage, not during it)."""
        self.first = make_central(self.root, self.broker_url, self.store_url)
        return self

    def start(self, count: int) -> City:
        """``count`` receiver processes, all spawned at once, returned once each one is
        subscribed to the broker."""
        first = self.first
        if first is None:
            raise RuntimeError("City.init() must run before City.start()")
        self.receivers = [first] + [first.another() for _ in range(count - 1)]
        for receiver in self.receivers:
            receiver.proc.start()
        for receiver in self.receivers:
            wait_until(
                lambda r=receiver: _serving(r),  # type: ignore[misc]
                timeout=120,
                interval=0.05,
                what="a city receiver's MQTT subscription",
            )
        return self

    def pids(self) -> list[int]:
        return [r.proc.process.pid for r in self.receivers if r.proc.process is not None]

    def stop(self) -> None:
        for receiver in self.receivers:
            receiver.proc.stop()

    def counts(self) -> tuple[int, int]:
        """(events, whole files) the city's store holds."""
        with psycopg.connect(self.store_url) as pg:
            row = pg.execute(
                b"SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM blobs)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def duplicates(self) -> int:
        """Events stored twice (the same event id, or the same (origin, seq)): 0 if sound."""
        with psycopg.connect(self.store_url) as pg:
            row = pg.execute(
                b"SELECT count(*) - count(DISTINCT id), "
                b"count(*) - count(DISTINCT (node_id, origin, seq)) FROM events"
            ).fetchone()
        assert row is not None
        return int(row[0]) + int(row[1])

    def resends(self) -> tuple[int, int]:
        """(events the city received again and dropped by (origin, seq), batches it refused
        as gaps: they overtook the batch before them) over every node."""
        with psycopg.connect(self.store_url) as pg:
            row = pg.execute(
                b"SELECT coalesce(sum(duplicates), 0), coalesce(sum(gaps), 0) FROM nodes"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def connections(self) -> int:
        """Server connections open to the city's database now."""
        name = self.store_url.rsplit("/", 1)[1]
        with psycopg.connect(self.store_url) as pg:
            row = pg.execute(
                b"SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
        assert row is not None
        return int(row[0]) - 1  # not this one
