"""What the city's API and the receivers read: nodes, dossiers, logs, files, rejections.

Every function runs inside one read transaction (one consistent snapshot where the
database offers it) and changes nothing.
"""

from __future__ import annotations

from central.sql_tables import NODE_COLUMNS, Tx, node_from_row, select_events, stream_events
from central.store import DossierQuery, DossierView, NodeRow, RejectionRow
from rules.event_kinds import DocumentAttached, decode_body
from rules.event_record import EventRecord
from rules.projection import DossierState
from storage.dossier_rows import DossierFilter, decode_state, filter_clauses

# -- nodes ------------------------------------------------------------------------------------


def get_node(tx: Tx, node_id: str) -> NodeRow | None:
    rows = tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes WHERE node_id = ?", (node_id,))
    return node_from_row(rows[0]) if rows else None


def list_nodes(tx: Tx) -> list[NodeRow]:
    return [node_from_row(r) for r in tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes ORDER BY node_id")]


def dossier_counts(tx: Tx) -> dict[str, tuple[int, int]]:
    rows = tx.rows(
        "SELECT node_id, COUNT(*), SUM(CASE WHEN conflicts > 0 THEN 1 ELSE 0 END) "
        "FROM dossiers GROUP BY node_id"
    )
    return {str(n): (int(total), int(conflicted or 0)) for n, total, conflicted in rows}


def node_log(tx: Tx, node_id: str) -> list[EventRecord]:
    records = select_events(tx, "node_id = ? ORDER BY origin, seq", (node_id,))
    # Sorted again in Python: the digest needs code-point order whatever the collation.
    return sorted(records, key=lambda r: (r.origin, r.seq))


def own_events(tx: Tx, node_id: str, from_seq: int, limit: int) -> list[EventRecord]:
    """The node's own events from ``from_seq`` on, in seq order (at most ``limit``)."""
    where = "node_id = ? AND origin = ? AND seq >= ? ORDER BY seq LIMIT ?"
    return select_events(tx, where, (node_id, node_id, from_seq, limit))


# -- dossiers ---------------------------------------------------------------------------------


def get_dossier(tx: Tx, dossier_id: str) -> DossierView | None:
    rows = tx.rows("SELECT node_id, state FROM dossiers WHERE id = ?", (dossier_id,))
    if not rows:
        return None
    node_id = str(rows[0][0])
    return DossierView(node_id, decode_state(rows[0][1]), stream_events(tx, node_id, dossier_id))


def query_dossiers(tx: Tx, query: DossierQuery) -> tuple[list[tuple[str, DossierState]], int]:
    where, args = filter_clauses(
        DossierFilter(
            q=query.q,
            status=query.status,
            received_from=query.received_from,
            received_to=query.received_to,
            overdue=query.overdue,
            now=query.now,
            procedure_code=query.procedure_code,
        )
    )
    if query.node is not None:
        where.append("node_id = ?")
        args.append(query.node)
    if query.conflicted is not None:
        where.append("conflicts > 0" if query.conflicted else "conflicts = 0")
    clause = " AND ".join(where)
    total = tx.rows(f"SELECT COUNT(*) FROM dossiers WHERE {clause}", args)[0][0]
    rows = tx.rows(
        f"SELECT node_id, state FROM dossiers WHERE {clause} "
        "ORDER BY COALESCE(received_at, updated_at) DESC, code DESC, id "
        "LIMIT ? OFFSET ?",
        [*args, query.limit, query.offset],
    )
    return [(str(n), decode_state(s)) for n, s in rows], int(total)


def dossier_states(tx: Tx, node_id: str | None) -> list[DossierState]:
    if node_id is None:
        rows = tx.rows("SELECT state FROM dossiers")
    else:
        rows = tx.rows("SELECT state FROM dossiers WHERE node_id = ?", (node_id,))
    return [decode_state(r[0]) for r in rows]


# -- files, rejections, schema ----------------------------------------------------------------


def blob_size(tx: Tx, sha256: str) -> int | None:
    rows = tx.rows("SELECT size FROM blobs WHERE sha256 = ?", (sha256,))
    return int(rows[0][0]) if rows else None


def rejection_counts(tx: Tx) -> list[RejectionRow]:
    rows = tx.rows(
        "SELECT node_id, reason, count, last_at, last_detail FROM rejections "
        "ORDER BY node_id, reason"
    )
    return [RejectionRow(str(n), str(r), int(c), str(a), str(d)) for n, r, c, a, d in rows]


def schema_version(tx: Tx) -> str:
    rows = tx.rows("SELECT name FROM _migrations ORDER BY name DESC LIMIT 1")
    return str(rows[0][0]) if rows else "none"


# -- files ------------------------------------------------------------------------------------

_FILES_PER_QUERY = 200  # shas per "IN (...)" query


def missing_files(tx: Tx, node_id: str, limit: int) -> list[tuple[str, int]]:
    """(sha256, size) of files the node's held document events name and no blob row has."""
    named: dict[str, int] = {}
    for event in select_events(
        tx, "node_id = ? AND kind = ? ORDER BY origin, seq", (node_id, "document_attached")
    ):
        body = decode_body(event.body)
        if isinstance(body, DocumentAttached):
            named.setdefault(body.sha256, body.size)
    shas = list(named)
    held: set[str] = set()
    for start in range(0, len(shas), _FILES_PER_QUERY):
        part = shas[start : start + _FILES_PER_QUERY]
        marks = ", ".join("?" * len(part))
        held |= {
            str(r[0]) for r in tx.rows(f"SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", part)
        }
    return [(sha, named[sha]) for sha in shas if sha not in held][:limit]


def node_names_file(tx: Tx, node_id: str, sha256: str) -> bool:
    """Whether one of the node's document events names the file ``sha256``."""
    for event in select_events(tx, "node_id = ? AND kind = ?", (node_id, "document_attached")):
        body = decode_body(event.body)
        if isinstance(body, DocumentAttached) and body.sha256 == sha256:
            return True
    return False
