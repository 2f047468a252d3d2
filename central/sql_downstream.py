"""The city's events for a node: what was sent, what the node acknowledged, what to resend.

``central_seq`` counts the city's events for the node; ``down_acked_upto`` and
``down_sent_upto`` are the marks the downstream sender moves (never past
``central_seq``).
"""

from __future__ import annotations

from central.sql_tables import NODE_COLUMNS, Tx, ensure_node, node_from_row, select_events, set_node
from central.store import CENTRAL_ORIGIN, NodeRow
from rules.event_record import EventRecord


def record_down_ack(tx: Tx, node_id: str, upto: int, at: str) -> NodeRow:
    row = ensure_node(tx, node_id, at)
    mark = max(row.down_acked_upto, min(upto, row.central_seq))
    set_node(
        tx,
        node_id,
        down_acked_upto=mark,
        down_sent_upto=max(row.down_sent_upto, mark),
        last_seen=at,
    )
    return ensure_node(tx, node_id, at)


def rewind_down(tx: Tx, node_id: str, from_seq: int, at: str) -> NodeRow:
    row = ensure_node(tx, node_id, at)
    # The node is the authority on what its own log holds.
    mark = max(0, min(from_seq - 1, row.central_seq))
    set_node(tx, node_id, down_acked_upto=mark, down_sent_upto=mark, last_seen=at)
    return ensure_node(tx, node_id, at)


def mark_down_sent(tx: Tx, node_id: str, upto: int, at: str) -> None:
    row = ensure_node(tx, node_id, at)
    set_node(tx, node_id, down_sent_upto=max(upto, row.down_acked_upto), down_sent_at=at)


def claim_resends(tx: Tx, cutoff: str, at: str) -> list[NodeRow]:
    # One UPDATE ... RETURNING: with several receivers, each due node is claimed by one.
    rows = tx.rows(
        "UPDATE nodes SET down_sent_at = ? WHERE online = 1 "
        "AND down_acked_upto < central_seq "
        "AND (down_sent_at IS NULL OR down_sent_at < ?) "
        f"RETURNING {NODE_COLUMNS}",
        (at, cutoff),
    )
    return sorted((node_from_row(r) for r in rows), key=lambda n: n.node_id)


def down_events(tx: Tx, node_id: str, after_seq: int, limit: int) -> list[EventRecord]:
    return select_events(
        tx,
        "node_id = ? AND origin = ? AND seq > ? ORDER BY seq LIMIT ?",
        (node_id, CENTRAL_ORIGIN, after_seq, limit),
    )
