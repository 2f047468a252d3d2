"""What the city keeps, as a Protocol with one implementation per database.

Shaped like Litestream's ``ReplicaClient``: every method is one durable operation with a
one-line contract. ``SqliteCentralStore`` (default) and ``PostgresCentralStore`` share the
SQL and row mappings (``sql_store.py`` and the ``sql_*.py`` modules it runs) and differ only
in how they connect, lock and migrate; the store contract tests run against both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

import msgspec

from rules.event_kinds import DossierEvent, EventBody
from rules.event_record import EventRecord
from rules.projection import DossierState
from sync.wire import Birth, EventBatch, Offline

#: The origin of every event the city appends (``EventRecord.origin``).
CENTRAL_ORIGIN = "central"


class StoreError(Exception):
    """The database failed (unreachable, busy, damaged); the message says which and why."""


class NodeRow(msgspec.Struct, frozen=True):
    """What the city knows about one commune node: presence and replication marks."""

    node_id: str
    first_seen: str  # UTC ISO: first message ever accepted from it
    last_seen: str  # UTC ISO: last message accepted from it
    online: bool  # the newest Birth's connection, and no death of that connection since
    started_at: str | None  # session of the newest Birth (the node's clock)
    ended_at: str | None  # session named by the newest Offline (with ended_bd_seq)
    software_version: str
    node_last_seq: int  # the node's own head, as it last reported (Birth or batch)
    acked_upto: int  # the node's events held here: 1..acked_upto, contiguous
    central_seq: int  # the city's events for this node: 1..central_seq
    down_acked_upto: int  # the node has applied the city's events up to here
    down_sent_upto: int  # highest city seq sent in the current round
    down_sent_at: str | None  # when city events were last sent to it
    duplicates: int  # events received again (already held): normal after a lost ack
    gaps: int  # batches that would have left a gap (a resend was asked)
    rejected: int  # messages rejected (any reason) once the node was known
    last_error: str | None
    last_error_at: str | None
    # When one of its batches repeated a held seq as another event: its log diverged (it
    # was restored from an old backup and wrote anew). Its batches are refused since, so
    # no later event is joined onto the city's copy of the old history.
    diverged_at: str | None = None
    bd_seq: int = 0  # connection of the session named by the newest Birth (wire.Birth)
    ended_bd_seq: int = 0  # connection named by the newest Offline

    @property
    def pending_estimate(self) -> int:
        """Node events not yet here, by the node's last report (never negative)."""
        return max(0, self.node_last_seq - self.acked_upto)

    @property
    def down_pending(self) -> int:
        """City events the node has not acknowledged yet."""
        return max(0, self.central_seq - self.down_acked_upto)


class BatchOutcome(msgspec.Struct, frozen=True):
    """What ``apply_batch`` did; ``head`` is the contiguous seq held after it."""

    status: Literal["applied", "duplicate", "gap", "seq_conflict", "foreign_dossier"]
    head: int
    applied: int = 0
    duplicates: int = 0
    detail: str = ""
    head_id: str = ""  # the id of the node's event held at ``head`` (for the ack)


class RejectionRow(msgspec.Struct, frozen=True):
    node_id: str  # "" when the topic named no valid node
    reason: str
    count: int
    last_at: str
    last_detail: str


class DossierQuery(msgspec.Struct, frozen=True):
    node: str | None = None
    q: str | None = None
    status: int | None = None
    received_from: str | None = None  # UTC ISO, inclusive
    received_to: str | None = None  # UTC ISO, exclusive
    overdue: bool | None = None  # judged at ``now``
    conflicted: bool | None = None  # True: only dossiers with a flagged conflict
    now: str = ""
    limit: int = 50
    offset: int = 0


class DossierView(msgspec.Struct, frozen=True):
    node_id: str
    state: DossierState
    events: list[EventRecord]  # canonical order (recorded_at, origin, seq)


@dataclass(frozen=True)
class DossierContext:
    """What a city action on a dossier sees, read under the owning node's lock."""

    node_id: str
    state: DossierState
    events: list[EventRecord]  # the dossier's events, canonical order
    calendar: list[EventRecord]  # the node's calendar_day_set events, both origins
    recorded_at: str  # the new event's recorded_at (after every event of the dossier)


#: Builds the city's event from what the dossier is now; raises to refuse (nothing written).
Decide = Callable[[DossierContext], DossierEvent]


class AppendResult(msgspec.Struct, frozen=True):
    node_id: str
    state: DossierState
    record: EventRecord


