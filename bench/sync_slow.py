"""The slow-links section of ``bench_sync``: a backlog drained through 20 kB/s, 64 kB/s and
2 Mbit/s links, with one real loss (the city's receiver killed and restarted mid-drain).

Per link it reports how long the drain took against the time its bytes need, how many
duplicate events the city counted (the restarted receiver's own counter: everything it got
twice after the loss), and how long a dossier created during the drain took to reach the
city: once while events still drain (it waits behind them: compared with the time the
link needs for the bytes ahead of it, plus the link's measured round trip) and once while
a file drains (it should pass the file).

"The bytes ahead" are the yardstick of ``tests/e2e/test_slow_link_loss.py``: the events
pending below the new one and its own, batched and encoded as the node sends them, with
their MQTT framing (``tests/support/wire_bytes.py``); file bytes are not counted, the
events lane goes first. The round trip is the node's own measure (``motcua sync status``),
read as the dossier is received.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import httpx

from bench.shaped_link import shaped_path
from bench.sync_rig import (
    SyncProcess,
    attach_random_file,
    central_event_count,
    central_holds_file,
    progress,
    start_central,
)
from node import event_log
from node.dossier_service import receive
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from tests.support.mosquitto import Mosquitto
from tests.support.replication import REQUEST, Central, add_dossiers, make_node, wait_subscribed
from tests.support.wait import wait_until
from tests.support.wire_bytes import events_wire_bytes
from uplink import outbox
from uplink.status import status

Figures = dict[str, Any]
BYTES_PER_DOSSIER = 900  # two events as they cross the link (measured: 820-900 B)


def _wait_seq(central: Central, node_id: str, seq: int, timeout: float) -> float:
    wait_until(
        lambda: central_event_count(central, node_id) >= seq,
        timeout=timeout,
        interval=0.01,
        what=f"seq {seq} at the city",
    )
    return time.monotonic()


def _restart(central: Central) -> Central:
    """Another receiver process on the same city data, once its subscription is up."""
    return wait_subscribed(central.another().start())


def _new_dossier(rt: NodeRuntime, node_id: str, rate: int) -> tuple[int, int, float, float]:
    """Receive one dossier now: (its seq, wire bytes up to it from the acked mark, the
    link's round trip then (nan: not measured), when it was received)."""
    round_trip = status(rt).round_trip_seconds
    acked = outbox.acked_upto(rt.db.read(), node_id)
    receive(rt, REQUEST, seeding_machine("bench"))
    received_at = time.monotonic()
    seq = event_log.head_seq(rt.db.read(), node_id)
    batch = rt.config.sync.batch_events
    ahead = events_wire_bytes(rt.db.read(), node_id, acked, seq, batch, rate)
    return seq, ahead, float("nan") if round_trip is None else round_trip, received_at


def one_link(work: Path, broker: Mosquitto, args: argparse.Namespace, rate: int) -> Figures:
    node_id = f"xa-slow-{rate}"
    work = work / f"link-{rate}"
    work.mkdir()
    with shaped_path(work, broker, args.shaper) as path:
        path.set_rate(rate * 8)
        node_dir = make_node(work, node_id, path.node_url, sync=args.sync_settings)
        rt = open_node(node_dir)
        try:
            add_dossiers(rt, int(rate * args.slow_seconds / BYTES_PER_DOSSIER), steps=("start",))
            backlog_bytes = outbox.pending_event_stats(rt.db.read(), node_id)[1]
            sha256, size = attach_random_file(rt, work, int(rate * args.slow_seconds))
            head = event_log.head_seq(rt.db.read(), node_id)
            central = start_central(work, path.city_url)
            sender = SyncProcess(node_dir, prefix=path.prefix)
            try:
                started = time.monotonic()
                sender.start()
                timeout = 60 + 8 * args.slow_seconds
                _wait_seq(central, node_id, head // 4, timeout)
                central.proc.kill()  # the loss: what reaches the broker now goes nowhere
                central = _restart(central)
                _wait_seq(central, node_id, head * 3 // 5, timeout)
                seq_a, ahead_a, round_trip, t_a = _new_dossier(rt, node_id, rate)
                latency_a = _wait_seq(central, node_id, seq_a, timeout) - t_a
                seq_b, _, _, t_b = _new_dossier(rt, node_id, rate)
                file_done_first = central_holds_file(central, sha256, size)
                latency_b = _wait_seq(central, node_id, seq_b, timeout) - t_b
                wait_until(
                    lambda: central_holds_file(central, sha256, size),
                    timeout=timeout,
                    what="the file at the city",
                )
                drained = time.monotonic() - started
                counters = httpx.get(
                    f"{central.url}/api/v1/receiver", headers=central.headers, timeout=10
                ).json()
            finally:
                sender.stop()
                central.proc.stop()
        finally:
            rt.close()
    total = backlog_bytes + size
    return {
        "link": path.label,
        "rate_bytes_per_s": rate,
        "events": head,
        "event_bytes": backlog_bytes,
        "file_bytes": size,
        "drain_s": round(drained, 1),
        "bytes_need_s": round(total / rate, 1),
        "losses": 1,
        "duplicate_events_per_loss": counters["process"].get("events_duplicate", 0),
        "window_events": int(args.sync_settings.get("batch_events", 500))
        * int(args.sync_settings.get("window_batches", 8)),
        "latency_during_events_s": round(latency_a, 2),
        "events_ahead_bytes": ahead_a,
        "events_ahead_need_s": round(ahead_a / rate, 2),
        "round_trip_s": round(round_trip, 3),
        "latency_during_file_s": round(latency_b, 2),
        "file_done_before_it": file_done_first,
    }


def bench_slow(work: Path, broker: Mosquitto, args: argparse.Namespace) -> Figures:
    out: Figures = {}
    for rate in args.slow_rates:
        progress(f"6. slow link at {rate} B/s")
        out[str(rate)] = one_link(work, broker, args, rate)
    return out
