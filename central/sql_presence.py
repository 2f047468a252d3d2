"""A node's presence: its Birth and its will (Offline), each in one write transaction.

A Birth of an older session changes nothing but ``last_seen``; a will ends only the
session it names (or a newer one the city has not seen yet).
"""

from __future__ import annotations

from central import timestamps
from central.sql_tables import Tx, ensure_node, is_online, set_node
from central.store import NodeRow
from sync.wire import Birth, Offline


def record_birth(tx: Tx, birth: Birth, at: str) -> NodeRow:
    node_id = birth.node_id
    row = ensure_node(tx, node_id, at)
    fields: dict[str, object] = {"last_seen": at}
    newer = row.started_at is None or timestamps.instant(birth.started_at) >= timestamps.instant(
        row.started_at
    )
    if newer:
        fields.update(
            started_at=birth.started_at,
            software_version=birth.software_version[:100],
            online=int(is_online(birth.started_at, row.ended_at)),
            node_last_seq=birth.last_seq,
        )
        if birth.last_seq < row.acked_upto:
            fields["last_error"] = (
                f"the node reports last seq {birth.last_seq} but the city holds "
                f"{row.acked_upto}: was it restored from an old backup?"
            )
            fields["last_error_at"] = at
    set_node(tx, node_id, **fields)
    return ensure_node(tx, node_id, at)


def record_offline(tx: Tx, offline: Offline, at: str) -> bool:
    row = ensure_node(tx, offline.node_id, at)
    ends = timestamps.instant(offline.started_at)
    if row.started_at is not None and ends < timestamps.instant(row.started_at):
        return False  # the will of an older session: the node is back already
    if row.ended_at is not None and ends <= timestamps.instant(row.ended_at):
        return False
    set_node(
        tx,
        offline.node_id,
        ended_at=offline.started_at,
        online=int(is_online(row.started_at, offline.started_at)),
    )
    return True


def touch(tx: Tx, node_id: str, at: str) -> None:
    tx.run("UPDATE nodes SET last_seen = ? WHERE node_id = ?", (at, node_id))
