"""A node's presence: its Birth and its death (Offline), each in one write transaction.

Sparkplug B's rule: a death pairs with its birth by a sequence number, not by clocks. Each
connection of a node process is named by (``started_at``, ``bd_seq``); its Birth and the
will registered for it (or the Offline it sends before a clean stop) carry the same name.
Every Birth comes from a live connection, so the newest Birth is the node's present, even
when its clock went back; a death ends only the connection it names, so the will of a
connection that was cut and replaced is ignored.
"""

from __future__ import annotations

from central.sql_tables import Tx, ensure_node, same_connection, set_node
from central.store import NodeRow
from sync.wire import Birth, Offline


def record_birth(tx: Tx, birth: Birth, at: str) -> NodeRow:
    node_id = birth.node_id
    row = ensure_node(tx, node_id, at)
    # With several receivers the death of this very connection may have come first.
    dead = same_connection(birth.started_at, birth.bd_seq, row.ended_at, row.ended_bd_seq)
    fields: dict[str, object] = {
        "last_seen": at,
        "started_at": birth.started_at,
        "bd_seq": birth.bd_seq,
        "software_version": birth.software_version[:100],
        "online": int(not dead),
        "node_last_seq": birth.last_seq,
        # The board's figures as the node saw them (an older node reports none).
        "pending_files": birth.pending_files,
        "oldest_pending_at": birth.oldest_pending_at,
    }
    if birth.disk_free is not None:
        fields["disk_free"] = birth.disk_free
    if row.presence_since is None or row.online == dead:
        fields["presence_since"] = at  # the board's "online since" (city clock)
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
    if same_connection(offline.started_at, offline.bd_seq, row.ended_at, row.ended_bd_seq):
        return False  # told twice (the explicit death, then the will)
    current = same_connection(offline.started_at, offline.bd_seq, row.started_at, row.bd_seq)
    fields: dict[str, object] = {"ended_at": offline.started_at, "ended_bd_seq": offline.bd_seq}
    if current:
        fields["online"] = 0
        if row.online:
            fields["presence_since"] = at  # the board's "offline since" (city clock)
    set_node(tx, offline.node_id, **fields)
    return current and row.online


def touch(tx: Tx, node_id: str, at: str) -> None:
    tx.run("UPDATE nodes SET last_seen = ? WHERE node_id = ?", (at, node_id))
