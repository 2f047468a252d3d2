"""A node restored from an old backup after it had replicated, then used: ``motcua reconcile``
takes the city's copy of what it lost and moves its new events after the city's head; the
city takes its batches again and both converge, nothing lost, nothing twice, no alarm.

Real processes throughout: ``motcua sync``, ``motcua central serve``, Mosquitto,
``motcua backup``, ``motcua reconcile``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import apsw

from node.dossier_service import transition
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.transitions import TransitionRequest
from storage.db import scalar
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    motcua,
    node_log,
    open_rt,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until

NODE = "xa-khoi-phuc"
DB = "motcua.sqlite3"


def _diverged_at(central_dir: Path) -> str | None:
    conn = apsw.Connection(str(central_dir / "central.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        row = conn.execute("SELECT diverged_at FROM nodes WHERE node_id = ?", (NODE,)).fetchone()
    finally:
        conn.close()
    return None if row is None or row[0] is None else str(row[0])


def _own(node_dir: Path, above: int = 0) -> dict[int, str]:
    """The node's own events above seq ``above``: seq -> event id."""
    return {s: i for (o, s), i in node_log(node_dir).items() if o == NODE and s > above}


def _restore(backup: Path, node_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (node_dir / f"{DB}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup / DB, node_dir / DB)


def test_a_node_restored_from_an_old_backup_is_reconciled_with_the_city(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync={"ack_timeout_seconds": "2.0"})
    central = make_central(tmp_path, url).start(timeout=90)
    sender = sync_proc(node_dir)
    try:
        # 1. The node works and replicates; a backup is taken.
        with open_rt(node_dir) as rt:
            add_dossiers(rt, 12, threads=2)
            old = [str(r[0]) for r in rt.db.read().execute("SELECT id FROM dossiers")]
        sender.start()
        wait_converged(node_dir, central, NODE)
        sender.stop()
        base = len(_own(node_dir))  # what the backup holds of the node's own log
        backup = tmp_path / "backup"
        made = motcua("backup", "--data-dir", str(node_dir), str(backup))
        assert made.returncode == 0, made.stderr

        # 2. More work reaches the city; then the disk dies and the backup comes back.
        with open_rt(node_dir) as rt:
            for dossier_id in old[:8]:
                request = TransitionRequest(Action("start"), note="trước sự cố")
                transition(rt, dossier_id, request, seeding_machine("test"))
        sender.start()
        wait_converged(node_dir, central, NODE)
        sender.stop()
        lost = _own(node_dir, base)
        assert len(lost) == 8
        _restore(backup, node_dir)

        # 3. The office goes on working on the restored node: new events at the lost seqs.
        with open_rt(node_dir) as rt:
            add_dossiers(rt, 5, threads=1, steps=("start",))
        new = _own(node_dir, base)
        assert len(new) >= 10 and not set(new.values()) & set(lost.values())
        head = base + len(lost)  # the city's head
        sender.start()
        wait_until(lambda: _diverged_at(central.data_dir), timeout=120, what="diverged_at")
        sender.stop()

        # 4. The city unreachable: a clear refusal, nothing changed.
        before = _own(node_dir)
        central.proc.stop()
        refused = motcua("reconcile", "--data-dir", str(node_dir), "--timeout", "5")
        assert refused.returncode == 5, refused.stdout + refused.stderr
        assert "did not answer" in refused.stderr and "nothing was changed" in refused.stderr
        assert _own(node_dir) == before
        central = central.another().start(timeout=90)

        # 5. --dry-run says what it would do and changes nothing.
        dry = motcua("reconcile", "--data-dir", str(node_dir), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"8 lost events (seq {base + 1}..{head})" in dry.stdout, dry.stdout
        moved = f"{len(new)} new events from seq {base + 1}..{base + len(new)} to "
        assert moved + f"{head + 1}..{head + len(new)}" in dry.stdout, dry.stdout
        assert _own(node_dir) == before and _diverged_at(central.data_dir)

        # 6. Reconcile; a second run finds nothing to do.
        done = motcua("reconcile", "--data-dir", str(node_dir))
        assert done.returncode == 0, done.stdout + done.stderr
        assert _diverged_at(central.data_dir) is None
        again = motcua("reconcile", "--data-dir", str(node_dir))
        assert again.returncode == 0 and "nothing to reconcile" in again.stdout, again.stdout

        log = _own(node_dir)
        assert sorted(log) == list(range(1, head + len(new) + 1))
        assert set(log.values()) == set(before.values()) | set(lost.values())
        assert {s: log[s] for s in lost} == lost  # the lost ones back at their seqs

        # 7. The link sends the moved events; the city holds each once; no alarm.
        sender.start()
        report = wait_converged(node_dir, central, NODE)
        assert (report.lost, report.duplicated, report.reordered) == (0, 0, 0)
        assert report.central_events == report.node_events
        status = motcua("sync", "status", "--data-dir", str(node_dir))
        assert "log_diverged" not in status.stderr, status.stderr
        with open_rt(node_dir) as rt:
            started = scalar(rt.db.read(), "SELECT COUNT(*) FROM dossiers WHERE status = 4")
        assert started == 8 + 5  # the lost transitions are back, the new ones kept
    finally:
        sender.stop()
        central.proc.stop()
