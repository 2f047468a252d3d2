"""A node or the city restored from a backup: nothing is lost, nothing loops.

The node's link talks to the city's message handler through an in-process loopback (the
``Transport`` seam), over a real node data directory and a real SQLite city store; MQTT
itself is covered by the e2e tests.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import msgspec

from node import event_log
from node.backup import backup
from node.dossier_service import PersonIn, ReceiveRequest, receive
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from tests.central.loopback import NODE, City
from tests.node.helpers import PROCEDURE
from uplink import outbox
from uplink.link_state import LinkStateWriter
from uplink.node_link import NodeLink
from uplink.status import status


def work(rt: NodeRuntime, dossiers: int) -> None:
    for _ in range(dossiers):
        receive(
            rt,
            ReceiveRequest(PROCEDURE, PersonIn("Nguyễn Văn An"), "in_person"),
            seeding_machine("test"),
        )


def turns(link: NodeLink, n: int = 30) -> None:
    for _ in range(n):
        link.turn()


def node_ids(rt: NodeRuntime) -> dict[int, str]:
    return {e.seq: e.id for e in event_log.after(rt.db.read(), NODE, 0, 10**6)}


def test_a_node_restored_from_an_old_backup_does_not_take_the_citys_events_for_its_own(
    node_dir: Path, tmp_path: Path
) -> None:
    city = City(tmp_path)
    rt = open_node(node_dir)
    work(rt, 3)
    turns(city.link(rt))
    rt.close()
    backup(node_dir, tmp_path / "backup")
    rt = open_node(node_dir)
    work(rt, 5)  # reaches the city, then the node's disk dies
    turns(city.link(rt))
    city_head = max(city.own_ids())
    rt.close()
    shutil.rmtree(node_dir)
    shutil.copytree(tmp_path / "backup", node_dir)

    rt = open_node(node_dir)
    try:
        # A short ack timeout: a link that kept resending refused batches would show it.
        link = city.link(rt, msgspec.structs.replace(rt.config.sync, ack_timeout_seconds=0.01))
        restored_head = event_log.head_seq(rt.db.read(), NODE)
        assert restored_head < city_head
        for _ in range(8):  # the office keeps working after the restore
            work(rt, 1)
            turns(link, 20)
        mine = node_ids(rt)
        assert max(mine) > city_head  # past the city's head: seq alone cannot tell them apart
        held = city.own_ids()
        # Every event written since the restore is either at the city under its own id,
        # or still pending at the node: none is marked delivered while the city lacks it.
        acked = outbox.acked_upto(rt.db.read(), NODE)
        assert [s for s in range(1, acked + 1) if held.get(s) != mine[s]] == []
        assert acked <= restored_head
        assert status(rt).alarm == "log_diverged"
        assert "restored from an old backup" in status(rt).last_error
        assert [r.reason for r in city.store.rejection_counts()] == ["seq_conflict"]
        # The city refuses every later batch too, so none is joined onto its old copy.
        row = city.store.get_node(NODE)
        assert row is not None and row.diverged_at is not None
        assert row.acked_upto == city_head and max(held) == city_head
        # Refused batches are not sent again at every ack timeout, only at a slow probe.
        refused = city.store.rejection_counts()[0].count
        for _ in range(20):
            time.sleep(0.02)
            turns(link, 5)
        assert city.store.rejection_counts()[0].count == refused
    finally:
        rt.close()
        city.store.close()


def test_a_city_restored_from_an_old_copy_gets_every_event_again(
    node_dir: Path, tmp_path: Path
) -> None:
    city = City(tmp_path)
    rt = open_node(node_dir)
    try:
        link = city.link(rt)
        work(rt, 2)
        turns(link)
        old = city.copy(tmp_path / "old.sqlite3")
        work(rt, 5)
        turns(link)
        assert outbox.acked_upto(rt.db.read(), NODE) == event_log.head_seq(rt.db.read(), NODE)

        city.restore(old)  # the city lost what it had acknowledged
        work(rt, 3)
        turns(link, 60)
        head = event_log.head_seq(rt.db.read(), NODE)
        assert city.own_ids() == node_ids(rt)  # every event, under its own id
        assert outbox.acked_upto(rt.db.read(), NODE) == head
        assert status(rt).alarm is None
        gaps = [r.count for r in city.store.rejection_counts() if r.reason == "gap"]
        assert sum(gaps) <= 2  # asked again once, not in a loop
    finally:
        rt.close()
        city.store.close()


def test_a_restarted_link_clears_a_diverged_alarm_it_did_not_raise(node_dir: Path) -> None:
    rt = open_node(node_dir)
    try:
        LinkStateWriter(rt).diverged("the city holds seq 50 as another event")
        assert status(rt).alarm == "log_diverged"
        LinkStateWriter(rt).diverged("")  # a new process, whose first ack matched
        assert status(rt).alarm is None
    finally:
        rt.close()
