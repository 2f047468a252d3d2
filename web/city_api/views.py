"""What the city's JSON API answers about nodes and dossiers: the node's own dossier view
with the owning node added, and a node's replication state as the city sees it."""

from __future__ import annotations

import msgspec

from central.store import NodeRow
from rules.clock import to_local_iso
from web.json_api.schemas import DossierOut


class CentralDossierOut(DossierOut, frozen=True):
    node_id: str = ""  # the commune node that owns the dossier


class CentralDossierPage(msgspec.Struct, frozen=True):
    items: list[CentralDossierOut]
    total: int
    limit: int
    offset: int


class NodeOut(msgspec.Struct, frozen=True):
    node_id: str
    online: bool
    last_seen: str | None
    first_seen: str | None
    session_started_at: str | None
    software_version: str
    acked_seq: int  # the node's events held here, contiguous from 1
    node_last_seq: int  # the node's head as it last reported
    pending_estimate: int  # node events not yet here (node_last_seq - acked_seq)
    central_seq: int  # city events appended for this node
    down_acked_seq: int  # city events the node has applied
    down_pending: int
    duplicates: int
    gaps: int
    rejected: int
    last_error: str | None
    last_error_at: str | None
    # Set when the node's log diverged from the city's copy (restored from an old backup);
    # its batches are refused since: it needs an operator.
    diverged_at: str | None
    dossiers: int
    conflicted_dossiers: int


def node_out(row: NodeRow, counts: tuple[int, int]) -> NodeOut:
    return NodeOut(
        node_id=row.node_id,
        online=row.online,
        last_seen=to_local_iso(row.last_seen),
        first_seen=to_local_iso(row.first_seen),
        session_started_at=to_local_iso(row.started_at),
        software_version=row.software_version,
        acked_seq=row.acked_upto,
        node_last_seq=row.node_last_seq,
        pending_estimate=row.pending_estimate,
        central_seq=row.central_seq,
        down_acked_seq=row.down_acked_upto,
        down_pending=row.down_pending,
        duplicates=row.duplicates,
        gaps=row.gaps,
        rejected=row.rejected,
        last_error=row.last_error,
        last_error_at=to_local_iso(row.last_error_at),
        diverged_at=to_local_iso(row.diverged_at),
        dossiers=counts[0],
        conflicted_dossiers=counts[1],
    )


def with_node(out: DossierOut, node_id: str) -> CentralDossierOut:
    return CentralDossierOut(**msgspec.structs.asdict(out), node_id=node_id)
