"""Replication to the city, end to end through a real Mosquitto: five figures in one run.

1. events/s from a node's backlog to the city's acks, against a naive loop that publishes
   one QoS 1 message per event and waits for each PUBACK (aim >= 3x the naive rate);
2. file goodput through a shaped 2 and 10 Mbit/s link against the link rate (aim >= 90 %);
3. file bytes sent again per link cut, cut mid-chunk (aim <= one chunk);
4. commit-to-ack latency p50/p99 while staff create 50 events/s;
5. peak RSS of ``motcua sync`` draining 100,000 pending events (aim <= 120 MB);
6. slow links (20 kB/s, 64 kB/s, 2 Mbit/s): duplicates per loss, new-event latency during
   a drain (``bench/sync_slow.py``).

The node's sender runs as ``motcua sync``, the city as ``motcua central serve`` (SQLite
store), both real processes. Files lane: ``bench/sync_files.py``; machinery:
``bench/sync_rig.py``, ``bench/shaped_link.py``, ``bench/naive_mqtt.py``; the table:
``bench/sync_report.py``. See bench/README.md.
Run: ``uv run python -m bench.bench_sync [--quick] [--only events ...] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from bench.naive_mqtt import naive_loop
from bench.sync_files import bench_goodput, bench_resend
from bench.sync_report import report
from bench.sync_rig import (
    AckWatch,
    RssSampler,
    SyncProcess,
    Tap,
    broker_config,
    central_event_count,
    cpu_seconds,
    progress,
    start_central,
)
from bench.sync_slow import bench_slow
from node import event_log
from node.dossier_service import receive
from node.runtime import open_node
from rules.permissions import seeding_machine
from sync import topics, wire
from sync.topics import Lane
from tests.support.mosquitto import Mosquitto
from tests.support.replication import REQUEST, add_dossiers, make_node

STEPS = ("start", "request_supplement", "complete_supplement")  # 4 events per dossier
AIM_EVENTS_RATIO = 3.0
AIM_RSS_BYTES = 120 * 1000 * 1000

Figures = dict[str, Any]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of unsorted values; nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def broker_url(broker: Mosquitto) -> str:
    return f"mqtt://{broker.host}:{broker.port}"


def backlog(
    work: Path, node_id: str, broker: Mosquitto, args: argparse.Namespace, events: int
) -> tuple[Path, int]:
    """A node that was offline while ``events`` events were made (4 per dossier)."""
    node_dir = make_node(work, node_id, broker_url(broker), sync=args.sync_settings)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, events // (1 + len(STEPS)), threads=16, steps=STEPS)
        return node_dir, event_log.head_seq(rt.db.read(), node_id)
    finally:
        rt.close()


def drain(
    work: Path, node_dir: Path, node_id: str, head: int, broker: Mosquitto, rss: float = 0.0
) -> Figures:
    """Start ``motcua sync`` on a backlog; time it until the node's ``sync_acked`` = head.

    Start-up (spawn -> the node's Birth reaches the broker) is kept apart from the drain
    (Birth -> sync_acked covers the head, polled every 2 ms). CPU of the three processes
    is taken over first ack -> last ack. With ``rss`` > 0, VmRSS is sampled that often.
    """
    central = start_central(work, broker_url(broker))
    filters = [topics.up(node_id, Lane.CONTROL), topics.up(node_id, Lane.EVENTS)]
    filters.append(topics.down(node_id, Lane.CONTROL))
    tap = Tap(broker.host, broker.port, filters).start()
    watch = AckWatch(node_dir, node_id)
    sender = SyncProcess(node_dir)
    sampler: RssSampler | None = None
    try:
        sender.start()
        sampler = RssSampler(sender.pid, rss).start() if rss else None
        first = watch.wait_for(1, timeout=120)
        assert central.proc.process is not None and broker.pid is not None
        pids = {"sync": sender.pid, "central": central.proc.process.pid, "broker": broker.pid}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        done = watch.wait_for(head, timeout=900)
        cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        peak_kb = sampler.status_kb("VmHWM") if sampler else None
        held = central_event_count(central, node_id)
    finally:
        if sampler is not None:
            sampler.stop()
        sender.stop()
        tap.stop()
        watch.close()
        central.proc.stop()
    if held != head:
        raise RuntimeError(f"the city holds {held} of {head} events")
    birth = tap.messages(wire.Birth)[0][0].t
    out: Figures = {
        "pending_events": head,
        "startup_s": round(birth - sender.spawned_at, 3),
        "first_ack_s": round(first - birth, 3),
        "drain_s": round(done - birth, 3),
        "events_per_s": round(head / (done - birth), 1),
        "events_per_s_incl_startup": round(head / (done - sender.spawned_at), 1),
        "cpu_cores": {k: round((cpu1[k] - cpu0[k]) / (done - first), 2) for k in pids},
        "city_waiting_s": round(city_waiting(tap), 3),
    }
    if sampler is not None and peak_kb is not None:
        at_birth = [kb for t, kb in sampler.samples if t <= birth]
        out["peak_rss_bytes"] = peak_kb * 1024
        out["max_sampled_rss_bytes"] = max(kb for _, kb in sampler.samples) * 1024
        out["rss_at_connect_bytes"] = (at_birth[-1] if at_birth else 0) * 1024
        out["rss_samples"] = len(sampler.samples)
    return out


def city_waiting(tap: Tap) -> float:
    """Seconds the city had nothing to apply: the node's next batch reached the broker only
    after the city's ack of the one before had left it. Near 0: the city is the bound."""
    arrivals: dict[int, float] = {}
    for seen, batch in tap.messages(wire.EventBatch):
        arrivals.setdefault(batch.first_seq, seen.t)
    acks = [(s.t, a.upto_seq) for s, a in tap.messages(wire.EventAck) if a.upto_seq > 0]
    waiting = 0.0
    for acked_at, upto in acks[:-1]:
        next_at = arrivals.get(upto + 1)
        if next_at is not None and next_at > acked_at:
            waiting += next_at - acked_at
    return waiting


# --- 1. events end to end against a naive loop ---------------------------------------------


def bench_events(work: Path, broker: Mosquitto, args: argparse.Namespace) -> Figures:
    """Our drain rate against the naive loop's, run before and after ours (best one kept)."""
    node_id = "xa-backlog"
    progress(f"1. creating {args.events:,} events offline")
    node_dir, head = backlog(work, node_id, broker, args, args.events)
    rt = open_node(node_dir)
    try:  # real records: the dossier events of this log, as msgpack EventRecords
        records = event_log.after(rt.db.read(), node_id, 0, args.naive_events + 100)
    finally:
        rt.close()
    payloads = [msgspec.msgpack.encode(r) for r in records if r.kind.startswith("dossier_")]
    payloads = payloads[: args.naive_events]
    progress(f"1. naive loop: {len(payloads):,} QoS 1 messages, one PUBACK each")
    before = naive_loop(broker.host, broker.port, payloads)
    progress(f"1. motcua sync draining {head:,} events")
    ours = drain(work, node_dir, node_id, head, broker)
    progress("1. naive loop again")
    after = naive_loop(broker.host, broker.port, payloads)
    naive = max(before, after, key=lambda n: n["events_per_s"])
    ratio = ours["events_per_s"] / naive["events_per_s"]
    return {
        **ours,
        "naive_runs": [before, after],
        "naive": naive,
        "ratio": round(ratio, 2),
        "ratio_incl_startup": round(ours["events_per_s_incl_startup"] / naive["events_per_s"], 2),
        "aim": AIM_EVENTS_RATIO,
        "aim_met": ratio >= AIM_EVENTS_RATIO,
    }


# --- 4. commit-to-ack latency at a steady rate -------------------------------------------------


def bench_latency(work: Path, broker: Mosquitto, args: argparse.Namespace) -> Figures:
    """Creates on a fixed schedule; a poller notes when ``sync_acked`` covers each.

    ``receive()`` (the API's own service function) returns once its commit is durable:
    that moment is the start. A tap beside the city splits each latency in three:
    commit -> its batch reaches the broker (the node notices and sends), -> the city's
    ack passes the broker (the city applies and commits), -> ``sync_acked`` covers it
    (the node records the ack).
    """
    node_id = "xa-steady"
    node_dir = make_node(work, node_id, broker_url(broker), sync=args.sync_settings)
    central = start_central(work, broker_url(broker))
    filters = [topics.up(node_id, Lane.EVENTS), topics.down(node_id, Lane.CONTROL)]
    tap = Tap(broker.host, broker.port, filters).start()
    watch = AckWatch(node_dir, node_id)
    sender = SyncProcess(node_dir).start()
    rt = open_node(node_dir)
    marks: list[tuple[int, float]] = []  # (acked seq, when first seen)
    stop = threading.Event()

    def poll() -> None:
        last = -1
        while not stop.is_set():
            acked = watch.acked()
            if acked != last:
                marks.append((acked, time.monotonic()))
                last = acked
            time.sleep(args.poll_interval)

    count = int(args.latency_rate * args.latency_seconds)
    committed: list[float] = []
    poller = threading.Thread(target=poll, name="ack-poller", daemon=True)
    try:
        base = event_log.head_seq(rt.db.read(), node_id)
        watch.wait_for(base, timeout=60)  # the reference data went up first
        poller.start()
        progress(f"4. {count} creates at {args.latency_rate:g}/s with the link running")
        begin = time.monotonic() + 0.1
        for i in range(count):
            time.sleep(max(0.0, begin + i / args.latency_rate - time.monotonic()))
            receive(rt, REQUEST, seeding_machine("bench"))
            committed.append(time.monotonic())
        head = event_log.head_seq(rt.db.read(), node_id)
        watch.wait_for(head, timeout=60)
        time.sleep(0.05)
    finally:
        stop.set()
        if poller.is_alive():
            poller.join(timeout=5)
        rt.close()
        sender.stop()
        tap.stop()
        watch.close()
        central.proc.stop()
    if head != base + count:
        raise RuntimeError(f"expected head {base + count}, found {head}: another writer?")
    batches = [
        (s.t, b.first_seq, b.first_seq + len(b.events)) for s, b in tap.messages(wire.EventBatch)
    ]
    acks = [(s.t, a.upto_seq) for s, a in tap.messages(wire.EventAck)]
    parts: dict[str, list[float]] = {"total": [], "send": [], "city": [], "record": []}
    for i, at in enumerate(committed):
        seq = base + 1 + i
        sent_at = next(t for t, first, end in batches if first <= seq < end)
        city_at = next(t for t, upto in acks if upto >= seq)
        acked_at = next(t for upto, t in marks if upto >= seq)
        parts["total"].append((acked_at - at) * 1000)
        parts["send"].append((sent_at - at) * 1000)
        parts["city"].append((city_at - sent_at) * 1000)
        parts["record"].append((acked_at - city_at) * 1000)
    return {
        "rate_per_s": args.latency_rate,
        "events": count,
        "p50_ms": round(percentile(parts["total"], 0.50), 1),
        "p99_ms": round(percentile(parts["total"], 0.99), 1),
        "max_ms": round(max(parts["total"]), 1),
        **{
            f"parts_{q}_ms": {k: round(percentile(v, p), 1) for k, v in parts.items()}
            for q, p in (("p50", 0.50), ("p99", 0.99))
        },
        "batches": len(batches),
        "poll_interval_ms": args.poll_interval * 1000,
    }


# --- 5. memory while draining a large backlog ---------------------------------------------------


def bench_rss(work: Path, broker: Mosquitto, args: argparse.Namespace) -> Figures:
    node_id = "xa-bulk"
    progress(f"5. creating {args.rss_events:,} events offline")
    node_dir, head = backlog(work, node_id, broker, args, args.rss_events)
    progress(f"5. motcua sync draining {head:,} events, sampling its RSS")
    out = drain(work, node_dir, node_id, head, broker, rss=args.rss_interval)
    out["aim_bytes"] = AIM_RSS_BYTES
    out["aim_met"] = out["peak_rss_bytes"] <= AIM_RSS_BYTES
    return out


# --- running it -------------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[Path, Mosquitto, argparse.Namespace], Figures]] = {
    "events": bench_events,
    "goodput": bench_goodput,
    "resend": bench_resend,
    "latency": bench_latency,
    "rss": bench_rss,
    "slow": bench_slow,
}
QUICK = {
    "events": 5_000,
    "naive_events": 3_000,
    "goodput_seconds": 8.0,
    "cuts": 3,
    "cut_file_mb": 4.0,
    "latency_seconds": 8.0,
    "rss_events": 20_000,
    "slow_seconds": 5.0,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help=f"smaller counts and files: {QUICK}")
    add("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS), help="sections")
    add("--events", type=int, default=20_000, help="1: pending events to drain")
    add("--naive-events", type=int, default=10_000, help="1: messages of each naive run")
    add("--rates", type=float, nargs="+", default=[2.0, 10.0], help="2: link Mbit/s")
    add("--goodput-seconds", type=float, default=22.0, help="2: file = this long at the rate")
    add("--shaper", choices=["auto", "tc", "proxy"], default="auto", help="2: how to shape")
    add("--cuts", type=int, default=5, help="3: link cuts during the transfer")
    add("--cut-file-mb", type=float, default=8.0, help="3: file size in MB")
    add("--cut-rate-mbit", type=float, default=10.0, help="3: proxy rate cap, upstream")
    add("--seed", type=int, default=1, help="3: where the cuts fall")
    add("--latency-rate", type=float, default=50.0, help="4: creates per second")
    add("--latency-seconds", type=float, default=20.0, help="4: for this long")
    add("--poll-interval", type=float, default=0.001, help="4: sync_acked poll, seconds")
    add("--rss-events", type=int, default=100_000, help="5: pending events to drain")
    add("--rss-interval", type=float, default=0.01, help="5: RSS sampling, seconds")
    add(
        "--slow-rates",
        type=int,
        nargs="+",
        default=[20_000, 64_000, 250_000],
        help="6: link bytes/s (250,000 = 2 Mbit/s)",
    )
    add("--slow-seconds", type=float, default=12.0, help="6: backlog and file, each this long")
    add(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a [sync] setting for every node, e.g. batch_events=1000 (default: as shipped)",
    )
    add("--workdir", type=Path, default=None, help="where data goes [system temp]")
    add("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    try:
        args.sync_settings = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        parser.error("--set takes KEY=VALUE")
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == parser.get_default(key):
                setattr(args, key, value)
    return args


def main() -> None:
    args = parse_args()
    results: Figures = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-sync-", dir=args.workdir) as tmp:
        work = Path(tmp)
        (work / "mosquitto").mkdir()
        with Mosquitto(work / "mosquitto", broker_config(work / "mosquitto")) as broker:
            broker.start()
            for name in args.only:
                section = work / name
                section.mkdir()
                t = time.monotonic()
                results[name] = SECTIONS[name](section, broker, args)
                progress(f"   ({name}: {time.monotonic() - t:.0f} s)")
    elapsed = time.monotonic() - started
    print(f"bench_sync on {os.cpu_count()} cores, {elapsed:.0f} s in all")
    report(results)
    if args.json is not None:
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        doc = {"settings": settings, "elapsed_s": round(elapsed, 1), **results}
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
