"""What the node still owes the city: the count, bytes and oldest of its pending events,
kept as a running sum (uplink/pending_events.py), always equal to a count of the log itself
however the mark and the head move, and recounted when the log under it is another one."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import apsw

from node import event_log
from node.runtime import NodeRuntime, open_node
from rules.event_kinds import ProcedureUpserted
from uplink import outbox


def _append(rt: NodeRuntime, count: int, rng: random.Random) -> None:
    """``count`` events of varied size (a catalog entry with 1-30 components)."""
    with rt.db.write() as conn:
        for _ in range(count):
            components = [
                f"Thành phần số {n} " * rng.randint(1, 5) for n in range(rng.randint(1, 30))
            ]
            body = ProcedureUpserted(
                "9.000009", "1", "Thủ tục", "Khác", 3, "working_days", "none", components
            )
            event_log.append(conn, rt.node_id, "catalog", body, "test")


def _counted(conn: apsw.Connection, origin: str) -> tuple[int, int, str | None]:
    """The figures straight from the log: every pending body summed."""
    mark = outbox.acked_upto(conn, origin)
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM events WHERE origin = ? AND seq > ?",
        (origin, mark),
    ).fetchone()
    assert row is not None
    count, size = row
    first = conn.execute(
        "SELECT recorded_at FROM events WHERE origin = ? AND seq > ? ORDER BY seq LIMIT 1",
        (origin, mark),
    ).fetchone()
    return int(count), int(size), None if first is None else str(first[0])


def test_the_running_sum_equals_the_log_however_mark_and_head_move(runtime: NodeRuntime) -> None:
    rt, rng = runtime, random.Random(11)
    origin = rt.node_id
    conn = rt.db.read()
    assert outbox.pending_event_stats(conn, origin) == _counted(conn, origin)
    steps = 0
    for _ in range(60):
        move = rng.choice(["append", "ack", "ack", "rewind", "nothing"])
        head = event_log.head_seq(rt.db.read(), origin)
        mark = outbox.acked_upto(rt.db.read(), origin)
        if move == "append":
            _append(rt, rng.randint(1, 20), rng)
        elif move == "ack" and head > mark:
            with rt.db.write() as conn:
                outbox.record_ack(conn, origin, rng.randint(mark + 1, head))
        elif move == "rewind" and mark > 0:
            with rt.db.write() as conn:
                outbox.rewind_ack(conn, origin, rng.randint(0, mark - 1))
        conn = rt.db.read()
        assert outbox.pending_event_stats(conn, origin) == _counted(conn, origin), move
        steps += move != "nothing"
    pending = outbox.pending_event_stats(rt.db.read(), origin)
    assert steps > 30 and pending[0] > 0 and pending[1] > pending[0] * 100  # bytes counted


def test_another_log_at_the_same_path_is_counted_afresh(node_dir: Path, tmp_path: Path) -> None:
    """A database restored over the file (another log at the same seqs) never inherits the
    remembered sum of the one before."""
    rng = random.Random(5)
    rt = open_node(node_dir)
    _append(rt, 40, rng)
    rt.close()
    saved = tmp_path / "before.sqlite3"
    database = next(node_dir.glob("*.sqlite3"))
    shutil.copy(database, saved)

    rt = open_node(node_dir)
    _append(rt, 25, rng)  # the head moves on, and its sum is remembered
    conn = rt.db.read()
    assert outbox.pending_event_stats(conn, rt.node_id) == _counted(conn, rt.node_id)
    rt.close()

    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(saved, database)  # the older log: fewer events at the same seqs
    rt = open_node(node_dir)
    _append(rt, 25, rng)  # the same head seq as the remembered one, other events at it
    conn = rt.db.read()
    assert outbox.pending_event_stats(conn, rt.node_id) == _counted(conn, rt.node_id)
    rt.close()
