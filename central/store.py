"""What the city keeps, as a Protocol with one implementation per database.

Shaped like Litestream's ``ReplicaClient``: every method is one durable operation with a
one-line contract. ``SqliteCentralStore`` (default) and ``PostgresCentralStore`` share the
SQL and row mappings (``sql_store.py`` and the ``sql_*.py`` modules it runs) and differ only
in how they connect, lock and migrate; the store contract tests run against both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import msgspec

from central.board import Board, Counts, FigureDossier
from central.node_row import NodeRow as NodeRow  # re-exported: the store's rows
from rules.event_kinds import DossierEvent, EventBody
from rules.event_record import EventRecord
from rules.projection import DossierState
from rules.ratings import RatedRow
from sync.wire import Birth, EventBatch, Offline

#: The origin of every event the city appends (``EventRecord.origin``).
CENTRAL_ORIGIN = "central"


class StoreError(Exception):
    """The database failed (unreachable, busy, damaged); the message says which and why."""


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
    procedure_code: str | None = None  # only this procedure's (its national code)


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

    # Every dossier with this code (the citizen's lookup; at most a few).
    def dossiers_by_code(self, code: str) -> list[DossierState]: ...

    # The ratings made in [start, end) (UTC ISO, None: unbounded), of one node or all.
    def rated_rows(
        self, node_id: str | None, start: str | None = None, end: str | None = None
    ) -> list[RatedRow]: ...
    # The communes board: every node (or one) worst first, with the day's counts.
    def board(self, day_start: str, day_end: str, now: str, node: str | None) -> Board: ...

    # Node id -> counts of the named figures (central/figures.py), all window or all now.
    def figure_counts(
        self, names: Sequence[str], start: str, end: str, now: str, node: str | None
    ) -> dict[str, Counts]: ...

    # One page of the dossiers behind a figure, and their number.
    def figure_dossiers(
        self,
        figure: str,
        start: str,
        end: str,
        now: str,
        node: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[FigureDossier], int]: ...

    # The node's whole log, both origins, in (origin, seq) order (the digest's input).
    def node_log(self, node_id: str) -> list[EventRecord]: ...

    # Size of a complete, verified file held here; None when not held.
    def blob_size(self, sha256: str) -> int | None: ...

    # (sha256, size) of up to ``limit`` files the node's held events name and no row holds.
    def missing_files(self, node_id: str, limit: int) -> list[tuple[str, int]]: ...

    # Whether a document event of the node names this file (a commune-viewer's files).
    def node_names_file(self, node_id: str, sha256: str) -> bool: ...

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
