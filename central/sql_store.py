"""The city store in portable SQL, shared by the SQLite and PostgreSQL stores.

Subclasses provide two things: a write transaction that holds a per-node lock (so two
receivers never interleave one node's seqs, and a city append never races a batch of
the same node) and a read transaction. Each ``CentralStore`` method here opens the one
transaction it needs and runs the SQL written once, by responsibility, in:

- ``sql_batches.py``: the idempotent batch apply and the canonical refold;
- ``sql_presence.py``: Birth, will and ``last_seen``;
- ``sql_downstream.py``: the marks of the city's events sent to a node;
- ``sql_city_events.py``: the city's own events (dossier actions, reference data);
- ``sql_reads.py``: every read of the API and the receivers;
- ``sql_tables.py``: the row-level pieces they share (the ``Tx`` they run in).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

from central import (
    sql_batches,
    sql_board,
    sql_city_events,
    sql_downstream,
    sql_presence,
    sql_public,
    sql_reads,
)
from central.board import NOW_FIGURES, Board, BoardRow, Counts, FigureDossier
from central.sql_tables import Tx as Tx  # re-exported: the stores' transactions implement it
from central.sql_tables import bump_rejection, own_event_id
from central.store import (
    AppendResult,
    BatchOutcome,
    Decide,
    DossierQuery,
    DossierView,
    NodeRow,
    RejectionRow,
)
from rules.event_kinds import EventBody
from rules.event_record import EventRecord
from rules.projection import DossierState
from rules.ratings import RatedRow
from sync.wire import Birth, EventBatch, Offline

#: The board's counts over the office's day (the rest of its counts are NOW_FIGURES).
_DAY_FIGURES = ("received", "on_time", "returned")


class SqlCentralStore(ABC):
    """``CentralStore`` over any database that speaks this SQL; see the module docstring."""

    kind = "sql"

    @abstractmethod
    def _write(self, node_id: str | None) -> AbstractContextManager[Tx]:
        """A write transaction; with a node id, that node's lock is held until it ends."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Tx]:
        """A read-only transaction (one consistent snapshot where the database offers it)."""

    # -- the node's events ------------------------------------------------------------------

    def apply_batch(self, batch: EventBatch, at: str) -> BatchOutcome:
        with self._write(batch.node_id) as tx:
            return sql_batches.apply_batch(tx, batch, at)

    def own_event_id(self, node_id: str, seq: int) -> str | None:
        with self._read() as tx:
            return own_event_id(tx, node_id, seq)

    def own_events(self, node_id: str, from_seq: int, limit: int) -> list[EventRecord]:
        with self._read() as tx:
            return sql_reads.own_events(tx, node_id, from_seq, limit)

    def confirm_reconciled(self, node_id: str, seq: int, event_id: str, at: str) -> bool:
        with self._write(node_id) as tx:
            return sql_batches.confirm_reconciled(tx, node_id, seq, event_id, at)

    # -- presence ---------------------------------------------------------------------------

    def record_birth(self, birth: Birth, at: str) -> NodeRow:
        with self._write(birth.node_id) as tx:
            return sql_presence.record_birth(tx, birth, at)

    def record_offline(self, offline: Offline, at: str) -> bool:
        with self._write(offline.node_id) as tx:
            return sql_presence.record_offline(tx, offline, at)

    def touch(self, node_id: str, at: str) -> None:
        with self._write(None) as tx:
            sql_presence.touch(tx, node_id, at)

    # -- the city's events for a node -------------------------------------------------------

    def record_down_ack(self, node_id: str, upto: int, at: str) -> NodeRow:
        with self._write(node_id) as tx:
            return sql_downstream.record_down_ack(tx, node_id, upto, at)

    def rewind_down(self, node_id: str, from_seq: int, at: str) -> NodeRow:
        with self._write(node_id) as tx:
            return sql_downstream.rewind_down(tx, node_id, from_seq, at)

    def mark_down_sent(self, node_id: str, upto: int, at: str) -> None:
        with self._write(node_id) as tx:
            sql_downstream.mark_down_sent(tx, node_id, upto, at)

    def claim_resends(self, cutoff: str, at: str) -> list[NodeRow]:
        with self._write(None) as tx:
            return sql_downstream.claim_resends(tx, cutoff, at)

    def down_events(self, node_id: str, after_seq: int, limit: int) -> list[EventRecord]:
        with self._read() as tx:
            return sql_downstream.down_events(tx, node_id, after_seq, limit)

    def append_central(self, dossier_id: str, decide: Decide, actor: str, at: str) -> AppendResult:
        with self._read() as tx:
            node_id = sql_city_events.dossier_owner(tx, dossier_id)
        with self._write(node_id) as tx:
            return sql_city_events.append_central(tx, node_id, dossier_id, decide, actor, at)

    def append_reference(
        self, node_id: str, bodies: Iterable[EventBody], actor: str, at: str
    ) -> list[EventRecord]:
        with self._write(node_id) as tx:
            return sql_city_events.append_reference(tx, node_id, bodies, actor, at)

    def reference_events(self, node_id: str) -> list[EventRecord]:
        with self._read() as tx:
            return sql_city_events.reference_events(tx, node_id)

    # -- reads ------------------------------------------------------------------------------

    def get_node(self, node_id: str) -> NodeRow | None:
        with self._read() as tx:
            return sql_reads.get_node(tx, node_id)

    def list_nodes(self) -> list[NodeRow]:
        with self._read() as tx:
            return sql_reads.list_nodes(tx)

    def dossier_counts(self) -> dict[str, tuple[int, int]]:
        with self._read() as tx:
            return sql_reads.dossier_counts(tx)

    def get_dossier(self, dossier_id: str) -> DossierView | None:
        with self._read() as tx:
            return sql_reads.get_dossier(tx, dossier_id)

    def query_dossiers(self, query: DossierQuery) -> tuple[list[tuple[str, DossierState]], int]:
        with self._read() as tx:
            return sql_reads.query_dossiers(tx, query)

    def dossier_states(self, node_id: str | None) -> list[DossierState]:
        with self._read() as tx:
            return sql_reads.dossier_states(tx, node_id)

    def dossiers_by_code(self, code: str) -> list[DossierState]:
        with self._read() as tx:
            return sql_public.dossiers_by_code(tx, code)

    def rated_rows(
        self, node_id: str | None, start: str | None = None, end: str | None = None
    ) -> list[RatedRow]:
        with self._read() as tx:
            return sql_public.rated_rows(tx, node_id, start, end)

    def board(self, day_start: str, day_end: str, now: str, node: str | None) -> Board:
        with self._read() as tx:
            nodes = sql_board.board_nodes(tx, node)
            day = sql_board.count_figures(tx, _DAY_FIGURES, day_start, day_end, now, node)
            open_now = sql_board.count_figures(tx, NOW_FIGURES, day_start, day_end, now, node)
        empty = Counts({})
        rows = [
            BoardRow(n, day.get(n.node_id, empty).plus(open_now.get(n.node_id, empty)))
            for n in nodes
        ]
        rows.sort(key=lambda r: (r.trouble, r.node.node_id))
        totals = empty
        for row in rows:
            totals = totals.plus(row.today)
        return Board(rows, totals, day_start, day_end, now)

    def figure_counts(
        self, names: Sequence[str], start: str, end: str, now: str, node: str | None
    ) -> dict[str, Counts]:
        with self._read() as tx:
            return sql_board.count_figures(tx, names, start, end, now, node)

    def figure_dossiers(
        self,
        figure: str,
        start: str,
        end: str,
        now: str,
        node: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[FigureDossier], int]:
        with self._read() as tx:
            return sql_board.figure_dossiers(tx, figure, start, end, now, node, limit, offset)

    def node_log(self, node_id: str) -> list[EventRecord]:
        with self._read() as tx:
            return sql_reads.node_log(tx, node_id)

    def schema_version(self) -> str:
        with self._read() as tx:
            return sql_reads.schema_version(tx)

    # -- files and rejections ---------------------------------------------------------------

    def blob_size(self, sha256: str) -> int | None:
        with self._read() as tx:
            return sql_reads.blob_size(tx, sha256)

    def missing_files(self, node_id: str, limit: int) -> list[tuple[str, int]]:
        with self._read() as tx:
            return sql_reads.missing_files(tx, node_id, limit)

    def node_names_file(self, node_id: str, sha256: str) -> bool:
        with self._read() as tx:
            return sql_reads.node_names_file(tx, node_id, sha256)

    def record_blob(self, sha256: str, size: int, at: str) -> None:
        with self._write(None) as tx:
            tx.run(
                "INSERT INTO blobs (sha256, size, stored_at) VALUES (?, ?, ?) "
                "ON CONFLICT (sha256) DO NOTHING",
                (sha256, size, at),
            )

    def record_rejection(self, node_id: str | None, reason: str, detail: str, at: str) -> None:
        with self._write(None) as tx:
            bump_rejection(tx, node_id, reason, detail, at)

    def rejection_counts(self) -> list[RejectionRow]:
        with self._read() as tx:
            return sql_reads.rejection_counts(tx)
