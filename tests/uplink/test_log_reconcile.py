"""Joining a restored node's log onto the city's copy, without a broker: the plan and the
rewrite in ``uplink/log_reconcile.py`` on real node databases.

"The city's copy" here is the original node's own log (what the city held of it), and the
restored node is a copy of the original's database taken earlier, then used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from node import event_log
from node.dossier_service import transition
from node.runtime import NodeRuntime, open_node
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.transitions import TransitionRequest
from storage.db import scalar
from tests.conftest import NODE_ID
from tests.support.replication import add_dossiers
from uplink import log_reconcile
from uplink.log_reconcile import ReconcileError

DB = "motcua.sqlite3"


def _own(rt: NodeRuntime) -> list[str]:
    return [r.id for r in event_log.after(rt.db.read(), NODE_ID, 0, 10_000)]


def _restored_copy(node_dir: Path, tmp_path: Path) -> Path:
    """A second data directory holding ``node_dir`` as it is now (the backup)."""
    copy = tmp_path / "restored"
    shutil.copytree(node_dir, copy)
    return copy


def _start_all(rt: NodeRuntime, ids: list[str]) -> None:
    for dossier_id in ids:
        transition(
            rt, dossier_id, TransitionRequest(Action("start"), note=""), seeding_machine("t")
        )


def _plan(restored: NodeRuntime, city: list[str], original: NodeRuntime) -> log_reconcile.Plan:
    records = event_log.after(original.db.read(), NODE_ID, 0, 10_000)
    assert [r.id for r in records] == city
    return log_reconcile.plan(restored.db.read(), NODE_ID, records, len(records), set())


def test_lost_events_come_back_and_new_ones_move_after_the_citys_head(
    node_dir: Path, tmp_path: Path
) -> None:
    original = open_node(node_dir)
    add_dossiers(original, 4, threads=1)
    original.close()
    backup = _restored_copy(node_dir, tmp_path)
    original = open_node(node_dir)
    restored = open_node(backup)
    try:
        ids = [str(r[0]) for r in original.db.read().execute("SELECT id FROM dossiers")]
        _start_all(original, ids[:3])  # lost: 3 transitions
        add_dossiers(restored, 2, threads=1)  # new: 2 receptions (next codes of the day)
        base = len(_own(original)) - 3  # the backup's own events (reference data, receptions)
        city = _own(original)
        moved = _own(restored)[base:]
        plan = _plan(restored, city, original)
        assert (plan.diverge_at, plan.city_head) == (base + 1, base + 3)
        assert (len(plan.lost), len(plan.moved)) == (3, 2)
        with restored.db.write() as conn:
            log_reconcile.apply(conn, plan)
        assert _own(restored) == city + moved
        conn = restored.db.read()
        assert event_log.gaps(conn) == []
        assert scalar(conn, "SELECT COUNT(*) FROM dossiers WHERE status = 4") == 3
        assert (
            scalar(conn, "SELECT upto_seq FROM sync_acked WHERE origin = ?", (NODE_ID,)) == base + 3
        )
        # Done once: the same city copy finds nothing more to do.
        assert not _plan(restored, city, original).needed
        # The immutability trigger is back.
        with pytest.raises(Exception, match="immutable"), restored.db.write() as w:
            w.execute("DELETE FROM events WHERE origin = ?", (NODE_ID,))
    finally:
        original.close()
        restored.close()


def test_a_dossier_code_issued_twice_is_refused_and_nothing_changes(
    node_dir: Path, tmp_path: Path
) -> None:
    original = open_node(node_dir)
    add_dossiers(original, 2, threads=1)
    original.close()
    backup = _restored_copy(node_dir, tmp_path)
    original = open_node(node_dir)
    restored = open_node(backup)
    try:
        add_dossiers(original, 1, threads=1)  # lost: a reception with code ...-0003
        add_dossiers(restored, 1, threads=1)  # new, after the restore: ...-0003 again
        before = _own(restored)
        plan = _plan(restored, _own(original), original)
        with (
            pytest.raises(ReconcileError, match=r"issued twice.*-0003"),
            restored.db.write() as conn,
        ):
            log_reconcile.apply(conn, plan)
        assert _own(restored) == before
    finally:
        original.close()
        restored.close()
