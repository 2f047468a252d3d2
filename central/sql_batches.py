"""Applying a node's batch of events: idempotent, gap-free, and refolding its dossiers.

Runs inside one write transaction holding the node's lock (``SqlCentralStore._write``),
so two receivers never interleave one node's seqs.
"""

from __future__ import annotations

import logging

from central.sql_public import save_ratings
from central.sql_tables import (
    MAX_ERROR,
    Tx,
    bump_rejection,
    ensure_node,
    insert_events,
    own_event_id,
    save_dossiers,
    set_node,
    streams_events,
)
from central.store import BatchOutcome
from rules.event_record import EventRecord
from rules.projection import DossierState, ProjectionError
from rules.replay import refold
from sync.wire import EventBatch

log = logging.getLogger("motcua.central.store")

DOSSIER_KINDS = frozenset(
    {
        "dossier_received",
        "dossier_transitioned",
        "document_attached",
        "lookup_pin_issued",
        "dossier_rated",
    }
)


def apply_batch(tx: Tx, batch: EventBatch, at: str) -> BatchOutcome:
    """Skip seqs already held, apply the contiguous rest, refold the dossiers they touch."""
    node_id = batch.node_id
    last = batch.first_seq + len(batch.events) - 1
    row = ensure_node(tx, node_id, at)
    head = row.acked_upto
    seen = {"last_seen": at, "node_last_seq": max(row.node_last_seq, last)}
    if row.diverged_at is not None:
        detail = (
            f"its log diverged from the city's copy at {row.diverged_at}: batches are "
            "refused until an operator resolves it"
        )
        set_node(tx, node_id, **seen)
        return BatchOutcome("seq_conflict", head, detail=detail)
    if batch.first_seq > head + 1:
        set_node(tx, node_id, gaps=row.gaps + 1, **seen)
        return BatchOutcome("gap", head, detail=f"batch starts at {batch.first_seq}")
    held = [e for e in batch.events if e.seq <= head]
    new = [e for e in batch.events if e.seq > head]
    refused = _check_repeats(tx, node_id, held, head) or _check_owner(tx, node_id, new, head)
    if refused is not None:
        error = refused.detail[:MAX_ERROR]
        if refused.status == "seq_conflict":
            seen["diverged_at"] = at
        set_node(tx, node_id, last_error=error, last_error_at=at, **seen)
        return refused
    insert_events(tx, node_id, new)
    refold_streams(tx, node_id, {e.stream for e in new if e.kind in DOSSIER_KINDS}, at)
    set_node(
        tx,
        node_id,
        acked_upto=max(head, last),
        duplicates=row.duplicates + len(held),
        **seen,
    )
    # The batch's last event is now held under its id (inserted, or checked above); a
    # batch wholly below the head needs the head's id read.
    head_id = batch.events[-1].id if last >= head else own_event_id(tx, node_id, head)
    return BatchOutcome(
        "applied" if new else "duplicate",
        max(head, last),
        applied=len(new),
        duplicates=len(held),
        head_id=head_id or "",
    )


def confirm_reconciled(tx: Tx, node_id: str, seq: int, event_id: str, at: str) -> bool:
    """Lift ``diverged_at`` when the node holds the city's own event at the city's head.

    Event ids are UUIDs the node wrote once: holding the one at the head means the node
    took the city's copy of its lost events (``motcua reconcile``) and its log agrees with
    the city's up to there; its new events come after it.
    """
    row = ensure_node(tx, node_id, at)
    if row.diverged_at is None:
        return False
    if seq != row.acked_upto or own_event_id(tx, node_id, seq) != event_id:
        return False
    set_node(tx, node_id, diverged_at=None, last_seen=at)
    log.warning("event=reconciled node=%s head=%d", node_id, seq)
    return True


def _check_repeats(tx: Tx, node_id: str, held: list[EventRecord], head: int) -> BatchOutcome | None:
    # A repeat must be the very event already held. Different ids at a held seq mean the
    # node's log diverged (restored from an old backup, then wrote new events): skipping
    # them as duplicates would lose those events silently.
    if not held:
        return None
    stored = dict(
        tx.rows(
            "SELECT seq, id FROM events WHERE node_id = ? AND origin = ? AND seq BETWEEN ? AND ?",
            (node_id, node_id, held[0].seq, held[-1].seq),
        )
    )
    for event in held:
        if stored.get(event.seq) != event.id:
            return BatchOutcome(
                "seq_conflict",
                head,
                detail=f"seq {event.seq} is already held with event id "
                f"{stored.get(event.seq)}, the node sent {event.id}: its log diverged "
                "(restored from a backup?)",
            )
    return None


def _check_owner(tx: Tx, node_id: str, new: list[EventRecord], head: int) -> BatchOutcome | None:
    # A node may only write to its own dossiers; a dossier id is global (UUIDv7).
    streams = sorted({e.stream for e in new if e.kind in DOSSIER_KINDS})
    for stream in streams:
        rows = tx.rows("SELECT node_id FROM dossiers WHERE id = ?", (stream,))
        if rows and rows[0][0] != node_id:
            detail = f"dossier {stream} belongs to node {rows[0][0]}"
            return BatchOutcome("foreign_dossier", head, detail=detail)
    return None


def refold_streams(tx: Tx, node_id: str, streams: set[str], at: str) -> None:
    """Refold each dossier stream from all its events and save the states."""
    states: list[DossierState] = []
    for stream, events in sorted(streams_events(tx, node_id, sorted(streams)).items()):
        try:
            state = refold(events)
        except ProjectionError as exc:
            # The events stay (they are the node's log, and the digest covers them); the
            # dossier keeps its last good state and the operator is told.
            detail = f"dossier {stream}: {exc}"
            log.error("event=projection_failed node=%s %s", node_id, detail)
            bump_rejection(tx, node_id, "projection_failed", detail, at)
            continue
        if state is not None:
            states.append(state)
    save_dossiers(tx, node_id, states)
    save_ratings(tx, node_id, states)  # only a node's own events rate a dossier
