"""The city store in one SQLite file (the default): ``DIR/central.sqlite3``.

Opened and migrated the node's way (``storage/db.py``, ``storage/migrations.py``): WAL,
``synchronous=FULL``, a busy timeout and ``BEGIN IMMEDIATE`` for every write, so a batch
is acknowledged only after a commit that survives power loss. SQLite has one writer at a
time, which is also the per-node lock: several receiver processes on one machine share
the file safely.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import apsw

from central import sql_board
from central.figures import BOARD_MIGRATION
from central.sql_public import RATINGS_DDL
from central.sql_store import SqlCentralStore, Tx
from central.store import StoreError
from storage.db import Database, DatabaseError, connect
from storage.migrations import Migration, apply_migrations


def m001_central(conn: apsw.Connection) -> None:
    conn.execute(
        """
        -- Every commune node's log, and the city's events for it (origin 'central').
        -- node_id is the node whose log the event belongs to.
        CREATE TABLE events (
            node_id TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            id TEXT NOT NULL,
            stream TEXT NOT NULL,
            kind TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            format INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (node_id, origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX events_by_stream ON events (node_id, stream);
        CREATE INDEX events_by_kind ON events (node_id, kind);
        -- Repeats are skipped by the primary key (ON CONFLICT DO NOTHING); gaps, updates
        -- and deletes are refused structurally, as on the node.
        CREATE TRIGGER events_no_gap BEFORE INSERT ON events
        WHEN NEW.seq > COALESCE((SELECT MAX(seq) FROM events
                                 WHERE node_id = NEW.node_id AND origin = NEW.origin), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'event seq would leave a gap'); END;
        CREATE TRIGGER events_immutable_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
        CREATE TRIGGER events_immutable_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;

        -- Projection of the events (rules.replay.refold), rewritten in the same transaction.
        CREATE TABLE dossiers (
            id TEXT PRIMARY KEY,
            node_id TEXT NOT NULL,
            code TEXT NOT NULL,
            origin TEXT NOT NULL,
            procedure_code TEXT NOT NULL,
            status INTEGER NOT NULL,
            channel TEXT NOT NULL,
            received_at TEXT,
            due_at TEXT,              -- the legal deadline (statutory_due_at)
            finished_at TEXT,
            search_text TEXT NOT NULL,
            conflicts INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,      -- the full DossierState, JSON
            updated_at TEXT NOT NULL
        );
        CREATE INDEX dossiers_by_node ON dossiers (node_id, received_at);
        CREATE INDEX dossiers_by_received ON dossiers (received_at);
        CREATE INDEX dossiers_by_status ON dossiers (status, due_at);
        CREATE INDEX dossiers_by_code ON dossiers (code);

        CREATE TABLE nodes (
            node_id TEXT PRIMARY KEY,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            online INTEGER NOT NULL DEFAULT 0,
            started_at TEXT,
            ended_at TEXT,
            software_version TEXT NOT NULL DEFAULT '',
            node_last_seq INTEGER NOT NULL DEFAULT 0,
            acked_upto INTEGER NOT NULL DEFAULT 0,
            central_seq INTEGER NOT NULL DEFAULT 0,
            down_acked_upto INTEGER NOT NULL DEFAULT 0,
            down_sent_upto INTEGER NOT NULL DEFAULT 0,
            down_sent_at TEXT,
            duplicates INTEGER NOT NULL DEFAULT 0,
            gaps INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_error_at TEXT
        );

        -- Files held whole and verified, in DIR/blobs/ab/cdef... (content-addressed).
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            stored_at TEXT NOT NULL
        );

        CREATE TABLE rejections (
            node_id TEXT NOT NULL,   -- '' when the topic named no valid node
            reason TEXT NOT NULL,
            count INTEGER NOT NULL,
            last_at TEXT NOT NULL,
            last_detail TEXT NOT NULL,
            PRIMARY KEY (node_id, reason)
        );
        """
    )


def m002_diverged(conn: apsw.Connection) -> None:
    # When a held seq came again as another event: see sql_batches.apply_batch.
    conn.execute("ALTER TABLE nodes ADD COLUMN diverged_at TEXT")


def m003_presence_bd_seq(conn: apsw.Connection) -> None:
    # Which connection the newest Birth and the newest death name: see sql_presence.
    conn.execute("ALTER TABLE nodes ADD COLUMN bd_seq INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE nodes ADD COLUMN ended_bd_seq INTEGER NOT NULL DEFAULT 0")


def m004_dossier_ratings(conn: apsw.Connection) -> None:
    # The citizen's ratings, one row per rated dossier: see sql_public.
    conn.execute(RATINGS_DDL)


def m005_board(conn: apsw.Connection) -> None:
    # What the communes board shows beside presence: see sql_presence and sql_board.
    for statement in BOARD_MIGRATION:
        conn.execute(statement)
    sql_board.backfill(_SqliteTx(conn))  # the dossiers held before it, in its transaction


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_central", m001_central),
    ("002_diverged", m002_diverged),
    ("003_presence_bd_seq", m003_presence_bd_seq),
    ("004_dossier_ratings", m004_dossier_ratings),
    ("005_board", m005_board),
]


class _SqliteTx:
    def __init__(self, conn: apsw.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._conn.execute(sql, tuple(args))]

    def run(self, sql: str, args: Sequence[object] = ()) -> None:
        self._conn.execute(sql, tuple(args))

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            self._conn.executemany(sql, [tuple(r) for r in rows])


class SqliteCentralStore(SqlCentralStore):
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = Database(path)

    @contextmanager
    def _write(self, node_id: str | None) -> Iterator[Tx]:
        # One writer per database: BEGIN IMMEDIATE is the node lock too.
        try:
            with self._db.write() as conn:
                yield _SqliteTx(conn)
        except (apsw.Error, DatabaseError) as exc:
            raise StoreError(f"{self.path}: write failed: {exc}") from exc

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        try:
            conn = self._db.read()
            conn.execute("BEGIN")  # one snapshot for every statement of the read
            try:
                yield _SqliteTx(conn)
            finally:
                conn.execute("COMMIT")
        except (apsw.Error, DatabaseError) as exc:
            raise StoreError(f"{self.path}: read failed: {exc}") from exc

    def migrate(self) -> list[str]:
        conn = connect(self.path)
        try:
            return apply_migrations(conn, MIGRATIONS)
        except (apsw.Error, DatabaseError) as exc:
            raise StoreError(f"{self.path}: cannot prepare the store: {exc}") from exc
        finally:
            conn.close()

    def close(self) -> None:
        self._db.close()
