"""The node's Birth: presence, its log's marks, and what the city's board shows of it."""

from __future__ import annotations

import shutil

from node import event_log
from node.runtime import NodeRuntime
from sync import wire
from uplink import outbox


def birth(rt: NodeRuntime, started_at: str, version: str, bd_seq: int) -> wire.Birth:
    """The Birth of connection ``bd_seq`` of the session ``started_at``, as the node is now."""
    conn = rt.db.read()
    head = event_log.head_seq(conn, rt.node_id)
    acked = outbox.acked_upto(conn, rt.node_id)  # a city holding less went back
    _, _, oldest = outbox.pending_event_stats(conn, rt.node_id)
    files, _, _ = outbox.pending_blob_stats(conn)
    return wire.Birth(
        rt.node_id,
        started_at,
        head,
        version,
        bd_seq,
        acked,
        disk_free=shutil.disk_usage(rt.data_dir).free,  # of the data directory's filesystem
        pending_files=files,
        oldest_pending_at=oldest,
    )
