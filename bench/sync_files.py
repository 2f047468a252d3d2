"""The files lane of ``bench_sync``: goodput through a shaped link, bytes re-sent per cut.

Both watch the exchange from a tap beside the city (``bench.sync_rig.Tap``): when the
city answered the node's ``ChunkOffer``, every ``BlobChunk`` that reached the broker,
the ``ChunkAck`` that says the file is whole. Each transfer is one random file attached
to a dossier of a fresh node and checked whole at a fresh city afterwards.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from pathlib import Path
from typing import Any

from bench.shaped_link import ShapedPath, shaped_path
from bench.sync_rig import (
    SyncProcess,
    Tap,
    attach_random_file,
    central_holds_file,
    progress,
    publish_packet_bytes,
    start_central,
)
from node.runtime import open_node
from settings.node import load as load_config
from sync import topics, wire
from sync.topics import Lane
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.replication import make_node

AIM_GOODPUT = 0.90

Figures = dict[str, Any]


def url_of(host: str, port: int) -> str:
    return f"mqtt://{host}:{port}"


# --- goodput through a shaped link ----------------------------------------------------------


def one_transfer(
    work: Path, node_id: str, path: ShapedPath, size: int, settings: dict[str, str]
) -> Figures:
    """One file from a fresh node to a fresh city, timed by a tap beside the city."""
    node_dir = make_node(work, node_id, path.node_url, sync=settings)
    rt = open_node(node_dir)
    try:
        sha256, size = attach_random_file(rt, work, size)
    finally:
        rt.close()
    central = start_central(work, path.city_url)
    host, port = path.city_url.removeprefix("mqtt://").split(":")
    filters = [topics.down(node_id, Lane.CONTROL), topics.up(node_id, Lane.BLOBS)]
    tap = Tap(host, int(port), filters).start()
    sender = SyncProcess(node_dir, prefix=path.prefix)
    try:
        sender.start()
        done = wait_complete(tap, sender, sha256, timeout=60 + 4 * size / 250_000)
        held = central_holds_file(central, sha256, size)
    finally:
        sender.stop()
        tap.stop()
        central.proc.stop()
    if not held:
        raise RuntimeError(f"{node_id}: the city does not hold the file whole")
    offer = tap.messages(wire.ChunkOffer)[0][0].t
    go = next(s.t for s, _ in tap.messages(wire.ChunkAck) if s.t >= offer)  # "send from 0"
    return {
        "file_bytes": size,
        "seconds": round(done - go, 3),
        "offer_to_complete_s": round(done - offer, 3),
        "goodput_bytes_per_s": round(size / (done - go), 1),
        "chunk_bytes_sent": sum(s.chunk_bytes for s, _ in tap.messages(wire.BlobChunk)),
    }


def wait_complete(tap: Tap, sender: SyncProcess, sha256: str, timeout: float) -> float:
    """When the tap saw the city's ChunkAck saying the file is whole."""
    deadline = time.monotonic() + timeout
    while True:
        for seen, ack in tap.messages(wire.ChunkAck):
            if ack.sha256 == sha256 and ack.complete:
                return seen.t
        if time.monotonic() > deadline:
            raise TimeoutError(f"no complete ack in {timeout:.0f} s:\n{sender.log_tail()}")
        time.sleep(0.01)


def bench_goodput(work: Path, broker: Mosquitto, args: argparse.Namespace) -> Figures:
    out: Figures = {}
    with shaped_path(work, broker, args.shaper) as path:
        out["shaper"] = path.label
        for mbit in args.rates:
            bits = int(mbit * 1_000_000)
            size = int(bits / 8 * args.goodput_seconds)
            path.set_rate(bits)
            progress(f"2. {size / 1e6:.1f} MB through {mbit:g} Mbit/s ({path.label})")
            sub = work / f"link-{mbit:g}"
            sub.mkdir()
            figures = one_transfer(sub, f"xa-link-{int(mbit * 10)}", path, size, args.sync_settings)
            figures["link_bytes_per_s"] = bits / 8
            figures["ratio"] = round(figures["goodput_bytes_per_s"] / (bits / 8), 4)
            figures["aim"] = AIM_GOODPUT
            figures["aim_met"] = figures["ratio"] >= AIM_GOODPUT
            out[f"{mbit:g}"] = figures
    return out


# --- bytes sent again per interruption --------------------------------------------------------