class CentralStore(Protocol):
    """The city's durable state: events of every node, dossiers, nodes, files, rejections."""

    #: "sqlite" or "postgresql".
    kind: str

    # Create or upgrade the schema; returns the migrations applied now.
    def migrate(self) -> list[str]: ...

    # One transaction: skip seqs already held, apply the contiguous rest, refold dossiers.
    def apply_batch(self, batch: EventBatch, at: str) -> BatchOutcome: ...

    # Presence from a Birth: the node is online in that connection; the row after it.
    def record_birth(self, birth: Birth, at: str) -> NodeRow: ...

    # Presence from a death; True when it ended the connection of the newest Birth.
    def record_offline(self, offline: Offline, at: str) -> bool: ...

    # The node was heard from (a message that changed nothing else), at ``at``.
    def touch(self, node_id: str, at: str) -> None: ...

    # The node applied the city's events up to ``upto`` (the mark never moves back).
    def record_down_ack(self, node_id: str, upto: int, at: str) -> NodeRow: ...

    # The node lacks the city's events from ``from_seq``: move the marks back to resend.
    def rewind_down(self, node_id: str, from_seq: int, at: str) -> NodeRow: ...

    # Remember that city events up to ``upto`` were just sent to the node.
    def mark_down_sent(self, node_id: str, upto: int, at: str) -> None: ...

    # Claim online nodes with unacknowledged city events last sent before ``cutoff``.
    def claim_resends(self, cutoff: str, at: str) -> list[NodeRow]: ...

    # The city's events for the node with seq > ``after_seq``, oldest first.
    def down_events(self, node_id: str, after_seq: int, limit: int) -> list[EventRecord]: ...

    # Append a city event to a dossier, built by ``decide`` under the node's lock.
    def append_central(
        self, dossier_id: str, decide: Decide, actor: str, at: str
    ) -> AppendResult: ...

    # Append city catalog/calendar events to one node's log (the node row is created).
    def append_reference(
        self, node_id: str, bodies: Iterable[EventBody], actor: str, at: str
    ) -> list[EventRecord]: ...

    # The node's catalog and calendar events (its own and the city's), canonical order.
    def reference_events(self, node_id: str) -> list[EventRecord]: ...

    # One node's row, or None if it never sent an accepted message.
    def get_node(self, node_id: str) -> NodeRow | None: ...

    # The id of the node's own event at ``seq``, or None if the city holds none there.
    def own_event_id(self, node_id: str, seq: int) -> str | None: ...

    # Up to ``limit`` of the node's own events from ``from_seq`` on (``motcua reconcile``).
    def own_events(self, node_id: str, from_seq: int, limit: int) -> list[EventRecord]: ...

    # The node says it holds ``event_id`` at ``seq``: if that is the city's event at its
    # head, the node's log agrees again and ``diverged_at`` is lifted. True if lifted.
    def confirm_reconciled(self, node_id: str, seq: int, event_id: str, at: str) -> bool: ...

    # Every node, by node id.
    def list_nodes(self) -> list[NodeRow]: ...

    # (dossiers, dossiers with a flagged conflict) per node id.
    def dossier_counts(self) -> dict[str, tuple[int, int]]: ...

    # A dossier's state and events, or None.
    def get_dossier(self, dossier_id: str) -> DossierView | None: ...

    # One page of dossiers matching ``query`` (newest reception first) and the total.
    def query_dossiers(self, query: DossierQuery) -> tuple[list[tuple[str, DossierState]], int]: ...

    # Every dossier state of one node (or of all nodes), for indicators.
    def dossier_states(self, node_id: str | None) -> list[DossierState]: ...

    # The node's whole log, both origins, in (origin, seq) order (the digest's input).
    def node_log(self, node_id: str) -> list[EventRecord]: ...

    # Size of a complete, verified file held here; None when not held.
    def blob_size(self, sha256: str) -> int | None: ...

    # (sha256, size) of up to ``limit`` files the node's held events name and no row holds.
    def missing_files(self, node_id: str, limit: int) -> list[tuple[str, int]]: ...

    # Record a verified file (its bytes are already durable in the blob directory).
    def record_blob(self, sha256: str, size: int, at: str) -> None: ...

    # Count a rejected message by node and reason (and set the node's last error).
    def record_rejection(self, node_id: str | None, reason: str, detail: str, at: str) -> None: ...

    # Rejection counters, by node and reason.
    def rejection_counts(self) -> list[RejectionRow]: ...

    # Name of the newest migration applied ("none" before the first).
    def schema_version(self) -> str: ...

    # Close every connection; safe to call twice.
    def close(self) -> None: ...
