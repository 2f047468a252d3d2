"""One real loss on a slow uplink (20 kB/s, 64 kB/s through the proxy's rate cap).

Mid-drain the city is killed (SIGKILL) and started again, so what reaches the broker
meanwhile goes nowhere (the city's sessions are clean). Then every event is at the city
once, the city counts no more duplicates than one window (``batch_events`` x
``window_batches``) for that loss, and a dossier received after the loss, while events
still drain, reaches the city within the time the link needs for the bytes ahead of it
plus one round trip (and ``SLACK``).

The yardstick, from what the run measured, never from a guess:

* bytes ahead: the events pending when the dossier is received (above the node's acked
  mark) and its own, batched and encoded as the node sends them, with their MQTT framing
  (``tests/support/wire_bytes.py``). File bytes are not counted: the events lane goes
  first (``NodeLink.turn`` sends chunks only when no event waits), and while events wait
  no chunk is queued. Pending events already on their way count whole, so this is what
  the link carries at most, short of a re-sent copy, which would be the defect looked for.
* one round trip: the node's own measure, its smoothed round trip from the broker having
  a batch to the city's answer (``motcua sync status``: ``round_trip_seconds``), read
  when the dossier is received: its batch's way from the broker into the city's store is
  part of that.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import apsw
import httpx
import pytest

from node import event_log
from node.dossier_service import attach_document, receive
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from storage.db import scalar
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    REQUEST,
    Central,
    add_dossiers,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
    wait_subscribed,
)
from tests.support.wait import wait_until
from tests.support.wire_bytes import events_wire_bytes
from uplink import outbox
from uplink.status import status

BATCH_EVENTS, WINDOW = 100, 4
SYNC = {
    "ack_timeout_seconds": "2.0",  # the first RTO; the link adapts it to what it measures
    "batch_events": str(BATCH_EVENTS),
    "window_batches": str(WINDOW),
}
#: The backlog of events, in seconds of the link's time (two events a dossier, ~900 B).
BACKLOG_SECONDS = 14
BYTES_PER_DOSSIER = 900
#: A file attached before the backlog, in seconds of the link's time: it goes up last.
FILE_SECONDS = 2
#: Beyond bytes ÷ rate + one round trip: the link's turn noticing the new event (10 ms
#: idle wait), the proxy's 16 KiB forwarding pieces, this test's 10 ms polling, and the
#: scheduling of five busy processes on a loaded 2-core machine.
SLACK = 1.0


@pytest.mark.parametrize("rate", [20_000, 64_000])
def test_one_loss_on_a_slow_link_costs_one_window_and_never_holds_a_new_dossier(
    tmp_path: Path, broker: Mosquitto, rate: int
) -> None:
    proxy = FaultProxy(broker.host, broker.port)
    proxy.limit_rate(rate, "up")
    node_id = f"xa-loss-{rate // 1000}k"
    node_dir = make_node(tmp_path, node_id, f"mqtt://{proxy.host}:{proxy.port}", sync=SYNC)
    central = wait_subscribed(make_central(tmp_path, f"mqtt://{broker.host}:{broker.port}").start())
    sender = sync_proc(node_dir)
    rt = open_node(node_dir)
    try:
        _attach_file(rt, tmp_path, rate * FILE_SECONDS)
        add_dossiers(rt, rate * BACKLOG_SECONDS // BYTES_PER_DOSSIER, steps=("start",))
        head = event_log.head_seq(rt.db.read(), node_id)
        need = events_wire_bytes(rt.db.read(), node_id, 0, head, BATCH_EVENTS, rate) / rate
        sender.start()

        # The loss: a quarter in, the city dies; the node's queued data still reaches the
        # broker, which has no one to give it to.
        _wait_held(central, node_id, head // 4, timeout=30 + need)
        central.proc.kill()
        killed_at = proxy.bytes_forwarded("up")
        held = _held(central, node_id)
        central = wait_subscribed(central.another().start())
        lost = proxy.bytes_forwarded("up") - killed_at
        assert lost > 1024, f"only {lost} bytes went up while the city was down: no real loss"

        # After the loss, while events still drain: a dossier is received.
        _wait_held(central, node_id, max(head // 2, held + BATCH_EVENTS), timeout=30 + need)
        round_trip = status(rt).round_trip_seconds
        assert round_trip is not None, "the link measured no round trip"
        acked = outbox.acked_upto(rt.db.read(), node_id)
        new = receive(rt, REQUEST, seeding_machine("test"))
        received_at, up_before = time.monotonic(), proxy.bytes_forwarded("up")
        seq = event_log.head_seq(rt.db.read(), node_id)
        ahead = events_wire_bytes(rt.db.read(), node_id, acked, seq, BATCH_EVENTS, rate)
        assert ahead >= 2 * rate, f"{ahead} bytes ahead of the dossier: not a drain"
        wait_until(
            lambda: _holds(central, node_id, seq),
            timeout=30 + need,
            interval=0.01,
            what=f"dossier {new.id} at the city",
        )
        latency = time.monotonic() - received_at
        carried = proxy.bytes_forwarded("up") - up_before  # what went up meanwhile
        bound = ahead / rate + round_trip + SLACK
        assert latency <= bound, (
            f"dossier at the city {latency:.2f} s after its reception: the {ahead} bytes "
            f"ahead need {ahead / rate:.2f} s, + round trip {round_trip:.3f} s + slack "
            f"{SLACK} s (the link carried {carried} bytes meanwhile)"
        )

        report = wait_converged(node_dir, central, node_id, timeout=30 + need)
        assert report.clean and report.central_events == report.node_events, report
        node = httpx.get(
            f"{central.url}/api/v1/nodes/{node_id}", headers=central.headers, timeout=10
        ).json()
        # The store's count, over both receiver processes: everything the city got twice.
        assert node["duplicates"] <= BATCH_EVENTS * WINDOW, (node["duplicates"], lost)
        print(
            f"{rate} B/s: {head} events, {lost} bytes lost with the city; "
            f"{node['duplicates']} duplicates (window {BATCH_EVENTS * WINDOW}); new dossier "
            f"in {latency:.2f} s, its {ahead} bytes need {ahead / rate:.2f} s + round trip "
            f"{round_trip:.3f} s (bound {bound:.2f} s; {carried} bytes went up meanwhile)"
        )
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()
        proxy.close()


def _attach_file(rt: NodeRuntime, tmp: Path, size: int) -> None:
    """A scan of ``size`` random bytes on a dossier of its own."""
    add_dossiers(rt, 1, threads=1)
    scan = tmp / "scan.pdf"
    scan.write_bytes(os.urandom(size))
    dossier_id = str(scalar(rt.db.read(), "SELECT id FROM dossiers LIMIT 1"))
    attach_document(
        rt, dossier_id, rt.blobs.put_file(scan), mime="application/pdf", role="component",
        copy_kind="original", filename=scan.name, actor=seeding_machine("t"),
    )  # fmt: skip


def _city_db(central: Central) -> apsw.Connection:
    path = central.data_dir / "central.sqlite3"
    return apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)


def _held(central: Central, node_id: str) -> int:
    """The node's own events the city holds (they are stored without gaps)."""
    conn = _city_db(central)
    try:
        sql = "SELECT COUNT(*) FROM events WHERE node_id = ? AND origin = ?"
        return int(scalar(conn, sql, (node_id, node_id)) or 0)
    finally:
        conn.close()


def _holds(central: Central, node_id: str, seq: int) -> bool:
    conn = _city_db(central)
    try:
        sql = "SELECT 1 FROM events WHERE node_id = ? AND origin = ? AND seq = ?"
        return scalar(conn, sql, (node_id, node_id, seq)) is not None
    finally:
        conn.close()


def _wait_held(central: Central, node_id: str, count: int, timeout: float) -> None:
    wait_until(
        lambda: _held(central, node_id) >= count,
        timeout=timeout,
        interval=0.05,
        what=f"{count} of the node's events at the city",
    )
