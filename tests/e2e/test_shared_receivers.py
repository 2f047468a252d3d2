"""Two city receivers on one shared subscription: replies from one overtake the other's.

With a shared subscription (MQTT v5 ``$share``), the node's batches are spread over the
receivers, so a batch can reach one receiver before the batch before it is committed by
the other: that receiver answers with a gap reply (``ResendRequest``) naming the head it
saw, and that reply can arrive at the node after the other receiver's higher ack. A stale
reply must never move the node's acknowledged mark back; a real gap is still resent.
And the batches refused behind one still on its way must go again without waiting for the
ack timeout: before they did, a loaded machine (the lead's full-suite run) never converged,
every pass refused behind its first batch (``uplink/gap_replies.py``).

Overtaking is made certain, not hoped for: the first receiver is stalled (SIGSTOP, as a
long pause or a stuck disk would) while the node sends, so the broker hands it every other
batch and the second receiver sees the batches after them first. Left to chance, a quiet
machine could apply every batch in order and the test would check nothing (CI saw it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from node.runtime import open_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until

NODE = "xa-shared-1"
# Small batches and a wide window: many batches in flight at once, spread over both
# receivers, so batches overtake one another and gap replies cross higher acks.
SMALL_BATCHES = {"ack_timeout_seconds": "2.0", "batch_events": "4", "window_batches": "32"}


@pytest.mark.slow
def test_a_stale_gap_reply_never_moves_the_mark_back(
    tmp_path: Path, broker: Mosquitto, pg_url: str
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    first = make_central(tmp_path, url, store_url=pg_url).start()
    second = first.another().start()
    node_dir = make_node(tmp_path, NODE, url, sync=SMALL_BATCHES)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 150, steps=("start",))
    finally:
        rt.close()
    first.proc.pause()
    sender = sync_proc(node_dir).start()
    try:
        wait_until(
            lambda: "reason=gap" in second.proc.log_path.read_text(),
            timeout=60,
            interval=0.2,
            what="the second receiver to see a batch overtake one the stalled first holds",
        )
        first.proc.resume()
        report = wait_converged(node_dir, first, NODE, timeout=120)
        assert report.clean, report
    finally:
        sender.stop()
        first.proc.stop()
        second.proc.stop()
    city_log = first.proc.log_path.read_text() + second.proc.log_path.read_text()
    node_log = sender.log_path.read_text()
    gaps = city_log.count("reason=gap")
    rewinds = node_log.count("event=city_went_back")
    print(f"gap replies: {gaps}, rewinds: {rewinds}")
    assert gaps > 0, "the receivers never saw a batch overtake another: nothing was tested"
    assert rewinds == 0, node_log[-3000:]
