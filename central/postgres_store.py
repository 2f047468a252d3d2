"""The city store in PostgreSQL (``[store] url = "postgresql://..."``), psycopg 3.

Each batch is one transaction that first takes a transaction-scoped advisory lock on its
node (``pg_advisory_xact_lock``), so receivers on several machines never interleave one
node's seqs; the primary key ``(node_id, origin, seq)`` with ``ON CONFLICT DO NOTHING``
makes a repeat harmless even without the lock. READ COMMITTED is enough: every statement
after the lock sees what the previous holder committed.

Text keys use ``COLLATE "C"`` so ordering is by code point, as in SQLite and Python,
whatever the database's locale (the digest depends on ``(origin, seq)`` order).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import psycopg

from central import sql_board
from central.figures import BOARD_MIGRATION
from central.sql_public import RATINGS_DDL
from central.sql_store import SqlCentralStore, Tx
from central.store import StoreError
from rules.clock import to_utc_iso, utc_now

#: First key of our advisory locks ("motc"), so they cannot collide with another app's.
LOCK_CLASS: Final = 0x6D6F7463

_M001: Final = """
CREATE TABLE events (
    node_id TEXT COLLATE "C" NOT NULL,
    origin TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL CHECK (seq >= 1),
    id TEXT COLLATE "C" NOT NULL,
    stream TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    recorded_at TEXT COLLATE "C" NOT NULL,
    actor TEXT NOT NULL,
    format INTEGER NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (node_id, origin, seq)
);
CREATE INDEX events_by_stream ON events (node_id, stream);
CREATE INDEX events_by_kind ON events (node_id, kind);

CREATE FUNCTION motcua_events_no_gap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq > COALESCE((SELECT MAX(seq) FROM events
                           WHERE node_id = NEW.node_id AND origin = NEW.origin), 0) + 1 THEN
        RAISE EXCEPTION 'event seq would leave a gap';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_no_gap BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION motcua_events_no_gap();
CREATE FUNCTION motcua_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable';
END $$;
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION motcua_events_immutable();

CREATE TABLE dossiers (
    id TEXT COLLATE "C" PRIMARY KEY,
    node_id TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    origin TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    status INTEGER NOT NULL,
    channel TEXT NOT NULL,
    received_at TEXT COLLATE "C",
    due_at TEXT COLLATE "C",
    finished_at TEXT COLLATE "C",
    search_text TEXT COLLATE "C" NOT NULL,
    conflicts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX dossiers_by_node ON dossiers (node_id, received_at);
CREATE INDEX dossiers_by_received ON dossiers (received_at);
CREATE INDEX dossiers_by_status ON dossiers (status, due_at);
CREATE INDEX dossiers_by_code ON dossiers (code);

CREATE TABLE nodes (
    node_id TEXT COLLATE "C" PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    ended_at TEXT,
    software_version TEXT NOT NULL DEFAULT '',
    node_last_seq BIGINT NOT NULL DEFAULT 0,
    acked_upto BIGINT NOT NULL DEFAULT 0,
    central_seq BIGINT NOT NULL DEFAULT 0,
    down_acked_upto BIGINT NOT NULL DEFAULT 0,
    down_sent_upto BIGINT NOT NULL DEFAULT 0,
    down_sent_at TEXT COLLATE "C",
    duplicates BIGINT NOT NULL DEFAULT 0,
    gaps BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TEXT
);

CREATE TABLE blobs (
    sha256 TEXT COLLATE "C" PRIMARY KEY,
    size BIGINT NOT NULL,
    stored_at TEXT NOT NULL
);

CREATE TABLE rejections (
    node_id TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C" NOT NULL,
    count BIGINT NOT NULL,
    last_at TEXT NOT NULL,
    last_detail TEXT NOT NULL,
    PRIMARY KEY (node_id, reason)
);
"""

MIGRATIONS: Final[list[tuple[str, str]]] = [
    ("001_central", _M001),
    ("002_diverged", "ALTER TABLE nodes ADD COLUMN diverged_at TEXT;"),
    (
        "003_presence_bd_seq",
        "ALTER TABLE nodes ADD COLUMN bd_seq BIGINT NOT NULL DEFAULT 0;"
        "ALTER TABLE nodes ADD COLUMN ended_bd_seq BIGINT NOT NULL DEFAULT 0;",
    ),
    ("004_dossier_ratings", RATINGS_DDL),
    ("005_board", ";".join(BOARD_MIGRATION) + ";"),
]


def _sql(sql: str, args: Sequence[object]) -> str:
    # The shared SQL uses "?"; psycopg wants "%s" and a literal "%" doubled.
    return sql.replace("%", "%%").replace("?", "%s") if args else sql


class _PgTx:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        cur = self._conn.execute(_sql(sql, args), tuple(args) or None)  # type: ignore[arg-type]
        return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def run(self, sql: str, args: Sequence[object] = ()) -> None:
        self._conn.execute(_sql(sql, args), tuple(args) or None)  # type: ignore[arg-type]

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        # executemany runs in libpq's pipeline mode: one round trip for the whole batch.
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(_sql(sql, rows[0]), [tuple(r) for r in rows])  # type: ignore[arg-type]


class PostgresCentralStore(SqlCentralStore):
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._all: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    def _where(self) -> str:
        # The URL without a password, for messages.
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        return (
            f"postgresql {info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        )

    def _conn(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise StoreError(f"{self._where()}: the store is closed")
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.closed or conn.broken):
            conn = None  # the server restarted or the link dropped: reconnect
        if conn is None:
            try:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise StoreError(f"{self._where()}: cannot connect: {exc}") from exc
            self._local.conn = conn
            with self._lock:
                self._all = [c for c in self._all if not c.closed] + [conn]
        return conn

    @contextmanager
    def _write(self, node_id: str | None) -> Iterator[Tx]:
        conn = self._conn()
        try:
            with conn.transaction():
                if node_id is not None:
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, node_id)
                    )
                yield _PgTx(conn)
        except psycopg.Error as exc:
            raise StoreError(f"{self._where()}: write failed: {exc}") from exc

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        conn = self._conn()
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield _PgTx(conn)
        except psycopg.Error as exc:
            raise StoreError(f"{self._where()}: read failed: {exc}") from exc

    def migrate(self) -> list[str]:
        conn = self._conn()
        try:
            with conn.transaction():
                # Two processes starting at once must not both create the schema.
                conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS _migrations "
                    '(name TEXT COLLATE "C" PRIMARY KEY, applied_at TEXT NOT NULL)'
                )
                done = {str(r[0]) for r in conn.execute("SELECT name FROM _migrations")}
                unknown = done - {name for name, _ in MIGRATIONS}
                if unknown:
                    raise StoreError(
                        f"{self._where()}: migrations {sorted(unknown)} are unknown here; "
                        "the store was written by a newer motcua-edge"
                    )
                applied: list[str] = []
                for name, sql in MIGRATIONS:
                    if name in done:
                        continue
                    conn.execute(sql.encode())
                    if name == "005_board":  # the dossiers held before it, in its transaction
                        sql_board.backfill(_PgTx(conn))
                    conn.execute(
                        "INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)",
                        (name, to_utc_iso(utc_now())),
                    )
                    applied.append(name)
            return applied
        except psycopg.Error as exc:
            raise StoreError(f"{self._where()}: cannot prepare the store: {exc}") from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
