"""The link loop's heartbeat (what the service watchdog reads) keeps beating while the
bandwidth cap holds a message back: a slow cap is the loop at work, not a hung loop."""

from __future__ import annotations

import threading
import time

import msgspec

from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from tests.support.scripted_transport import ScriptedTransport
from tests.support.wait import wait_until
from uplink.node_link import NodeLink


def test_waiting_for_the_bandwidth_cap_beats(runtime: NodeRuntime) -> None:
    settings = msgspec.structs.replace(runtime.config.sync, bandwidth_bytes_per_s=1000)
    link = NodeLink(runtime, ScriptedTransport(runtime.node_id), settings, to_utc_iso(utc_now()))
    assert link.bucket.try_acquire(int(link.bucket.burst))  # the bucket is now empty
    done = threading.Event()

    def send() -> None:  # 10,000 bytes at 1000 B/s: the link thread waits about 10 s
        link.bucket.acquire(10_000)
        done.set()

    started = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    # Its heartbeat moves on while it waits: 2 s into the wait it has beaten again.
    wait_until(
        lambda: done.is_set() or (link.heartbeat.last or 0) > started + 2.0,
        timeout=60,
        what="the link to beat while it waits",
    )
    assert not done.is_set(), "the cap let 10,000 bytes through at once"
    sender.join(timeout=60)
    assert done.is_set()
