"""The city store's logic in portable SQL, shared by the SQLite and PostgreSQL stores.

Subclasses provide two things: a write transaction that holds a per-node lock (so two
receivers never interleave one node's seqs, and a city append never races a batch of
the same node) and a read transaction. Everything else, the idempotent batch apply, the
canonical refold, presence and the downstream marks, is written once here. Comparisons
that differ between the two databases (GREATEST vs MAX, booleans) are done in Python on
rows read under the lock.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import msgspec
import uuid6

from central import timestamps
from central.store import (
    CENTRAL_ORIGIN,
    AppendResult,
    BatchOutcome,
    Decide,
    DossierContext,
    DossierQuery,
    DossierView,
    NodeRow,
    RejectionRow,
)
from node.dossier_store import DossierFilter, filter_clauses, search_text
from rules.event_kinds import (
    CalendarDaySet,
    EventBody,
    ProcedureUpserted,
    encode_body,
    kind_of,
)
from rules.event_record import EVENT_FORMAT, EventRecord
from rules.projection import DossierState, ProjectionError
from rules.reference_entries import CALENDAR_STREAM, CATALOG_STREAM
from rules.replay import canonical_order, refold
from sync.wire import Birth, EventBatch, Offline

log = logging.getLogger("motcua.central.store")

DOSSIER_KINDS = frozenset({"dossier_received", "dossier_transitioned", "document_attached"})
REFERENCE_KINDS = ("procedure_upserted", "calendar_day_set")
EVENT_COLUMNS = "origin, seq, id, stream, kind, recorded_at, actor, format, body"
NODE_COLUMNS = (
    "node_id, first_seen, last_seen, online, started_at, ended_at, software_version, "
    "node_last_seq, acked_upto, central_seq, down_acked_upto, down_sent_upto, down_sent_at, "
    "duplicates, gaps, rejected, last_error, last_error_at, diverged_at"
)
MAX_ERROR = 500  # characters of a last_error kept
_IN_CHUNK = 200  # streams per "IN (...)" query (SQLite allows 32766 parameters)

_state_encoder = msgspec.json.Encoder()
_state_decoder = msgspec.json.Decoder(DossierState)


class Tx(Protocol):
    """One open transaction; SQL uses ``?`` placeholders in both dialects."""

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, args: Sequence[object] = ()) -> None: ...

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None: ...


def _record(row: Sequence[Any]) -> EventRecord:
    origin, seq, id_, stream, kind, recorded_at, actor, fmt, body = row
    return EventRecord(
        str(origin),
        int(seq),
        str(id_),
        str(stream),
        str(kind),
        str(recorded_at),
        str(actor),
        int(fmt),
        bytes(body),
    )


def _node(row: Sequence[Any]) -> NodeRow:
    (node_id, first, last, online, started, ended, version, *ints, error, error_at, diverged) = row
    n_last, acked, central, down_acked, down_sent, down_sent_at, dups, gaps, rejected = ints
    return NodeRow(
        node_id=str(node_id),
        first_seen=str(first),
        last_seen=str(last),
        online=bool(online),
        started_at=started,
        ended_at=ended,
        software_version=str(version),
        node_last_seq=int(n_last),
        acked_upto=int(acked),
        central_seq=int(central),
        down_acked_upto=int(down_acked),
        down_sent_upto=int(down_sent),
        down_sent_at=down_sent_at,
        duplicates=int(dups),
        gaps=int(gaps),
        rejected=int(rejected),
        last_error=error,
        last_error_at=error_at,
        diverged_at=diverged,
    )


def _is_online(started: str | None, ended: str | None) -> bool:
    if started is None:
        return False
    return ended is None or timestamps.instant(ended) < timestamps.instant(started)


class SqlCentralStore(ABC):
    """``CentralStore`` over any database that speaks this SQL; see the module docstring."""

    kind = "sql"

    @abstractmethod
    def _write(self, node_id: str | None) -> AbstractContextManager[Tx]:
        """A write transaction; with a node id, that node's lock is held until it ends."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Tx]:
        """A read-only transaction (one consistent snapshot where the database offers it)."""

    # -- nodes -------------------------------------------------------------------------------

    def _ensure_node(self, tx: Tx, node_id: str, at: str) -> NodeRow:
        tx.run(
            "INSERT INTO nodes (node_id, first_seen, last_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (node_id) DO NOTHING",
            (node_id, at, at),
        )
        rows = tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes WHERE node_id = ?", (node_id,))
        return _node(rows[0])

    def _set_node(self, tx: Tx, node_id: str, **fields: object) -> None:
        names = sorted(fields)
        assignments = ", ".join(f"{name} = ?" for name in names)
        tx.run(
            f"UPDATE nodes SET {assignments} WHERE node_id = ?",
            [*(fields[n] for n in names), node_id],
        )

    def get_node(self, node_id: str) -> NodeRow | None:
        with self._read() as tx:
            rows = tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes WHERE node_id = ?", (node_id,))
        return _node(rows[0]) if rows else None

    def own_event_id(self, node_id: str, seq: int) -> str | None:
        with self._read() as tx:
            return self._own_event_id(tx, node_id, seq)

    def _own_event_id(self, tx: Tx, node_id: str, seq: int) -> str | None:
        rows = tx.rows(
            "SELECT id FROM events WHERE node_id = ? AND origin = ? AND seq = ?",
            (node_id, node_id, seq),
        )
        return str(rows[0][0]) if rows else None

    def list_nodes(self) -> list[NodeRow]:
        with self._read() as tx:
            return [_node(r) for r in tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes ORDER BY node_id")]

    def dossier_counts(self) -> dict[str, tuple[int, int]]:
        with self._read() as tx:
            rows = tx.rows(
                "SELECT node_id, COUNT(*), SUM(CASE WHEN conflicts > 0 THEN 1 ELSE 0 END) "
                "FROM dossiers GROUP BY node_id"
            )
        return {str(n): (int(total), int(conflicted or 0)) for n, total, conflicted in rows}

    # -- the node's events ------------------------------------------------------------------

    def apply_batch(self, batch: EventBatch, at: str) -> BatchOutcome:
        node_id = batch.node_id
        last = batch.first_seq + len(batch.events) - 1
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            head = row.acked_upto
            seen = {"last_seen": at, "node_last_seq": max(row.node_last_seq, last)}
            if row.diverged_at is not None:
                detail = (
                    f"its log diverged from the city's copy at {row.diverged_at}: batches are "
                    "refused until an operator resolves it"
                )
                self._set_node(tx, node_id, **seen)
                return BatchOutcome("seq_conflict", head, detail=detail)
            if batch.first_seq > head + 1:
                self._set_node(tx, node_id, gaps=row.gaps + 1, **seen)
                return BatchOutcome("gap", head, detail=f"batch starts at {batch.first_seq}")
            held = [e for e in batch.events if e.seq <= head]
            new = [e for e in batch.events if e.seq > head]
            refused = self._check_repeats(tx, node_id, held, head) or self._check_owner(
                tx, node_id, new, head
            )
            if refused is not None:
                error = refused.detail[:MAX_ERROR]
                if refused.status == "seq_conflict":
                    seen["diverged_at"] = at
                self._set_node(tx, node_id, last_error=error, last_error_at=at, **seen)
                return refused
            self._insert(tx, node_id, new)
            self._refold_streams(
                tx, node_id, {e.stream for e in new if e.kind in DOSSIER_KINDS}, at
            )
            self._set_node(
                tx,
                node_id,
                acked_upto=max(head, last),
                duplicates=row.duplicates + len(held),
                **seen,
            )
            # The batch's last event is now held under its id (inserted, or checked above);
            # a batch wholly below the head needs the head's id read.
            head_id = batch.events[-1].id if last >= head else self._own_event_id(tx, node_id, head)
        return BatchOutcome(
            "applied" if new else "duplicate",
            max(head, last),
            applied=len(new),
            duplicates=len(held),
            head_id=head_id or "",
        )

    def _check_repeats(
        self, tx: Tx, node_id: str, held: list[EventRecord], head: int
    ) -> BatchOutcome | None:
        # A repeat must be the very event already held. Different ids at a held seq mean
        # the node's log diverged (restored from an old backup, then wrote new events):
        # skipping them as duplicates would lose those events silently.
        if not held:
            return None
        stored = dict(
            tx.rows(
                "SELECT seq, id FROM events "
                "WHERE node_id = ? AND origin = ? AND seq BETWEEN ? AND ?",
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

    def _check_owner(
        self, tx: Tx, node_id: str, new: list[EventRecord], head: int
    ) -> BatchOutcome | None:
        # A node may only write to its own dossiers; a dossier id is global (UUIDv7).
        streams = sorted({e.stream for e in new if e.kind in DOSSIER_KINDS})
        for stream in streams:
            rows = tx.rows("SELECT node_id FROM dossiers WHERE id = ?", (stream,))
            if rows and rows[0][0] != node_id:
                detail = f"dossier {stream} belongs to node {rows[0][0]}"
                return BatchOutcome("foreign_dossier", head, detail=detail)
        return None

    def _insert(self, tx: Tx, node_id: str, records: Iterable[EventRecord]) -> None:
        tx.many(
            f"INSERT INTO events (node_id, {EVENT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (node_id, origin, seq) DO NOTHING",
            [
                (node_id, r.origin, r.seq, r.id, r.stream, r.kind, r.recorded_at, r.actor, *tail)
                for r in records
                for tail in [(r.format, r.body)]
            ],
        )

    def _stream(self, tx: Tx, node_id: str, stream: str) -> list[EventRecord]:
        return self._streams(tx, node_id, [stream]).get(stream, [])

    def _streams(
        self, tx: Tx, node_id: str, streams: Sequence[str]
    ) -> dict[str, list[EventRecord]]:
        """Each stream's events in canonical order, a few queries for a whole batch."""
        found: dict[str, list[EventRecord]] = {}
        for i in range(0, len(streams), _IN_CHUNK):
            chunk = streams[i : i + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = tx.rows(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE node_id = ? AND stream IN ({marks})",
                (node_id, *chunk),
            )
            for row in rows:
                record = _record(row)
                found.setdefault(record.stream, []).append(record)
        return {s: canonical_order(rs) for s, rs in found.items()}

    def _refold_streams(self, tx: Tx, node_id: str, streams: set[str], at: str) -> None:
        states: list[DossierState] = []
        for stream, events in sorted(self._streams(tx, node_id, sorted(streams)).items()):
            try:
                state = refold(events)
            except ProjectionError as exc:
                # The events stay (they are the node's log, and the digest covers them);
                # the dossier keeps its last good state and the operator is told.
                detail = f"dossier {stream}: {exc}"
                log.error("event=projection_failed node=%s %s", node_id, detail)
                self._bump_rejection(tx, node_id, "projection_failed", detail, at)
                continue
            if state is not None:
                states.append(state)
        self._save_dossiers(tx, node_id, states)

    def _save_dossiers(self, tx: Tx, node_id: str, states: list[DossierState]) -> None:
        tx.many(
            """
            INSERT INTO dossiers (id, node_id, code, origin, procedure_code, status, channel,
                                  received_at, due_at, finished_at, search_text, conflicts,
                                  state, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                code = excluded.code, procedure_code = excluded.procedure_code,
                status = excluded.status, channel = excluded.channel,
                received_at = excluded.received_at, due_at = excluded.due_at,
                finished_at = excluded.finished_at, search_text = excluded.search_text,
                conflicts = excluded.conflicts, state = excluded.state,
                updated_at = excluded.updated_at
            """,
            [
                (
                    state.id,
                    node_id,
                    state.code,
                    state.origin,
                    state.procedure_code,
                    state.status,
                    state.channel,
                    state.received_at,
                    state.statutory_due_at,  # overdue is judged by the legal deadline
                    state.finished_at,
                    search_text(state),
                    len(state.conflicts),
                    _state_encoder.encode(state).decode(),
                    state.updated_at,
                )
                for state in states
            ],
        )

    # -- presence ---------------------------------------------------------------------------

    def record_birth(self, birth: Birth, at: str) -> NodeRow:
        node_id = birth.node_id
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            fields: dict[str, object] = {"last_seen": at}
            newer = row.started_at is None or timestamps.instant(
                birth.started_at
            ) >= timestamps.instant(row.started_at)
            if newer:
                fields.update(
                    started_at=birth.started_at,
                    software_version=birth.software_version[:100],
                    online=int(_is_online(birth.started_at, row.ended_at)),
                    node_last_seq=birth.last_seq,
                )
                if birth.last_seq < row.acked_upto:
                    fields["last_error"] = (
                        f"the node reports last seq {birth.last_seq} but the city holds "
                        f"{row.acked_upto}: was it restored from an old backup?"
                    )
                    fields["last_error_at"] = at
            self._set_node(tx, node_id, **fields)
            return self._ensure_node(tx, node_id, at)

    def record_offline(self, offline: Offline, at: str) -> bool:
        with self._write(offline.node_id) as tx:
            row = self._ensure_node(tx, offline.node_id, at)
            ends = timestamps.instant(offline.started_at)
            if row.started_at is not None and ends < timestamps.instant(row.started_at):
                return False  # the will of an older session: the node is back already
            if row.ended_at is not None and ends <= timestamps.instant(row.ended_at):
                return False
            self._set_node(
                tx,
                offline.node_id,
                ended_at=offline.started_at,
                online=int(_is_online(row.started_at, offline.started_at)),
            )
            return True

    def touch(self, node_id: str, at: str) -> None:
        with self._write(None) as tx:
            tx.run("UPDATE nodes SET last_seen = ? WHERE node_id = ?", (at, node_id))

    # -- the city's events for a node -------------------------------------------------------

    def record_down_ack(self, node_id: str, upto: int, at: str) -> NodeRow:
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            mark = max(row.down_acked_upto, min(upto, row.central_seq))
            self._set_node(
                tx,
                node_id,
                down_acked_upto=mark,
                down_sent_upto=max(row.down_sent_upto, mark),
                last_seen=at,
            )
            return self._ensure_node(tx, node_id, at)

    def rewind_down(self, node_id: str, from_seq: int, at: str) -> NodeRow:
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            # The node is the authority on what its own log holds.
            mark = max(0, min(from_seq - 1, row.central_seq))
            self._set_node(tx, node_id, down_acked_upto=mark, down_sent_upto=mark, last_seen=at)
            return self._ensure_node(tx, node_id, at)

    def mark_down_sent(self, node_id: str, upto: int, at: str) -> None:
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            self._set_node(
                tx, node_id, down_sent_upto=max(upto, row.down_acked_upto), down_sent_at=at
            )

    def claim_resends(self, cutoff: str, at: str) -> list[NodeRow]:
        # One UPDATE ... RETURNING: with several receivers, each due node is claimed by one.
        with self._write(None) as tx:
            rows = tx.rows(
                "UPDATE nodes SET down_sent_at = ? WHERE online = 1 "
                "AND down_acked_upto < central_seq "
                "AND (down_sent_at IS NULL OR down_sent_at < ?) "
                f"RETURNING {NODE_COLUMNS}",
                (at, cutoff),
            )
        return sorted((_node(r) for r in rows), key=lambda n: n.node_id)

    def down_events(self, node_id: str, after_seq: int, limit: int) -> list[EventRecord]:
        with self._read() as tx:
            rows = tx.rows(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE node_id = ? AND origin = ? "
                "AND seq > ? ORDER BY seq LIMIT ?",
                (node_id, CENTRAL_ORIGIN, after_seq, limit),
            )
        return [_record(r) for r in rows]

    def _calendar(self, tx: Tx, node_id: str) -> list[EventRecord]:
        rows = tx.rows(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE node_id = ? AND kind = ?",
            (node_id, "calendar_day_set"),
        )
        return canonical_order(_record(r) for r in rows)

    def _append(
        self, tx: Tx, row: NodeRow, stream: str, body: EventBody, actor: str, recorded_at: str
    ) -> EventRecord:
        record = EventRecord(
            origin=CENTRAL_ORIGIN,
            seq=row.central_seq + 1,
            id=str(uuid6.uuid7()),
            stream=stream,
            kind=kind_of(body),
            recorded_at=recorded_at,
            actor=actor,
            format=EVENT_FORMAT,
            body=encode_body(body),
        )
        self._insert(tx, row.node_id, [record])
        self._set_node(tx, row.node_id, central_seq=record.seq)
        return record

    def append_central(self, dossier_id: str, decide: Decide, actor: str, at: str) -> AppendResult:
        from node.dossier_service import NotFound  # the API maps it to 404

        with self._read() as tx:
            owner = tx.rows("SELECT node_id FROM dossiers WHERE id = ?", (dossier_id,))
        if not owner:
            raise NotFound(f"no dossier with id {dossier_id!r}")
        node_id = str(owner[0][0])
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            events = self._stream(tx, node_id, dossier_id)
            state = refold(events)
            if state is None:
                raise NotFound(f"no dossier with id {dossier_id!r}")
            ctx = DossierContext(
                node_id,
                state,
                events,
                self._calendar(tx, node_id),
                timestamps.after([e.recorded_at for e in events], timestamps.instant(at)),
            )
            body = decide(ctx)
            record = self._append(tx, row, dossier_id, body, actor, ctx.recorded_at)
            new_state = refold([*events, record])
            assert new_state is not None
            self._save_dossiers(tx, node_id, [new_state])
        return AppendResult(node_id, new_state, record)

    def append_reference(
        self, node_id: str, bodies: Iterable[EventBody], actor: str, at: str
    ) -> list[EventRecord]:
        records: list[EventRecord] = []
        with self._write(node_id) as tx:
            row = self._ensure_node(tx, node_id, at)
            for body in bodies:
                if isinstance(body, ProcedureUpserted):
                    stream = CATALOG_STREAM
                elif isinstance(body, CalendarDaySet):
                    stream = CALENDAR_STREAM
                else:
                    raise TypeError(f"{kind_of(body)} is not reference data")
                record = self._append(tx, row, stream, body, actor, at)
                row = msgspec.structs.replace(row, central_seq=record.seq)
                records.append(record)
        return records

    def reference_events(self, node_id: str) -> list[EventRecord]:
        with self._read() as tx:
            rows = tx.rows(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE node_id = ? AND kind IN (?, ?)",
                (node_id, *REFERENCE_KINDS),
            )
        return canonical_order(_record(r) for r in rows)

    # -- dossiers ---------------------------------------------------------------------------

    def get_dossier(self, dossier_id: str) -> DossierView | None:
        with self._read() as tx:
            rows = tx.rows("SELECT node_id, state FROM dossiers WHERE id = ?", (dossier_id,))
            if not rows:
                return None
            node_id = str(rows[0][0])
            events = self._stream(tx, node_id, dossier_id)
        return DossierView(node_id, _state_decoder.decode(rows[0][1]), events)

    def query_dossiers(self, query: DossierQuery) -> tuple[list[tuple[str, DossierState]], int]:
        where, args = filter_clauses(
            DossierFilter(
                q=query.q,
                status=query.status,
                received_from=query.received_from,
                received_to=query.received_to,
                overdue=query.overdue,
                now=query.now,
            )
        )
        if query.node is not None:
            where.append("node_id = ?")
            args.append(query.node)
        if query.conflicted is not None:
            where.append("conflicts > 0" if query.conflicted else "conflicts = 0")
        clause = " AND ".join(where)
        with self._read() as tx:
            total = tx.rows(f"SELECT COUNT(*) FROM dossiers WHERE {clause}", args)[0][0]
            rows = tx.rows(
                f"SELECT node_id, state FROM dossiers WHERE {clause} "
                "ORDER BY COALESCE(received_at, updated_at) DESC, code DESC, id "
                "LIMIT ? OFFSET ?",
                [*args, query.limit, query.offset],
            )
        return [(str(n), _state_decoder.decode(s)) for n, s in rows], int(total)

    def dossier_states(self, node_id: str | None) -> list[DossierState]:
        with self._read() as tx:
            if node_id is None:
                rows = tx.rows("SELECT state FROM dossiers")
            else:
                rows = tx.rows("SELECT state FROM dossiers WHERE node_id = ?", (node_id,))
        return [_state_decoder.decode(r[0]) for r in rows]

    def node_log(self, node_id: str) -> list[EventRecord]:
        with self._read() as tx:
            rows = tx.rows(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE node_id = ? ORDER BY origin, seq",
                (node_id,),
            )
        # Sorted again in Python: the digest needs code-point order whatever the collation.
        return sorted((_record(r) for r in rows), key=lambda r: (r.origin, r.seq))

    # -- files ------------------------------------------------------------------------------

    def blob_size(self, sha256: str) -> int | None:
        with self._read() as tx:
            rows = tx.rows("SELECT size FROM blobs WHERE sha256 = ?", (sha256,))
        return int(rows[0][0]) if rows else None

    def record_blob(self, sha256: str, size: int, at: str) -> None:
        with self._write(None) as tx:
            tx.run(
                "INSERT INTO blobs (sha256, size, stored_at) VALUES (?, ?, ?) "
                "ON CONFLICT (sha256) DO NOTHING",
                (sha256, size, at),
            )

    # -- rejections -------------------------------------------------------------------------

    def _bump_rejection(
        self, tx: Tx, node_id: str | None, reason: str, detail: str, at: str
    ) -> None:
        detail = detail[:MAX_ERROR]
        tx.run(
            "INSERT INTO rejections (node_id, reason, count, last_at, last_detail) "
            "VALUES (?, ?, 1, ?, ?) ON CONFLICT (node_id, reason) DO UPDATE SET "
            "count = rejections.count + 1, last_at = excluded.last_at, "
            "last_detail = excluded.last_detail",
            (node_id or "", reason, at, detail),
        )
        if node_id:
            tx.run(
                "UPDATE nodes SET rejected = rejected + 1, last_error = ?, last_error_at = ? "
                "WHERE node_id = ?",
                (f"{reason}: {detail}"[:MAX_ERROR], at, node_id),
            )

    def record_rejection(self, node_id: str | None, reason: str, detail: str, at: str) -> None:
        with self._write(None) as tx:
            self._bump_rejection(tx, node_id, reason, detail, at)

    def rejection_counts(self) -> list[RejectionRow]:
        with self._read() as tx:
            rows = tx.rows(
                "SELECT node_id, reason, count, last_at, last_detail FROM rejections "
                "ORDER BY node_id, reason"
            )
        return [RejectionRow(str(n), str(r), int(c), str(a), str(d)) for n, r, c, a, d in rows]

    def schema_version(self) -> str:
        with self._read() as tx:
            rows = tx.rows("SELECT name FROM _migrations ORDER BY name DESC LIMIT 1")
        return str(rows[0][0]) if rows else "none"