def bench_resend(work: Path, broker: Mosquitto, args: argparse.Namespace) -> Figures:
    """Cut the node's link ``args.cuts`` times, each at a random point inside a chunk.

    The cut is armed from the tap the moment the node's ChunkOffer of a new connection
    reaches the broker: ``cut_after_bytes((m + f) * W)`` with W the bytes of one chunk's
    PUBLISH, m a whole number of chunks in [0, spread) and f in [0.15, 0.85], so the
    connection dies f of the way into its (m+1)-th chunk.
    """
    node_id = "xa-cuts"
    sub = work / "cuts"
    sub.mkdir()
    rng = random.Random(args.seed)
    with FaultProxy(broker.host, broker.port) as proxy:
        proxy.limit_rate(args.cut_rate_mbit * 1_000_000 / 8, "up")
        node_dir = make_node(sub, node_id, url_of(proxy.host, proxy.port), sync=args.sync_settings)
        chunk = load_config(node_dir).sync.chunk_size
        rt = open_node(node_dir)
        try:
            sha256, size = attach_random_file(rt, sub, int(args.cut_file_mb * 1e6))
        finally:
            rt.close()
        blob_topic = topics.up(node_id, Lane.BLOBS)
        probe = wire.encode(wire.BlobChunk(node_id, sha256, size, 0, bytes(chunk)))
        wire_chunk = publish_packet_bytes(blob_topic, len(probe))
        spread = max(1, size // chunk // (args.cuts + 1))
        plans: list[dict[str, float]] = []
        lock = threading.Lock()

        def arm(seen: Any) -> None:
            if not isinstance(seen.message, wire.ChunkOffer):
                return
            with lock:
                if len(plans) >= args.cuts or proxy.cuts < len(plans):
                    return  # all armed, or the last one has not fired yet
                m, f = rng.randrange(spread), rng.uniform(0.15, 0.85)
                proxy.cut_after_bytes(int((m + f) * wire_chunk), "up")
                plans.append({"whole_chunks": m, "fraction": round(f, 3)})

        central = start_central(sub, url_of(broker.host, broker.port))
        tap = Tap(broker.host, broker.port, [f"{topics.PREFIX}/{node_id}/#"], arm).start()
        sender = SyncProcess(node_dir)
        try:
            progress(
                f"3. {size / 1e6:.1f} MB at {args.cut_rate_mbit:g} Mbit/s, "
                f"{args.cuts} cuts mid-chunk"
            )
            sender.start()
            done = wait_complete(tap, sender, sha256, timeout=300)
            wire_up = proxy.bytes_forwarded("up")
            held = central_holds_file(central, sha256, size)
        finally:
            sender.stop()
            tap.stop()
            central.proc.stop()
        cuts = proxy.cuts
    if not held:
        raise RuntimeError("the city does not hold the cut file whole")
    chunks = tap.messages(wire.BlobChunk)
    sent = sum(s.chunk_bytes for s, _ in chunks)
    offsets = [c.offset for _, c in chunks]
    whole_publishes = sum(  # what the node's PUBLISHes that arrived whole took on the wire
        publish_packet_bytes(s.topic, len(s.payload))
        for s in tap.seen
        if f"/{topics.Direction.UP}/" in s.topic
        and s.t <= done
        and not isinstance(s.message, wire.Offline)  # the will: sent by the broker
    )
    per_cut = (sent - size) / cuts if cuts else float("nan")
    cut_off = (wire_up - whole_publishes) / cuts if cuts else float("nan")
    go = tap.messages(wire.ChunkAck)[0][0].t
    return {
        "file_bytes": size,
        "chunk_bytes": chunk,
        "rate_bits_per_s": args.cut_rate_mbit * 1_000_000,
        "cuts": cuts,
        "plans": plans,
        "chunk_data_bytes_at_broker": sent,
        "resent_bytes": sent - size,
        "resent_bytes_per_cut": round(per_cut, 1),
        "repeated_chunks": len(offsets) - len(set(offsets)),
        "cut_off_wire_bytes_per_cut": round(cut_off, 1),
        "wasted_bytes_per_cut": round(per_cut + cut_off, 1),
        "transfer_s": round(done - go, 3),
        "ratio": round(per_cut / chunk, 4) if cuts else None,
        "aim_met": bool(cuts) and per_cut <= chunk,
    }
